/**
 * @file Walking strided views on the CPU: the storage offset of every element of a view in row-major order.
 * Contiguous views need no table (offset + i); everything else gets an offset table built in one pass.
 */
import type { View } from '../backend.js';
import { isContiguous, numel } from '../../core/shape.js';

/** Offsets of each element in row-major order, or null when the view is contiguous (element i at offset + i). */
export function offsetsOf(shape: readonly number[], strides: readonly number[], offset: number): Int32Array | null {
  if (isContiguous(shape, strides)) return null;
  const n = numel(shape);
  const out = new Int32Array(n);
  const nd = shape.length;
  if (n === 0) return out;
  const last = nd - 1;
  const inner = shape[last], innerStride = strides[last];
  const idx = new Array<number>(nd).fill(0);
  let base = offset;
  let k = 0;
  while (k < n) {
    for (let j = 0, o = base; j < inner; j++, o += innerStride) out[k++] = o;
    // advance outer index
    let d = last - 1;
    while (d >= 0) {
      idx[d]++;
      base += strides[d];
      if (idx[d] < shape[d]) break;
      base -= strides[d] * shape[d];
      idx[d] = 0;
      d--;
    }
    if (d < 0) break;
  }
  return out;
}

export function viewOffsets(v: View): Int32Array | null {
  return offsetsOf(v.shape, v.strides, v.offset);
}

/** Permute a view's dims (no copy). */
export function permuteView(v: View, order: readonly number[]): View {
  return { storage: v.storage, dtype: v.dtype, offset: v.offset, shape: order.map((d) => v.shape[d]), strides: order.map((d) => v.strides[d]) };
}
