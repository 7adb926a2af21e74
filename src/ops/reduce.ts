/**
 * @file Reductions over one or several dims with keepdim (sum, mean, prod, max/min with indices, amax/amin,
 * argmax/argmin, var/std with correction, logsumexp, norm, all/any), softmax/logSoftmax, cumsum, sort/topk.
 * Every op is a registered definition (ops/registry.ts: `customOp`): its function, backward, method form and
 * op-table samples in one place.
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
import { customOp, In, sample, type OpFn, type WithMethod } from './registry.js';
const DT: Rule = (fn, k, v) => { checkDtype(fn, k, v); };
const KEEPDIM: Record<string, Rule> = { keepdim: 'bool' };
const { F, P, I, B, T, S, X, V } = In;
/** Values with a NaN (the special-value rows of the op table). */
const WITH_NAN = () => V([2, 3], [1, NaN, 3, 2, 5, 0], 'float32');
const TIES = () => V([2, 3], [1, 3, 3, 2, 2, 0], 'float32');
const NO_GRADCHECK = { gradcheck: false };

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

function sumFn(x: Tensor, dim?: Dims, opts: ReduceOpts = {}): Tensor {
  opts = checkSpec('sum', opts, { keepdim: 'bool', dtype: DT });
  const dims = normDims('sum', dim, x.ndim);
  const keep = opts.keepdim ?? false;
  const dt = opts.dtype ?? (isFloating(x.dtype) ? x.dtype : 'int64');
  const out = reduceRaw('sum', x, dims, keep, dt);
  return record(out, 'Sum', [x], (g) => [unreduce(g, x, dims, keep)]);
}
export const sum: OpFn<typeof sumFn, true, false> = customOp({
  name: 'sum', fn: sumFn, kernels: ['reduce'], backward: 'records', method: true, samples: [
    sample('all', [F(3, 4)], 'a.sum()'),
    sample('dim', [F(2, 3, 4)], 'a.sum(1)', (a) => sum(a, 1)),
    sample('dims-keepdim', [T(F(2, 3, 4))], 'a.sum([0, 2], keepdim=True)', (a) => sum(a, [0, 2], { keepdim: true })),
    sample('neg-dim', [S(F(2, 3, 4))], 'a.sum(-1)', (a) => sum(a, -1)),
    sample('int', [I(3, 4)], 'a.sum(0)', (a) => sum(a, 0)),
    sample('bool', [B(3, 4)], 'a.sum()'),
    sample('nan', [WITH_NAN()], 'a.sum(1)', (a) => sum(a, 1), NO_GRADCHECK),
    sample('0dim', [F()], 'a.sum()'),
    sample('0dim-dim0', [F()], 'a.sum(0)', (a) => sum(a, 0)),
    sample('empty', [F(0, 3)], 'a.sum(0)', (a) => sum(a, 0)),
  ],
});

function meanFn(x: Tensor, dim?: Dims, opts: ReduceOpts = {}): Tensor {
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
export const mean: OpFn<typeof meanFn, true, false> = customOp({
  name: 'mean', fn: meanFn, backward: 'records', method: true, samples: [
    sample('all', [F(3, 4)], 'a.mean()'),
    sample('dims', [X(F(2, 3, 4))], 'a.mean([0, 2])', (a) => mean(a, [0, 2])),
    sample('keepdim', [T(F(3, 4))], 'a.mean(-1, keepdim=True)', (a) => mean(a, -1, { keepdim: true })),
    sample('0dim-keepdim', [F()], 'a.mean(-1, keepdim=True)', (a) => mean(a, -1, { keepdim: true })),
    sample('empty', [F(0, 3)], 'a.mean(1)', (a) => mean(a, 1)),
  ],
});

function prodFn(x: Tensor, dim?: number | null, opts: ReduceOpts = {}): Tensor {
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
export const prod: OpFn<typeof prodFn, true, false> = customOp({
  name: 'prod', fn: prodFn, kernels: ['reduce'], backward: 'records', method: true, samples: [
    sample('all', [P(3, 4)], 'a.prod()'),
    sample('dim-keepdim', [F(2, 3, 4)], 'a.prod(1, keepdim=True)', (a) => prod(a, 1, { keepdim: true })),
    sample('T', [T(F(3, 4))], 'a.prod(0)', (a) => prod(a, 0)),
    sample('one-zero', [V([2, 3], [1.5, 0, 2, -1, 0.5, 3], 'float32')], 'a.prod(1)', (a) => prod(a, 1)),
    sample('two-zeros', [V([2, 3], [0, 0, 2, -1, 0.5, 0], 'float32')], 'a.prod(1)', (a) => prod(a, 1), NO_GRADCHECK),
    sample('all-one-zero', [V([2, 3], [1.5, 0.5, 2, -1, 0, 3], 'float32')], 'a.prod()'),
    sample('int', [I(3, 4)], 'a.prod(1)', (a) => prod(a, 1)),
    sample('empty', [F(0, 3)], 'a.prod(0)', (a) => prod(a, 0)),
  ],
});

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
const amaxFn = extremum('max', 'amax');
const aminFn = extremum('min', 'amin');
export const amax: OpFn<typeof amaxFn, true, false> = customOp({
  name: 'amax', fn: amaxFn, kernels: ['reduce'], backward: 'records', method: true, samples: [
    sample('dims', [F(2, 3, 4)], 'a.amax([0, 2])', (a) => amax(a, [0, 2])),
    sample('keepdim', [T(F(3, 4))], 'a.amax(-1, keepdim=True)', (a) => amax(a, -1, { keepdim: true })),
    sample('ties', [TIES()], 'a.amax(1)', (a) => amax(a, 1), NO_GRADCHECK),
    sample('nan', [WITH_NAN()], 'a.amax(1)', (a) => amax(a, 1), NO_GRADCHECK),
  ],
});
export const amin: OpFn<typeof aminFn, true, false> = customOp({
  name: 'amin', fn: aminFn, kernels: ['reduce'], backward: 'records', method: true, samples: [
    sample('dims', [S(F(2, 3, 4))], 'a.amin([1, 2])', (a) => amin(a, [1, 2])),
    sample('all', [F(3, 4)], 'torch.amin(a)'),
    sample('nan', [WITH_NAN()], 'a.amin(0)', (a) => amin(a, 0), NO_GRADCHECK),
  ],
});
const maxAll = extremum('max', 'max', true);
const minAll = extremum('min', 'min', true);

function argmaxFn(x: Tensor, dim?: number | null, opts: { keepdim?: boolean } = {}): Tensor {
  opts = checkSpec('argmax', opts, KEEPDIM);
  if (dim === undefined || dim === null) return reduceRaw('argmax', reshape(x, [-1]), [0], false, 'int64');
  const d = normDim('argmax', dim, x.ndim);
  return reduceRaw('argmax', x, [d], opts.keepdim ?? false, 'int64');
}
function argminFn(x: Tensor, dim?: number | null, opts: { keepdim?: boolean } = {}): Tensor {
  opts = checkSpec('argmin', opts, KEEPDIM);
  if (dim === undefined || dim === null) return reduceRaw('argmin', reshape(x, [-1]), [0], false, 'int64');
  const d = normDim('argmin', dim, x.ndim);
  return reduceRaw('argmin', x, [d], opts.keepdim ?? false, 'int64');
}
const INDICES = 'returns int64 indices (PyTorch: not differentiable)';
export const argmax: OpFn<typeof argmaxFn, true, false> = customOp({
  name: 'argmax', fn: argmaxFn, kernels: ['reduce'], nonDifferentiable: INDICES, method: true, samples: [
    sample('all', [F(3, 4)], 'a.argmax()'),
    sample('dim', [T(F(2, 3, 4))], 'a.argmax(1)', (a) => argmax(a, 1)),
    sample('keepdim', [F(3, 4)], 'a.argmax(-1, keepdim=True)', (a) => argmax(a, -1, { keepdim: true })),
    sample('ties', [TIES()], 'a.argmax(1)', (a) => argmax(a, 1)),
    sample('nan', [WITH_NAN()], 'a.argmax(1)', (a) => argmax(a, 1)),
  ],
});
export const argmin: OpFn<typeof argminFn, true, false> = customOp({
  name: 'argmin', fn: argminFn, kernels: ['reduce'], nonDifferentiable: INDICES, method: true, samples: [
    sample('all', [S(F(3, 4))], 'a.argmin()'),
    sample('dim', [F(2, 3, 4)], 'a.argmin(0)', (a) => argmin(a, 0)),
    sample('int', [I(3, 4)], 'a.argmin(1)', (a) => argmin(a, 1)),
    sample('nan', [WITH_NAN()], 'a.argmin()'),
  ],
});

/** max(x) over everything, or max(x, dim) -> {values, indices} (like PyTorch's named tuple). */
function maxFn(x: Tensor): Tensor;
function maxFn(x: Tensor, dim: number, opts?: { keepdim?: boolean }): { values: Tensor; indices: Tensor };
function maxFn(x: Tensor, dim?: number, opts: { keepdim?: boolean } = {}): Tensor | { values: Tensor; indices: Tensor } {
  opts = checkSpec('max', opts, KEEPDIM);
  if (dim === undefined) return maxAll(x);
  return withIndices(x, dim, opts.keepdim ?? false, 'argmax');
}
function minFn(x: Tensor): Tensor;
function minFn(x: Tensor, dim: number, opts?: { keepdim?: boolean }): { values: Tensor; indices: Tensor };
function minFn(x: Tensor, dim?: number, opts: { keepdim?: boolean } = {}): Tensor | { values: Tensor; indices: Tensor } {
  opts = checkSpec('min', opts, KEEPDIM);
  if (dim === undefined) return minAll(x);
  return withIndices(x, dim, opts.keepdim ?? false, 'argmin');
}
/** max/min's method type: both overloads (`Rest` of an overloaded function would keep only the last). */
type ExtremumMethod = { (): Tensor; (dim: number, opts?: { keepdim?: boolean }): { values: Tensor; indices: Tensor } };
type Extremum = WithMethod<OpFn<typeof maxFn, true, false>, ExtremumMethod>;
export const max: Extremum = customOp({
  name: 'max', fn: maxFn, kernels: ['reduce'], backward: 'records', method: true, samples: [
    sample('all', [F(3, 4)], 'a.max()'),
    sample('dim', [F(2, 3, 4)], 'a.max(1)', (a) => max(a, 1)),
    sample('dim-keepdim', [T(F(3, 4))], 'a.max(-1, keepdim=True)', (a) => max(a, -1, { keepdim: true })),
    sample('ties', [TIES()], 'a.max()', undefined, NO_GRADCHECK),
    sample('nan', [WITH_NAN()], 'a.max()', undefined, NO_GRADCHECK),
    sample('nan-dim', [WITH_NAN()], 'a.max(1)', (a) => max(a, 1), NO_GRADCHECK),
    sample('0dim-dim', [F()], 'a.max(0)', (a) => max(a, 0)),
  ],
}) as Extremum;
export const min: Extremum = customOp({
  name: 'min', fn: minFn, kernels: ['reduce'], backward: 'records', method: true, samples: [
    sample('all', [S(F(3, 4))], 'a.min()'),
    sample('dim', [F(2, 3, 4)], 'a.min(0)', (a) => min(a, 0)),
    sample('dim-keepdim', [X(F(3, 4))], 'a.min(1, keepdim=True)', (a) => min(a, 1, { keepdim: true }), NO_GRADCHECK),
  ],
}) as Extremum;

function withIndices(x: Tensor, dim: number, keepdim: boolean, op: 'argmax' | 'argmin'): { values: Tensor; indices: Tensor } {
  const d = normDim(op === 'argmax' ? 'max' : 'min', dim, x.ndim);
  if (x.ndim === 0) return { values: x, indices: make(be(x).alloc('int64', 1), []) };
  const idx = reduceRaw(op, x, [d], true, 'int64');
  const values = gather(x, d, idx);
  return keepdim ? { values, indices: idx } : { values: reshape(values, keptShape(x.shape, [d], false)), indices: reshape(idx, keptShape(x.shape, [d], false)) };
}

export interface VarOpts { keepdim?: boolean; correction?: number; unbiased?: boolean }

function varianceFn(x: Tensor, dim?: Dims, opts: VarOpts = {}): Tensor {
  opts = checkSpec('var', opts, { keepdim: 'bool', correction: 'number', unbiased: 'bool' });
  const dims = normDims('var', dim, x.ndim);
  const n = numel(dims.map((d) => x.shape[d]));
  const correction = opts.correction ?? (opts.unbiased === false ? 0 : 1);
  const mu = mean(x, dims, { keepdim: true });
  const d = sub(x, mu);
  return div(sum(mul(d, d), dims, { keepdim: opts.keepdim }), Math.max(0, n - correction));
}
function stdFn(x: Tensor, dim?: Dims, opts: VarOpts = {}): Tensor { return sqrt(varianceFn(x, dim, opts)); }
/** torch.var (the method `x.var()`); also exported as `variance` (`var` is a reserved word in JavaScript). */
const varOp: OpFn<typeof varianceFn, true, false> = customOp({
  name: 'var', fn: varianceFn, backward: 'composite', method: true, samples: [
    sample('all', [F(3, 4)], 'a.var()'),
    sample('dim', [F(2, 3, 4)], 'a.var(1)', (a) => variance(a, 1)),
    sample('dims-correction0', [T(F(2, 3, 4))], 'torch.var(a, dim=[0, 2], correction=0, keepdim=True)', (a) => variance(a, [0, 2], { correction: 0, keepdim: true })),
    sample('unbiased-false', [F(3, 4)], 'a.var(0, unbiased=False)', (a) => variance(a, 0, { unbiased: false })),
  ],
});
export { varOp as var };
export const variance: typeof varianceFn = varOp;
export const std: OpFn<typeof stdFn, true, false> = customOp({
  name: 'std', fn: stdFn, backward: 'composite', method: true, samples: [
    sample('all', [S(F(3, 4))], 'a.std()'),
    sample('correction2', [F(2, 3, 4)], 'torch.std(a, 1, correction=2)', (a) => std(a, 1, { correction: 2 })),
    sample('dims-keepdim', [F(2, 3, 4)], 'torch.std(a, [0, 1], keepdim=True)', (a) => std(a, [0, 1], { keepdim: true })),
  ],
});

function logsumexpFn(x: Tensor, dim: Dims, opts: { keepdim?: boolean } = {}): Tensor {
  opts = checkSpec('logsumexp', opts, KEEPDIM);
  const dims = normDims('logsumexp', dim, x.ndim);
  const m = detach(amax(x, dims, { keepdim: true }));
  const finiteM = where(eq(abs(m), Infinity), 0, m);
  const r = add(log(sum(exp(sub(x, finiteM)), dims, { keepdim: true })), finiteM);
  return opts.keepdim ? r : reshape(r, keptShape(x.shape, dims, false));
}
export const logsumexp: OpFn<typeof logsumexpFn, true, false> = customOp({
  name: 'logsumexp', fn: logsumexpFn, backward: 'composite', method: true, samples: [
    sample('dim', [F(3, 4)], 'a.logsumexp(1)', (a) => logsumexp(a, 1)),
    sample('dims-keepdim', [T(F(2, 3, 4))], 'torch.logsumexp(a, [0, 2], keepdim=True)', (a) => logsumexp(a, [0, 2], { keepdim: true })),
    sample('large', [V([2, 2], [1000, 1001, -1000, -1002], 'float32')], 'a.logsumexp(1)', (a) => logsumexp(a, 1)),
    sample('neg-inf', [V([2, 2], [-Infinity, -Infinity, 0, -Infinity], 'float32')], 'a.logsumexp(1)', (a) => logsumexp(a, 1), NO_GRADCHECK),
    sample('pos-inf', [V([2, 2], [Infinity, 1, 0, 2], 'float32')], 'a.logsumexp(1)', (a) => logsumexp(a, 1), NO_GRADCHECK),
  ],
});

/** p-norm over dims (p = 2 by default; 'fro' = 2; Infinity = max |x|). */
function normFn(x: Tensor, p: number | 'fro' = 2, dim?: Dims, opts: { keepdim?: boolean } = {}): Tensor {
  opts = checkSpec('norm', opts, KEEPDIM);
  const pp = p === 'fro' ? 2 : p;
  if (pp === Infinity) return amax(abs(x), dim, opts);
  if (pp === 1) return sum(abs(x), dim, opts);
  if (pp === 2) return sqrt(sum(mul(x, x), dim, opts));
  return pow(sum(pow(abs(x), pp), dim, opts), 1 / pp);
}
export const norm: OpFn<typeof normFn, true, false> = customOp({
  name: 'norm', fn: normFn, backward: 'composite', method: true, samples: [
    sample('all', [F(3, 4)], 'a.norm()'),
    sample('p1-dim', [F(2, 3, 4)], 'torch.norm(a, p=1, dim=1)', (a) => norm(a, 1, 1)),
    sample('inf', [S(F(3, 4))], "torch.norm(a, p=float('inf'), dim=1)", (a) => norm(a, Infinity, 1)),
    sample('p3-dims-keepdim', [T(F(2, 3, 4))], 'torch.norm(a, p=3, dim=[0, 2], keepdim=True)', (a) => norm(a, 3, [0, 2], { keepdim: true })),
    sample('fro', [F(3, 4)], "torch.norm(a, p='fro')", (a) => norm(a, 'fro')),
  ],
});

function allFn(x: Tensor, dim?: number | null, opts: { keepdim?: boolean } = {}): Tensor {
  opts = checkSpec('all', opts, KEEPDIM);
  return reduceRaw('all', x, normDims('all', dim ?? null, x.ndim), opts.keepdim ?? false, 'bool');
}
function anyFn(x: Tensor, dim?: number | null, opts: { keepdim?: boolean } = {}): Tensor {
  opts = checkSpec('any', opts, KEEPDIM);
  return reduceRaw('any', x, normDims('any', dim ?? null, x.ndim), opts.keepdim ?? false, 'bool');
}
const BOOL = 'returns a bool tensor (PyTorch: not differentiable)';
export const all: OpFn<typeof allFn, true, false> = customOp({
  name: 'all', fn: allFn, kernels: ['reduce'], nonDifferentiable: BOOL, method: true, samples: [
    sample('all', [B(3, 4)], 'a.all()'),
    sample('dim', [B(3, 4)], 'a.all(1)', (a) => all(a, 1)),
    sample('float-keepdim', [V([2, 3], [1, 0, 2, 1, 1, -1], 'float32')], 'a.all(1, keepdim=True)', (a) => all(a, 1, { keepdim: true })),
  ],
});
export const any: OpFn<typeof anyFn, true, false> = customOp({
  name: 'any', fn: anyFn, kernels: ['reduce'], nonDifferentiable: BOOL, method: true, samples: [
    sample('all', [B(3, 4)], 'a.any()'),
    sample('dim', [T(B(3, 4))], 'a.any(0)', (a) => any(a, 0)),
    sample('int', [V([2, 3], [0, 0, 0, 0, 3, 0])], 'a.any(1)', (a) => any(a, 1)),
  ],
});

function softmaxFn(x: Tensor, dim: number): Tensor {
  const d = normDim('softmax', dim, x.ndim);
  const fused = softmaxFused(x, d, false); // one node on devices with the row kernel (ops/fused.ts)
  if (fused) return fused;
  const e = exp(sub(x, detach(amax(x, d, { keepdim: true }))));
  return div(e, sum(e, d, { keepdim: true }));
}
function logSoftmaxFn(x: Tensor, dim: number): Tensor {
  const d = normDim('logSoftmax', dim, x.ndim);
  const fused = softmaxFused(x, d, true);
  if (fused) return fused;
  return sub(x, logsumexp(x, d, { keepdim: true }));
}
const NEG_INF_ROWS = () => V([2, 3], [0, -Infinity, 1, -Infinity, -Infinity, 2], 'float32');
// composite: on a device with the row kernel, ops/fused.ts records the one node (softmaxRows / softmaxRowsBackward)
export const softmax: OpFn<typeof softmaxFn, true, false> = customOp({
  name: 'softmax', fn: softmaxFn, backward: 'composite', method: true, samples: [
    sample('last', [F(3, 4)], 'torch.softmax(a, -1)', (a) => softmax(a, -1)),
    sample('dim0-T', [T(F(2, 3, 4))], 'torch.softmax(a, 0)', (a) => softmax(a, 0)),
    sample('large', [V([2, 2], [1000, 1001, -1000, -1002], 'float32')], 'torch.softmax(a, 1)', (a) => softmax(a, 1)),
    sample('neg-inf', [NEG_INF_ROWS()], 'torch.softmax(a, 1)', (a) => softmax(a, 1), NO_GRADCHECK),
    sample('0dim', [F()], 'torch.softmax(a, 0)', (a) => softmax(a, 0)),
  ],
});
export const logSoftmax: OpFn<typeof logSoftmaxFn, true, false> = customOp({
  name: 'logSoftmax', fn: logSoftmaxFn, backward: 'composite', method: true, samples: [
    sample('last', [F(3, 4)], 'torch.log_softmax(a, -1)', (a) => logSoftmax(a, -1)),
    sample('dim1-step', [S(F(2, 3, 4))], 'torch.log_softmax(a, 1)', (a) => logSoftmax(a, 1)),
    sample('neg-inf', [NEG_INF_ROWS()], 'torch.log_softmax(a, 1)', (a) => logSoftmax(a, 1), NO_GRADCHECK),
  ],
});

function cumsumFn(x: Tensor, dim: number): Tensor {
  computable('cumsum', x);
  const d = normDim('cumsum', dim, x.ndim);
  const out = make(be(x).cumsum(x, d, isFloating(x.dtype) ? x.dtype : 'int64'), x.shape);
  // reverse cumulative sum of g: sum(g) - cumsum(g) + g
  return record(out, 'Cumsum', [x], (g) => [add(sub(sum(g, d, { keepdim: true }), cumsum(g, d)), g)]);
}
export const cumsum: OpFn<typeof cumsumFn, true, false> = customOp({
  name: 'cumsum', fn: cumsumFn, kernels: ['cumsum'], backward: 'records', method: true, samples: [
    sample('dim1', [F(3, 4)], 'a.cumsum(1)', (a) => cumsum(a, 1)),
    sample('dim0-step', [S(F(3, 4))], 'torch.cumsum(a, 0)', (a) => cumsum(a, 0)),
    sample('T-3d', [T(F(2, 3, 4))], 'a.cumsum(-2)', (a) => cumsum(a, -2)),
    sample('int', [I(3, 4)], 'a.cumsum(0)', (a) => cumsum(a, 0)),
    sample('empty', [F(0, 3)], 'a.cumsum(0)', (a) => cumsum(a, 0)),
  ],
});

function sortFn(x: Tensor, dim = -1, opts: { descending?: boolean } = {}): { values: Tensor; indices: Tensor } {
  opts = checkSpec('sort', opts, { descending: 'bool', stable: 'bool' });
  computable('sort', x);
  const d = normDim('sort', dim, x.ndim);
  if (x.ndim === 0) return { values: x, indices: make(be(x).alloc('int64', 1), []) };
  const [, idxS] = be(x).sort(x, d, opts.descending ?? false);
  const indices = make(idxS, x.shape);
  return { values: gather(x, d, indices), indices };
}
const STABLE_TIES = () => V([6], [2, 1, 2, 0, 1, 2], 'float32');
// composite: the kernel gives the indices only; the values are gathered (gather's backward)
export const sort: OpFn<typeof sortFn, true, false> = customOp({
  name: 'sort', fn: sortFn, kernels: ['sort'], backward: 'composite', method: true, samples: [
    sample('last', [F(3, 4)], 'torch.sort(a)'),
    sample('desc-dim0', [T(F(3, 4))], 'torch.sort(a, 0, descending=True)', (a) => sort(a, 0, { descending: true })),
    sample('stable-ties', [STABLE_TIES()], 'torch.sort(a, stable=True)', undefined, NO_GRADCHECK),
    sample('nan', [WITH_NAN()], 'torch.sort(a, 1)', (a) => sort(a, 1), NO_GRADCHECK),
    sample('nan-desc', [WITH_NAN()], 'torch.sort(a, 1, descending=True)', (a) => sort(a, 1, { descending: true }), NO_GRADCHECK),
    sample('empty', [F(2, 0)], 'torch.sort(a, 1)', (a) => sort(a, 1)),
    sample('stable-ties-desc', [STABLE_TIES()], 'torch.sort(a, descending=True, stable=True)', (a) => sort(a, -1, { descending: true }), NO_GRADCHECK),
  ],
});

function topkFn(x: Tensor, k: number, dim = -1, opts: { largest?: boolean; sorted?: boolean } = {}): { values: Tensor; indices: Tensor } {
  opts = checkSpec('topk', opts, { largest: 'bool', sorted: 'bool' });
  const d = normDim('topk', dim, x.ndim);
  const size = x.ndim === 0 ? 1 : x.shape[d];
  if (!Number.isInteger(k) || k < 0 || k > size) throw new ShapeError(`topk: k (${k}) out of range for dimension ${d} of size ${size}`);
  const s = sort(x, d, { descending: opts.largest ?? true });
  const indices = narrow(s.indices, d, 0, k);
  return { values: gather(x, d, indices), indices };
}
export const topk: OpFn<typeof topkFn, true, false> = customOp({
  name: 'topk', fn: topkFn, backward: 'composite', method: true, samples: [
    sample('k2', [F(3, 5)], 'torch.topk(a, 2)', (a) => topk(a, 2)),
    sample('smallest-dim0', [S(F(4, 3))], 'torch.topk(a, 3, 0, largest=False)', (a) => topk(a, 3, 0, { largest: false })),
  ],
});
