/**
 * @file Bernoulli sampling (pytorch-rng.md 5.5): `bernoulliScalar_` (Tensor.bernoulli_(p)
 * with a float p, and the dropout keep-mask, as on non-MKL builds) and `bernoulliTensor_`
 * (torch.bernoulli(p_tensor)).
 */

import type { Generator } from './generator.js';
import type { IntFillArray } from './integer.js';

/** Arrays a 0/1 mask can be written to. */
export type MaskArray = IntFillArray;

/**
 * Tensor.bernoulli_(p), p a double: per element `uniform53() < p ? 1 : 0` (2 words each).
 * This is the mt19937 path of non-MKL builds (Debian, macOS/arm64 wheels, and all builds of
 * PyTorch 2.4-era releases after MKL was disabled); official x86-64 1.13 wheels use MKL's stream instead.
 * Dropout: `bernoulliScalar_(gen, mask, 1 - p)` with 1 - p computed in double.
 */
export function bernoulliScalar_<T extends MaskArray>(gen: Generator, out: T, p: number): T {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`bernoulli_: expects 0 <= p <= 1, got ${p}`);
  const n = out.length;
  for (let i = 0; i < n; i++) out[i] = gen.uniform53() < p ? 1 : 0;
  return out;
}

/**
 * torch.bernoulli(probs) / Tensor.bernoulli_(probs): per element, float32 probabilities use
 * `uniform24() < p` (1 word), float64 probabilities `uniform53() < p` (2 words).
 * `probs` has out.length elements, or one element that is broadcast.
 */
export function bernoulliTensor_<T extends MaskArray>(gen: Generator, out: T, probs: Float32Array | Float64Array): T {
  const n = out.length;
  if (probs.length !== n && probs.length !== 1) {
    throw new RangeError(`bernoulliTensor_: probs has ${probs.length} elements, expected ${n} or 1`);
  }
  const step = probs.length === 1 ? 0 : 1;
  if (probs instanceof Float64Array) {
    for (let i = 0; i < n; i++) out[i] = gen.uniform53() < probs[i * step] ? 1 : 0;
  } else {
    for (let i = 0; i < n; i++) out[i] = gen.uniform24() < probs[i * step] ? 1 : 0;
  }
  return out;
}
