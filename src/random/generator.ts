/**
 * @file `Generator`: PyTorch's CPUGeneratorImpl (mt19937 engine, 64-bit seed, cached double
 * normal) with its uniform primitives and the 5056-byte `torch.get_rng_state()` layout.
 */

import { MT19937, MT_N } from './mt19937.js';

/** PyTorch's default_rng_seed_val, the seed in force before any manual_seed. */
export const DEFAULT_SEED = 67280421310721n;

/** Size in bytes of the state blob from `torch.get_rng_state()` (CPUGeneratorImplState). */
export const RNG_STATE_SIZE = 5056;
/** Size of the legacy THGeneratorState blob, which PyTorch also accepts in set_rng_state. */
export const RNG_STATE_SIZE_LEGACY = 5048;

// Layout (little-endian), as in CPUGeneratorImpl.cpp:
//   0 u64 the_initial_seed | 8 i32 left | 12 i32 seeded | 16 u64 next | 24 u64 state[624]
//   5016 f64 normal_x | 5024 f64 normal_y | 5032 f64 normal_rho | 5040 i32 normal_is_valid
//   (4 bytes padding) 5048 f32 next_float_normal_sample | 5052 u8 is_next_float_normal_sample_valid
const OFF_SEED = 0, OFF_LEFT = 8, OFF_SEEDED = 12, OFF_NEXT = 16, OFF_STATE = 24;
const OFF_NORMAL_X = 5016, OFF_NORMAL_Y = 5024, OFF_NORMAL_RHO = 5032, OFF_NORMAL_VALID = 5040;
const OFF_FLOAT_NORMAL = 5048, OFF_FLOAT_VALID = 5052;

const TWO_POW_64 = 1n << 64n;
const TWO_POW_63 = 1n << 63n;

/** A seed as PyTorch takes it: an integer in [-2^63, 2^64), reduced mod 2^64. */
export function normalizeSeed(seed: number | bigint): bigint {
  let s: bigint;
  if (typeof seed === 'bigint') {
    s = seed;
  } else {
    if (!Number.isInteger(seed)) throw new TypeError(`manualSeed: seed must be an integer, got ${seed}`);
    s = BigInt(seed);
  }
  if (s < -TWO_POW_63 || s >= TWO_POW_64) {
    throw new RangeError(`manualSeed: seed must be in [-2^63, 2^64), got ${s}`);
  }
  return BigInt.asUintN(64, s);
}

/** A 64-bit nondeterministic seed (PyTorch reads /dev/urandom). */
function entropySeed(): bigint {
  const w = new Uint32Array(2);
  globalThis.crypto.getRandomValues(w);
  return (BigInt(w[0]) << 32n) | BigInt(w[1]);
}

/** PyTorch's CPU generator: mt19937 plus the cached double normal of `normal_distribution`. */
export class Generator {
  /** The engine. Exposed for the fill functions; treat as private. */
  readonly engine = new MT19937();
  private initial: bigint = DEFAULT_SEED;
  /** next_double_normal_sample: second Box-Muller value of the per-element normal path. */
  nextDoubleNormalSample: number | null = null;
  /** next_float_normal_sample: never used by CPU kernels, kept so get/setState round-trips. */
  nextFloatNormalSample: number | null = null;

  constructor(seed: number | bigint = DEFAULT_SEED) {
    this.manualSeed(seed);
  }

  /** torch.Generator.manual_seed: seed mod 2^64; the engine uses its low 32 bits; caches cleared. */
  manualSeed(seed: number | bigint): this {
    const s = normalizeSeed(seed);
    this.initial = s;
    this.engine.seed(Number(s & 0xffffffffn));
    this.nextDoubleNormalSample = null;
    this.nextFloatNormalSample = null;
    return this;
  }

  /** torch.Generator.seed: reseed from a nondeterministic 64-bit value and return it. */
  seed(): bigint {
    const s = entropySeed();
    this.manualSeed(s);
    return s;
  }

  /** torch.Generator.initial_seed: the last seed set (mod 2^64). */
  initialSeed(): bigint {
    return this.initial;
  }

  /** One mt19937 word, uint32. */
  random(): number {
    return this.engine.nextU32();
  }

  /** random64() = (first word << 32) | second word, as a BigInt. */
  random64(): bigint {
    const hi = this.engine.nextU32();
    const lo = this.engine.nextU32();
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** float32 uniform in [0,1): low 24 bits of one word times 2^-24 (exact). */
  uniform24(): number {
    return (this.engine.nextU32() & 0xffffff) * 5.9604644775390625e-8;
  }

  /** float64 uniform in [0,1): low 53 bits of random64() times 2^-53 (exact). */
  uniform53(): number {
    const hi = this.engine.nextU32();
    const lo = this.engine.nextU32();
    return ((hi & 0x1fffff) * 4294967296 + lo) * 1.1102230246251565e-16;
  }

  /**
   * torch.Generator.get_state's bytes: the 5056-byte little-endian CPUGeneratorImplState blob,
   * byte-compatible with `torch.get_rng_state()` (padding and unused fields are zero).
   */
  getState(): Uint8Array {
    const buf = new Uint8Array(RNG_STATE_SIZE);
    const dv = new DataView(buf.buffer);
    dv.setBigUint64(OFF_SEED, this.initial, true);
    dv.setInt32(OFF_LEFT, this.engine.left, true);
    dv.setInt32(OFF_SEEDED, 1, true);
    dv.setBigUint64(OFF_NEXT, BigInt(this.engine.next), true);
    const st = this.engine.state;
    for (let i = 0; i < MT_N; i++) {
      dv.setUint32(OFF_STATE + 8 * i, st[i], true); // u64 slots, high half zero
    }
    if (this.nextDoubleNormalSample !== null) {
      dv.setFloat64(OFF_NORMAL_Y, this.nextDoubleNormalSample, true);
      dv.setInt32(OFF_NORMAL_VALID, 1, true);
    }
    if (this.nextFloatNormalSample !== null) {
      dv.setFloat32(OFF_FLOAT_NORMAL, this.nextFloatNormalSample, true);
      dv.setUint8(OFF_FLOAT_VALID, 1);
    }
    return buf;
  }

  /**
   * torch.Generator.set_state: accepts the 5056-byte blob or the 5048-byte legacy
   * THGeneratorState blob, with PyTorch's validity checks (seeded, 1 <= left <= 624, next <= 624).
   */
  setState(state: Uint8Array | StateTensor): void {
    if (!(state instanceof Uint8Array)) state = stateBytes(state);
    const size = state.byteLength;
    if (size !== RNG_STATE_SIZE && size !== RNG_STATE_SIZE_LEGACY) {
      throw new RangeError(`setState: expected a ${RNG_STATE_SIZE_LEGACY}-byte (legacy) or ${RNG_STATE_SIZE}-byte state, got ${size} bytes`);
    }
    const dv = new DataView(state.buffer, state.byteOffset, size);
    const left = dv.getInt32(OFF_LEFT, true);
    const seeded = dv.getInt32(OFF_SEEDED, true);
    const next = Number(dv.getBigUint64(OFF_NEXT, true) & 0xffffffffn); // static_cast<uint32_t>
    if (seeded === 0 || left < 1 || left > MT_N || next > MT_N) throw new RangeError('setState: Invalid mt19937 state');
    let dbl: number | null = null;
    let flt: number | null = null;
    if (dv.getInt32(OFF_NORMAL_VALID, true) !== 0) {
      if (size === RNG_STATE_SIZE) {
        dbl = dv.getFloat64(OFF_NORMAL_Y, true);
      } else {
        // legacy blob: cached sample = rho * sin(2*pi*normal_x) (PyTorch uses glibc sin; Math.sin may differ by 1 ulp)
        dbl = dv.getFloat64(OFF_NORMAL_RHO, true) * Math.sin(2.0 * Math.PI * dv.getFloat64(OFF_NORMAL_X, true));
      }
    }
    if (size === RNG_STATE_SIZE && dv.getUint8(OFF_FLOAT_VALID) !== 0) {
      flt = dv.getFloat32(OFF_FLOAT_NORMAL, true);
    }
    const st = this.engine.state;
    for (let i = 0; i < MT_N; i++) st[i] = dv.getUint32(OFF_STATE + 8 * i, true); // low 32 bits of each u64
    this.engine.left = left;
    this.engine.next = next;
    this.initial = dv.getBigUint64(OFF_SEED, true);
    this.nextDoubleNormalSample = dbl;
    this.nextFloatNormalSample = flt;
  }

  /** A new generator in exactly this one's state. */
  clone(): Generator {
    const g = new Generator();
    g.setState(this.getState());
    return g;
  }
}

/** The uint8 Tensor PyTorch saves for a generator state (duck-typed: this layer does not import Tensor). */
export interface StateTensor { readonly dtype: string; readonly shape: readonly number[]; dataSync(): ArrayLike<number> }

/** The bytes of a state given as a uint8 Tensor (torch.get_rng_state()'s result, as saved in checkpoints). */
function stateBytes(state: unknown): Uint8Array {
  const t = state as Partial<StateTensor> | null;
  if (t === null || typeof t !== 'object' || typeof t.dataSync !== 'function' || t.dtype === undefined) {
    const what = state === null ? 'null' : Array.isArray(state) ? 'an array' : typeof state;
    throw new TypeError(`setState: expected the state as a uint8 Tensor (what getRngState() returns and PyTorch saves) or a Uint8Array, got ${what}`);
  }
  if (t.dtype !== 'uint8') throw new TypeError(`setState: expected a uint8 Tensor, got dtype ${t.dtype}; a generator state is PyTorch's ByteTensor of ${RNG_STATE_SIZE} bytes`);
  return Uint8Array.from(t.dataSync());
}
