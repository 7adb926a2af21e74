/**
 * @file Bernoulli sampling (pytorch-rng.md 5.5): `bernoulliScalar_` (Tensor.bernoulli_(p)
 * with a float p, and the dropout keep-mask, as on non-MKL builds) and `bernoulliTensor_`
 * (torch.bernoulli(p_tensor)).
 */

import type { Generator } from './generator.js';
import type { IntFillArray } from './integer.js';
import { MT_N, TEMPER_B, TEMPER_C, type MT19937 } from './mt19937.js';

/** Arrays a 0/1 mask can be written to. */
export type MaskArray = IntFillArray;

/**
 * A faster writer of float32/float64 masks (the WebAssembly SIMD one, backend/wasm/random.ts, installed with the
 * wasm kernels): `t` is ceil(p * 2^53); it must give the same elements and leave `eng` in the same state as the
 * loop below, and returns false for a call it does not take (the loop runs then).
 */
export type BernoulliAccel = (eng: MT19937, out: Float32Array | Float64Array, t: number, value: number) => boolean;
let accel: BernoulliAccel | null = null;
/** Fewest elements for the accelerated writer (below, its call and state copies cost more than the loop: measured
 * crossover at about 16 elements, 3.6x faster at 64, 9x from 1,024 on). */
export const MIN_ACCEL_MASK = 16;
let minAccel = MIN_ACCEL_MASK;

/** Install (or with null remove) the accelerated mask writer, used from `minN` elements on (the tests pass 1). */
export function setBernoulliAccel(a: BernoulliAccel | null, minN = MIN_ACCEL_MASK): void {
  accel = a;
  minAccel = minN;
}

/** The installed accelerated mask writer (null when none). */
export function bernoulliAccel(): BernoulliAccel | null { return accel; }

/**
 * Tensor.bernoulli_(p), p a double: per element `uniform53() < p ? value : 0` (2 words each; value 1 by default).
 * This is the mt19937 path of non-MKL builds (Debian, macOS/arm64 wheels, and all builds of
 * PyTorch 2.4-era releases after MKL was disabled); official x86-64 1.13 wheels use MKL's stream instead.
 * Dropout: `bernoulliScalar_(gen, mask, 1 - p, 1 / (1 - p))` with 1 - p computed in double (the kept elements
 * hold the scale, so the mask is the noise tensor in one pass).
 * The engine's words are drawn inline, whole pairs at a time from the current state (the same words, in the same
 * order, as `gen.uniform53()` per element, and the same engine state after), and `u * 2^-53 < p` is tested as
 * `u < p * 2^53` (both sides exact: u < 2^53 is an integer and p * 2^53 only scales p by a power of two): about
 * 2x faster than one uniform53() call per element (test/random/bernoulli-blocks.test.ts checks the equality).
 * Float32 and float64 masks of MIN_ACCEL_MASK elements or more go to the installed accelerated writer (the
 * WebAssembly SIMD one: about 9x faster than this loop on dropout-sized masks), which gives the same bits.
 */
export function bernoulliScalar_<T extends MaskArray>(gen: Generator, out: T, p: number, value = 1): T {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`bernoulli_: expects 0 <= p <= 1, got ${p}`);
  const n = out.length;
  const eng = gen.engine, st = eng.state;
  const thr = p * 9007199254740992; // 2^53
  if (accel !== null && n >= minAccel && (out instanceof Float32Array || out instanceof Float64Array) &&
    accel(eng, out, Math.ceil(thr), value)) return out;
  // avail: words readable before the next twist (MT19937.nextU32 twists when --left reaches 0)
  let next = eng.next, avail = eng.left - 1, i = 0;
  while (i < n) {
    if (avail >= 2) { // whole pairs of words in the current state: no twist test per word
      const end = i + Math.min(n - i, avail >> 1);
      avail -= 2 * (end - i);
      for (; i < end; i++, next += 2) {
        let y = st[next] | 0, z = st[next + 1] | 0;
        y ^= y >>> 11; y ^= (y << 7) & TEMPER_B; y ^= (y << 15) & TEMPER_C; y ^= y >>> 18;
        z ^= z >>> 11; z ^= (z << 7) & TEMPER_B; z ^= (z << 15) & TEMPER_C; z ^= z >>> 18;
        out[i] = (y & 0x1fffff) * 4294967296 + (z >>> 0) < thr ? value : 0;
      }
    } else if (avail === 1) { // the high word is the last before a twist, the low word the first after it
      const hi = temper(st[next]) & 0x1fffff;
      eng.twist();
      out[i++] = hi * 4294967296 + (temper(st[0]) >>> 0) < thr ? value : 0;
      next = 1; avail = MT_N - 1;
    } else {
      eng.twist();
      next = 0; avail = MT_N;
    }
  }
  eng.left = avail + 1; eng.next = next;
  return out;
}

function temper(w: number): number {
  let y = w | 0;
  y ^= y >>> 11; y ^= (y << 7) & TEMPER_B; y ^= (y << 15) & TEMPER_C;
  return y ^ (y >>> 18);
}

/**
 * torch.bernoulli(probs) / Tensor.bernoulli_(probs): per element, float32 probabilities use
 * `uniform24() < p` (1 word), float64 probabilities `uniform53() < p` (2 words).
 * `probs` has out.length elements, or one element that is broadcast.
 */
export function bernoulliTensor_<T extends MaskArray>(gen: Generator, out: T, probs: Float32Array | Float64Array): T {
  const n = out.length;
  if (probs.length !== n && probs.length !== 1) {
    throw new RangeError(`bernoulliTensor_: probs has ${probs.length} elements, expected ${n} or 1`);
  }
  const step = probs.length === 1 ? 0 : 1;
  if (probs instanceof Float64Array) {
    for (let i = 0; i < n; i++) out[i] = gen.uniform53() < probs[i * step] ? 1 : 0;
  } else {
    for (let i = 0; i < n; i++) out[i] = gen.uniform24() < probs[i * step] ? 1 : 0;
  }
  return out;
}
