/**
 * @file Scalar math the CPU kernels need beyond Math: erf, erfinv, round-half-even, GELU and friends.
 * Accurate to float64 so that gradient checks in float64 hold. Also the elementwise kernel tables (UNARY, BINARY),
 * whose keys are the elementwise kernel names of every device. Imports nothing.
 */

const TWO_OVER_SQRT_PI = 1.1283791670955126;
const INV_SQRT_PI = 0.5641895835477563;

/** erf(x) to ~1e-15: a positive-term series below |x| = 3, erfc's continued fraction above. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 3) {
    // erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n 2^n x^(2n+1) / (1*3*...*(2n+1)); all terms positive.
    const x2 = ax * ax;
    let term = ax, sum = ax;
    for (let n = 1; n < 200; n++) {
      term *= (2 * x2) / (2 * n + 1);
      sum += term;
      if (term < sum * 1e-17) break;
    }
    const r = TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
    return x < 0 ? -r : r;
  }
  const r = 1 - erfcLarge(ax);
  return x < 0 ? -r : r;
}

/** erfc for x >= 3 by the modified Lentz continued fraction. */
function erfcLarge(x: number): number {
  if (x > 27) return 0;
  // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))
  const tiny = 1e-300;
  let f = x, c = x, d = 0;
  for (let n = 1; n < 500; n++) {
    const an = n / 2;
    d = x + an * d; d = d === 0 ? tiny : d; d = 1 / d;
    c = x + an / c; c = c === 0 ? tiny : c;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return (Math.exp(-x * x) * INV_SQRT_PI) / f;
}

/** Inverse error function: Giles' single-precision approximation refined by two Newton steps in float64. */
export function erfinv(y: number): number {
  if (Number.isNaN(y) || y < -1 || y > 1) return NaN;
  if (y === 1) return Infinity;
  if (y === -1) return -Infinity;
  let w = -Math.log((1 - y) * (1 + y));
  let x: number;
  if (w < 5) {
    w -= 2.5;
    let p = 2.81022636e-08;
    p = 3.43273939e-07 + p * w; p = -3.5233877e-06 + p * w; p = -4.39150654e-06 + p * w; p = 0.00021858087 + p * w;
    p = -0.00125372503 + p * w; p = -0.00417768164 + p * w; p = 0.246640727 + p * w; p = 1.50140941 + p * w;
    x = p * y;
  } else {
    w = Math.sqrt(w) - 3;
    let p = -0.000200214257;
    p = 0.000100950558 + p * w; p = 0.00134934322 + p * w; p = -0.00367342844 + p * w; p = 0.00573950773 + p * w;
    p = -0.0076224613 + p * w; p = 0.00943887047 + p * w; p = 1.00167406 + p * w; p = 2.83297682 + p * w;
    x = p * y;
  }
  for (let i = 0; i < 2; i++) {
    const err = erf(x) - y;
    x -= err / (TWO_OVER_SQRT_PI * Math.exp(-x * x));
  }
  return x;
}

/** Round half to even, as torch.round. */
export function roundHalfEven(x: number): number {
  if (!Number.isFinite(x)) return x;
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const SQRT1_2 = Math.SQRT1_2;
const SQRT_2_OVER_PI = 0.7978845608028654;

export function gelu(x: number): number { return 0.5 * x * (1 + erf(x * SQRT1_2)); }
export function geluTanh(x: number): number { return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))); }
export function geluGrad(x: number): number {
  const cdf = 0.5 * (1 + erf(x * SQRT1_2));
  const pdf = Math.exp(-0.5 * x * x) * 0.3989422804014327;
  return cdf + x * pdf;
}
export function geluTanhGrad(x: number): number {
  const inner = SQRT_2_OVER_PI * (x + 0.044715 * x * x * x);
  const t = Math.tanh(inner);
  const dinner = SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x);
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * dinner;
}
export function sigmoid(x: number): number { return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)); }
/** softplus with PyTorch's default beta 1, threshold 20. */
export function softplus(x: number): number { return x > 20 ? x : Math.log1p(Math.exp(x)); }

// ---------------- the elementwise kernel tables ----------------

type F1 = (x: number) => number;
type F2 = (a: number, b: number) => number;

/**
 * The CPU's scalar kernels, one row per elementwise kernel. The CPU is total, so these keys ARE the kernel names:
 * backend.ts derives `UnaryOp` / `BinaryOp` from them, and every other device's table is typed by them (the
 * compiler lists a device that lacks a row). Adding a unary primitive = one row here, one WGSL row, one op
 * definition in ops/ (docs/ARCHITECTURE.md).
 */
export const UNARY = {
  neg: (x) => -x, abs: Math.abs, sqrt: Math.sqrt, rsqrt: (x) => 1 / Math.sqrt(x), exp: Math.exp, expm1: Math.expm1,
  log: Math.log, log1p: Math.log1p, sin: Math.sin, cos: Math.cos, tan: Math.tan, tanh: Math.tanh, sigmoid,
  relu: (x) => (x > 0 ? x : Number.isNaN(x) ? x : 0), erf, erfinv,
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : NaN), floor: Math.floor, ceil: Math.ceil, round: roundHalfEven,
  trunc: Math.trunc, reciprocal: (x) => 1 / x, square: (x) => x * x, logicalNot: (x) => (x !== 0 ? 0 : 1), // NaN is truthy, as in PyTorch
  isnan: (x) => (Number.isNaN(x) ? 1 : 0), gelu, geluTanh, silu: (x) => x * sigmoid(x), softplus,
} satisfies Record<string, F1>;

function pyMod(a: number, b: number): number { const r = a % b; return r !== 0 && (r < 0) !== (b < 0) ? r + b : r; }

export const BINARY = {
  add: (a, b) => a + b, sub: (a, b) => a - b, mul: (a, b) => a * b, div: (a, b) => a / b, pow: Math.pow,
  maximum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : a > b ? a : b),
  minimum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : a < b ? a : b),
  atan2: Math.atan2, remainder: pyMod, floorDivide: (a, b) => Math.floor(a / b),
  eq: (a, b) => (a === b ? 1 : 0), ne: (a, b) => (a !== b ? 1 : 0), lt: (a, b) => (a < b ? 1 : 0), le: (a, b) => (a <= b ? 1 : 0),
  gt: (a, b) => (a > b ? 1 : 0), ge: (a, b) => (a >= b ? 1 : 0),
  logicalAnd: (a, b) => (a !== 0 && b !== 0 ? 1 : 0), logicalOr: (a, b) => (a !== 0 || b !== 0 ? 1 : 0),
  logicalXor: (a, b) => ((a !== 0) !== (b !== 0) ? 1 : 0),
  // reluBackward is PyTorch's threshold_backward: a NaN result passes the gradient
  reluBackward: (y, g) => (y <= 0 ? 0 : g), geluBackward: (x, g) => g * geluGrad(x), geluTanhBackward: (x, g) => g * geluTanhGrad(x),
  erfinvBackward: (y, g) => g * 0.886226925452758 * Math.exp(y * y),
} satisfies Record<string, F2>;
