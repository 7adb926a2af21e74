// torchlet WebAssembly elementwise kernels (AssemblyScript): the entry file of the `elementwise` module
// (assembly/build.mjs), with the vector math in assembly/vmath.ts. The host stages contiguous float32 operands into linear memory and
// calls one of the entry points below with byte addresses; every buffer is padded to a multiple of 4 floats, so
// the loops run whole v128 vectors and the lanes past n compute garbage into the padding.
//
// Accuracy: add/sub/mul/div/sqrt/square/neg/abs/relu and the relu gradient are bit-identical to the TypeScript
// reference (float64 arithmetic rounded to float32 gives the correctly rounded float32 result). exp, log and tanh
// are Cephes' single-precision algorithms (about 1-2 ulp); sigmoid and SiLU use exp; erf (and GELU) is a series
// below |x| = 1 and Abramowitz-Stegun 7.1.26 above, as PyTorch's vectorized CPU erf (absolute error below 2e-7).
// No fused multiply-add: results are the same for the plain and the relaxed SIMD builds.

// Binary op codes.
const B_ADD = 0, B_SUB = 1, B_MUL = 2, B_DIV = 3, B_RELU_BACKWARD = 4;

import {
  U_NEG, U_ABS, U_SQRT, U_SQUARE, U_RELU, U_EXP, U_LOG, U_TANH, U_SIGMOID, U_ERF, U_GELU, U_SILU, U_GELU_TANH,
  C_ONE, C_HALF, C_ZERO, C_NINF, C_SQRT1_2, C_G0, C_G1, splat, mul, add, sub, madd, K, vexp,
  tanh4x, vlog, vtanh, verf, initConstants, C_COUNT,
} from './vmath';
import { expBlocks, EXP_SCRATCH_BYTES } from './vexp-blocks';

/** Bytes of the constant table (the host's scratch block must hold it). */
export const EW_CONST_BYTES: i32 = C_COUNT * 16;
/** Bytes of the scratch block ew_unary takes (exp and sigmoid run in passes through it: vexp-blocks.ts). */
export const EW_SCRATCH_BYTES: i32 = EXP_SCRATCH_BYTES;

/** Store the constant table at k (EW_CONST_BYTES); the kernels that take k read it. */
export function ew_init(k: usize): void { initConstants(k); }

// ---- entry points ----

/**
 * out[i] = op(x[i]) for i < n (rounded up to a multiple of 4). out may alias x. k: the constant table (ew_init);
 * s: EW_SCRATCH_BYTES of scratch, apart from x and out.
 */
export function ew_unary(op: i32, x: usize, out: usize, n: i32, k: usize, s: usize): void {
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
    case U_EXP: expBlocks(x, out, n, k, s, false, false); break;
    case U_LOG: for (let p = x; p < end; p += 16) v128.store(p + d, vlog(v128.load(p), k)); break;
    case U_TANH: {
      let p = x;
      for (; p + 48 < end; p += 64) tanh4x(p, d, k);
      for (; p < end; p += 16) v128.store(p + d, vtanh(v128.load(p), k));
      break;
    }
    case U_ERF: for (let p = x; p < end; p += 16) v128.store(p + d, verf(v128.load(p), k)); break;
    case U_GELU:
      for (let p = x; p < end; p += 16) {
        const v = v128.load(p);
        v128.store(p + d, mul(mul(v, K(k, C_HALF)), add(K(k, C_ONE), verf(mul(v, K(k, C_SQRT1_2)), k))));
      }
      break;
    case U_SIGMOID: case U_SILU: expBlocks(x, out, n, k, s, true, op == U_SILU); break; // one copy for both (module size)
    case U_GELU_TANH:
      for (let p = x; p < end; p += 16) {
        const v = v128.load(p);
        const inner = mul(K(k, C_G0), madd(K(k, C_G1), mul(mul(v, v), v), v));
        v128.store(p + d, mul(mul(v, K(k, C_HALF)), add(K(k, C_ONE), vtanh(inner, k))));
      }
      break;
    default: unreachable();
  }
}

/** e^v for one float (the row tails of the softmax kernel). */
@inline function exp1(v: f32, k: usize): f32 { return f32x4.extract_lane(vexp(f32x4.splat(v), k), 0); }

/**
 * Softmax (log = false) or log-softmax of `rows` contiguous rows of D floats at x into out (may alias x), as
 * backend/cpu/rows.ts: m = the row max, e = exp(x - m) (vexp, float32), s = the float64 sum of e; softmax
 * e * (1/s) in float32, log-softmax x - (ln s + m) in float64 rounded to float32. Rows need no alignment (D any).
 * A row holding NaN or an infinite max is left unwritten: returns how many such rows there were (the host redoes
 * them with the reference). k: the constant table (ew_init).
 */
export function ew_softmax_rows(x: usize, out: usize, rows: i32, D: i32, log: bool, k: usize): i32 {
  const D4 = D & ~3;
  let bad = 0;
  for (let r = 0; r < rows; r++) {
    const xr = x + ((<usize>r * <usize>D) << 2), yr = out + ((<usize>r * <usize>D) << 2);
    const xe = xr + (<usize>D4 << 2), xend = xr + (<usize>D << 2), d = yr - xr;
    let mv = K(k, C_NINF), nan = K(k, C_ZERO);
    for (let p = xr; p < xe; p += 16) {
      const v = v128.load(p);
      mv = f32x4.pmax(mv, v);
      nan = v128.or(nan, f32x4.ne(v, v));
    }
    let m = max(max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
    let bads = v128.any_true(nan);
    for (let p = xe; p < xend; p += 4) { const v = load<f32>(p); if (v != v) bads = true; if (v > m) m = v; }
    if (bads || m == Infinity || m == -Infinity) { bad++; continue; }
    const mvec = f32x4.splat(m);
    let a = f64x2.splat(0), b = f64x2.splat(0);
    let st: f64 = 0;
    if (log) {
      for (let p = xr; p < xe; p += 16) {
        const e = vexp(sub(v128.load(p), mvec), k);
        a = f64x2.add(a, f64x2.promote_low_f32x4(e));
        b = f64x2.add(b, f64x2.promote_low_f32x4(v128.shuffle<f32>(e, e, 2, 3, 0, 1)));
      }
      for (let p = xe; p < xend; p += 4) st += <f64>exp1(load<f32>(p) - m, k);
    } else {
      for (let p = xr; p < xe; p += 16) {
        const e = vexp(sub(v128.load(p), mvec), k);
        v128.store(p + d, e);
        a = f64x2.add(a, f64x2.promote_low_f32x4(e));
        b = f64x2.add(b, f64x2.promote_low_f32x4(v128.shuffle<f32>(e, e, 2, 3, 0, 1)));
      }
      for (let p = xe; p < xend; p += 4) { const e = exp1(load<f32>(p) - m, k); store<f32>(p + d, e); st += <f64>e; }
    }
    const ab = f64x2.add(a, b);
    const s = f64x2.extract_lane(ab, 0) + f64x2.extract_lane(ab, 1) + st;
    if (log) {
      const ls = Math.log(s) + <f64>m;
      const lv = f64x2.splat(ls);
      for (let p = xr; p < xe; p += 16) {
        const v = v128.load(p);
        const lo = f32x4.demote_f64x2_zero(f64x2.sub(f64x2.promote_low_f32x4(v), lv));
        const hi = f32x4.demote_f64x2_zero(f64x2.sub(f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)), lv));
        v128.store(p + d, v128.shuffle<f32>(lo, hi, 0, 1, 4, 5));
      }
      for (let p = xe; p < xend; p += 4) store<f32>(p + d, <f32>(<f64>load<f32>(p) - ls));
    } else {
      const inv = <f32>(1 / s), iv = f32x4.splat(inv);
      const ye = yr + (<usize>D4 << 2), yend = yr + (<usize>D << 2);
      for (let p = yr; p < ye; p += 16) v128.store(p, mul(v128.load(p), iv));
      for (let p = ye; p < yend; p += 4) store<f32>(p, load<f32>(p) * inv);
    }
  }
  return bad;
}

/** Lanes 2, 3 of v moved to 0, 1 (for the float64 promotion of the high half). */
@inline function hi2(v: v128): v128 { return v128.shuffle<f32>(v, v, 2, 3, 0, 1); }
/** Two float64x2 rounded to one float32x4. */
@inline function demote2(lo: v128, hi: v128): v128 {
  return v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}

/**
 * The gradient of softmax rows from the output y and its gradient g (rows of D floats, out may alias g), as
 * backend/cpu/rows.ts in float64 per element: softmax y (g - sum(g y)); log-softmax g - exp(y) sum(g), with exp(y)
 * by vexp in float32 (the one difference from the reference; within about 1 ulp of exp).
 */
export function ew_softmax_rows_backward(y: usize, g: usize, out: usize, rows: i32, D: i32, log: bool, k: usize): void {
  const D4 = D & ~3;
  for (let r = 0; r < rows; r++) {
    const off = (<usize>r * <usize>D) << 2;
    const yr = y + off, gr = g + off, dg = gr - yr, dout = out + off - yr;
    const ye = yr + (<usize>D4 << 2), yend = yr + (<usize>D << 2);
    let a = f64x2.splat(0), b = f64x2.splat(0);
    let st: f64 = 0;
    if (log) {
      for (let p = yr; p < ye; p += 16) {
        const gv = v128.load(p + dg);
        a = f64x2.add(a, f64x2.promote_low_f32x4(gv));
        b = f64x2.add(b, f64x2.promote_low_f32x4(hi2(gv)));
      }
      for (let p = ye; p < yend; p += 4) st += <f64>load<f32>(p + dg);
    } else {
      for (let p = yr; p < ye; p += 16) {
        const yv = v128.load(p), gv = v128.load(p + dg);
        a = f64x2.add(a, f64x2.mul(f64x2.promote_low_f32x4(gv), f64x2.promote_low_f32x4(yv)));
        b = f64x2.add(b, f64x2.mul(f64x2.promote_low_f32x4(hi2(gv)), f64x2.promote_low_f32x4(hi2(yv))));
      }
      for (let p = ye; p < yend; p += 4) st += <f64>load<f32>(p + dg) * <f64>load<f32>(p);
    }
    const ab = f64x2.add(a, b);
    const s = f64x2.extract_lane(ab, 0) + f64x2.extract_lane(ab, 1) + st;
    const sv = f64x2.splat(s);
    if (log) {
      for (let p = yr; p < ye; p += 16) {
        const e = vexp(v128.load(p), k), gv = v128.load(p + dg);
        const lo = f64x2.sub(f64x2.promote_low_f32x4(gv), f64x2.mul(f64x2.promote_low_f32x4(e), sv));
        const hi = f64x2.sub(f64x2.promote_low_f32x4(hi2(gv)), f64x2.mul(f64x2.promote_low_f32x4(hi2(e)), sv));
        v128.store(p + dout, demote2(lo, hi));
      }
      for (let p = ye; p < yend; p += 4) {
        store<f32>(p + dout, <f32>(<f64>load<f32>(p + dg) - <f64>exp1(load<f32>(p), k) * s));
      }
    } else {
      for (let p = yr; p < ye; p += 16) {
        const yv = v128.load(p), gv = v128.load(p + dg);
        const lo = f64x2.mul(f64x2.promote_low_f32x4(yv), f64x2.sub(f64x2.promote_low_f32x4(gv), sv));
        const hi = f64x2.mul(f64x2.promote_low_f32x4(hi2(yv)), f64x2.sub(f64x2.promote_low_f32x4(hi2(gv)), sv));
        v128.store(p + dout, demote2(lo, hi));
      }
      for (let p = ye; p < yend; p += 4) store<f32>(p + dout, <f32>(<f64>load<f32>(p) * (<f64>load<f32>(p + dg) - s)));
    }
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
