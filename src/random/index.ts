/**
 * @file Public API of torchlet's random module: PyTorch's CPU random stream, bit-exact
 * (generator, state, and the fill functions on typed arrays). See pytorch-rng.md.
 */

export { Generator, DEFAULT_SEED, RNG_STATE_SIZE, RNG_STATE_SIZE_LEGACY, normalizeSeed } from './generator.js';
export { MT19937, MT_N } from './mt19937.js';
export { defaultGenerator, manualSeed, seed, initialSeed } from './default-generator.js';
export { type Profile, type FillOptions, X86_AVX2, X86_AVX2_GLIBC241, X86_DEFAULT, ARM64_GUESS, DEFAULT_PROFILE, setRandomProfile } from './profile.js';
export { fma32, fma64 } from './fma.js';
export { uniform_, rand_ } from './uniform.js';
export { normal_, randn_, normalSample, type NormalOptions } from './normal.js';
export { randint_, random_, randperm, int64ToF32, RANDPERM_SMALL_N_LIMIT, type IntFillArray } from './integer.js';
export { bernoulliScalar_, bernoulliTensor_, type MaskArray } from './bernoulli.js';
export { exponential_ } from './exponential.js';
export { erfinv, erfinv_ } from './erfinv.js';
export { truncNormal_ } from './trunc-normal.js';
export { logf, expf, erff, sinf, cosf } from './libm-f32.js';
export { erf } from './libm-f64.js';
export { log256, sincos256 } from './avx-mathfun.js';
