/**
 * @file Shapes, strides and broadcasting. Imports only errors.
 */
import { ShapeError, IndexError } from './errors.js';

export type Shape = readonly number[];

export function numel(shape: Shape): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

export function contiguousStrides(shape: Shape): number[] {
  const st = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { st[i] = acc; acc *= shape[i]; }
  return st;
}

export function isContiguous(shape: Shape, strides: readonly number[]): boolean {
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && strides[i] !== acc) return false;
    acc *= shape[i];
  }
  return true;
}

export function fmt(shape: Shape): string { return `[${shape.join(', ')}]`; }

export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** NumPy/PyTorch broadcasting of any number of shapes; `op` names the caller in the error. */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  const nd = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(nd).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = nd - s.length + i;
      const d = s[i];
      if (out[o] === 1) out[o] = d;
      else if (d !== 1 && d !== out[o]) {
        throw new ShapeError(`${op}: shapes ${shapes.map(fmt).join(' and ')} cannot be broadcast together: ` +
          `size ${out[o]} vs ${d} at dimension ${o - nd} (counting from the end as -1). Sizes must be equal or 1; reshape or unsqueeze one operand.`);
      }
    }
  }
  return out;
}

/** Strides that view a tensor of `shape`/`strides` as `target` (broadcast dims get stride 0). */
export function broadcastStrides(shape: Shape, strides: readonly number[], target: Shape): number[] {
  const out = new Array<number>(target.length).fill(0);
  const off = target.length - shape.length;
  for (let i = 0; i < shape.length; i++) out[off + i] = shape[i] === 1 && target[off + i] !== 1 ? 0 : strides[i];
  return out;
}

/** Wrap a possibly negative dim into [0, ndim). */
export function normDim(op: string, dim: number, ndim: number): number {
  const n = Math.max(ndim, 1);
  if (!Number.isInteger(dim) || dim < -n || dim >= n) {
    throw new IndexError(`${op}: dimension out of range (expected to be in range of [${-n}, ${n - 1}], but got ${dim})`);
  }
  return dim < 0 ? dim + n : dim;
}

export function normDims(op: string, dims: number | readonly number[] | undefined | null, ndim: number): number[] {
  if (dims === undefined || dims === null) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof dims === 'number' ? [dims] : [...dims];
  const out = list.map((d) => normDim(op, d, ndim));
  // a 0-dim tensor accepts dim 0 / -1 (as PyTorch) and has nothing to reduce
  if (ndim === 0) return [];
  if (new Set(out).size !== out.length) throw new ShapeError(`${op}: dim ${fmt(list)} appears multiple times in the list of dims`);
  return out.sort((a, b) => a - b);
}

/** Resolve one -1 in a target shape for reshape/view. */
export function inferShape(op: string, target: readonly number[], n: number, from: Shape): number[] {
  let neg = -1;
  let known = 1;
  target.forEach((d, i) => {
    if (d === -1) {
      if (neg >= 0) throw new ShapeError(`${op}: only one dimension can be inferred (-1), got ${fmt(target)}`);
      neg = i;
    } else if (!Number.isInteger(d) || d < 0) throw new ShapeError(`${op}: invalid shape dimension ${d} in ${fmt(target)}`);
    else known *= d;
  });
  const out = [...target];
  if (neg >= 0) {
    if (known === 0 || n % known !== 0) throw new ShapeError(`${op}: shape ${fmt(target)} is invalid for input of size ${n} (shape ${fmt(from)})`);
    out[neg] = n / known;
  } else if (known !== n) throw new ShapeError(`${op}: shape ${fmt(target)} is invalid for input of size ${n} (shape ${fmt(from)})`);
  return out;
}

/** Strides for viewing (shape, strides) as `target` without copying, or null (PyTorch's computeStride). */
export function viewStrides(shape: readonly number[], strides: readonly number[], target: readonly number[]): number[] | null {
  if (isContiguous(shape, strides)) return contiguousStrides(target);
  const n = numel(shape);
  if (n === 0) return contiguousStrides(target);
  const out = new Array<number>(target.length);
  let viewD = target.length - 1;
  let chunkBase = strides[strides.length - 1];
  let tensorNumel = 1, viewNumel = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    tensorNumel *= shape[d];
    if (d === 0 || (shape[d - 1] !== 1 && strides[d - 1] !== tensorNumel * chunkBase)) {
      while (viewD >= 0 && (viewNumel < tensorNumel || target[viewD] === 1)) {
        out[viewD] = viewNumel * chunkBase;
        viewNumel *= target[viewD];
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (d > 0) { chunkBase = strides[d - 1]; tensorNumel = 1; viewNumel = 1; }
    }
  }
  if (viewD !== -1) return null;
  return out;
}
