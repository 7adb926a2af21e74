/**
 * @file Integer sampling: `randint_` (Tensor.random_(from, to) / torch.randint), `random_`
 * (Tensor.random_() over the dtype's full range) and `randperm` (pytorch-rng.md 5.3, 5.4).
 * int64 values live in Float64Array (exact below 2^53; larger ones round to nearest).
 */

import type { DType } from '../core/dtype.js';
import type { Generator } from './generator.js';

const f32 = Math.fround;
const TWO_POW_32 = 4294967296;

/** Arrays the integer fills accept. */
export type IntFillArray = Float64Array | Float32Array | Int32Array | Int8Array | Uint8Array;

/** The dtype an array holds; Float64Array -> 'float64', Uint8Array -> 'uint8' unless told otherwise. */
function dtypeOf(out: IntFillArray, dtype?: DType): DType {
  const d: DType = dtype ?? (out instanceof Float64Array ? 'float64' : out instanceof Float32Array ? 'float32'
    : out instanceof Int32Array ? 'int32' : out instanceof Int8Array ? 'int8' : 'uint8');
  const ok = (out instanceof Float64Array && (d === 'float64' || d === 'int64'))
    || (out instanceof Float32Array && d === 'float32')
    || (out instanceof Int32Array && d === 'int32')
    || (out instanceof Int8Array && d === 'int8')
    || (out instanceof Uint8Array && (d === 'uint8' || d === 'bool'));
  if (!ok) throw new TypeError(`dtype ${d} does not match ${out.constructor.name}`);
  return d;
}

/** int64 -> float32 with one correct rounding (static_cast<float>(int64_t)). */
export function int64ToF32(v: bigint): number {
  const neg = v < 0n;
  let a = neg ? -v : v;
  if (a <= 9007199254740992n) return f32(Number(v));
  const L = a.toString(2).length;
  const shift = BigInt(L - 40);
  const sticky = (a & ((1n << shift) - 1n)) !== 0n ? 1n : 0n;
  a = (a >> shift) | sticky; // 40 bits with a sticky bit: exact as a double, then one float32 rounding
  const r = f32(Number(a)) * 2 ** (L - 40);
  return neg ? -r : r;
}

/** int64 -> the dtype (float32 or float64, by mantissa digits) -> int64, as static_casts do. */
function castRoundTrip(v: bigint, digits: number): bigint {
  const x = digits === 24 ? int64ToF32(v) : Number(v);
  return BigInt(x);
}

function floorLog2(v: bigint): number {
  return v <= 0n ? 0 : v.toString(2).length - 1;
}

/** DistributionTemplates.h update_from<scalar_t>. */
function updateFrom(from: bigint, digits: number): bigint {
  const fromPlus1 = castRoundTrip(from + 1n, digits);
  if (fromPlus1 < from) {
    const a = from + 1n < 0n ? -(from + 1n) : from + 1n;
    return fromPlus1 + (1n << BigInt(floorLog2(a) - digits + 1));
  }
  return from;
}

/** DistributionTemplates.h update_to<scalar_t>. */
function updateTo(to: bigint, digits: number): bigint {
  const toMinus1 = castRoundTrip(to - 1n, digits);
  if (toMinus1 >= to) {
    const a = to - 1n < 0n ? -(to - 1n) : to - 1n;
    return toMinus1 - (1n << BigInt(floorLog2(a) - digits + 1));
  }
  return to;
}

function storeBig(out: IntFillArray, d: DType, i: number, v: bigint): void {
  if (d === 'float32') out[i] = int64ToF32(v);
  else if (d === 'float64' || d === 'int64') out[i] = Number(v);
  else if (d === 'bool') out[i] = v !== 0n ? 1 : 0;
  else out[i] = Number(BigInt.asIntN(32, v)); // typed-array store truncates to the width
}

/**
 * Tensor.random_(low, high) / torch.randint(low, high): per element
 * `low + (r mod (high - low))` with r = random() (one word), or random64() (two words) when
 * high - low >= 2^32 and the dtype is int64, float32 or float64.
 * For float32/float64 the bounds first go through PyTorch's update_from/update_to: a bound whose
 * neighbour (high - 1, low + 1) rounds past it in the dtype is moved inward (e.g. float32
 * high = 2^40 becomes 2^40 - 2^16), which changes the range and so every value.
 * `dtype` disambiguates Float64Array ('float64' default, or 'int64') and Uint8Array ('uint8' or 'bool').
 */
export function randint_<T extends IntFillArray>(
  gen: Generator, out: T, low: number | bigint, high: number | bigint, dtype?: DType,
): T {
  const d = dtypeOf(out, dtype);
  let lo = BigInt(low), hi = BigInt(high);
  if (lo >= hi) throw new RangeError(`randint_: expects low < high, got low=${lo}, high=${hi}`);
  if (d === 'float32' || d === 'float64') {
    // PyTorch's update_from/update_to: bounds whose neighbours round past them in the dtype are pulled in
    const digits = d === 'float32' ? 24 : 53;
    lo = updateFrom(lo, digits);
    hi = updateTo(hi, digits);
    if (lo >= hi) throw new RangeError(`randint_: expects low < high after casting to ${d}, got low=${lo}, high=${hi}`);
  }
  const range = BigInt.asUintN(64, hi - lo);
  const n = out.length;
  const wide = range >= 4294967296n && (d === 'int64' || d === 'float32' || d === 'float64');
  if (range < 4294967296n) {
    const r = Number(range);
    const base = Number(lo);
    const safe = lo >= -(2n ** 53n) + 4294967296n && lo <= 2n ** 53n - 4294967296n;
    if (safe) {
      if (d === 'bool') {
        for (let i = 0; i < n; i++) out[i] = base + (gen.random() % r) !== 0 ? 1 : 0;
      } else {
        // an exact integer in a double: a Float32Array store rounds it once (as static_cast<float>),
        // integer arrays wrap it to their width (as static_cast from int64)
        for (let i = 0; i < n; i++) out[i] = base + (gen.random() % r);
      }
      return out;
    }
    for (let i = 0; i < n; i++) storeBig(out, d, i, BigInt.asIntN(64, BigInt(gen.random() % r) + lo));
    return out;
  }
  for (let i = 0; i < n; i++) {
    const rv = wide ? gen.random64() : BigInt(gen.random());
    storeBig(out, d, i, BigInt.asIntN(64, (rv % range) + lo));
  }
  return out;
}

/**
 * Tensor.random_() without bounds: int64 random64() mod 2^63, int32 random() mod 2^31,
 * int8 random() mod 2^7, uint8 random() mod 2^8, bool random() & 1,
 * float32 random() mod (2^24 + 1), float64 random64() mod (2^53 + 1).
 * Pass dtype 'int64' for int64 data in a Float64Array (default there is 'float64').
 */
export function random_<T extends IntFillArray>(gen: Generator, out: T, dtype?: DType): T {
  const d = dtypeOf(out, dtype);
  const n = out.length;
  switch (d) {
    case 'int64':
      for (let i = 0; i < n; i++) {
        const h = gen.random() & 0x7fffffff;
        out[i] = h * TWO_POW_32 + gen.random(); // one rounding of the exact 63-bit value
      }
      break;
    case 'float64':
      for (let i = 0; i < n; i++) {
        const h = gen.random();
        const l = gen.random();
        // r = top * 2^53 + rest, and 2^53 = -1 (mod 2^53 + 1)
        const top = h >>> 21;
        const rest = (h & 0x1fffff) * TWO_POW_32 + l;
        out[i] = rest >= top ? rest - top : 9007199254740992 - (top - rest - 1);
      }
      break;
    case 'float32':
      for (let i = 0; i < n; i++) out[i] = gen.random() % 16777217;
      break;
    case 'int32':
      for (let i = 0; i < n; i++) out[i] = gen.random() & 0x7fffffff;
      break;
    case 'int8':
      for (let i = 0; i < n; i++) out[i] = gen.random() & 0x7f;
      break;
    case 'uint8':
      for (let i = 0; i < n; i++) out[i] = gen.random() & 0xff;
      break;
    case 'bool':
      for (let i = 0; i < n; i++) out[i] = gen.random() & 1;
      break;
    default:
      throw new TypeError(`random_: unsupported dtype ${d}`);
  }
  return out;
}

/** Below this n, randperm uses the swap shuffle with one word per step (floor(2^32 / 20)). */
export const RANDPERM_SMALL_N_LIMIT = 214748364;

/**
 * torch.randperm(n) on the CPU (int64 values in a Float64Array).
 * n < 214748364: r = [0..n-1]; for i in 0..n-2: z = random() mod (n-i); swap(r[i], r[i+z]).
 * Larger n (from the source, untested against torch): inside-out shuffle with random64().
 */
export function randperm(gen: Generator, n: number): Float64Array {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`randperm: n must be a non-negative integer, got ${n}`);
  const r = new Float64Array(n);
  if (n < RANDPERM_SMALL_N_LIMIT) {
    for (let i = 0; i < n; i++) r[i] = i;
    for (let i = 0; i < n - 1; i++) {
      const z = gen.random() % (n - i);
      const t = r[i];
      r[i] = r[i + z];
      r[i + z] = t;
    }
    return r;
  }
  for (let i = 0; i < n; i++) {
    const z = Number(gen.random64() % BigInt(i + 1));
    r[i] = r[z];
    r[z] = i;
  }
  return r;
}
