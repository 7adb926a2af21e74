/**
 * @file Double-precision `log`, `sin`, `cos` and `erf` used by PyTorch's float64 and
 * per-element kernels. PyTorch calls glibc; here `log`/`sin`/`cos` are V8's `Math.*`
 * (fdlibm), which differ from glibc in the last bit of a few percent of results, and `erf`
 * is an accurate series (glibc uses fdlibm's s_erf.c). After rounding to float32 no
 * difference has been seen; float64 outputs of these paths may differ by an ulp or two.
 * Everything that needs them calls through this file, so glibc-exact ports can drop in here.
 */

/** Natural logarithm (glibc `log` in PyTorch). */
export const log: (x: number) => number = Math.log;
/** Sine (glibc `sin` in PyTorch). */
export const sin: (x: number) => number = Math.sin;
/** Cosine (glibc `cos` in PyTorch). */
export const cos: (x: number) => number = Math.cos;

const TWO_OVER_SQRT_PI = 1.1283791670955126; // 2/sqrt(pi)
const SPLIT = 134217729;

/**
 * Error function in double precision, accurate to a few ulps:
 * erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n 2^n x^(2n+1) / (2n+1)!!  (all terms positive),
 * with x^2 formed exactly so that exp(-x^2) keeps full relative precision.
 */
export function erf(x: number): number {
  if (x !== x) return NaN;
  const ax = Math.abs(x);
  const sign = x < 0 ? -1 : 1;
  if (ax >= 6) return sign; // erfc(6) < 2^-55
  if (ax < 2 ** -28) return x + 0.1283791670955126 * x;
  // exact square hi + lo
  const hi = ax * ax;
  const t = SPLIT * ax;
  const ah = t - (t - ax), al = ax - ah;
  const lo = ((ah * ah - hi) + 2 * ah * al) + al * al;
  const e = Math.exp(-hi) * (1 - lo);
  let term = ax;
  let sum = ax;
  const twoX2 = 2 * hi;
  for (let n = 1; n < 400; n++) {
    term *= twoX2 / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-18) break;
  }
  return sign * (TWO_OVER_SQRT_PI * e * sum);
}
