/**
 * @file Strided views on the GPU: merge dims that are contiguous for every operand (so most kernels see
 * 1-D or 2-D iteration spaces), and pack shapes/strides/offsets into the per-dispatch metadata words.
 */
import type { View } from '../backend.js';
import { contiguousStrides, numel } from '../../core/shape.js';

export interface Coalesced { shape: number[]; strides: number[][] }

/** Drop size-1 dims and merge neighbours that are contiguous for all operands. */
export function coalesce(shape: readonly number[], strides: readonly (readonly number[])[]): Coalesced {
  const dims: number[] = [];
  for (let d = 0; d < shape.length; d++) if (shape[d] !== 1) dims.push(d);
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (const d of dims) {
    const k = outShape.length;
    if (k > 0 && strides.every((s, j) => outStrides[j][k - 1] === s[d] * shape[d])) {
      outShape[k - 1] *= shape[d];
      strides.forEach((s, j) => { outStrides[j][k - 1] = s[d]; });
    } else {
      outShape.push(shape[d]);
      strides.forEach((s, j) => outStrides[j].push(s[d]));
    }
  }
  if (outShape.length === 0) { outShape.push(1); outStrides.forEach((s) => s.push(1)); }
  return { shape: outShape, strides: outStrides };
}

export function isRowMajor(shape: readonly number[], strides: readonly number[]): boolean {
  const c = contiguousStrides(shape);
  return shape.every((s, i) => s === 1 || strides[i] === c[i]);
}

/** WGSL: add to `name` the storage offset of linear element `lin` in a (shape, strides) space whose words start at sh/st in md. */
export function walkCode(name: string, lin: string, nd: number, sh: number, st: number): string {
  if (nd === 1) return `${name} += (${lin}) * md[${st}];`;
  const lines = [`{ var r = ${lin};`];
  for (let d = nd - 1; d >= 0; d--) {
    if (d === 0) lines.push(`${name} += r * md[${st}];`);
    else lines.push(`${name} += (r % md[${sh + d}]) * md[${st + d}]; r = r / md[${sh + d}];`);
  }
  lines.push('}');
  return lines.join(' ');
}

/** WGSL statements computing `name` = storage offset of linear element `lin` for an operand whose meta starts at `base`. */
export function offsetCode(name: string, lin: string, nd: number, shapeBase: number, base: number, rowMajor: boolean): string {
  if (rowMajor) return `let ${name} = md[${base}] + ${lin};`;
  return `var ${name} = md[${base}]; ${walkCode(name, lin, nd, shapeBase, base + 1)}`;
}

export function viewNumel(v: View): number { return numel(v.shape); }
