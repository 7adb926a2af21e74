// torchlet WebAssembly optimizer kernels (AssemblyScript): the float32 Adam/AdamW and SGD updates of
// src/backend/cpu/optim.ts, four lanes at a time, bit-identical to the TypeScript kernels. The host
// (src/backend/wasm/optim.ts) stages the parameter, its gradient and its state into this module's own memory in
// chunks whose length is padded to a multiple of 4 floats (the padding lanes compute garbage that is never read
// back) and calls an entry point with byte addresses; every array is updated in place.
//
// Rounding, as the TypeScript kernels (and PyTorch's CPU kernels):
// - float32 mul, div, add and sqrt are correctly rounded in f32x4, which is what Math.fround of the float64
//   operation gives for float32 operands (float64 holds more than twice float32's precision plus two bits).
// - a fused multiply-add x * y + z (`add(.., {alpha})`, `addcmul`) is rounded once to float32, as backend/cpu/fma.ts's
//   fma32. Here: x * y is exact in float64 (24 + 24 bits), the sum s = x * y + z is rounded to float64 (r) and
//   its error e recovered exactly (TwoSum), then r is replaced by the round-to-odd value of s (when e != 0 and r
//   is even, the float64 neighbour of r on e's side, which is odd). Rounding a round-to-odd float64 value to
//   float32 gives the correctly rounded float32 of s (53 >= 24 + 2 bits), ties to even included (a float32 tie
//   is exact in float64, e = 0). The fix is computed only for the four lanes where r could be a float32 halfway
//   point (fmaHalves: the low 28 bits of r all 0; rare except for zero products), which halves the cost. One
//   departure is copied from fma32: a sum at or beyond float32's overflow midpoint
//   (2^128 - 2^103) is not corrected, so it rounds to infinity as fma32 returns it.

// Constant table slots (opt_init), read once per call: Binaryen folds a constant splat into a v128.const, which
// V8 rematerializes on every loop iteration (see assembly/elementwise.ts).
const C_ONE = 0, C_ZERO = 1, C_MID = 2, C_LOW = 3;
/** Bytes of the constant table. */
export const OPT_CONST_BYTES: i32 = 4 * 16;

/** Store the constant table at k (OPT_CONST_BYTES). */
export function opt_init(k: usize): void {
  v128.store(k + (C_ONE << 4), i64x2.splat(1));
  v128.store(k + (C_ZERO << 4), i64x2.splat(0));
  v128.store(k + (C_MID << 4), f64x2.splat(3.4028235677973366e38)); // 2^128 - 2^103: float32's overflow midpoint
  v128.store(k + (C_LOW << 4), i64x2.splat(0x0fffffff)); // the low 28 bits of a float64
}

/**
 * r = p + z rounded to float64 (p = x * y exact) replaced by the round-to-odd value of p + z: where the rounding
 * error e is not 0 and r is even, the float64 neighbour of r on e's side.
 */
function toOdd(p: v128, z: v128, r: v128, one: v128, zero: v128, mid: v128): v128 {
  const bb = f64x2.sub(r, p);
  const e = f64x2.add(f64x2.sub(p, f64x2.sub(r, bb)), f64x2.sub(z, bb)); // p + z = r + e exactly
  // adjust where e != 0 (NaN only comes with |r| infinite or NaN, excluded by the range test) and r is even
  const even = i64x2.eq(v128.and(r, one), zero);
  const adjust = v128.and(v128.and(f64x2.ne(e, zero), f64x2.lt(f64x2.abs(r), mid)), even);
  // towards e: +1 ulp of magnitude when e and r have the same sign, -1 otherwise (r != 0 here: r = 0 means e = 0)
  const step = v128.or(i64x2.lt_s(v128.xor(r, e), zero), one);
  return i64x2.add(r, v128.and(step, adjust));
}

@inline function hi2(a: v128): v128 { return v128.shuffle<i32>(a, a, 2, 3, 2, 3); }

/**
 * x * y + z rounded once to float32 from the float64 halves (x, y, z float32 values in float64 lanes). The float64
 * sum r needs the round-to-odd fix only when it could be a float32 halfway point, whose low 28 bits are 0 (29
 * for a normal float32 halfway point, more below float32's normal range). Four lanes that all have a nonzero bit
 * there round straight from r: no float32 halfway point can lie between the exact sum and its nearest float64 r,
 * since that point would be nearer. (A float32-valued r, as with a zero gradient, also takes the fix: it is exact
 * there, and testing for it cost more on ordinary data than it saved.) The fix is a call: rarely taken, and the
 * module stays small (it is in every bundle).
 */
@inline function fmaHalves(xl: v128, yl: v128, zl: v128, xh: v128, yh: v128, zh: v128, one: v128, zero: v128, mid: v128, low: v128): v128 {
  const pl = f64x2.mul(xl, yl), ph = f64x2.mul(xh, yh); // exact
  let rl = f64x2.add(pl, zl), rh = f64x2.add(ph, zh);
  if (v128.any_true(v128.or(i64x2.eq(v128.and(rl, low), zero), i64x2.eq(v128.and(rh, low), zero)))) {
    rl = toOdd(pl, zl, rl, one, zero, mid);
    rh = toOdd(ph, zh, rh, one, zero, mid);
  }
  return v128.shuffle<i32>(f32x4.demote_f64x2_zero(rl), f32x4.demote_f64x2_zero(rh), 0, 1, 4, 5);
}

/** x * y + z rounded once to float32, four float32 lanes. */
@inline function fma4(x: v128, y: v128, z: v128, one: v128, zero: v128, mid: v128, low: v128): v128 {
  return fmaHalves(f64x2.promote_low_f32x4(x), f64x2.promote_low_f32x4(y), f64x2.promote_low_f32x4(z),
    f64x2.promote_low_f32x4(hi2(x)), f64x2.promote_low_f32x4(hi2(y)), f64x2.promote_low_f32x4(hi2(z)), one, zero, mid, low);
}

/** x * c + z rounded once to float32, four float32 lanes, c a float32 scalar already in both float64 lanes. */
@inline function fma4c(x: v128, c: v128, z: v128, one: v128, zero: v128, mid: v128, low: v128): v128 {
  return fmaHalves(f64x2.promote_low_f32x4(x), c, f64x2.promote_low_f32x4(z),
    f64x2.promote_low_f32x4(hi2(x)), c, f64x2.promote_low_f32x4(hi2(z)), one, zero, mid, low);
}

/** Adam flags (mirrored in src/backend/wasm/optim.ts). */
const F_MAXIMIZE = 1, F_DECOUPLED = 2, F_L2 = 4;

/**
 * One Adam/AdamW step over n floats (n a multiple of 4) at p, g, m, v (in place: p, m, v), as adamKernel32:
 * g = -g (maximize); p = p * decay (AdamW) or g = fma(p, wd, g) (L2); m = fma(g, c1, m * b1);
 * v = fma(g * c2, g, v * b2); p = p + (m * nss) / (sqrt(v) / bc2 + eps). `decayWd` is decay for AdamW, wd for L2.
 */
export function opt_adam(p: usize, g: usize, m: usize, v: usize, n: i32, flags: i32, k: usize,
  decayWd: f32, b1: f32, c1: f32, b2: f32, c2: f32, bc2: f32, eps: f32, nss: f32): void {
  const one = v128.load(k + (C_ONE << 4)), zero = v128.load(k + (C_ZERO << 4)), mid = v128.load(k + (C_MID << 4)), low = v128.load(k + (C_LOW << 4));
  const vDecay = f32x4.splat(decayWd), vWd = f64x2.splat(<f64>decayWd);
  const vB1 = f32x4.splat(b1), vC1 = f64x2.splat(<f64>c1), vB2 = f32x4.splat(b2), vC2 = f32x4.splat(c2);
  const vBc2 = f32x4.splat(bc2), vEps = f32x4.splat(eps), vNss = f32x4.splat(nss);
  const maximize = (flags & F_MAXIMIZE) != 0, decoupled = (flags & F_DECOUPLED) != 0, l2 = (flags & F_L2) != 0;
  const end = <usize>n << 2;
  for (let o: usize = 0; o < end; o += 16) {
    let pv = v128.load(p + o);
    let gv = v128.load(g + o);
    if (maximize) gv = f32x4.neg(gv);
    if (decoupled) pv = f32x4.mul(pv, vDecay);
    else if (l2) gv = fma4c(pv, vWd, gv, one, zero, mid, low);
    const mv = fma4c(gv, vC1, f32x4.mul(v128.load(m + o), vB1), one, zero, mid, low);
    const vv = fma4(f32x4.mul(gv, vC2), gv, f32x4.mul(v128.load(v + o), vB2), one, zero, mid, low);
    const d = f32x4.add(f32x4.div(f32x4.sqrt(vv), vBc2), vEps);
    v128.store(m + o, mv);
    v128.store(v + o, vv);
    v128.store(p + o, f32x4.add(pv, f32x4.div(f32x4.mul(mv, vNss), d)));
  }
}

/**
 * SGD over n floats (a multiple of 4), as sgdStep / sgdMomentumStep: without momentum (b = 0) p = fma(g, nlr, p);
 * with momentum at b: bm = b * mom; b = bm + g (c == 1) or fma(g, c, bm); p = fma(b, nlr, p).
 */
export function opt_sgd(p: usize, g: usize, b: usize, n: i32, k: usize, mom: f32, c: f32, nlr: f32): void {
  const one = v128.load(k + (C_ONE << 4)), zero = v128.load(k + (C_ZERO << 4)), mid = v128.load(k + (C_MID << 4)), low = v128.load(k + (C_LOW << 4));
  const vNlr = f64x2.splat(<f64>nlr), vMom = f32x4.splat(mom), vC = f64x2.splat(<f64>c);
  const end = <usize>n << 2;
  // one loop with loop-invariant branches (each fma is a large inlined block: the module stays small)
  for (let o: usize = 0; o < end; o += 16) {
    let bv = v128.load(g + o);
    if (b != 0) {
      const bm = f32x4.mul(v128.load(b + o), vMom);
      if (c == 1) bv = f32x4.add(bm, bv);
      else bv = fma4c(bv, vC, bm, one, zero, mid, low);
      v128.store(b + o, bv);
    }
    v128.store(p + o, fma4c(bv, vNlr, v128.load(p + o), one, zero, mid, low));
  }
}
