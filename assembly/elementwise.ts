// torchlet WebAssembly elementwise kernels (AssemblyScript), compiled into the same modules as assembly/gemm.ts
// (assembly/build.mjs lists both entry files). The host stages contiguous float32 operands into linear memory and
// calls one of the entry points below with byte addresses; every buffer is padded to a multiple of 4 floats, so
// the loops run whole v128 vectors and the lanes past n compute garbage into the padding.
//
// Accuracy: add/sub/mul/div/sqrt/square/neg/abs/relu and the relu gradient are bit-identical to the TypeScript
// reference (float64 arithmetic rounded to float32 gives the correctly rounded float32 result). exp, log and tanh
// are Cephes' single-precision algorithms (about 1-2 ulp); sigmoid and SiLU use exp; erf (and GELU) is a series
// below |x| = 1 and Abramowitz-Stegun 7.1.26 above, as PyTorch's vectorized CPU erf (absolute error below 2e-7).
// No fused multiply-add: results are the same for the plain and the relaxed SIMD builds.

// Unary op codes (mirrored in src/backend/wasm/elementwise.ts).
const U_NEG = 0, U_ABS = 1, U_SQRT = 2, U_SQUARE = 3, U_RELU = 4, U_EXP = 5, U_LOG = 6, U_TANH = 7, U_SIGMOID = 8,
  U_ERF = 9, U_GELU = 10, U_SILU = 11, U_GELU_TANH = 12;
// Binary op codes.
const B_ADD = 0, B_SUB = 1, B_MUL = 2, B_DIV = 3, B_RELU_BACKWARD = 4;

// ---- vector math ----

@inline function splat(v: f32): v128 { return f32x4.splat(v); }
@inline function mul(a: v128, b: v128): v128 { return f32x4.mul(a, b); }
@inline function add(a: v128, b: v128): v128 { return f32x4.add(a, b); }
@inline function sub(a: v128, b: v128): v128 { return f32x4.sub(a, b); }

/** e^x, Cephes expf: x = n ln2 + r, |r| <= ln2/2, degree-5 polynomial, 2^n applied in two halves (no overflow of
 *  the exponent field, denormal results come out right). NaN stays NaN, +inf -> inf, -inf -> 0. */
function vexp(x0: v128): v128 {
  const x = f32x4.pmin(f32x4.pmax(x0, splat(-104.0)), splat(88.8)); // pmin/pmax: one instruction each, NaN kept
  // round to nearest by the 1.5 * 2^23 trick: the low mantissa bits of m then hold n as an integer
  const m = add(mul(x, splat(1.44269504088896341)), splat(12582912.0));
  const n = sub(m, splat(12582912.0));
  let r = sub(x, mul(n, splat(0.693359375)));
  r = sub(r, mul(n, splat(-2.12194440e-4)));
  const z = mul(r, r);
  let y = splat(1.9875691500e-4);
  y = add(mul(y, r), splat(1.3981999507e-3));
  y = add(mul(y, r), splat(8.3334519073e-3));
  y = add(mul(y, r), splat(4.1665795894e-2));
  y = add(mul(y, r), splat(1.6666665459e-1));
  y = add(mul(y, r), splat(5.0000001201e-1));
  y = add(add(mul(y, z), r), splat(1));
  const ni = i32x4.sub(m, i32x4.splat(0x4b400000));
  const h = i32x4.shr_s(ni, 1);
  const p1 = i32x4.shl(i32x4.add(h, i32x4.splat(127)), 23);
  const p2 = i32x4.shl(i32x4.add(i32x4.sub(ni, h), i32x4.splat(127)), 23);
  return mul(mul(y, p1), p2);
}

/** ln x, Cephes logf (mantissa in [sqrt(1/2), sqrt 2), degree-8 polynomial). Denormals are scaled first;
 *  x < 0 -> NaN, 0 -> -inf, inf -> inf, NaN -> NaN. */
function vlog(x0: v128): v128 {
  const tiny = f32x4.lt(x0, splat(1.17549435e-38));
  const xs = v128.bitselect(mul(x0, splat(8388608.0)), x0, tiny);
  let e = f32x4.convert_i32x4_s(i32x4.sub(i32x4.shr_u(xs, 23), i32x4.splat(126)));
  e = sub(e, v128.and(tiny, splat(23.0)));
  const m = v128.or(v128.and(xs, i32x4.splat(0x807fffff)), i32x4.splat(0x3f000000)); // [0.5, 1)
  const lo = f32x4.lt(m, splat(0.707106781186547524));
  e = sub(e, v128.and(lo, splat(1.0)));
  const x = sub(add(m, v128.and(lo, m)), splat(1));
  const z = mul(x, x);
  let y = splat(7.0376836292e-2);
  y = add(mul(y, x), splat(-1.1514610310e-1));
  y = add(mul(y, x), splat(1.1676998740e-1));
  y = add(mul(y, x), splat(-1.2420140846e-1));
  y = add(mul(y, x), splat(1.4249322787e-1));
  y = add(mul(y, x), splat(-1.6668057665e-1));
  y = add(mul(y, x), splat(2.0000714765e-1));
  y = add(mul(y, x), splat(-2.4999993993e-1));
  y = add(mul(y, x), splat(3.3333331174e-1));
  y = mul(mul(y, x), z);
  y = add(y, mul(e, splat(-2.12194440e-4)));
  y = sub(y, mul(z, splat(0.5)));
  let r = add(add(x, y), mul(e, splat(0.693359375)));
  r = v128.bitselect(splat(-Infinity), r, f32x4.eq(x0, splat(0)));
  r = v128.bitselect(splat(NaN), r, f32x4.lt(x0, splat(0)));
  r = v128.bitselect(x0, r, v128.or(f32x4.eq(x0, splat(Infinity)), f32x4.ne(x0, x0)));
  return r;
}

/** tanh, Cephes tanhf: odd polynomial below |x| = 0.625, 1 - 2/(e^{2|x|} + 1) with the sign above. */
function vtanh(x: v128): v128 {
  const z = mul(x, x);
  let p = splat(-5.70498872745e-3);
  p = add(mul(p, z), splat(2.06390887954e-2));
  p = add(mul(p, z), splat(-5.37397155531e-2));
  p = add(mul(p, z), splat(1.33314422036e-1));
  p = add(mul(p, z), splat(-3.33332819422e-1));
  const small = add(mul(mul(p, z), x), x);
  const ax = f32x4.abs(x);
  const big = sub(splat(1), f32x4.div(splat(2), add(vexp(add(ax, ax)), splat(1))));
  const sign = v128.and(x, i32x4.splat(0x80000000));
  return v128.bitselect(small, v128.or(big, sign), f32x4.lt(ax, splat(0.625)));
}

function vsigmoid(x: v128): v128 {
  return f32x4.div(splat(1), add(splat(1), vexp(f32x4.neg(x))));
}

/** erf: below |x| = 1 its Maclaurin series to x^21 (relative error about 1e-7); above, Abramowitz-Stegun 7.1.26
 *  as PyTorch's Vectorized<float>::erf (absolute error below 2e-7, where erf is above 0.84). */
function verf(x: v128): v128 {
  const z = mul(x, x);
  let q = splat(1.480719281587922e-08);
  q = add(mul(q, z), splat(-1.6365844691234924e-07));
  q = add(mul(q, z), splat(1.6462114365889248e-06));
  q = add(mul(q, z), splat(-1.4925650358406252e-05));
  q = add(mul(q, z), splat(0.00012055332981789665));
  q = add(mul(q, z), splat(-0.0008548327023450853));
  q = add(mul(q, z), splat(0.005223977625442188));
  q = add(mul(q, z), splat(-0.026866170645131252));
  q = add(mul(q, z), splat(0.11283791670955128));
  q = add(mul(q, z), splat(-0.37612638903183754));
  q = add(mul(q, z), splat(1.1283791670955126));
  const series = mul(q, x);
  const sign = v128.and(x, i32x4.splat(0x80000000));
  const ax = f32x4.abs(x);
  const t = f32x4.div(splat(1), add(mul(splat(0.3275911), ax), splat(1)));
  let r = splat(1.061405429);
  r = add(mul(r, t), splat(-1.453152027));
  r = add(mul(r, t), splat(1.421413741));
  r = add(mul(r, t), splat(-0.284496736));
  r = add(mul(r, t), splat(0.254829592));
  const e = vexp(f32x4.neg(z));
  const as = v128.or(sub(splat(1), mul(mul(r, t), e)), sign);
  return v128.bitselect(series, as, f32x4.lt(ax, splat(1)));
}

// ---- entry points ----

/** out[i] = op(x[i]) for i < n (rounded up to a multiple of 4). out may alias x. */
export function ew_unary(op: i32, x: usize, out: usize, n: i32): void {
  const end = x + (<usize>n << 2);
  const d = out - x;
  switch (op) {
    case U_NEG: for (let p = x; p < end; p += 16) v128.store(p + d, f32x4.neg(v128.load(p))); break;
    case U_ABS: for (let p = x; p < end; p += 16) v128.store(p + d, f32x4.abs(v128.load(p))); break;
    case U_SQRT: for (let p = x; p < end; p += 16) v128.store(p + d, f32x4.sqrt(v128.load(p))); break;
    case U_SQUARE: for (let p = x; p < end; p += 16) { const v = v128.load(p); v128.store(p + d, mul(v, v)); } break;
    case U_RELU: {
      // v > 0 ? v : (v is NaN ? v : +0), as the reference (-0 -> +0)
      const z = splat(0);
      for (let p = x; p < end; p += 16) {
        const v = v128.load(p);
        v128.store(p + d, v128.bitselect(v, z, v128.or(f32x4.gt(v, z), f32x4.ne(v, v))));
      }
      break;
    }
    case U_EXP: for (let p = x; p < end; p += 16) v128.store(p + d, vexp(v128.load(p))); break;
    case U_LOG: for (let p = x; p < end; p += 16) v128.store(p + d, vlog(v128.load(p))); break;
    case U_TANH: for (let p = x; p < end; p += 16) v128.store(p + d, vtanh(v128.load(p))); break;
    case U_SIGMOID: for (let p = x; p < end; p += 16) v128.store(p + d, vsigmoid(v128.load(p))); break;
    case U_ERF: for (let p = x; p < end; p += 16) v128.store(p + d, verf(v128.load(p))); break;
    case U_GELU:
      for (let p = x; p < end; p += 16) {
        const v = v128.load(p);
        v128.store(p + d, mul(mul(v, splat(0.5)), add(splat(1), verf(mul(v, splat(0.7071067811865476))))));
      }
      break;
    case U_SILU: for (let p = x; p < end; p += 16) { const v = v128.load(p); v128.store(p + d, mul(v, vsigmoid(v))); } break;
    case U_GELU_TANH:
      for (let p = x; p < end; p += 16) {
        const v = v128.load(p);
        const inner = mul(splat(0.7978845608028654), add(v, mul(splat(0.044715), mul(mul(v, v), v))));
        v128.store(p + d, mul(mul(v, splat(0.5)), add(splat(1), vtanh(inner))));
      }
      break;
    default: unreachable();
  }
}

/** out[i] = x[i] (op) y[i]. out may alias x or y. */
export function ew_binary(op: i32, x: usize, y: usize, out: usize, n: i32): void {
  const end = x + (<usize>n << 2);
  const dy = y - x, d = out - x;
  switch (op) {
    case B_ADD: for (let p = x; p < end; p += 16) v128.store(p + d, add(v128.load(p), v128.load(p + dy))); break;
    case B_SUB: for (let p = x; p < end; p += 16) v128.store(p + d, sub(v128.load(p), v128.load(p + dy))); break;
    case B_MUL: for (let p = x; p < end; p += 16) v128.store(p + d, mul(v128.load(p), v128.load(p + dy))); break;
    case B_DIV: for (let p = x; p < end; p += 16) v128.store(p + d, f32x4.div(v128.load(p), v128.load(p + dy))); break;
    case B_RELU_BACKWARD: {
      // y <= 0 ? +0 : g (a NaN y passes g), x = y (the forward output), y = g
      const z = splat(0);
      for (let p = x; p < end; p += 16) v128.store(p + d, v128.andnot(v128.load(p + dy), f32x4.le(v128.load(p), z)));
      break;
    }
    default: unreachable();
  }
}

/** out[i] = x[i] (op) c, or c (op) x[i] when scalarLeft. */
export function ew_binary_scalar(op: i32, x: usize, c: f32, out: usize, n: i32, scalarLeft: bool): void {
  const end = x + (<usize>n << 2);
  const d = out - x;
  const cv = splat(c);
  switch (op) {
    case B_ADD: for (let p = x; p < end; p += 16) v128.store(p + d, add(v128.load(p), cv)); break;
    case B_MUL: for (let p = x; p < end; p += 16) v128.store(p + d, mul(v128.load(p), cv)); break;
    case B_SUB:
      if (scalarLeft) for (let p = x; p < end; p += 16) v128.store(p + d, sub(cv, v128.load(p)));
      else for (let p = x; p < end; p += 16) v128.store(p + d, sub(v128.load(p), cv));
      break;
    case B_DIV:
      if (scalarLeft) for (let p = x; p < end; p += 16) v128.store(p + d, f32x4.div(cv, v128.load(p)));
      else for (let p = x; p < end; p += 16) v128.store(p + d, f32x4.div(v128.load(p), cv));
      break;
    default: unreachable();
  }
}

/** Sum of n floats (n a multiple of 4; padding lanes must be zero), accumulated in float64 (two f64x2 lanes
 *  per vector), so the float32 result matches the reference's float64 sum up to float64 rounding. */
export function ew_sum(x: usize, n: i32): f64 {
  let a = f64x2.splat(0), b = f64x2.splat(0);
  const end = x + (<usize>n << 2);
  for (let p = x; p < end; p += 16) {
    const v = v128.load(p);
    a = f64x2.add(a, f64x2.promote_low_f32x4(v));
    b = f64x2.add(b, f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)));
  }
  const s = f64x2.add(a, b);
  return f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
}
