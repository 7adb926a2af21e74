/**
 * @file Index ops: gather, scatter/scatterAdd, indexSelect, tril/triu, oneHot. Index tensors are int64. Each op is
 * one registered definition (ops/registry.ts) with its op-table samples.
 */
import { record } from '../autograd/node.js';
import { isFloating } from '../core/dtype.js';
import { INT64_HINT } from '../core/args.js';
import { DeviceError, DTypeError, IndexError, ShapeError } from '../core/errors.js';
import { fmt, normDim } from '../core/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { be, make, sameDevice, scalarTensor } from './util.js';
import { readsSync } from '../backend/backend.js';
import { expand, toDtype, unsqueeze } from './movement.js';
import { arange } from './creation.js';
import { eq } from './elementwise.js';
import { customOp, In, type OpFn } from './registry.js';

type Op<F, M extends boolean = true> = OpFn<F, M, false>;
const { F, S, T, V } = In;

function checkIndexTensor(op: string, index: Tensor): void {
  if (index.dtype !== 'int64' && index.dtype !== 'int32') {
    throw new DTypeError(`${op}: expected index of dtype int64, got ${index.dtype}; ${INT64_HINT}`);
  }
}

function checkGatherShapes(op: string, x: Tensor, d: number, index: Tensor): void {
  if (index.ndim !== x.ndim && !(x.ndim === 0 && index.ndim <= 1)) {
    throw new ShapeError(`${op}: index tensor must have the same number of dimensions as input tensor (input ${fmt(x.shape)}, index ${fmt(index.shape)})`);
  }
  index.shape.forEach((s, i) => {
    if (i !== d && s > x.shape[i]) throw new ShapeError(`${op}: size of index ${fmt(index.shape)} does not fit input ${fmt(x.shape)} at dimension ${i} (index size must be <= input size except at dim ${d})`);
  });
}

function gatherFn(x: Tensor, dim: number, index: Tensor): Tensor {
  checkIndexTensor('gather', index);
  sameDevice('gather', x, index);
  const d = normDim('gather', dim, Math.max(1, x.ndim));
  checkGatherShapes('gather', x, d, index);
  const out = make(be(x).gather(x, d, index), index.shape);
  return record(out, 'Gather', [x], (g) => [scatterAdd(make(be(g).alloc(g.dtype, x.numel()), x.shape), d, index, g)], [index]);
}
export const gather: Op<typeof gatherFn> = customOp({
  name: 'gather', fn: gatherFn, kernels: ['gather', 'alloc'], method: true, backward: 'records', samples: [
    { id: 'dim1', inputs: [F(3, 4), V([3, 2], [0, 3, 1, 1, 2, 0])], py: 'a.gather(1, b)', call: (a, i) => gather(a, 1, i) },
    { id: 'dim0-T', inputs: [T(F(3, 4)), V([2, 4], [2, 0, 1, 2, 0, 0, 2, 1])], py: 'torch.gather(a, 0, b)', call: (a, i) => gather(a, 0, i) },
  ],
});

function scatterFn(x: Tensor, dim: number, index: Tensor, src: Tensor | number): Tensor {
  checkIndexTensor('scatter', index);
  const d = normDim('scatter', dim, x.ndim);
  const s = src instanceof Tensor ? src : expand(scalarTensor(src, x.dtype, x.device), index.shape);
  sameDevice('scatter', x, index, s);
  checkGatherShapes('scatter', x, d, index);
  const out = make(be(x).scatter(x, d, index, s, 'none'), x.shape);
  return record(out, 'Scatter', [x, src instanceof Tensor ? s : null], (g) => [
    scatter(g, d, index, 0),
    src instanceof Tensor ? gather(g, d, index) : null,
  ], [index]);
}
export const scatter: Op<typeof scatterFn> = customOp({
  name: 'scatter', fn: scatterFn, kernels: ['scatter'], method: true, backward: 'records', samples: [
    { id: 'src', inputs: [F(3, 4), V([3, 2], [0, 3, 1, 2, 2, 0]), F(3, 2)], py: 'a.scatter(1, b, c)', call: (a, i, s) => scatter(a, 1, i, s) },
    { id: 'value', inputs: [T(F(3, 4)), V([1, 4], [2, 0, 1, 2])], py: 'torch.scatter(a, 0, b, 7.5)', call: (a, i) => scatter(a, 0, i, 7.5) },
  ],
});

function scatterAddFn(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  checkIndexTensor('scatterAdd', index);
  sameDevice('scatterAdd', x, index, src);
  const d = normDim('scatterAdd', dim, x.ndim);
  checkGatherShapes('scatterAdd', x, d, index);
  const out = make(be(x).scatter(x, d, index, src, 'add'), x.shape);
  return record(out, 'ScatterAdd', [x, src], (g) => [g, gather(g, d, index)], [index]);
}
export const scatterAdd: Op<typeof scatterAddFn> = customOp({
  name: 'scatterAdd', fn: scatterAddFn, kernels: ['scatter'], method: true, backward: 'records', samples: [
    { id: 'dup', inputs: [F(3, 4), V([3, 3], [0, 0, 3, 1, 1, 1, 2, 0, 2]), F(3, 3)], py: 'a.scatter_add(1, b, c)', call: (a, i, s) => scatterAdd(a, 1, i, s) },
    { id: 'dim0-step', inputs: [S(F(3, 4)), V([2, 4], [2, 0, 1, 2, 2, 2, 1, 0]), T(F(2, 4))], py: 'torch.scatter_add(a, 0, b, c)', call: (a, i, s) => scatterAdd(a, 0, i, s) },
  ],
});

function indexSelectFn(x: Tensor, dim: number, index: Tensor): Tensor {
  checkIndexTensor('indexSelect', index);
  sameDevice('indexSelect', x, index);
  if (index.ndim > 1) throw new IndexError(`indexSelect: index must be 0- or 1-dimensional, got shape ${fmt(index.shape)}`);
  const d = normDim('indexSelect', dim, Math.max(1, x.ndim));
  const shape = [...x.shape]; shape[d] = index.numel();
  const out = make(be(x).indexSelect(x, d, index), shape);
  return record(out, 'IndexSelect', [x], (g) => [make(be(g).indexAdd(x.shape, g.dtype, d, index, g), x.shape)], [index]);
}
export const indexSelect: Op<typeof indexSelectFn> = customOp({
  name: 'indexSelect', fn: indexSelectFn, kernels: ['indexSelect', 'indexAdd'], method: true, backward: 'records', samples: [
    { id: 'dim0', inputs: [F(3, 4), V([3], [2, 0, 2])], py: 'a.index_select(0, b)', call: (a, i) => indexSelect(a, 0, i) },
    { id: 'dim1-T', inputs: [T(F(2, 3, 4)), V([2], [3, 1])], py: 'torch.index_select(a, -1, b)', call: (a, i) => indexSelect(a, -1, i) },
  ],
});

function triangle(name: string, upper: boolean) {
  return (x: Tensor, diagonal = 0): Tensor => {
    if (x.ndim < 2) throw new ShapeError(`${name}: input tensor must have at least 2 dimensions, got shape ${fmt(x.shape)}`);
    const out = make(be(x).triangle(x, diagonal, upper), x.shape);
    return record(out, name[0].toUpperCase() + name.slice(1), [x], (g) => [make(be(g).triangle(g, diagonal, upper), g.shape)]);
  };
}
type Triangle = Op<(x: Tensor, diagonal?: number) => Tensor>;
export const tril: Triangle = customOp({
  name: 'tril', fn: triangle('tril', false), kernels: ['triangle'], method: true, backward: 'records', samples: [
    { id: 'k0', inputs: [F(3, 4)], py: 'a.tril()' },
    { id: 'k-1-batched', inputs: [T(F(2, 3, 4))], py: 'torch.tril(a, -1)', call: (a) => tril(a, -1) },
  ],
});
export const triu: Triangle = customOp({
  name: 'triu', fn: triangle('triu', true), kernels: ['triangle'], method: true, backward: 'records', samples: [
    { id: 'k0', inputs: [F(4, 3)], py: 'a.triu()' },
    { id: 'k1-step', inputs: [S(F(2, 3, 3))], py: 'torch.triu(a, 1)', call: (a) => triu(a, 1) },
  ],
});

/** One-hot encoding of int64 class indices: shape [..., numClasses], dtype int64 (as PyTorch). */
function oneHotFn(index: Tensor, numClasses = -1): Tensor {
  if (isFloating(index.dtype) || index.dtype === 'bool') throw new DTypeError(`oneHot: expected an integer tensor of class indices (int64), got ${index.dtype}; ${INT64_HINT}`);
  if (!readsSync(index.device)) {
    // a device whose reads are asynchronous (webgpu): compare with 0..n-1 there; nothing is read back, so
    // numClasses must be given and out-of-range values give all-zero rows instead of an error
    if (numClasses < 0) {
      throw new DeviceError(`oneHot: inferring numClasses reads the largest index, which is asynchronous on ${index.device}; pass numClasses (e.g. oneHot(t, 10))`);
    }
    const classes = arange(0, numClasses, 1, { dtype: index.dtype, device: index.device });
    return toDtype(eq(unsqueeze(index, -1), classes), 'int64');
  }
  const vals = index.numel() ? (index.dataSync() as ArrayLike<number>) : [];
  let n = numClasses;
  let maxv = -1;
  for (let i = 0; i < vals.length; i++) {
    if (vals[i] < 0) throw new IndexError(`oneHot: class values must be non-negative, got ${vals[i]}`);
    maxv = Math.max(maxv, vals[i]);
  }
  if (n === -1) n = maxv + 1;
  else if (maxv >= n) throw new IndexError(`oneHot: class value ${maxv} is out of range for numClasses = ${n}`);
  const flat = new Float64Array(vals.length * n);
  for (let i = 0; i < vals.length; i++) flat[i * n + vals[i]] = 1;
  return make(be(index).fromArray('int64', flat), [...index.shape, n]);
}
export const oneHot: Op<typeof oneHotFn, false> = customOp({
  name: 'oneHot', fn: oneHotFn, kernels: ['fromArray'], method: false, nonDifferentiable: 'an integer result', samples: [
    { id: '1d', inputs: [V([4], [0, 2, 1, 4])], py: 'torch.nn.functional.one_hot(a, 5)', call: (a) => oneHot(a, 5) },
    { id: '2d-infer', inputs: [V([2, 2], [0, 2, 1, 1])], py: 'torch.nn.functional.one_hot(a)',
      webgpu: { skip: 'oneHot without numClasses reads the largest index synchronously; on webgpu numClasses must be given (DeviceError)' } },
  ],
});
