// torchlet WebAssembly vector math (AssemblyScript) for assembly/elementwise.ts, the module's entry file: the
// constant table the host stores once (initConstants, called by ew_init), float32x4 helpers, and the
// transcendental functions (exp, log, tanh, sigmoid, erf) with their four- and two-vector loops. Accuracy and the
// reasons for the table are in the comments below and in elementwise.ts's header.

// Unary op codes (mirrored in src/backend/wasm/elementwise.ts; the loops below take some).
export const U_NEG = 0, U_ABS = 1, U_SQRT = 2, U_SQUARE = 3, U_RELU = 4, U_EXP = 5, U_LOG = 6, U_TANH = 7, U_SIGMOID = 8,
  U_ERF = 9, U_GELU = 10, U_SILU = 11, U_GELU_TANH = 12;

// ---- vector math ----
//
// Constants: V8 (TurboFan, Node 20) materializes every v128.const inside a loop as three instructions (movabs,
// vmovq, vpunpcklqdq) on each iteration, which doubled the cost of exp. So the host stores the constant table
// below once into 1.1 KiB of its memory (ew_init), passes its address `k` to the kernels, and the loops read the
// constants back with one load each (Binaryen cannot fold a load back into a constant).

@inline export function splat(v: f32): v128 { return f32x4.splat(v); }
@inline export function mul(a: v128, b: v128): v128 { return f32x4.mul(a, b); }
@inline export function add(a: v128, b: v128): v128 { return f32x4.add(a, b); }
@inline export function sub(a: v128, b: v128): v128 { return f32x4.sub(a, b); }
@inline export function madd(a: v128, b: v128, c: v128): v128 { return f32x4.add(f32x4.mul(a, b), c); }
/** Constant number i of the table at k. */
@inline export function K(k: usize, i: i32): v128 { return v128.load(k + (<usize>i << 4)); }

// table slots
export const C_EXP_LO = 0, C_EXP_HI = 1, C_LOG2E = 2, C_MAGIC = 3, C_LN2HI = 4, C_LN2LO = 5, C_E0 = 6; // C_E0..C_E0+5
export const C_ONE = 12, C_I127 = 13, C_HALF = 14, C_TWO = 15, C_SIGN = 16, C_ZERO = 17, C_INF = 18, C_NINF = 19, C_NAN = 20;
export const C_TINY = 21, C_2P23 = 22, C_23 = 23, C_MANT = 24, C_HALFBITS = 25, C_SQRTH = 26, C_L0 = 27; // C_L0..C_L0+8
export const C_T0 = 36; // tanh odd polynomial, 5 coefficients
export const C_TANH_SMALL = 41, C_Q0 = 42; // erf series, 11 coefficients: C_Q0..C_Q0+10
export const C_AS_P = 53, C_R0 = 54; // Abramowitz-Stegun 7.1.26: p and 5 coefficients C_R0..C_R0+4
export const C_SQRT1_2 = 59, C_G0 = 60, C_G1 = 61; // GELU: 1/sqrt 2; tanh GELU: sqrt(2/pi), 0.044715
export const C_FAST_BITS = 62, C_MAGIC127 = 63; // exp4x's fast path: |x| < 87 (the bits of 87 shifted left by one); magic - 127
export const C_TANH_FAST_BITS = 64; // tanh4x's: |x| < 43.5
export const C_MAGIC_P127 = 65; // magic + 127 (vexp-blocks.ts: sigmoid's 2^-n' from the bits of m')
export const C_COUNT = 66;

@inline export function put(k: usize, i: i32, v: v128): void { v128.store(k + (<usize>i << 4), v); }

/** Store the constant table at k (C_COUNT vectors); the kernels that take k read it. */
@inline export function initConstants(k: usize): void {
  put(k, C_EXP_LO, splat(-104.0)); put(k, C_EXP_HI, splat(88.8)); put(k, C_LOG2E, splat(1.44269504088896341));
  put(k, C_MAGIC, splat(12582912.0)); put(k, C_LN2HI, splat(0.693359375)); put(k, C_LN2LO, splat(-2.12194440e-4));
  put(k, C_E0, splat(1.9875691500e-4)); put(k, C_E0 + 1, splat(1.3981999507e-3)); put(k, C_E0 + 2, splat(8.3334519073e-3));
  put(k, C_E0 + 3, splat(4.1665795894e-2)); put(k, C_E0 + 4, splat(1.6666665459e-1)); put(k, C_E0 + 5, splat(5.0000001201e-1));
  put(k, C_ONE, splat(1)); put(k, C_I127, i32x4.splat(127)); put(k, C_HALF, splat(0.5)); put(k, C_TWO, splat(2));
  put(k, C_SIGN, i32x4.splat(0x80000000)); put(k, C_ZERO, splat(0)); put(k, C_INF, splat(Infinity));
  put(k, C_NINF, splat(-Infinity)); put(k, C_NAN, splat(NaN));
  put(k, C_TINY, splat(1.17549435e-38)); put(k, C_2P23, splat(8388608.0)); put(k, C_23, splat(23.0));
  put(k, C_MANT, i32x4.splat(0x807fffff)); put(k, C_HALFBITS, i32x4.splat(0x3f000000)); put(k, C_SQRTH, splat(0.707106781186547524));
  put(k, C_L0, splat(7.0376836292e-2)); put(k, C_L0 + 1, splat(-1.1514610310e-1)); put(k, C_L0 + 2, splat(1.1676998740e-1));
  put(k, C_L0 + 3, splat(-1.2420140846e-1)); put(k, C_L0 + 4, splat(1.4249322787e-1)); put(k, C_L0 + 5, splat(-1.6668057665e-1));
  put(k, C_L0 + 6, splat(2.0000714765e-1)); put(k, C_L0 + 7, splat(-2.4999993993e-1)); put(k, C_L0 + 8, splat(3.3333331174e-1));
  put(k, C_T0, splat(-5.70498872745e-3)); put(k, C_T0 + 1, splat(2.06390887954e-2)); put(k, C_T0 + 2, splat(-5.37397155531e-2));
  put(k, C_T0 + 3, splat(1.33314422036e-1)); put(k, C_T0 + 4, splat(-3.33332819422e-1)); put(k, C_TANH_SMALL, splat(0.625));
  put(k, C_Q0, splat(1.480719281587922e-08)); put(k, C_Q0 + 1, splat(-1.6365844691234924e-07));
  put(k, C_Q0 + 2, splat(1.6462114365889248e-06)); put(k, C_Q0 + 3, splat(-1.4925650358406252e-05));
  put(k, C_Q0 + 4, splat(0.00012055332981789665)); put(k, C_Q0 + 5, splat(-0.0008548327023450853));
  put(k, C_Q0 + 6, splat(0.005223977625442188)); put(k, C_Q0 + 7, splat(-0.026866170645131252));
  put(k, C_Q0 + 8, splat(0.11283791670955128)); put(k, C_Q0 + 9, splat(-0.37612638903183754));
  put(k, C_Q0 + 10, splat(1.1283791670955126));
  put(k, C_AS_P, splat(0.3275911)); put(k, C_R0, splat(1.061405429)); put(k, C_R0 + 1, splat(-1.453152027));
  put(k, C_R0 + 2, splat(1.421413741)); put(k, C_R0 + 3, splat(-0.284496736)); put(k, C_R0 + 4, splat(0.254829592));
  put(k, C_SQRT1_2, splat(0.7071067811865476)); put(k, C_G0, splat(0.7978845608028654)); put(k, C_G1, splat(0.044715));
  put(k, C_FAST_BITS, i32x4.splat(<i32>0x855c0000)); // 87.0f is 0x42ae0000
  put(k, C_TANH_FAST_BITS, i32x4.splat(<i32>0x845c0000)); // 43.5f is 0x422e0000
  put(k, C_MAGIC127, i32x4.sub(splat(12582912.0), i32x4.splat(127)));
  put(k, C_MAGIC_P127, i32x4.add(splat(12582912.0), i32x4.splat(127)));
}

/** e^x, Cephes expf: x = n ln2 + r, |r| <= ln2/2, degree-5 polynomial, 2^n applied in two halves (no overflow of
 *  the exponent field, denormal results come out right). NaN stays NaN, +inf -> inf, -inf -> 0. */
@inline export function vexp(x0: v128, k: usize): v128 {
  const x = f32x4.pmin(f32x4.pmax(x0, K(k, C_EXP_LO)), K(k, C_EXP_HI)); // pmin/pmax: one instruction each, NaN kept
  // round to nearest by the 1.5 * 2^23 trick: the low mantissa bits of m then hold n as an integer
  const magic = K(k, C_MAGIC);
  const m = madd(x, K(k, C_LOG2E), magic);
  const n = sub(m, magic);
  let r = sub(x, mul(n, K(k, C_LN2HI)));
  r = sub(r, mul(n, K(k, C_LN2LO)));
  const z = mul(r, r);
  let y = madd(K(k, C_E0), r, K(k, C_E0 + 1));
  y = madd(y, r, K(k, C_E0 + 2));
  y = madd(y, r, K(k, C_E0 + 3));
  y = madd(y, r, K(k, C_E0 + 4));
  y = madd(y, r, K(k, C_E0 + 5));
  y = add(madd(y, z, r), K(k, C_ONE));
  const ni = i32x4.sub(m, magic);
  const h = i32x4.shr_s(ni, 1);
  const b = K(k, C_I127);
  const p1 = i32x4.shl(i32x4.add(h, b), 23);
  const p2 = i32x4.shl(i32x4.add(i32x4.sub(ni, h), b), 23);
  return mul(mul(y, p1), p2);
}

/**
 * vexp of the two vectors at p and p + 16, then `post` (exp: none; sigmoid: 1 / (1 + e) of -x; SiLU: x sigmoid x),
 * stored at p + d and p + d + 16: the same operations as vexp, interleaved so that each constant is loaded once
 * for both (V8 does not keep them in registers across iterations). The loops' tails and exp4x's fallback.
 */
@inline export function exp2x(p: usize, d: usize, k: usize, post: i32): void {
  const va = v128.load(p), vb = v128.load(p, 16);
  let xa = va, xb = vb;
  if (post != U_EXP) { const sgn = K(k, C_SIGN); xa = v128.xor(va, sgn); xb = v128.xor(vb, sgn); } // -x, one op
  let c = K(k, C_EXP_LO);
  xa = f32x4.pmax(xa, c); xb = f32x4.pmax(xb, c);
  c = K(k, C_EXP_HI);
  xa = f32x4.pmin(xa, c); xb = f32x4.pmin(xb, c);
  const magic = K(k, C_MAGIC);
  c = K(k, C_LOG2E);
  const ma = madd(xa, c, magic), mb = madd(xb, c, magic);
  const na = sub(ma, magic), nb = sub(mb, magic);
  c = K(k, C_LN2HI);
  let ra = sub(xa, mul(na, c)), rb = sub(xb, mul(nb, c));
  c = K(k, C_LN2LO);
  ra = sub(ra, mul(na, c)); rb = sub(rb, mul(nb, c));
  const za = mul(ra, ra), zb = mul(rb, rb);
  c = K(k, C_E0);
  const c1 = K(k, C_E0 + 1);
  let ya = madd(c, ra, c1), yb = madd(c, rb, c1);
  c = K(k, C_E0 + 2); ya = madd(ya, ra, c); yb = madd(yb, rb, c);
  c = K(k, C_E0 + 3); ya = madd(ya, ra, c); yb = madd(yb, rb, c);
  c = K(k, C_E0 + 4); ya = madd(ya, ra, c); yb = madd(yb, rb, c);
  c = K(k, C_E0 + 5); ya = madd(ya, ra, c); yb = madd(yb, rb, c);
  const one = K(k, C_ONE);
  ya = add(madd(ya, za, ra), one); yb = add(madd(yb, zb, rb), one);
  const nia = i32x4.sub(ma, magic), nib = i32x4.sub(mb, magic);
  const ha = i32x4.shr_s(nia, 1), hb = i32x4.shr_s(nib, 1);
  c = K(k, C_I127);
  ya = mul(mul(ya, i32x4.shl(i32x4.add(ha, c), 23)), i32x4.shl(i32x4.add(i32x4.sub(nia, ha), c), 23));
  yb = mul(mul(yb, i32x4.shl(i32x4.add(hb, c), 23)), i32x4.shl(i32x4.add(i32x4.sub(nib, hb), c), 23));
  if (post == U_SIGMOID) { ya = f32x4.div(one, add(one, ya)); yb = f32x4.div(one, add(one, yb)); }
  if (post == U_SILU) { ya = mul(va, f32x4.div(one, add(one, ya))); yb = mul(vb, f32x4.div(one, add(one, yb))); }
  v128.store(p + d, ya);
  v128.store(p + d, yb, 16);
}

/**
 * exp2x for the four vectors at p .. p + 48, the kernels' main loop. Fast path (every lane's |argument| below
 * 87, the common case): the clamps change nothing there and 2^n is a normal float (n in [-126, 126]), so
 * y 2^n is one multiplication; it rounds exactly as exp2x's two halves (y 2^h is exact, and the one rounding, if
 * any, is that of the same exact product), so the results are bit-identical to exp2x (checked on 1M inputs).
 * Otherwise exp2x twice. The loop is bound by latency: how many elements' dependency chains fit in the
 * out-of-order window, i.e. instructions per element; the fast path drops about a quarter of them and loading
 * each constant once for four vectors another part (kernel 1.4x faster for exp, 1.5x for sigmoid).
 */
@inline export function exp4x(p: usize, d: usize, k: usize, post: i32): void {
  const va = v128.load(p), vb = v128.load(p, 16), vc = v128.load(p, 32), vd = v128.load(p, 48);
  let xa = va, xb = vb, xc = vc, xd = vd;
  if (post != U_EXP) { const sgn = K(k, C_SIGN); xa = v128.xor(va, sgn); xb = v128.xor(vb, sgn); xc = v128.xor(vc, sgn); xd = v128.xor(vd, sgn); }
  // every |x| < 87 (NaN and infinities fail): the largest magnitude, compared as bits with the sign shifted out
  const mag = i32x4.max_u(i32x4.max_u(i32x4.shl(va, 1), i32x4.shl(vb, 1)), i32x4.max_u(i32x4.shl(vc, 1), i32x4.shl(vd, 1)));
  if (v128.any_true(i32x4.ge_u(mag, K(k, C_FAST_BITS)))) { exp2x(p, d, k, post); exp2x(p + 32, d, k, post); return; }
  const magic = K(k, C_MAGIC);
  let c = K(k, C_LOG2E);
  const ma = madd(xa, c, magic), mb = madd(xb, c, magic), mc = madd(xc, c, magic), md = madd(xd, c, magic);
  const na = sub(ma, magic), nb = sub(mb, magic), nc = sub(mc, magic), nd = sub(md, magic);
  c = K(k, C_LN2HI);
  let ra = sub(xa, mul(na, c)), rb = sub(xb, mul(nb, c)), rc = sub(xc, mul(nc, c)), rd = sub(xd, mul(nd, c));
  c = K(k, C_LN2LO);
  ra = sub(ra, mul(na, c)); rb = sub(rb, mul(nb, c)); rc = sub(rc, mul(nc, c)); rd = sub(rd, mul(nd, c));
  c = K(k, C_E0);
  const c1 = K(k, C_E0 + 1);
  let ya = madd(c, ra, c1), yb = madd(c, rb, c1), yc = madd(c, rc, c1), yd = madd(c, rd, c1);
  c = K(k, C_E0 + 2); ya = madd(ya, ra, c); yb = madd(yb, rb, c); yc = madd(yc, rc, c); yd = madd(yd, rd, c);
  c = K(k, C_E0 + 3); ya = madd(ya, ra, c); yb = madd(yb, rb, c); yc = madd(yc, rc, c); yd = madd(yd, rd, c);
  c = K(k, C_E0 + 4); ya = madd(ya, ra, c); yb = madd(yb, rb, c); yc = madd(yc, rc, c); yd = madd(yd, rd, c);
  c = K(k, C_E0 + 5); ya = madd(ya, ra, c); yb = madd(yb, rb, c); yc = madd(yc, rc, c); yd = madd(yd, rd, c);
  const one = K(k, C_ONE);
  ya = add(madd(ya, mul(ra, ra), ra), one); yb = add(madd(yb, mul(rb, rb), rb), one); yc = add(madd(yc, mul(rc, rc), rc), one); yd = add(madd(yd, mul(rd, rd), rd), one);
  c = K(k, C_MAGIC127);
  ya = mul(ya, i32x4.shl(i32x4.sub(ma, c), 23)); yb = mul(yb, i32x4.shl(i32x4.sub(mb, c), 23)); yc = mul(yc, i32x4.shl(i32x4.sub(mc, c), 23)); yd = mul(yd, i32x4.shl(i32x4.sub(md, c), 23));
  if (post == U_SIGMOID) { ya = f32x4.div(one, add(one, ya)); yb = f32x4.div(one, add(one, yb)); yc = f32x4.div(one, add(one, yc)); yd = f32x4.div(one, add(one, yd)); }
  if (post == U_SILU) { ya = mul(va, f32x4.div(one, add(one, ya))); yb = mul(vb, f32x4.div(one, add(one, yb))); yc = mul(vc, f32x4.div(one, add(one, yc))); yd = mul(vd, f32x4.div(one, add(one, yd))); }
  v128.store(p + d, ya); v128.store(p + d, yb, 16); v128.store(p + d, yc, 32); v128.store(p + d, yd, 48);
}

/**
 * vtanh of the four vectors at p .. p + 48 (stored at p + d ...), each constant loaded once for all four, with
 * exp4x's fast path when every |x| < 43.5 (vexp's argument 2|x| below 87); otherwise vtanh per vector.
 * Bit-identical to vtanh (the same operations; the fast exp rounds as vexp, see exp4x).
 */
@inline export function tanh4x(p: usize, d: usize, k: usize): void {
  const xa = v128.load(p, 0); const xb = v128.load(p, 16); const xc = v128.load(p, 32); const xd = v128.load(p, 48);
  const mag = i32x4.max_u(i32x4.max_u(i32x4.shl(xa, 1), i32x4.shl(xb, 1)), i32x4.max_u(i32x4.shl(xc, 1), i32x4.shl(xd, 1)));
  if (v128.any_true(i32x4.ge_u(mag, K(k, C_TANH_FAST_BITS)))) {
    v128.store(p + d, vtanh(xa, k), 0); v128.store(p + d, vtanh(xb, k), 16); v128.store(p + d, vtanh(xc, k), 32); v128.store(p + d, vtanh(xd, k), 48);
    return;
  }
  const sgn = K(k, C_SIGN);
  const aa = v128.andnot(xa, sgn); const ab = v128.andnot(xb, sgn); const ac = v128.andnot(xc, sgn); const ad = v128.andnot(xd, sgn); // |x|
  const ea = add(aa, aa); const eb = add(ab, ab); const ec = add(ac, ac); const ed = add(ad, ad);
  const magic = K(k, C_MAGIC);
  let c = K(k, C_LOG2E);
  const ma = madd(ea, c, magic); const mb = madd(eb, c, magic); const mc = madd(ec, c, magic); const md = madd(ed, c, magic);
  const na = sub(ma, magic); const nb = sub(mb, magic); const nc = sub(mc, magic); const nd = sub(md, magic);
  c = K(k, C_LN2HI);
  let ra = sub(ea, mul(na, c)); let rb = sub(eb, mul(nb, c)); let rc = sub(ec, mul(nc, c)); let rd = sub(ed, mul(nd, c));
  c = K(k, C_LN2LO);
  ra = sub(ra, mul(na, c)); rb = sub(rb, mul(nb, c)); rc = sub(rc, mul(nc, c)); rd = sub(rd, mul(nd, c));
  c = K(k, C_E0);
  let c1 = K(k, C_E0 + 1);
  let ya = madd(c, ra, c1); let yb = madd(c, rb, c1); let yc = madd(c, rc, c1); let yd = madd(c, rd, c1);
  c = K(k, C_E0 + 2); ya = madd(ya, ra, c); yb = madd(yb, rb, c); yc = madd(yc, rc, c); yd = madd(yd, rd, c);
  c = K(k, C_E0 + 3); ya = madd(ya, ra, c); yb = madd(yb, rb, c); yc = madd(yc, rc, c); yd = madd(yd, rd, c);
  c = K(k, C_E0 + 4); ya = madd(ya, ra, c); yb = madd(yb, rb, c); yc = madd(yc, rc, c); yd = madd(yd, rd, c);
  c = K(k, C_E0 + 5); ya = madd(ya, ra, c); yb = madd(yb, rb, c); yc = madd(yc, rc, c); yd = madd(yd, rd, c);
  const one = K(k, C_ONE);
  ya = add(madd(ya, mul(ra, ra), ra), one); yb = add(madd(yb, mul(rb, rb), rb), one); yc = add(madd(yc, mul(rc, rc), rc), one); yd = add(madd(yd, mul(rd, rd), rd), one);
  c = K(k, C_MAGIC127);
  ya = mul(ya, i32x4.shl(i32x4.sub(ma, c), 23)); yb = mul(yb, i32x4.shl(i32x4.sub(mb, c), 23)); yc = mul(yc, i32x4.shl(i32x4.sub(mc, c), 23)); yd = mul(yd, i32x4.shl(i32x4.sub(md, c), 23));
  c = K(k, C_TWO);
  ya = sub(one, f32x4.div(c, add(ya, one))); yb = sub(one, f32x4.div(c, add(yb, one))); yc = sub(one, f32x4.div(c, add(yc, one))); yd = sub(one, f32x4.div(c, add(yd, one))); // big
  const za = mul(xa, xa); const zb = mul(xb, xb); const zc = mul(xc, xc); const zd = mul(xd, xd);
  c = K(k, C_T0); c1 = K(k, C_T0 + 1);
  let qa = madd(c, za, c1); let qb = madd(c, zb, c1); let qc = madd(c, zc, c1); let qd = madd(c, zd, c1);
  c = K(k, C_T0 + 2); qa = madd(qa, za, c); qb = madd(qb, zb, c); qc = madd(qc, zc, c); qd = madd(qd, zd, c);
  c = K(k, C_T0 + 3); qa = madd(qa, za, c); qb = madd(qb, zb, c); qc = madd(qc, zc, c); qd = madd(qd, zd, c);
  c = K(k, C_T0 + 4); qa = madd(qa, za, c); qb = madd(qb, zb, c); qc = madd(qc, zc, c); qd = madd(qd, zd, c);
  qa = madd(mul(qa, za), xa, xa); qb = madd(mul(qb, zb), xb, xb); qc = madd(mul(qc, zc), xc, xc); qd = madd(mul(qd, zd), xd, xd); // small
  c = K(k, C_TANH_SMALL);
  v128.store(p + d, v128.or(v128.bitselect(qa, ya, f32x4.lt(aa, c)), v128.and(xa, sgn)), 0); v128.store(p + d, v128.or(v128.bitselect(qb, yb, f32x4.lt(ab, c)), v128.and(xb, sgn)), 16); v128.store(p + d, v128.or(v128.bitselect(qc, yc, f32x4.lt(ac, c)), v128.and(xc, sgn)), 32); v128.store(p + d, v128.or(v128.bitselect(qd, yd, f32x4.lt(ad, c)), v128.and(xd, sgn)), 48);
}

/** ln x, Cephes logf (mantissa in [sqrt(1/2), sqrt 2), degree-8 polynomial). Denormals are scaled first;
 *  x < 0 -> NaN, 0 -> -inf, inf -> inf, NaN -> NaN. */
@inline export function vlog(x0: v128, k: usize): v128 {
  const tiny = f32x4.lt(x0, K(k, C_TINY));
  const xs = v128.bitselect(mul(x0, K(k, C_2P23)), x0, tiny);
  let e = f32x4.convert_i32x4_s(i32x4.sub(i32x4.shr_u(xs, 23), i32x4.splat(126)));
  e = sub(e, v128.and(tiny, K(k, C_23)));
  const m = v128.or(v128.and(xs, K(k, C_MANT)), K(k, C_HALFBITS)); // [0.5, 1)
  const lo = f32x4.lt(m, K(k, C_SQRTH));
  const one = K(k, C_ONE);
  e = sub(e, v128.and(lo, one));
  const x = sub(add(m, v128.and(lo, m)), one);
  const z = mul(x, x);
  let y = madd(K(k, C_L0), x, K(k, C_L0 + 1));
  y = madd(y, x, K(k, C_L0 + 2));
  y = madd(y, x, K(k, C_L0 + 3));
  y = madd(y, x, K(k, C_L0 + 4));
  y = madd(y, x, K(k, C_L0 + 5));
  y = madd(y, x, K(k, C_L0 + 6));
  y = madd(y, x, K(k, C_L0 + 7));
  y = madd(y, x, K(k, C_L0 + 8));
  y = mul(mul(y, x), z);
  y = add(y, mul(e, K(k, C_LN2LO)));
  y = sub(y, mul(z, K(k, C_HALF)));
  let r = add(add(x, y), mul(e, K(k, C_LN2HI)));
  const zero = K(k, C_ZERO);
  r = v128.bitselect(K(k, C_NINF), r, f32x4.eq(x0, zero));
  r = v128.bitselect(K(k, C_NAN), r, f32x4.lt(x0, zero));
  r = v128.bitselect(x0, r, v128.or(f32x4.eq(x0, K(k, C_INF)), f32x4.ne(x0, x0)));
  return r;
}

/** tanh, Cephes tanhf: odd polynomial below |x| = 0.625, 1 - 2/(e^{2|x|} + 1) with the sign above. */
@inline export function vtanh(x: v128, k: usize): v128 {
  const z = mul(x, x);
  let p = madd(K(k, C_T0), z, K(k, C_T0 + 1));
  p = madd(p, z, K(k, C_T0 + 2));
  p = madd(p, z, K(k, C_T0 + 3));
  p = madd(p, z, K(k, C_T0 + 4));
  const small = madd(mul(p, z), x, x);
  const ax = f32x4.abs(x);
  const one = K(k, C_ONE);
  const big = sub(one, f32x4.div(K(k, C_TWO), add(vexp(add(ax, ax), k), one)));
  const sign = v128.and(x, K(k, C_SIGN)); // (the small branch needs it for -0: -0 + -0 p z is +0)
  return v128.or(v128.bitselect(small, big, f32x4.lt(ax, K(k, C_TANH_SMALL))), sign);
}

@inline export function vsigmoid(x: v128, k: usize): v128 {
  const one = K(k, C_ONE);
  return f32x4.div(one, add(one, vexp(f32x4.neg(x), k)));
}

/** erf: below |x| = 1 its Maclaurin series to x^21 (relative error about 1e-7); above, Abramowitz-Stegun 7.1.26
 *  as PyTorch's Vectorized<float>::erf (absolute error below 2e-7, where erf is above 0.84). */
@inline export function verf(x: v128, k: usize): v128 {
  const z = mul(x, x);
  let q = madd(K(k, C_Q0), z, K(k, C_Q0 + 1));
  q = madd(q, z, K(k, C_Q0 + 2));
  q = madd(q, z, K(k, C_Q0 + 3));
  q = madd(q, z, K(k, C_Q0 + 4));
  q = madd(q, z, K(k, C_Q0 + 5));
  q = madd(q, z, K(k, C_Q0 + 6));
  q = madd(q, z, K(k, C_Q0 + 7));
  q = madd(q, z, K(k, C_Q0 + 8));
  q = madd(q, z, K(k, C_Q0 + 9));
  q = madd(q, z, K(k, C_Q0 + 10));
  const series = mul(q, x);
  const sign = v128.and(x, K(k, C_SIGN));
  const ax = f32x4.abs(x);
  const one = K(k, C_ONE);
  const t = f32x4.div(one, madd(K(k, C_AS_P), ax, one));
  let r = madd(K(k, C_R0), t, K(k, C_R0 + 1));
  r = madd(r, t, K(k, C_R0 + 2));
  r = madd(r, t, K(k, C_R0 + 3));
  r = madd(r, t, K(k, C_R0 + 4));
  const e = vexp(f32x4.neg(z), k);
  const as = v128.or(sub(one, mul(mul(r, t), e)), sign);
  return v128.bitselect(series, as, f32x4.lt(ax, one));
}
