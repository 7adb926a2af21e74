/**
 * @file Correctly rounded fused multiply-add for float32 (`fma32`) and float64 (`fma64`).
 * PyTorch's AVX2 kernels are compiled with FMA contraction, so `a*b + c` rounds once;
 * JavaScript has no FMA, so both are emulated exactly here (see pytorch-rng.md section 3).
 */

const f32 = Math.fround;

/**
 * Correctly rounded float32 FMA. `a`, `b`, `c` must be float32 values.
 * `a*b` is exact in double; `s = a*b + c` is rounded once to double, and rounding `s` to
 * float32 is correct unless `s` lies exactly on a float32 midpoint, which the sign of the
 * TwoSum error settles.
 */
export function fma32(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const r = f32(s);
  if (r === s || !Number.isFinite(s)) return r;
  const bb = s - p;
  const err = (p - (s - bb)) + (c - bb);
  if (err === 0) return r;
  const o = f32(s + (s - r));
  if (o !== r && (r + o) / 2 === s) {
    if ((err > 0) === (o > r)) return o;
  }
  return r;
}

// Bit access to a double (little-endian hosts; checked at load).
const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const LO = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;
const HI = 1 - LO;

/** Round-to-odd of x + y (exact sum s + e via TwoSum; if inexact, force an odd last bit). */
function addRoundOdd(x: number, y: number): number {
  const s = x + y;
  const bb = s - x;
  const e = (x - (s - bb)) + (y - bb);
  if (e === 0) return s;
  F64[0] = s;
  if ((U32[LO] & 1) === 1) return s;
  // s has an even last bit and the exact sum is s + e: step one ulp toward e.
  const towardLarger = (e > 0) === (s > 0);
  if (towardLarger) {
    U32[LO] = U32[LO] + 1; // even -> odd, no carry
  } else if (U32[LO] === 0) {
    U32[LO] = 0xffffffff;
    U32[HI] = U32[HI] - 1;
  } else {
    U32[LO] = U32[LO] - 1;
  }
  return F64[0];
}

const SPLIT = 134217729; // 2^27 + 1 (Veltkamp)
const TWO_M400 = 2 ** -400;
const TWO_P400 = 2 ** 400;
const TWO_M800 = 2 ** -800;
const TWO_P800 = 2 ** 800;

/**
 * Correctly rounded double FMA: RN(a*b + c).
 * Fast path: Boldo & Melquiond's emulation (exact product by Veltkamp/Dekker, TwoSum,
 * one round-to-odd addition, then one round-to-nearest addition), valid when nothing
 * over- or underflows; operands with extreme exponents take an exact BigInt path.
 */
export function fma64(a: number, b: number, c: number): number {
  if (a === 0 || b === 0 || !Number.isFinite(a) || !Number.isFinite(b) || !Number.isFinite(c)) {
    return special(a, b, c);
  }
  const aa = Math.abs(a), ab = Math.abs(b), ac = Math.abs(c);
  if (aa < TWO_M400 || aa > TWO_P400 || ab < TWO_M400 || ab > TWO_P400 ||
      (c !== 0 && (ac < TWO_M800 || ac > TWO_P800))) {
    return fma64Exact(a, b, c);
  }
  if (c === 0) return a * b; // RN(a*b) (keeps the sign of a nonzero product)
  // exact product uh + ul
  const uh = a * b;
  let t = SPLIT * a;
  const ah = t - (t - a), al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b), bl = b - bh;
  const ul = ((ah * bh - uh) + ah * bl + al * bh) + al * bl;
  // exact c + uh = th + tl
  const th = c + uh;
  const bb = th - c;
  const tl = (c - (th - bb)) + (uh - bb);
  if (tl === 0 && ul === 0) return th;
  const v = addRoundOdd(tl, ul);
  return th + v;
}

/** Zero or non-finite operands: the exact product is 0/inf/NaN, or c is infinite with a finite product. */
function special(a: number, b: number, c: number): number {
  if (Number.isFinite(a) && Number.isFinite(b) && !Number.isFinite(c)) return c; // finite exact product + inf/NaN
  return a * b + c; // a*b is exact (a signed zero) or inf/NaN: IEEE semantics agree
}

/** Exact BigInt FMA (slow; used only for extreme exponents and in tests). */
export function fma64Exact(a: number, b: number, c: number): number {
  if (a === 0 || b === 0 || !Number.isFinite(a) || !Number.isFinite(b) || !Number.isFinite(c)) {
    return special(a, b, c);
  }
  const [ma, ea] = decompose(a);
  const [mb, eb] = decompose(b);
  const mp = ma * mb;
  const ep = ea + eb;
  let n: bigint, e: number;
  if (c === 0) {
    n = mp; e = ep;
  } else {
    const [mc, ec] = decompose(c);
    if (ep <= ec) {
      n = mp + (mc << BigInt(ec - ep)); e = ep;
    } else {
      n = (mp << BigInt(ep - ec)) + mc; e = ec;
    }
  }
  if (n === 0n) {
    // exact zero sum of nonzero terms: +0 in round-to-nearest
    return 0;
  }
  const neg = n < 0n;
  if (neg) n = -n;
  const r = roundBigToDouble(n, e);
  return neg ? -r : r;
}

/** x = m * 2^e with m an integer BigInt (signed). x must be finite and nonzero. */
function decompose(x: number): [bigint, number] {
  F64[0] = x;
  const hi = U32[HI], lo = U32[LO];
  const bexp = (hi >>> 20) & 0x7ff;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e: number;
  if (bexp === 0) {
    e = -1074;
  } else {
    m |= 1n << 52n;
    e = bexp - 1075;
  }
  return [(hi >>> 31) ? -m : m, e];
}

function bitLength(n: bigint): number {
  return n.toString(2).length;
}

/** Round n * 2^e (n > 0) to the nearest double, ties to even, with subnormals. */
function roundBigToDouble(n: bigint, e: number): number {
  const L = bitLength(n);
  const lead = L - 1 + e; // exponent of the leading bit
  if (lead > 1023) return Infinity;
  const q = Math.max(lead - 52, -1074); // exponent of the target ulp
  const s = q - e;
  let m: bigint;
  if (s <= 0) {
    m = n << BigInt(-s);
  } else {
    const sb = BigInt(s);
    m = n >> sb;
    const rem = n - (m << sb);
    const half = 1n << (sb - 1n);
    if (rem > half || (rem === half && (m & 1n) === 1n)) m += 1n;
  }
  return scale2(Number(m), q);
}

/** x * 2^k, exact whenever the result is representable. */
function scale2(x: number, k: number): number {
  while (k > 1000) { x *= 2 ** 1000; k -= 1000; }
  while (k < -1000) {
    // keep intermediate normal: x < 2^54 here, so x * 2^-500 stays far above subnormals until the last step
    x *= 2 ** -500; k += 500;
  }
  return x * 2 ** k;
}
