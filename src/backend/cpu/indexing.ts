/**
 * @file CPU index kernels: gather, scatter(-add), index_select/index_add, triangles. Index tensors hold int64.
 */
import type { View } from '../backend.js';
import { arrayFor, type DType } from '../../core/dtype.js';
import { IndexError } from '../../core/errors.js';
import { contiguousStrides, isContiguous, numel } from '../../core/shape.js';
import { contiguous } from './elementwise.js';
import { CpuStorage, dataOf } from './storage.js';
import { offsetsOf, viewOffsets } from './strided.js';

function checkIndex(op: string, v: number, size: number, dim: number): number {
  if (!Number.isInteger(v) || v < -size || v >= size) {
    throw new IndexError(`${op}: index ${v} is out of bounds for dimension ${dim} with size ${size}`);
  }
  return v < 0 ? v + size : v;
}

function offsetsWithZeroAt(shape: readonly number[], strides: readonly number[], offset: number, dim: number): Int32Array {
  const st = strides.slice(); st[dim] = 0;
  return offsetsOf(shape, st, offset) ?? Int32Array.from({ length: numel(shape) }, (_, i) => offset + i);
}

export function gather(x: View, dim: number, index: View): CpuStorage {
  const n = numel(index.shape);
  const out = arrayFor(x.dtype, n);
  const X = dataOf(x.storage), I = dataOf(index.storage);
  const base = offsetsWithZeroAt(index.shape, x.strides, x.offset, dim);
  const io = viewOffsets(index);
  const size = x.shape[dim], st = x.strides[dim];
  for (let k = 0; k < n; k++) {
    const iv = checkIndex('gather()', I[io ? io[k] : index.offset + k], size, dim);
    out[k] = X[base[k] + iv * st];
  }
  return new CpuStorage(x.dtype, out);
}

export function scatter(self: View, dim: number, index: View, src: View, reduce: 'none' | 'add'): CpuStorage {
  const out = contiguous(self, self.dtype);
  const O = out.data, I = dataOf(index.storage), S = dataOf(src.storage);
  const ost = contiguousStrides(self.shape);
  const base = offsetsWithZeroAt(index.shape, ost, 0, dim);
  const io = viewOffsets(index);
  const so = offsetsOf(index.shape, src.strides, src.offset);
  const n = numel(index.shape);
  const size = self.shape[dim], st = ost[dim];
  for (let k = 0; k < n; k++) {
    const iv = checkIndex(reduce === 'add' ? 'scatter_add()' : 'scatter()', I[io ? io[k] : index.offset + k], size, dim);
    const v = S[so ? so[k] : src.offset + k];
    if (reduce === 'add') O[base[k] + iv * st] += v; else O[base[k] + iv * st] = v;
  }
  return out;
}

export function indexSelect(x: View, dim: number, index: View): CpuStorage {
  const len = numel(index.shape);
  const outShape = x.shape.slice(); outShape[dim] = len;
  const n = numel(outShape);
  const out = arrayFor(x.dtype, n);
  const X = dataOf(x.storage), I = dataOf(index.storage);
  const io = viewOffsets(index);
  const idx = new Int32Array(len);
  for (let j = 0; j < len; j++) idx[j] = checkIndex('index_select()', I[io ? io[j] : index.offset + j], x.shape[dim], dim);
  const inner = numel(outShape.slice(dim + 1));
  if (dim === 0 && isContiguous(x.shape, x.strides)) {
    // rows of a contiguous tensor (DataLoader batches, embeddings): one block copy per index
    for (let j = 0; j < len; j++) {
      const s0 = x.offset + idx[j] * inner;
      out.set(X.subarray(s0, s0 + inner), j * inner);
    }
    return new CpuStorage(x.dtype, out);
  }
  const base = offsetsWithZeroAt(outShape, x.strides, x.offset, dim);
  const st = x.strides[dim];
  for (let k = 0; k < n; k++) out[k] = X[base[k] + idx[Math.floor(k / inner) % len] * st];
  return new CpuStorage(x.dtype, out);
}

export function indexAdd(shape: readonly number[], dtype: DType, dim: number, index: View, src: View): CpuStorage {
  const out = arrayFor(dtype, numel(shape));
  const I = dataOf(index.storage), S = dataOf(src.storage);
  const io = viewOffsets(index), so = viewOffsets(src);
  const len = numel(index.shape);
  const ost = contiguousStrides(shape);
  const inner = numel(src.shape.slice(dim + 1));
  const n = numel(src.shape);
  if (dim === 0 && so === null && dtype === 'float32' && src.dtype === 'float32') {
    // whole rows (embedding backward): one row add per index, in the same order as the loop below
    const O = out as Float32Array, F = S as Float32Array, rows = n / Math.max(1, inner);
    for (let j = 0; j < rows; j++) {
      const iv = checkIndex('index_add()', I[io ? io[j % len] : index.offset + (j % len)], shape[0], 0);
      const o = iv * inner, s0 = src.offset + j * inner;
      for (let c = 0; c < inner; c++) O[o + c] += F[s0 + c];
    }
    return new CpuStorage(dtype, out);
  }
  const base = offsetsWithZeroAt(src.shape, ost, 0, dim);
  for (let k = 0; k < n; k++) {
    const iv = checkIndex('index_add()', I[io ? io[Math.floor(k / inner) % len] : index.offset + (Math.floor(k / inner) % len)], shape[dim], dim);
    out[base[k] + iv * ost[dim]] += S[so ? so[k] : src.offset + k];
  }
  return new CpuStorage(dtype, out);
}

export function triangle(x: View, k: number, upper: boolean): CpuStorage {
  const out = contiguous(x, x.dtype);
  const nd = x.shape.length;
  const rows = x.shape[nd - 2], cols = x.shape[nd - 1];
  const mats = numel(x.shape) / Math.max(1, rows * cols);
  const O = out.data;
  for (let m = 0; m < mats; m++) {
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const keep = upper ? c - r >= k : c - r <= k;
        if (!keep) O[m * rows * cols + r * cols + c] = 0;
      }
    }
  }
  return out;
}
