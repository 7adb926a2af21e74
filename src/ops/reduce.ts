/**
 * @file Reductions over one or several dims with keepdim (sum, mean, prod, max/min with indices, amax/amin,
 * argmax/argmin, var/std with correction, logsumexp, norm, all/any), softmax/logSoftmax, cumsum, sort/topk.
 */
import { softmaxFused } from './fused.js';
import { record } from '../autograd/node.js';
import { noGrad } from '../autograd/grad-mode.js';
import type { ReduceOp } from '../backend/backend.js';
import { isFloating, type DType } from '../core/dtype.js';
import { ShapeError } from '../core/errors.js';
import { fmt, normDim, normDims, numel } from '../core/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { add, div, eq, exp, isnan, log, logicalAnd, logicalOr, mul, sqrt, sub, abs, pow, where } from './elementwise.js';
import { expand, reshape, unsqueeze, narrow, detach } from './movement.js';
import { gather } from './indexing.js';
import { be, computable, make } from './util.js';
import { checkDtype, checkSpec, type Rule } from '../core/args.js';
const DT: Rule = (fn, k, v) => { checkDtype(fn, k, v); };
const KEEPDIM: Record<string, Rule> = { keepdim: 'bool' };


export type Dims = number | readonly number[] | null | undefined;
export interface ReduceOpts { keepdim?: boolean; dtype?: DType }

function keptShape(shape: readonly number[], dims: number[], keepdim: boolean): number[] {
  return keepdim ? shape.map((s, i) => (dims.includes(i) ? 1 : s)) : shape.filter((_, i) => !dims.includes(i));
}

function reduceRaw(op: ReduceOp, x: Tensor, dims: number[], keepdim: boolean, outDtype: DType): Tensor {
  computable(op, x);
  return make(be(x).reduce(op, x, dims, outDtype), keptShape(x.shape, dims, keepdim));
}

/** Gradient of a reduction, brought back to the input's shape. */
function unreduce(g: Tensor, x: Tensor, dims: number[], keepdim: boolean): Tensor {
  let r = g;
  if (!keepdim) for (const d of dims) r = unsqueeze(r, d);
  return expand(r, x.shape);
}

export function sum(x: Tensor, dim?: Dims, opts: ReduceOpts = {}): Tensor {
  opts = checkSpec('sum', opts, { keepdim: 'bool', dtype: DT });
  const dims = normDims('sum', dim, x.ndim);
  const keep = opts.keepdim ?? false;
  const dt = opts.dtype ?? (isFloating(x.dtype) ? x.dtype : 'int64');
  const out = reduceRaw('sum', x, dims, keep, dt);
  return record(out, 'Sum', [x], (g) => [unreduce(g, x, dims, keep)]);
}

export function mean(x: Tensor, dim?: Dims, opts: ReduceOpts = {}): Tensor {
  opts = checkSpec('mean', opts, { keepdim: 'bool', dtype: DT });
  if (!isFloating(opts.dtype ?? x.dtype)) {
    throw new ShapeError(`mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: ${x.dtype}; use x.float().mean()`);
  }
  const dims = normDims('mean', dim, x.ndim);
  const n = numel(dims.map((d) => x.shape[d]));
  const keep = opts.keepdim ?? false;
  // one graph node named as PyTorch's (MeanBackward0), not Sum followed by Div
  const out = noGrad(() => div(sum(x, dims, opts), n));
  return record(out, 'Mean', [x], (g) => [div(unreduce(g, x, dims, keep), n)]);
}

export function prod(x: Tensor, dim?: number | null, opts: ReduceOpts = {}): Tensor {
  opts = checkSpec('prod', opts, { keepdim: 'bool', dtype: DT });
  const dims = normDims('prod', dim ?? null, x.ndim);
  const keep = opts.keepdim ?? false;
  const out = reduceRaw('prod', x, dims, keep, opts.dtype ?? (isFloating(x.dtype) ? x.dtype : 'int64'));
  // d(prod)/dx_i = product of the other elements: prod / x_i where the reduced block has no zero; with one
  // zero, the product of the nonzero elements at the zero and 0 elsewhere; with two or more zeros, 0 (as PyTorch)
  return record(out, 'Prod', [x], (g) => {
    const gx = unreduce(g, x, dims, keep);
    const isZero = eq(x, 0);
    const zeros = unreduce(sum(isZero, dims, { keepdim: true }), x, dims, true);
    const others = unreduce(prod(where(isZero, 1, x), dims.length === 1 ? dims[0] : null, { keepdim: true }), x, dims, true);
    const noZero = div(unreduce(out, x, dims, keep), where(isZero, 1, x));
    const factor = where(eq(zeros, 0), noZero, where(logicalAnd(isZero, eq(zeros, 1)), others, 0));
    return [mul(gx, factor)];
  }, [x, out]);
}

/**
 * amax/amin: the gradient is split evenly among tied maxima, as PyTorch. With `nanAware` (max()/min() over all
 * elements, PyTorch's evenly_distribute_backward) a NaN result sends the gradient to the NaN inputs.
 */
function extremum(op: 'max' | 'min', name: string, nanAware = false) {
  return (x: Tensor, dim?: Dims, opts: { keepdim?: boolean } = {}): Tensor => {
    const dims = normDims(name, dim, x.ndim);
    if (x.numel() === 0) throw new ShapeError(`${name}(): expected reduction dim to be specified for input.numel() == 0 (shape ${fmt(x.shape)})`);
    const keep = checkSpec<{ keepdim: boolean }>(name, opts, KEEPDIM).keepdim ?? false;
    const out = reduceRaw(op, x, dims, keep, x.dtype);
    return record(out, name[0].toUpperCase() + name.slice(1), [x], (g) => {
      const full = unreduce(out, x, dims, keep);
      const mask = nanAware ? logicalOr(eq(x, full), logicalAnd(isnan(x), isnan(full))) : eq(x, full);
      const count = unreduce(sum(mask, dims, { keepdim: true }), x, dims, true);
      return [div(mul(unreduce(g, x, dims, keep), mask), count)];
    }, [x, out]);
  };
}
export const amax = extremum('max', 'amax');
export const amin = extremum('min', 'amin');
const maxAll = extremum('max', 'max', true);
const minAll = extremum('min', 'min', true);

export function argmax(x: Tensor, dim?: number | null, opts: { keepdim?: boolean } = {}): Tensor {
  opts = checkSpec('argmax', opts, KEEPDIM);
  if (dim === undefined || dim === null) return reduceRaw('argmax', reshape(x, [-1]), [0], false, 'int64');
  const d = normDim('argmax', dim, x.ndim);
  return reduceRaw('argmax', x, [d], opts.keepdim ?? false, 'int64');
}
export function argmin(x: Tensor, dim?: number | null, opts: { keepdim?: boolean } = {}): Tensor {
  opts = checkSpec('argmin', opts, KEEPDIM);
  if (dim === undefined || dim === null) return reduceRaw('argmin', reshape(x, [-1]), [0], false, 'int64');
  const d = normDim('argmin', dim, x.ndim);
  return reduceRaw('argmin', x, [d], opts.keepdim ?? false, 'int64');
}

/** max(x) over everything, or max(x, dim) -> {values, indices} (like PyTorch's named tuple). */
export function max(x: Tensor): Tensor;
export function max(x: Tensor, dim: number, opts?: { keepdim?: boolean }): { values: Tensor; indices: Tensor };
export function max(x: Tensor, dim?: number, opts: { keepdim?: boolean } = {}): Tensor | { values: Tensor; indices: Tensor } {
  opts = checkSpec('max', opts, KEEPDIM);
  if (dim === undefined) return maxAll(x);
  return withIndices(x, dim, opts.keepdim ?? false, 'argmax');
}
export function min(x: Tensor): Tensor;
export function min(x: Tensor, dim: number, opts?: { keepdim?: boolean }): { values: Tensor; indices: Tensor };
export function min(x: Tensor, dim?: number, opts: { keepdim?: boolean } = {}): Tensor | { values: Tensor; indices: Tensor } {
  opts = checkSpec('min', opts, KEEPDIM);
  if (dim === undefined) return minAll(x);
  return withIndices(x, dim, opts.keepdim ?? false, 'argmin');
}

function withIndices(x: Tensor, dim: number, keepdim: boolean, op: 'argmax' | 'argmin'): { values: Tensor; indices: Tensor } {
  const d = normDim(op === 'argmax' ? 'max' : 'min', dim, x.ndim);
  if (x.ndim === 0) return { values: x, indices: make(be(x).alloc('int64', 1), []) };
  const idx = reduceRaw(op, x, [d], true, 'int64');
  const values = gather(x, d, idx);
  return keepdim ? { values, indices: idx } : { values: reshape(values, keptShape(x.shape, [d], false)), indices: reshape(idx, keptShape(x.shape, [d], false)) };
}

export interface VarOpts { keepdim?: boolean; correction?: number; unbiased?: boolean }

export function variance(x: Tensor, dim?: Dims, opts: VarOpts = {}): Tensor {
  opts = checkSpec('var', opts, { keepdim: 'bool', correction: 'number', unbiased: 'bool' });
  const dims = normDims('var', dim, x.ndim);
  const n = numel(dims.map((d) => x.shape[d]));
  const correction = opts.correction ?? (opts.unbiased === false ? 0 : 1);
  const mu = mean(x, dims, { keepdim: true });
  const d = sub(x, mu);
  return div(sum(mul(d, d), dims, { keepdim: opts.keepdim }), Math.max(0, n - correction));
}
export function std(x: Tensor, dim?: Dims, opts: VarOpts = {}): Tensor { return sqrt(variance(x, dim, opts)); }

export function logsumexp(x: Tensor, dim: Dims, opts: { keepdim?: boolean } = {}): Tensor {
  opts = checkSpec('logsumexp', opts, KEEPDIM);
  const dims = normDims('logsumexp', dim, x.ndim);
  const m = detach(amax(x, dims, { keepdim: true }));
  const finiteM = where(eq(abs(m), Infinity), 0, m);
  const r = add(log(sum(exp(sub(x, finiteM)), dims, { keepdim: true })), finiteM);
  return opts.keepdim ? r : reshape(r, keptShape(x.shape, dims, false));
}

/** p-norm over dims (p = 2 by default; 'fro' = 2; Infinity = max |x|). */
export function norm(x: Tensor, p: number | 'fro' = 2, dim?: Dims, opts: { keepdim?: boolean } = {}): Tensor {
  opts = checkSpec('norm', opts, KEEPDIM);
  const pp = p === 'fro' ? 2 : p;
  if (pp === Infinity) return amax(abs(x), dim, opts);
  if (pp === 1) return sum(abs(x), dim, opts);
  if (pp === 2) return sqrt(sum(mul(x, x), dim, opts));
  return pow(sum(pow(abs(x), pp), dim, opts), 1 / pp);
}

export function all(x: Tensor, dim?: number | null, opts: { keepdim?: boolean } = {}): Tensor {
  opts = checkSpec('all', opts, KEEPDIM);
  return reduceRaw('all', x, normDims('all', dim ?? null, x.ndim), opts.keepdim ?? false, 'bool');
}
export function any(x: Tensor, dim?: number | null, opts: { keepdim?: boolean } = {}): Tensor {
  opts = checkSpec('any', opts, KEEPDIM);
  return reduceRaw('any', x, normDims('any', dim ?? null, x.ndim), opts.keepdim ?? false, 'bool');
}

export function softmax(x: Tensor, dim: number): Tensor {
  const d = normDim('softmax', dim, x.ndim);
  const fused = softmaxFused(x, d, false); // one node on devices with the row kernel (ops/fused.ts)
  if (fused) return fused;
  const e = exp(sub(x, detach(amax(x, d, { keepdim: true }))));
  return div(e, sum(e, d, { keepdim: true }));
}
export function logSoftmax(x: Tensor, dim: number): Tensor {
  const d = normDim('logSoftmax', dim, x.ndim);
  const fused = softmaxFused(x, d, true);
  if (fused) return fused;
  return sub(x, logsumexp(x, d, { keepdim: true }));
}

export function cumsum(x: Tensor, dim: number): Tensor {
  computable('cumsum', x);
  const d = normDim('cumsum', dim, x.ndim);
  const out = make(be(x).cumsum(x, d, isFloating(x.dtype) ? x.dtype : 'int64'), x.shape);
  // reverse cumulative sum of g: sum(g) - cumsum(g) + g
  return record(out, 'Cumsum', [x], (g) => [add(sub(sum(g, d, { keepdim: true }), cumsum(g, d)), g)]);
}

export function sort(x: Tensor, dim = -1, opts: { descending?: boolean } = {}): { values: Tensor; indices: Tensor } {
  opts = checkSpec('sort', opts, { descending: 'bool', stable: 'bool' });
  computable('sort', x);
  const d = normDim('sort', dim, x.ndim);
  if (x.ndim === 0) return { values: x, indices: make(be(x).alloc('int64', 1), []) };
  const [, idxS] = be(x).sort(x, d, opts.descending ?? false);
  const indices = make(idxS, x.shape);
  return { values: gather(x, d, indices), indices };
}

export function topk(x: Tensor, k: number, dim = -1, opts: { largest?: boolean; sorted?: boolean } = {}): { values: Tensor; indices: Tensor } {
  opts = checkSpec('topk', opts, { largest: 'bool', sorted: 'bool' });
  const d = normDim('topk', dim, x.ndim);
  const size = x.ndim === 0 ? 1 : x.shape[d];
  if (!Number.isInteger(k) || k < 0 || k > size) throw new ShapeError(`topk: k (${k}) out of range for dimension ${d} of size ${size}`);
  const s = sort(x, d, { descending: opts.largest ?? true });
  const indices = narrow(s.indices, d, 0, k);
  return { values: gather(x, d, indices), indices };
}
