/**
 * @file Build profiles: which floating-point arithmetic a PyTorch binary's RNG kernels use
 * (FMA contraction, and the float32 `normal_` kernel for n >= 16); pytorch-rng.md section 2.
 */

export interface Profile {
  readonly name: string;
  /** The compiler fused `a*b + c` in the kernels (x86-64 AVX2/AVX-512 kernels, arm64). */
  readonly fma: boolean;
  /** float32 normal_ for n >= 16: 'avx2' = cephes polynomials (avx_mathfun.h), 'scalar' = libm logf/cosf/sinf. */
  readonly normalKernel: 'avx2' | 'scalar';
}

/** x86-64 with AVX2+FMA (AVX-512 included): the default; the test vectors use it. Verified. */
export const X86_AVX2: Profile = Object.freeze({ name: 'x86-64-avx2', fma: true, normalKernel: 'avx2' });
/** x86-64 without AVX2, or ATEN_CPU_CAPABILITY=default. Verified. */
export const X86_DEFAULT: Profile = Object.freeze({ name: 'x86-64-default', fma: false, normalKernel: 'scalar' });
/** arm64 builds (macOS, Linux aarch64): a guess, not verified (macOS uses Apple's libm, not glibc). */
export const ARM64_GUESS: Profile = Object.freeze({ name: 'arm64-unverified', fma: true, normalKernel: 'scalar' });

/** The profile used when a fill function is given none. */
export const DEFAULT_PROFILE: Profile = X86_AVX2;

/** Options shared by the floating-point fill functions. */
export interface FillOptions {
  /** Build profile to reproduce (default X86_AVX2). */
  profile?: Profile;
}
