// exp, sigmoid and SiLU over a staged run in blocks of EXP_BLOCK floats, each block in short passes through a small
// scratch (for assembly/elementwise.ts's ew_unary). Same operations, same roundings as exp4x's fast path, so the
// results are bit-identical to exp2x / vexp (checked against the four-vector loop on 25.7M inputs, and by
// test/backend/wasm-elementwise.test.ts).
//
// Why passes: the fused loop (exp4x) is bound by the out-of-order window, not by the FP pipes. Each vector is one
// dependency chain of about 85 cycles (range reduction, the degree-5 Horner polynomial, scaling, sigmoid's
// division); the scheduler holds only a few such chains at once, so the loop ran near 11 cycles per vector on
// this project's Zen 5 guest with the pipes half idle. Cut into passes of short chains (range reduction; Horner
// steps 1-3; steps 4-5 and the tail; scale and division) through 3 KiB of scratch (L1), many vectors are in
// flight in each pass; the last pass of a block (bound by the divider's throughput for sigmoid) runs in the same
// loop as the first pass of the next block, so the divisions overlap the range reduction. Kernel alone, 8,192
// floats, same-process A/B: sigmoid 6.3 -> 4.85 us, exp 5.3 -> 4.3 us, SiLU 6.8 -> 5.1 us. Sigmoid and SiLU share
// one copy of the passes (SiLU's final `x *` tested per vector): 1 KB less module for about 3 % of their kernel.
//
// Sigmoid's (and SiLU's) argument -x is folded into the constants instead of a negation per vector: with
// n' = round(x log2 e) (= -n, round-half-even is symmetric), r = (n' ln2hi - x) + n' ln2lo is exactly
// (-x - n ln2hi) - n ln2lo (fl(-a) = -fl(a) for every rounding here), and 2^n = 2^-n' has the exponent bits
// (magic + 127) - bits(m').

import { U_EXP, U_SIGMOID, U_SILU, C_MAGIC, C_LOG2E, C_LN2HI, C_LN2LO, C_E0, C_ONE, C_MAGIC127, C_MAGIC_P127, C_FAST_BITS,
  K, mul, add, sub, madd, exp2x, exp4x, vexp, vsigmoid } from './vmath';

/** Floats per block (1 KiB per scratch array; 128-256 measured fastest, 1,024 slower). */
export const EXP_BLOCK: usize = 256;
const B4: usize = EXP_BLOCK << 2; // bytes of one scratch array
/** Bytes of scratch exp_blocks needs: two sets (this block's and the previous one's) of r, scale bits, y. */
export const EXP_SCRATCH_BYTES: i32 = <i32>(6 * B4);

/**
 * Pass 1 over [p, end): r (at s) and the scale 2^n as bits (at s + B4); with `prev`, also the last pass of the
 * previous block for its first (end - p) floats (scratch at sp, output at op). Returns whether some |x| >= 87
 * (NaN, infinities included): the block must take the general path.
 */
@inline function reduce(p: usize, end: usize, s: usize, sp: usize, op: usize, k: usize, sig: bool, silu: bool,
  prev: bool): bool {
  const magic = K(k, C_MAGIC), l2e = K(k, C_LOG2E), hi = K(k, C_LN2HI), lo = K(k, C_LN2LO);
  const eb = sig ? K(k, C_MAGIC_P127) : K(k, C_MAGIC127), one = K(k, C_ONE);
  let mag = i32x4.splat(0);
  const d = s - p, dp = sp - p, dout = op - p;
  for (; p < end; p += 16) {
    if (prev) {
      let y = mul(v128.load(p + dp, B4 << 1), v128.load(p + dp, B4));
      if (sig) y = f32x4.div(one, add(one, y));
      if (silu) y = mul(v128.load(p - B4), y); // the previous block's x (read before its output lane is written)
      v128.store(p + dout, y);
    }
    const v = v128.load(p);
    mag = i32x4.max_u(mag, i32x4.shl(v, 1));
    const m = madd(v, l2e, magic);
    const n = sub(m, magic);
    let r: v128, e: v128;
    if (sig) { r = add(sub(mul(n, hi), v), mul(n, lo)); e = i32x4.sub(eb, m); }
    else { r = sub(sub(v, mul(n, hi)), mul(n, lo)); e = i32x4.sub(m, eb); }
    v128.store(p + d, r);
    v128.store(p + d, i32x4.shl(e, 23), B4);
  }
  return v128.any_true(i32x4.ge_u(mag, K(k, C_FAST_BITS)));
}

/** Horner steps 1-3 on r (at s), into y (at s + 2 B4), for `len` bytes. */
@inline function poly1(s: usize, len: usize, k: usize): void {
  const c0 = K(k, C_E0), c1 = K(k, C_E0 + 1), c2 = K(k, C_E0 + 2), c3 = K(k, C_E0 + 3);
  for (let q = s, end = s + len; q < end; q += 16) {
    const r = v128.load(q);
    v128.store(q, madd(madd(madd(c0, r, c1), r, c2), r, c3), B4 << 1);
  }
}

/** Horner steps 4-5 and y r^2 + r + 1, in place in y. */
@inline function poly2(s: usize, len: usize, k: usize): void {
  const c4 = K(k, C_E0 + 4), c5 = K(k, C_E0 + 5), one = K(k, C_ONE);
  for (let q = s, end = s + len; q < end; q += 16) {
    const r = v128.load(q);
    const y = madd(madd(v128.load(q, B4 << 1), r, c4), r, c5);
    v128.store(q, add(madd(y, mul(r, r), r), one), B4 << 1);
  }
}

/** The last pass alone: y 2^n (sigmoid: 1 / (1 + y 2^n); SiLU: times x, at xp) to out, `len` bytes from scratch s. */
@inline function finish(s: usize, len: usize, xp: usize, out: usize, k: usize, sig: bool, silu: bool): void {
  const one = K(k, C_ONE);
  const d = out - s, dx = xp - s;
  for (let q = s, end = s + len; q < end; q += 16) {
    let y = mul(v128.load(q, B4 << 1), v128.load(q, B4));
    if (sig) y = f32x4.div(one, add(one, y));
    if (silu) y = mul(v128.load(q + dx), y);
    v128.store(q + d, y);
  }
}

/** exp4x / exp2x / vexp over [p, end), the general path of a block holding some |x| >= 87. */
@inline function general(p: usize, end: usize, d: usize, k: usize, sig: bool, silu: bool): void {
  if (sig && !silu) {
    for (; p + 48 < end; p += 64) exp4x(p, d, k, U_SIGMOID);
    for (; p + 16 < end; p += 32) exp2x(p, d, k, U_SIGMOID);
    if (p < end) v128.store(p + d, vsigmoid(v128.load(p), k));
  } else if (sig) {
    for (; p + 48 < end; p += 64) exp4x(p, d, k, U_SILU);
    for (; p + 16 < end; p += 32) exp2x(p, d, k, U_SILU);
    if (p < end) { const v = v128.load(p); v128.store(p + d, mul(v, vsigmoid(v, k))); }
  } else {
    for (; p + 48 < end; p += 64) exp4x(p, d, k, U_EXP);
    for (; p + 16 < end; p += 32) exp2x(p, d, k, U_EXP);
    if (p < end) v128.store(p + d, vexp(v128.load(p), k));
  }
}

/**
 * e^x (sig false), 1 / (1 + e^-x) (sig true) or x / (1 + e^-x) (silu too: x times the sigmoid, as exp2x) of the n
 * floats at x (rounded up to whole vectors) into out, which may alias x; k: the constant table, s:
 * EXP_SCRATCH_BYTES of scratch.
 */
@inline export function expBlocks(x: usize, out: usize, n: i32, k: usize, s: usize, sig: bool, silu: bool): void {
  const bytes = ((<usize>n << 2) + 15) & ~(<usize>15);
  const d = out - x;
  // The previous block's last pass waits for this block's first (prev: a whole block, so at least len bytes).
  let pending = false, t: usize = 0, pendX: usize = 0, pendOut: usize = 0, pendLen: usize = 0;
  for (let i: usize = 0; i < bytes; i += B4) {
    const len = min(B4, bytes - i), p = x + i;
    const cur = s + t * (3 * B4), prv = s + (t ^ 1) * (3 * B4);
    let slow: bool;
    if (pending) {
      slow = reduce(p, p + len, cur, prv, pendOut, k, sig, silu, true);
      if (pendLen > len) finish(prv + len, pendLen - len, pendX + len, pendOut + len, k, sig, silu);
    } else slow = reduce(p, p + len, cur, prv, pendOut, k, sig, silu, false);
    pending = false;
    if (slow) { general(p, p + len, d, k, sig, silu); continue; }
    poly1(cur, len, k);
    poly2(cur, len, k);
    pending = true; pendX = p; pendOut = p + d; pendLen = len; t ^= 1;
  }
  if (pending) finish(s + (t ^ 1) * (3 * B4), pendLen, pendX, pendOut, k, sig, silu);
}
