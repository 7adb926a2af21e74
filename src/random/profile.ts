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
  /**
   * The C library's float32 erf, which erfinv (trunc_normal_) refines with: 'fdlibm' = glibc's s_erff.c (verified
   * on glibc 2.36, Debian 12; the default), 'correctly-rounded' = glibc 2.41 (CORE-MATH; verified on Debian 13).
   */
  readonly erff?: 'fdlibm' | 'correctly-rounded';
}

/** x86-64 with AVX2+FMA (AVX-512 included): the default; the test vectors use it. Verified. */
export const X86_AVX2: Profile = Object.freeze({ name: 'x86-64-avx2', fma: true, normalKernel: 'avx2' });
/** x86-64 without AVX2, or ATEN_CPU_CAPABILITY=default. Verified. */
export const X86_DEFAULT: Profile = Object.freeze({ name: 'x86-64-default', fma: false, normalKernel: 'scalar' });
/** arm64 builds (macOS, Linux aarch64): a guess, not verified (macOS uses Apple's libm, not glibc). */
export const ARM64_GUESS: Profile = Object.freeze({ name: 'arm64-unverified', fma: true, normalKernel: 'scalar' });

/**
 * x86-64 AVX2 with glibc 2.41+ (Debian 13's PyTorch 2.6): erff is correctly rounded, so trunc_normal_ (ViT's
 * patch embedding) draws other last bits than on glibc 2.36. Verified against torchvision 0.21 on Debian 13.
 */
export const X86_AVX2_GLIBC241: Profile = Object.freeze({ name: 'x86-64-avx2-glibc2.41', fma: true, normalKernel: 'avx2', erff: 'correctly-rounded' });

/** The profile used when a fill function is given none (a live binding: `setRandomProfile` changes it). */
export let DEFAULT_PROFILE: Profile = X86_AVX2;

const PROFILES: Record<string, Profile> = { [X86_AVX2.name]: X86_AVX2, [X86_AVX2_GLIBC241.name]: X86_AVX2_GLIBC241, [X86_DEFAULT.name]: X86_DEFAULT, [ARM64_GUESS.name]: ARM64_GUESS };

/**
 * Reproduce the random floats of another PyTorch build from now on: 'x86-64-avx2' (default; glibc 2.36),
 * 'x86-64-avx2-glibc2.41' (PyTorch on glibc 2.41+, e.g. Debian 13), 'x86-64-default' (no AVX2). Returns the
 * previous profile's name. Only the last bits of some transcendental-based draws differ between them.
 */
export function setRandomProfile(name: string): string {
  const p = PROFILES[name];
  if (!p) throw new TypeError(`setRandomProfile: unknown profile '${name}'; use one of ${Object.keys(PROFILES).map((k) => `'${k}'`).join(', ')}`);
  const prev = DEFAULT_PROFILE.name;
  DEFAULT_PROFILE = p;
  return prev;
}

/** Options shared by the floating-point fill functions. */
export interface FillOptions {
  /** Build profile to reproduce (default X86_AVX2). */
  profile?: Profile;
}
