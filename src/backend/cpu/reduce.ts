/**
 * @file CPU reductions, cumulative sums and sorting. A reduction permutes the reduced dims to the end,
 * so each output element folds one consecutive run of the offset table.
 */
import type { ReduceOp, View } from '../backend.js';
import { arrayFor, type DType } from '../../core/dtype.js';
import { numel } from '../../core/shape.js';
import { CpuStorage, dataOf } from './storage.js';
import { offsetsOf, permuteView } from './strided.js';
import { sumF32 } from './f32.js';

export function reduce(op: ReduceOp, x: View, dims: readonly number[], outDtype: DType): CpuStorage {
  const keep = x.shape.map((_, i) => i).filter((i) => !dims.includes(i));
  const p = permuteView(x, [...keep, ...dims]);
  const outN = numel(keep.map((d) => x.shape[d]));
  const r = numel(dims.map((d) => x.shape[d]));
  const src = dataOf(x.storage);
  if (op === 'sum' && x.dtype === 'float32' && outDtype === 'float32') {
    const o32 = new Float32Array(outN);
    sumF32(src as Float32Array, x.offset, x.shape, x.strides, dims, o32);
    return new CpuStorage(outDtype, o32);
  }
  let offs = offsetsOf(p.shape, p.strides, p.offset);
  const at = offs ? (i: number) => src[offs![i]] : (i: number) => src[p.offset + i];
  const out = arrayFor(outDtype, outN);
  for (let o = 0; o < outN; o++) {
    const base = o * r;
    let acc: number;
    switch (op) {
      case 'sum': {
        acc = 0;
        if (offs) for (let j = 0; j < r; j++) acc += src[offs[base + j]];
        else { const s0 = p.offset + base; for (let j = 0; j < r; j++) acc += src[s0 + j]; }
        break;
      }
      case 'prod': acc = 1; for (let j = 0; j < r; j++) acc *= at(base + j); break;
      case 'max': case 'min': {
        if (r === 0) throw new Error(`${op}(): Expected reduction dim to be specified for input.numel() == 0; cannot reduce an empty dimension`);
        acc = at(base);
        for (let j = 1; j < r; j++) {
          const v = at(base + j);
          if (Number.isNaN(acc)) break;
          if (Number.isNaN(v) || (op === 'max' ? v > acc : v < acc)) acc = v;
        }
        break;
      }
      case 'argmax': case 'argmin': {
        if (r === 0) throw new Error(`${op}(): cannot reduce an empty dimension`);
        let best = at(base), bi = 0;
        for (let j = 1; j < r; j++) {
          const v = at(base + j);
          if (Number.isNaN(best)) break;
          if (Number.isNaN(v) || (op === 'argmax' ? v > best : v < best)) { best = v; bi = j; }
        }
        acc = bi;
        break;
      }
      case 'all': acc = 1; for (let j = 0; j < r; j++) if (!at(base + j)) { acc = 0; break; } break;
      case 'any': acc = 0; for (let j = 0; j < r; j++) if (at(base + j)) { acc = 1; break; } break;
    }
    out[o] = acc;
  }
  offs = null;
  return new CpuStorage(outDtype, out);
}

/** Offsets of a view with `dim` moved last, so each run of shape[dim] elements is one line along dim. */
function linesAlong(x: View, dim: number): { offs: Int32Array; len: number; count: number; order: number[] } {
  const order = x.shape.map((_, i) => i).filter((i) => i !== dim).concat([dim]);
  const p = permuteView(x, order);
  const offs = offsetsOf(p.shape, p.strides, p.offset) ?? Int32Array.from({ length: numel(p.shape) }, (_, i) => p.offset + i);
  const len = x.shape[dim];
  return { offs, len, count: len === 0 ? 0 : offs.length / len, order };
}

/** Write line-major results back into a contiguous array of x's shape. */
function scatterLines(shape: readonly number[], order: number[], n: number): Int32Array {
  // destination offset (contiguous in original layout) for each element in permuted row-major order
  const strides = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { strides[i] = acc; acc *= shape[i]; }
  const pShape = order.map((d) => shape[d]), pStrides = order.map((d) => strides[d]);
  return offsetsOf(pShape, pStrides, 0) ?? Int32Array.from({ length: n }, (_, i) => i);
}

export function cumsum(x: View, dim: number, outDtype: DType): CpuStorage {
  const n = numel(x.shape);
  const out = arrayFor(outDtype, n);
  const src = dataOf(x.storage);
  const { offs, len, count, order } = linesAlong(x, dim);
  const dst = scatterLines(x.shape, order, n);
  for (let l = 0; l < count; l++) {
    let acc = 0;
    for (let j = 0; j < len; j++) { acc += src[offs[l * len + j]]; out[dst[l * len + j]] = acc; }
  }
  return new CpuStorage(outDtype, out);
}

export function sort(x: View, dim: number, descending: boolean): [CpuStorage, CpuStorage] {
  const n = numel(x.shape);
  const vals = arrayFor(x.dtype, n);
  const idx = new Float64Array(n);
  const src = dataOf(x.storage);
  const { offs, len, count, order } = linesAlong(x, dim);
  const dst = scatterLines(x.shape, order, n);
  const perm = new Array<number>(len);
  const line = new Float64Array(len);
  // NaN sorts as the largest value, as in PyTorch.
  const cmp = (a: number, b: number): number => {
    const va = line[a], vb = line[b];
    const na = Number.isNaN(va), nb = Number.isNaN(vb);
    let c = na && nb ? 0 : na ? 1 : nb ? -1 : va < vb ? -1 : va > vb ? 1 : 0;
    if (descending) c = -c;
    return c !== 0 ? c : a - b;
  };
  for (let l = 0; l < count; l++) {
    for (let j = 0; j < len; j++) { line[j] = src[offs[l * len + j]]; perm[j] = j; }
    perm.sort(cmp);
    for (let j = 0; j < len; j++) { vals[dst[l * len + j]] = line[perm[j]]; idx[dst[l * len + j]] = perm[j]; }
  }
  return [new CpuStorage(x.dtype, vals), new CpuStorage('int64', idx)];
}
