/**
 * @file dtypes: names, storage arrays, sizes and PyTorch's type promotion.
 * Imports only f32-pool.ts (float32 arrays of 16 KiB or more may come from recycled buffers).
 */
import { allocFloat32 } from './f32-pool.js';

export type DType = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int32' | 'int64' | 'uint8' | 'int8' | 'bool';

export const DTYPES: readonly DType[] = ['float32', 'float64', 'float16', 'bfloat16', 'int32', 'int64', 'uint8', 'int8', 'bool'];

/**
 * The typed array that holds each dtype on the CPU.
 * float16/bfloat16 are storage dtypes: they hold raw 16-bit patterns (Uint16Array) and convert to float32 for math.
 * int64 is held in a Float64Array: exact for |x| < 2^53 (PyTorch's indices, counters and seeds fit), documented.
 */
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array | Int8Array | Uint16Array;

export const ITEM_SIZE: Record<DType, number> = {
  float32: 4, float64: 8, float16: 2, bfloat16: 2, int32: 4, int64: 8, uint8: 1, int8: 1, bool: 1,
};

export function isFloating(d: DType): boolean {
  return d === 'float32' || d === 'float64' || d === 'float16' || d === 'bfloat16';
}
export function isIntegral(d: DType): boolean {
  return d === 'int32' || d === 'int64' || d === 'uint8' || d === 'int8';
}

export function arrayFor(d: DType, n: number): TypedArray {
  switch (d) {
    case 'float32': return allocFloat32(n);
    case 'float64': case 'int64': return new Float64Array(n);
    case 'float16': case 'bfloat16': return new Uint16Array(n);
    case 'int32': return new Int32Array(n);
    case 'uint8': case 'bool': return new Uint8Array(n);
    case 'int8': return new Int8Array(n);
  }
}

/** Does a typed array have the right class for a dtype. */
export function arrayMatches(d: DType, a: TypedArray): boolean {
  switch (d) {
    case 'float32': return a instanceof Float32Array;
    case 'float64': case 'int64': return a instanceof Float64Array;
    case 'float16': case 'bfloat16': return a instanceof Uint16Array;
    case 'int32': return a instanceof Int32Array;
    case 'uint8': case 'bool': return a instanceof Uint8Array;
    case 'int8': return a instanceof Int8Array;
  }
}

// PyTorch promotion: bool < integers < floating; within a category, the wider wins.
const RANK: Record<DType, number> = { bool: 0, uint8: 1, int8: 1, int32: 3, int64: 4, float16: 5, bfloat16: 5, float32: 7, float64: 8 };

/** Result dtype of a binary op on tensors of dtypes a and b (both tensors of dim > 0, or both 0-dim). */
export function promoteTypes(a: DType, b: DType): DType {
  if (a === b) return a;
  if ((a === 'uint8' && b === 'int8') || (a === 'int8' && b === 'uint8')) return 'int32';
  if ((a === 'float16' && b === 'bfloat16') || (a === 'bfloat16' && b === 'float16')) return 'float32';
  return RANK[a] >= RANK[b] ? a : b;
}

export type Category = 0 | 1 | 2; // bool, integer, floating
export function category(d: DType): Category {
  return d === 'bool' ? 0 : isFloating(d) ? 2 : 1;
}

/**
 * PyTorch's result_type for a tensor op: dimensioned tensors outrank 0-dim tensors, which outrank
 * Python scalars, unless the lower group is of a higher category (e.g. int tensor + float scalar -> float32 default).
 */
export function resultType(operands: { dtype: DType; dim: number }[], scalars: number[] = [], defaultFloat: DType = 'float32'): DType {
  const dimmed = operands.filter((o) => o.dim > 0).map((o) => o.dtype);
  const zero = operands.filter((o) => o.dim === 0).map((o) => o.dtype);
  const fold = (ds: DType[]) => ds.reduce<DType | null>((acc, d) => (acc === null ? d : promoteTypes(acc, d)), null);
  let r = fold(dimmed);
  const z = fold(zero);
  if (r === null) r = z;
  else if (z !== null && category(z) > category(r)) r = z;
  for (const s of scalars) {
    const sc: DType = typeof s === 'boolean' ? 'bool' : Number.isInteger(s) ? 'int64' : defaultFloat;
    if (r === null) r = sc;
    else if (category(sc) > category(r)) r = category(sc) === 2 ? defaultFloat : 'int64';
  }
  return r ?? defaultFloat;
}

// ---- 16-bit float conversions (storage dtypes) ----
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function float32ToBfloat16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0];
  if ((b & 0x7fffffff) > 0x7f800000) return 0x7fc0; // NaN
  // round to nearest even, as PyTorch's c10::BFloat16 round_to_nearest_even
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}
export function bfloat16BitsToFloat32(h: number): number {
  u32[0] = h << 16;
  return f32[0];
}

export function float32ToFloat16Bits(val: number): number {
  f32[0] = val;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++;
  return sign | h;
}
export function float16BitsToFloat32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

// ---- dtype names as PyTorch code spells them, and the default floating dtype ----

/** A dtype as user code may name it: a canonical name or one of PyTorch's aliases. */
export type DTypeName = DType | 'float' | 'double' | 'half' | 'long' | 'int';

/** PyTorch's aliases (`torch.float`, `torch.long`, ...) → the canonical dtype. */
export const DTYPE_ALIASES: Readonly<Record<string, DType>> = {
  float: 'float32', double: 'float64', half: 'float16', long: 'int64', int: 'int32',
  float32: 'float32', float64: 'float64', float16: 'float16', bfloat16: 'bfloat16', int32: 'int32', int64: 'int64',
  uint8: 'uint8', int8: 'int8', bool: 'bool',
};

/** A dtype alias torchlet knows but does not hold, with what to use instead. */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  short: "'short' is int16, which torchlet does not hold; use 'int32'",
  int16: "int16 is not held by torchlet; use 'int32'",
  cfloat: 'complex dtypes are not supported', complex64: 'complex dtypes are not supported', complex128: 'complex dtypes are not supported',
  cdouble: 'complex dtypes are not supported', uint16: "uint16 is not held by torchlet; use 'int32'", uint32: "uint32 is not held; use 'int64'",
  uint64: "uint64 is not held; use 'int64'",
};

/** The canonical dtype for a name or PyTorch alias (`'torch.float'`, `'double'`, `'long'`), or undefined. */
export function dtypeFromName(name: string): DType | undefined {
  const n = name.startsWith('torch.') ? name.slice(6) : name;
  return Object.prototype.hasOwnProperty.call(DTYPE_ALIASES, n) ? DTYPE_ALIASES[n] : undefined;
}

/** Why a dtype name is refused (known to PyTorch but not held here), or a list of the accepted names. */
export function dtypeNameHelp(name: unknown): string {
  const n = typeof name === 'string' && name.startsWith('torch.') ? name.slice(6) : name;
  if (typeof n === 'string' && Object.prototype.hasOwnProperty.call(UNSUPPORTED, n)) return UNSUPPORTED[n];
  return `expected one of ${DTYPES.map((d) => `'${d}'`).join(', ')} or a PyTorch alias ('float', 'double', 'half', 'long', 'int')`;
}

let defaultFloat: DType = 'float32';
/** torch.get_default_dtype: the dtype of tensors made from JavaScript numbers and of float factories. */
export function getDefaultDtype(): DType { return defaultFloat; }
/** internal: set by torch.setDefaultDtype (which checks its argument). */
export function setDefaultFloatDtype(d: DType): void { defaultFloat = d; }
