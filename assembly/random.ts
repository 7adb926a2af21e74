// torchlet WebAssembly mt19937 Bernoulli kernels (AssemblyScript): the dropout keep-mask and Tensor.bernoulli_(p)
// with a float p, 4 elements per SIMD step. Compiled into a module of its own (assembly/build.mjs, entry `random`)
// with a one-page memory of its own; the host (src/backend/wasm/random.ts) stages the generator state in and out.
//
// The same words, in the same order, as src/random/bernoulli.ts (PyTorch's non-MKL bernoulli_): element i takes
// the next two tempered words hi, lo and is kept when (hi & 0x1fffff) * 2^32 + lo < p * 2^53, tested exactly as
// u53 < T with T = ceil(p * 2^53) split into 32-bit halves (u53 integer: u < x <=> u < ceil(x)). The state is
// regenerated (twist) 4 words wide: word k reads words k, k+1 (not yet regenerated) and k+397 (old) below
// k = 227, k-227 (already regenerated, 227 words back) from there on, so every 4-word block reads only words
// that the sequential order would read; lanes 224-226 and the last word (which reads the new word 0) are scalar.
//
// Memory layout (bytes): the host writes the state words at ST and next/avail at NEXT/AVAIL (avail = PyTorch's
// left - 1, the words readable before the next twist); the kernels write the mask at OUT.

const MT_N = 624, MT_M = 397;
const MATRIX_A: u32 = 0x9908b0df, UPPER: u32 = 0x80000000, LOWER: u32 = 0x7fffffff;
const TEMPER_B: u32 = 0x9d2c5680, TEMPER_C: u32 = 0xefc60000;

/** Byte addresses (mirrored in src/backend/wasm/random.ts). */
const NEXT: usize = 0, AVAIL: usize = 4, ST: usize = 256, OUT: usize = 4096;

@inline function word(k: i32): u32 { return load<u32>(ST + (<usize>k << 2)); }

@inline function temper(w: u32): u32 {
  let y = w;
  y ^= y >>> 11; y ^= (y << 7) & TEMPER_B; y ^= (y << 15) & TEMPER_C;
  return y ^ (y >>> 18);
}

@inline function temper4(v: v128, b: v128, c: v128): v128 {
  let y = v128.xor(v, i32x4.shr_u(v, 11));
  y = v128.xor(y, v128.and(i32x4.shl(y, 7), b));
  y = v128.xor(y, v128.and(i32x4.shl(y, 15), c));
  return v128.xor(y, i32x4.shr_u(y, 18));
}

/** mt[k] from mt[k], mt[k + 1] and `far` (mt[k + 397] or mt[k - 227]), scalar. */
@inline function twistOne(k: i32, b: u32, far: u32): void {
  const y = (word(k) & UPPER) | (b & LOWER);
  store<u32>(ST + (<usize>k << 2), far ^ (y >>> 1) ^ (<u32>(-(<i32>(b & 1))) & MATRIX_A));
}

/** Four words k..k+3 at once; `farOff` is +397 or -227 words. */
@inline function twist4(k: i32, farOff: i32, upper: v128, lower: v128, ma: v128): void {
  const p = ST + (<usize>k << 2);
  const cur = v128.load(p), nxt = v128.load(p, 4), far = v128.load(p + (<isize>farOff << 2));
  const y = v128.or(v128.and(cur, upper), v128.and(nxt, lower));
  const mag = v128.and(i32x4.shr_s(i32x4.shl(nxt, 31), 31), ma);
  v128.store(p, v128.xor(v128.xor(far, i32x4.shr_u(y, 1)), mag));
}

/** Regenerate the 624 state words at ST in place, as MT19937.twist (k ascending). */
function twist(): void {
  const upper = i32x4.splat(UPPER), lower = i32x4.splat(LOWER), ma = i32x4.splat(MATRIX_A);
  let k = 0;
  for (; k + 4 <= MT_N - MT_M; k += 4) twist4(k, MT_M, upper, lower, ma); // k < 224
  for (; k < MT_N - MT_M; k++) twistOne(k, word(k + 1), word(k + MT_M)); // 224..226
  for (; k + 4 <= MT_N - 1; k += 4) twist4(k, MT_M - MT_N, upper, lower, ma); // 227..622
  twistOne(MT_N - 1, word(0), word(MT_M - 1));
}

/** Exported for the tests: one twist of the state at ST. */
export function mt_twist(): void { twist(); }

/**
 * The next n mask elements (n <= the staging area's capacity) into OUT: `value` where the element's u53 < t
 * (t = ceil(p * 2^53), an integer), else 0, as float32 (wide = false; value rounded to float32 as a Float32Array
 * store rounds it) or float64 (wide = true). Advances next/avail (and twists) exactly as the scalar path.
 */
export function bern(n: i32, t: f64, value: f64, wide: bool): void {
  const vbits: i64 = wide ? reinterpret<i64>(value) : <i64>reinterpret<i32>(<f32>value);
  const ti = <i64>t;
  const tHi = <i32>(ti >>> 32), tLo = <u32>ti;
  const THI = i32x4.splat(tHi), TLO = i32x4.splat(tLo), M21 = i32x4.splat(0x1fffff);
  const TB = i32x4.splat(TEMPER_B), TC = i32x4.splat(TEMPER_C);
  const V32 = i32x4.splat(<i32>vbits), V64 = i64x2.splat(vbits);
  let next = load<i32>(NEXT), avail = load<i32>(AVAIL), i = 0;
  while (i < n) {
    if (avail >= 2) {
      const end = i + min(n - i, avail >> 1);
      avail -= 2 * (end - i);
      let p = ST + (<usize>next << 2);
      for (; i + 4 <= end; i += 4, p += 32, next += 8) {
        const a = temper4(v128.load(p), TB, TC), b = temper4(v128.load(p, 16), TB, TC);
        const hi = v128.and(i32x4.shuffle(a, b, 0, 2, 4, 6), M21), lo = i32x4.shuffle(a, b, 1, 3, 5, 7);
        const keep = v128.or(i32x4.lt_s(hi, THI), v128.and(i32x4.eq(hi, THI), i32x4.lt_u(lo, TLO)));
        if (wide) {
          const o = OUT + (<usize>i << 3);
          v128.store(o, v128.and(i64x2.extend_low_i32x4_s(keep), V64));
          v128.store(o, v128.and(i64x2.extend_high_i32x4_s(keep), V64), 16);
        } else {
          v128.store(OUT + (<usize>i << 2), v128.and(keep, V32));
        }
      }
      for (; i < end; i++, next += 2) put(i, keepOne(temper(word(next)), temper(word(next + 1)), tHi, tLo), vbits, wide);
    } else if (avail == 1) { // the high word is the last before a twist, the low word the first after it
      const hi = temper(word(next));
      twist();
      put(i++, keepOne(hi, temper(word(0)), tHi, tLo), vbits, wide);
      next = 1; avail = MT_N - 1;
    } else {
      twist();
      next = 0; avail = MT_N;
    }
  }
  store<i32>(NEXT, next); store<i32>(AVAIL, avail);
}

@inline function keepOne(hi: u32, lo: u32, tHi: i32, tLo: u32): bool {
  const h = <i32>(hi & 0x1fffff);
  return h < tHi || (h == tHi && lo < tLo);
}

@inline function put(i: i32, keep: bool, vbits: i64, wide: bool): void {
  if (wide) store<i64>(OUT + (<usize>i << 3), keep ? vbits : 0);
  else store<i32>(OUT + (<usize>i << 2), keep ? <i32>vbits : 0);
}
