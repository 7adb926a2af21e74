/**
 * @file Helpers on RawTensor/RawStorage: element counts, contiguous strides, bounds checks, and gathering
 * a strided view into contiguous little-endian bytes (what safetensors stores and a Tensor bridge copies).
 * Imports only src/core/dtype.ts.
 */
import { ITEM_SIZE, type DType } from '../../core/dtype.js';
import type { RawStorage, RawTensor } from './types.js';

/** Product of a shape (1 for a 0-dim shape). */
export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

/** Row-major strides of a shape, in elements (PyTorch's convention: size-1 dims still get the row-major stride). */
export function contiguousStrides(shape: readonly number[]): number[] {
  const st = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = acc;
    acc *= Math.max(shape[i], 1);
  }
  return st;
}

/** Is the view row-major contiguous (ignoring strides of size-1 and empty dims, as PyTorch does). */
export function isContiguous(t: Pick<RawTensor, 'shape' | 'strides'>): boolean {
  let expected = 1;
  for (let i = t.shape.length - 1; i >= 0; i--) {
    if (t.shape[i] === 0) return true;
    if (t.shape[i] !== 1 && t.strides[i] !== expected) return false;
    expected *= t.shape[i];
  }
  return true;
}

/** Number of elements a storage holds. */
export function storageNumel(s: RawStorage): number {
  return Math.floor(s.bytes.length / ITEM_SIZE[s.dtype]);
}

/**
 * Why a view does not fit its storage, or null when it does: integer non-negative sizes, integer strides >= 0,
 * integer offset >= 0, and every addressed element inside the storage.
 */
export function tensorBoundsProblem(t: Pick<RawTensor, 'storage' | 'shape' | 'strides' | 'offset'>): string | null {
  const { shape, strides, offset } = t;
  if (!Array.isArray(shape) || !Array.isArray(strides)) return 'shape and strides must be arrays';
  if (shape.length !== strides.length) return `shape [${shape}] and strides [${strides}] have different lengths`;
  if (!Number.isSafeInteger(offset) || offset < 0) return `storage offset ${offset} is not a non-negative integer`;
  let empty = false;
  let maxIndex = offset;
  for (let i = 0; i < shape.length; i++) {
    const s = shape[i];
    const st = strides[i];
    if (!Number.isSafeInteger(s) || s < 0) return `size ${s} in shape [${shape}] is not a non-negative integer`;
    if (!Number.isSafeInteger(st) || st < 0) return `stride ${st} in strides [${strides}] is not a non-negative integer`;
    if (s === 0) empty = true;
    else maxIndex += (s - 1) * st;
    if (!Number.isSafeInteger(maxIndex)) return `shape [${shape}] with strides [${strides}] overflows`;
  }
  if (empty) return null;
  const n = storageNumel(t.storage);
  if (maxIndex >= n) {
    return `shape [${shape}], strides [${strides}] and offset ${offset} reach element ${maxIndex}, but the ${t.storage.dtype} storage holds ${n} elements`;
  }
  return null;
}

/** A contiguous tensor over a fresh storage holding `bytes` (not copied). */
export function contiguousRawTensor(dtype: DType, shape: number[], bytes: Uint8Array, extra: Partial<RawTensor> = {}): RawTensor {
  const need = numelOf(shape) * ITEM_SIZE[dtype];
  if (bytes.length !== need) {
    throw new RangeError(`contiguousRawTensor: ${dtype} shape [${shape}] needs ${need} bytes, got ${bytes.length}`);
  }
  return { kind: 'tensor', storage: { kind: 'storage', dtype, bytes }, shape: [...shape], strides: contiguousStrides(shape), offset: 0, ...extra };
}

/**
 * The view's elements in row-major order as little-endian bytes. Returns a zero-copy subarray of the storage when
 * the view is contiguous, else a gathered copy. Throws RangeError when the view does not fit its storage.
 */
export function contiguousBytes(t: RawTensor): Uint8Array {
  const problem = tensorBoundsProblem(t);
  if (problem) throw new RangeError(`contiguousBytes: ${problem}`);
  const size = ITEM_SIZE[t.storage.dtype];
  const n = numelOf(t.shape);
  if (n === 0) return new Uint8Array(0);
  if (isContiguous(t)) return t.storage.bytes.subarray(t.offset * size, (t.offset + n) * size);
  const out = new Uint8Array(n * size);
  const src = t.storage.bytes;
  const nd = t.shape.length;
  const idx = new Array<number>(nd).fill(0);
  let pos = t.offset;
  for (let k = 0; k < n; k++) {
    out.set(src.subarray(pos * size, pos * size + size), k * size);
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]++;
      pos += t.strides[d];
      if (idx[d] < t.shape[d]) break;
      pos -= t.strides[d] * t.shape[d];
      idx[d] = 0;
    }
  }
  return out;
}
