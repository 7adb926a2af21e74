/**
 * @file Views and layout ops: view/reshape, transpose/permute, squeeze/unsqueeze, expand, narrow/select/slice,
 * flatten/unflatten, contiguous/clone/detach, cat/stack/split/chunk, dtype and device copies (their method forms:
 * cast.ts). Views share storage with their input; their backward writes the gradient into the same window of zeros.
 * Each op is one registered definition (ops/registry.ts) with its op-table samples.
 */
import { record } from '../autograd/node.js';
import { getBackend, readViewSync, readsSync, type DeviceType } from '../backend/backend.js';
import { promoteTypes as promote, type DType } from '../core/dtype.js';
import { DeviceError, DTypeError, IndexError, ShapeError } from '../core/errors.js';
import { fmt, inferShape, normDim, numel, shapesEqual, viewStrides } from '../core/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { be, make, sameDevice } from './util.js';
import { customOp, functionOp, In, ownMethodOp, type OpFn, type OpFnOwnMethod } from './registry.js';

/** A registered op with the method form `x.name(...rest)` (M) or a function only. */
type Op<F, M extends boolean = true> = OpFn<F, M, false>;
/** PyTorch's variadic sizes: `x.view(2, 3)` or `x.view([2, 3])`. */
type Sizes = number[] | [readonly number[]];
const sizeArgs = (a: Sizes): number[] => (Array.isArray(a[0]) ? [...(a[0] as readonly number[])] : (a as number[]));
type SizesMethod = (x: Tensor, ...s: Sizes) => Tensor;
const { F, I, S, T, X } = In;

/** A view of x with new geometry; shares storage and records `base`. */
function viewOf(x: Tensor, shape: readonly number[], strides: readonly number[], offset: number): Tensor {
  const t = new Tensor(x.storage, [...shape], [...strides], offset);
  t.base = x.base ?? x;
  return t;
}

/**
 * Zeros of x's shape with g written through the same view transform (backward of windowing views); with `into`,
 * g is written into that tensor's window instead (the engine's gradient buffer for x, see GradWindow).
 */
export function intoZeros(g: Tensor, like: Tensor, apply: (z: Tensor) => Tensor, into?: Tensor): Tensor {
  const z = into ?? make(be(g).alloc(g.dtype, like.numel()), like.shape);
  be(g).copyInto(apply(z), g);
  return z;
}

/** Marks a windowing view's node: its gradient is zeros except `apply(zeros) = g` (autograd/node.ts GradWindow). */
function markWindow(out: Tensor, dim: number, start: number, length: number, apply: (z: Tensor) => Tensor): Tensor {
  if (out.gradFn) out.gradFn.window = { dim, start, length, apply };
  return out;
}

function viewFn(x: Tensor, shape: readonly number[]): Tensor {
  const target = inferShape('view', shape, x.numel(), x.shape);
  const st = viewStrides(x.shape, x.strides, target);
  if (st === null) {
    throw new ShapeError(`view: size ${fmt(target)} is not compatible with input tensor's size ${fmt(x.shape)} and stride ${fmt(x.strides)} ` +
      '(at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.');
  }
  const out = viewOf(x, target, st, x.offset);
  return record(out, 'View', [x], (g) => [reshape(g, x.shape)]);
}
export const view: OpFnOwnMethod<typeof viewFn, SizesMethod> = ownMethodOp({
  name: 'view', fn: viewFn, methodForm: (x: Tensor, ...s: Sizes): Tensor => view(x, sizeArgs(s)), backward: 'records', samples: [
    { id: 'flat', inputs: [F(3, 4)], py: 'a.view(2, 6)', call: (a) => view(a, [2, 6]) },
    { id: 'infer', inputs: [F(2, 3, 4)], py: 'a.view(-1, 4)', call: (a) => view(a, [-1, 4]) },
    { id: 'T-split-last', inputs: [T(F(2, 3, 4))], py: 'a.view(2, 3, 2, 2)', call: (a) => view(a, [2, 3, 2, 2]) },
  ],
});

function reshapeFn(x: Tensor, shape: readonly number[]): Tensor {
  const target = inferShape('reshape', shape, x.numel(), x.shape);
  if (viewStrides(x.shape, x.strides, target) !== null) return view(x, target);
  return view(contiguous(x), target);
}
export const reshape: OpFnOwnMethod<typeof reshapeFn, SizesMethod> = ownMethodOp({
  name: 'reshape', fn: reshapeFn, methodForm: (x: Tensor, ...s: Sizes): Tensor => reshape(x, sizeArgs(s)), backward: 'composite', samples: [
    { id: 'contig', inputs: [F(3, 4)], py: 'a.reshape(4, 3)', call: (a) => reshape(a, [4, 3]) },
    { id: 'T-copy', inputs: [T(F(3, 4))], py: 'a.reshape(-1)', call: (a) => reshape(a, [-1]) },
    { id: 'expand', inputs: [X(F(2, 3))], py: 'a.reshape(3, 2)', call: (a) => reshape(a, [3, 2]) },
    { id: '0dim', inputs: [F()], py: 'a.reshape(1, 1)', call: (a) => reshape(a, [1, 1]) },
  ],
});

function contiguousFn(x: Tensor): Tensor {
  if (x.isContiguous()) return x;
  return clone(x);
}
export const contiguous: Op<typeof contiguousFn> = customOp({
  name: 'contiguous', fn: contiguousFn, method: true, backward: 'composite', samples: [{ id: 'T', inputs: [T(F(3, 4))], py: 'a.contiguous()' }],
});

function cloneFn(x: Tensor): Tensor {
  const out = make(be(x).contiguous(x, x.dtype), x.shape);
  return record(out, 'Clone', [x], (g) => [g]);
}
export const clone: Op<typeof cloneFn> = customOp({
  name: 'clone', fn: cloneFn, kernels: ['contiguous'], method: true, backward: 'records', samples: [{ id: 'step', inputs: [S(F(3, 4))], py: 'a.clone()' }],
});

function detachFn(x: Tensor): Tensor {
  const t = new Tensor(x.storage, x.shape, x.strides, x.offset);
  t.base = x.base ?? x;
  return t;
}
export const detach: Op<typeof detachFn> = customOp({
  name: 'detach', fn: detachFn, method: true, nonDifferentiable: 'a new leaf sharing storage: it cuts the graph', samples: [
    { id: 'plain', inputs: [F(3, 4)], py: 'a.detach()', grad: false },
    // detach cuts the graph: not the derivative by design
    { id: 'then-mul', inputs: [F(3, 4)], py: 'a.detach() * a', call: (a) => detach(a).mul(a), gradcheck: false },
  ],
});

/** x.detach_(): x leaves the graph in place (a view cannot). */
export const detach_: Op<(x: Tensor) => Tensor> = customOp({
  name: 'detach_', method: true, nonDifferentiable: 'it cuts the graph', samples: [],
  fn: (x: Tensor): Tensor => {
    if (x.base) throw new DTypeError('detach_: cannot detach a view in place; use detach()');
    x.gradFn = null; x.setRequiresGradInternal(false); return x;
  },
});

function permuteFn(x: Tensor, dims: readonly number[]): Tensor {
  if (dims.length !== x.ndim) throw new ShapeError(`permute: number of dims don't match: input has ${x.ndim} dims ${fmt(x.shape)}, got ${dims.length} (${fmt(dims)})`);
  const d = dims.map((v) => normDim('permute', v, x.ndim));
  if (new Set(d).size !== d.length) throw new ShapeError(`permute: repeated dim in ${fmt(dims)}`);
  const out = viewOf(x, d.map((i) => x.shape[i]), d.map((i) => x.strides[i]), x.offset);
  const inv = new Array<number>(d.length);
  d.forEach((v, i) => { inv[v] = i; });
  return record(out, 'Permute', [x], (g) => [permute(g, inv)]);
}
export const permute: OpFnOwnMethod<typeof permuteFn, SizesMethod> = ownMethodOp({
  name: 'permute', fn: permuteFn, methodForm: (x: Tensor, ...s: Sizes): Tensor => permute(x, sizeArgs(s)), backward: 'records', samples: [
    { id: '3d', inputs: [F(2, 3, 4)], py: 'a.permute(2, 0, 1)', call: (a) => permute(a, [2, 0, 1]) },
    { id: 'T', inputs: [T(F(2, 3, 4))], py: 'a.permute(1, 2, 0)', call: (a) => permute(a, [1, 2, 0]) },
  ],
});

function transposeFn(x: Tensor, d0: number, d1: number): Tensor {
  if (x.ndim === 0) return x;
  const a = normDim('transpose', d0, x.ndim), b = normDim('transpose', d1, x.ndim);
  const order = x.shape.map((_, i) => i);
  order[a] = b; order[b] = a;
  return permute(x, order);
}
export const transpose: Op<typeof transposeFn> = customOp({
  name: 'transpose', fn: transposeFn, method: true, backward: 'composite', samples: [
    { id: '3d', inputs: [F(2, 3, 4)], py: 'a.transpose(0, 2)', call: (a) => transpose(a, 0, 2) },
    { id: 'neg', inputs: [S(F(2, 3))], py: 'torch.transpose(a, -1, -2)', call: (a) => transpose(a, -1, -2) },
  ],
});

function tFn(x: Tensor): Tensor {
  if (x.ndim > 2) throw new ShapeError(`t(): expects a tensor with <= 2 dimensions, but got ${x.ndim} (shape ${fmt(x.shape)}); use transpose(-2, -1) or .mT`);
  return x.ndim < 2 ? x : transpose(x, 0, 1);
}
export const t: Op<typeof tFn> = customOp({
  name: 't', fn: tFn, method: true, backward: 'composite', samples: [{ id: '2d', inputs: [F(3, 4)], py: 'a.t()' }, { id: '1d', inputs: [F(4)], py: 'a.t()' }],
});

function unsqueezeFn(x: Tensor, dim: number): Tensor {
  const d = normDim('unsqueeze', dim, x.ndim + 1);
  const shape = [...x.shape], strides = [...x.strides];
  const st = d < x.ndim ? x.strides[d] * x.shape[d] : 1;
  shape.splice(d, 0, 1); strides.splice(d, 0, st);
  return record(viewOf(x, shape, strides, x.offset), 'Unsqueeze', [x], (g) => [reshape(g, x.shape)]);
}
export const unsqueeze: Op<typeof unsqueezeFn> = customOp({
  name: 'unsqueeze', fn: unsqueezeFn, method: true, backward: 'records', samples: [
    { id: 'front', inputs: [F(3, 4)], py: 'a.unsqueeze(0)', call: (a) => unsqueeze(a, 0) },
    { id: 'neg-T', inputs: [T(F(3, 4))], py: 'a.unsqueeze(-1)', call: (a) => unsqueeze(a, -1) },
    { id: '0dim', inputs: [F()], py: 'a.unsqueeze(0)', call: (a) => unsqueeze(a, 0) },
  ],
});

function squeezeFn(x: Tensor, dim?: number | readonly number[]): Tensor {
  const dims = dim === undefined ? x.shape.map((_, i) => i) : (typeof dim === 'number' ? [dim] : [...dim]).map((d) => normDim('squeeze', d, x.ndim));
  const shape: number[] = [], strides: number[] = [];
  x.shape.forEach((s, i) => { if (!(s === 1 && dims.includes(i))) { shape.push(s); strides.push(x.strides[i]); } });
  if (shape.length === x.ndim) return x;
  return record(viewOf(x, shape, strides, x.offset), 'Squeeze', [x], (g) => [reshape(g, x.shape)]);
}
export const squeeze: Op<typeof squeezeFn> = customOp({
  name: 'squeeze', fn: squeezeFn, method: true, backward: 'records', samples: [
    { id: 'all', inputs: [F(1, 3, 1, 2)], py: 'a.squeeze()' },
    { id: 'dim', inputs: [F(3, 1, 2)], py: 'a.squeeze(1)', call: (a) => squeeze(a, 1) },
    { id: 'noop-dim', inputs: [F(3, 2)], py: 'a.squeeze(0) * 2', call: (a) => squeeze(a, 0).mul(2) },
    { id: 'dims-list', inputs: [F(1, 3, 1, 2)], py: 'a.squeeze(0).squeeze(1)', call: (a) => squeeze(a, [0, 2]) },
  ],
});

function expandFn(x: Tensor, shape: readonly number[]): Tensor {
  if (shape.length < x.ndim) {
    throw new ShapeError(`expand: the number of sizes provided (${shape.length}) must be greater or equal to the number of dimensions in the tensor (${x.ndim})`);
  }
  const off = shape.length - x.ndim;
  const outShape: number[] = [], strides: number[] = [];
  shape.forEach((s, i) => {
    const j = i - off;
    const cur = j >= 0 ? x.shape[j] : 1;
    const target = s === -1 ? cur : s;
    if (j < 0) { if (s === -1) throw new ShapeError(`expand: -1 not allowed in leading, non-existing dimension ${i}`); outShape.push(target); strides.push(0); return; }
    if (cur !== target && cur !== 1) {
      throw new ShapeError(`expand: the expanded size of the tensor (${target}) must match the existing size (${cur}) at non-singleton dimension ${i}. Target sizes: ${fmt(shape)}. Tensor sizes: ${fmt(x.shape)}`);
    }
    outShape.push(target);
    strides.push(cur === target ? x.strides[j] : 0);
  });
  if (shapesEqual(outShape, x.shape)) return x;
  return record(viewOf(x, outShape, strides, x.offset), 'Expand', [x], (g) => [g]);
}
export const expand: OpFnOwnMethod<typeof expandFn, SizesMethod> = ownMethodOp({
  name: 'expand', fn: expandFn, methodForm: (x: Tensor, ...s: Sizes): Tensor => expand(x, sizeArgs(s)), backward: 'records', samples: [
    { id: 'leading', inputs: [F(3, 1)], py: 'a.expand(2, 3, 4)', call: (a) => expand(a, [2, 3, 4]) },
    { id: 'minus1', inputs: [S(F(1, 3))], py: 'a.expand(4, -1)', call: (a) => expand(a, [4, -1]) },
    { id: '0dim', inputs: [F()], py: 'a.expand(2, 3)', call: (a) => expand(a, [2, 3]) },
  ],
});
/** x.expandAs(other): expand to other's shape. */
export const expandAs: Op<(x: Tensor, other: Tensor) => Tensor> = customOp({
  name: 'expandAs', fn: (x: Tensor, other: Tensor): Tensor => expand(x, other.shape), method: true, backward: 'composite', samples: [],
});

export const broadcastTo: Op<(x: Tensor, shape: readonly number[]) => Tensor, false> = customOp({
  name: 'broadcastTo', fn: (x: Tensor, shape: readonly number[]): Tensor => expand(x, shape), method: false, backward: 'composite', samples: [],
});

function narrowFn(x: Tensor, dim: number, start: number, length: number): Tensor {
  const d = normDim('narrow', dim, x.ndim);
  const size = x.shape[d];
  const s = start < 0 ? start + size : start;
  if (s < 0 || length < 0 || s + length > size) {
    throw new IndexError(`narrow: start (${start}) + length (${length}) exceeds dimension size (${size}) of dim ${dim} in shape ${fmt(x.shape)}`);
  }
  const apply = (z: Tensor) => {
    const shape = [...z.shape]; shape[d] = length;
    return new Tensor(z.storage, shape, z.strides, z.offset + s * z.strides[d]);
  };
  const out = apply(x);
  out.base = x.base ?? x;
  return markWindow(record(out, 'Narrow', [x], (g) => [intoZeros(g, x, apply)]), d, s, length, apply);
}
export const narrow: Op<typeof narrowFn> = customOp({
  name: 'narrow', fn: narrowFn, kernels: ['alloc', 'copyInto'], method: true, backward: 'records', samples: [
    { id: 'dim1', inputs: [F(3, 5)], py: 'a.narrow(1, 1, 3)', call: (a) => narrow(a, 1, 1, 3) },
    { id: 'T', inputs: [T(F(4, 3))], py: 'a.narrow(0, 2, 2)', call: (a) => narrow(a, 0, 2, 2) },
  ],
});

/** x[..., index, ...] along dim (drops the dim). */
function selectFn(x: Tensor, dim: number, index: number): Tensor {
  const d = normDim('select', dim, x.ndim);
  const size = x.shape[d];
  if (!Number.isInteger(index) || index < -size || index >= size) {
    throw new IndexError(`select: index ${index} is out of bounds for dimension ${d} with size ${size} (shape ${fmt(x.shape)})`);
  }
  const i = index < 0 ? index + size : index;
  const apply = (z: Tensor) => new Tensor(z.storage, z.shape.filter((_, k) => k !== d), z.strides.filter((_, k) => k !== d), z.offset + i * z.strides[d]);
  const out = apply(x);
  out.base = x.base ?? x;
  return markWindow(record(out, 'Select', [x], (g) => [intoZeros(g, x, apply)]), d, i, 1, apply);
}
export const select: Op<typeof selectFn> = customOp({
  name: 'select', fn: selectFn, kernels: ['alloc', 'copyInto'], method: true, backward: 'records', samples: [
    { id: 'dim0', inputs: [F(3, 4)], py: 'a.select(0, 1)', call: (a) => select(a, 0, 1) },
    { id: 'neg-index', inputs: [T(F(2, 3, 4))], py: 'a.select(1, -1)', call: (a) => select(a, 1, -1) },
  ],
});

/** x[start:end:step] along dim, Python slice semantics (negative and out-of-range bounds clamp). */
function sliceFn(x: Tensor, dim: number, start = 0, end: number | null = null, step = 1): Tensor {
  const d = normDim('slice', dim, x.ndim);
  if (step <= 0 || !Number.isInteger(step)) throw new IndexError(`slice: step must be a positive integer, got ${step}`);
  const size = x.shape[d];
  const norm = (v: number) => Math.min(Math.max(v < 0 ? v + size : v, 0), size);
  const s = norm(start), e = end === null ? size : norm(end);
  const len = e > s ? Math.ceil((e - s) / step) : 0;
  const apply = (z: Tensor) => {
    const shape = [...z.shape], strides = [...z.strides];
    shape[d] = len; strides[d] = z.strides[d] * step;
    return new Tensor(z.storage, shape, strides, z.offset + s * z.strides[d]);
  };
  const out = apply(x);
  out.base = x.base ?? x;
  const r = record(out, 'Slice', [x], (g) => [intoZeros(g, x, apply)]);
  return step === 1 ? markWindow(r, d, s, len, apply) : r;
}
export const slice: Op<typeof sliceFn> = customOp({
  name: 'slice', fn: sliceFn, kernels: ['alloc', 'copyInto'], method: true, backward: 'records', samples: [
    { id: 'step', inputs: [F(5, 4)], py: 'a[1::2]', call: (a) => slice(a, 0, 1, null, 2) },
    { id: 'neg-bounds', inputs: [F(3, 6)], py: 'a[:, -4:-1]', call: (a) => slice(a, 1, -4, -1) },
    // x.index (subscript.ts) slices through this op
    { id: 'index', inputs: [F(3, 6)], py: 'a[:, 1:6:2]', call: (a) => a.index(':', '1:6:2') },
    { id: 'index-ellipsis', inputs: [F(2, 3, 4)], py: 'a[..., 1]', call: (a) => a.index('...', 1) },
    { id: 'index-mixed', inputs: [T(F(2, 3, 4))], py: 'a[1, ..., 0:3:2]', call: (a) => a.index(1, '...', '0:3:2') },
  ],
});

function flattenFn(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normDim('flatten', startDim, x.ndim), e = normDim('flatten', endDim, x.ndim);
  if (s > e) throw new ShapeError(`flatten: startDim (${startDim}) cannot come after endDim (${endDim})`);
  const shape = [...x.shape.slice(0, s), numel(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return reshape(x, shape);
}
export const flatten: Op<typeof flattenFn> = customOp({
  name: 'flatten', fn: flattenFn, method: true, backward: 'composite', samples: [
    { id: 'all', inputs: [T(F(2, 3, 4))], py: 'a.flatten()' },
    { id: 'start1', inputs: [F(2, 3, 4)], py: 'a.flatten(1)', call: (a) => flatten(a, 1) },
    { id: '0dim', inputs: [F()], py: 'a.flatten()' },
  ],
});

function unflattenFn(x: Tensor, dim: number, sizes: readonly number[]): Tensor {
  const d = normDim('unflatten', dim, x.ndim);
  const inner = inferShape('unflatten', sizes, x.shape[d], [x.shape[d]]);
  return reshape(x, [...x.shape.slice(0, d), ...inner, ...x.shape.slice(d + 1)]);
}
export const unflatten: Op<typeof unflattenFn> = customOp({
  name: 'unflatten', fn: unflattenFn, method: true, backward: 'composite', samples: [
    { id: 'dim1', inputs: [F(2, 6)], py: 'a.unflatten(1, (2, 3))', call: (a) => unflatten(a, 1, [2, 3]) },
    { id: 'infer', inputs: [S(F(2, 6))], py: 'a.unflatten(1, (-1, 2))', call: (a) => unflatten(a, 1, [-1, 2]) },
  ],
});

/** Cast to another dtype (a copy; differentiable between float dtypes). */
function toDtypeFn(x: Tensor, dtype: DType, copy = false): Tensor {
  if (x.dtype === dtype && !copy) return x;
  const out = make(be(x).contiguous(x, dtype), x.shape);
  return record(out, 'ToCopy', [x], (g) => [toDtype(g, x.dtype)]);
}
export const toDtype: Op<typeof toDtypeFn, false> = customOp({ name: 'toDtype', fn: toDtypeFn, kernels: ['contiguous'], method: false, backward: 'records', samples: [] });

/** Copy to another device (a copy; differentiable towards the CPU, detached onto webgpu). GPU -> CPU goes through the asynchronous read. */
function toDeviceFn(x: Tensor, device: DeviceType): Tensor {
  if (x.device === device) return x;
  if (device === 'meta') return make(getBackend('meta').alloc(x.dtype, x.numel()), x.shape); // shapes only: nothing read
  const raw = readViewSync(x);
  if (raw === undefined) {
    throw new DeviceError(`to('${device}'): reading a ${x.device} tensor is asynchronous; use \`await t.toAsync('${device}')\``);
  }
  const out = make(getBackend(device).fromArray(x.dtype, raw), x.shape);
  // Its backward would read the gradient back from `device` synchronously, which a device with asynchronous
  // reads (webgpu) cannot do: a copy onto such a device is a new leaf, detached from x (as module.to() does
  // for parameters). Train it there with t.to('webgpu').requiresGrad_().
  if (!readsSync(device)) return out;
  return record(out, 'ToCopy', [x], (g) => [toDevice(g, x.device)]);
}
export const toDevice: Op<typeof toDeviceFn, false> = customOp({ name: 'toDevice', fn: toDeviceFn, kernels: ['readSync', 'fromArray', 'alloc'], method: false, backward: 'records', samples: [] });

function catFn(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new ShapeError('cat: expected a non-empty list of tensors');
  const dev = sameDevice('cat', ...tensors);
  // PyTorch skips 1-D empty tensors in cat
  const parts = tensors.filter((t) => !(t.ndim === 1 && t.numel() === 0));
  if (parts.length === 0) return tensors[0];
  const ref = parts[0];
  const d = normDim('cat', dim, ref.ndim);
  let total = 0;
  let dtype = ref.dtype;
  parts.forEach((p, i) => {
    if (p.ndim !== ref.ndim) throw new ShapeError(`cat: tensors must have same number of dimensions: got ${ref.ndim} (tensor 0) and ${p.ndim} (tensor ${i})`);
    p.shape.forEach((s, k) => {
      if (k !== d && s !== ref.shape[k]) {
        throw new ShapeError(`cat: sizes of tensors must match except in dimension ${d}. Expected size ${ref.shape[k]} but got size ${s} for tensor number ${i} in the list (shapes ${parts.map((q) => fmt(q.shape)).join(', ')})`);
      }
    });
    total += p.shape[d];
    if (p.dtype !== dtype) dtype = promote(dtype, p.dtype);
  });
  const shape = [...ref.shape]; shape[d] = total;
  const b = getBackend(dev);
  const out = make(b.alloc(dtype, numel(shape)), shape);
  let at = 0;
  for (const p of parts) {
    const win = new Tensor(out.storage, p.shape, out.strides, at * out.strides[d]);
    b.copyInto(win, p);
    at += p.shape[d];
  }
  const sizes = parts.map((p) => p.shape[d]);
  return record(out, 'Cat', parts, (g) => {
    let s = 0;
    return sizes.map((len) => { const r = narrow(g, d, s, len); s += len; return r; });
  });
}
export const cat: Op<typeof catFn, false> = functionOp({
  name: 'cat', fn: catFn, kernels: ['alloc', 'copyInto'], backward: 'records', samples: [
    { id: 'dim0', inputs: [F(2, 3), F(1, 3)], py: 'torch.cat([a, b])', call: (a, b) => cat([a, b]) },
    { id: 'dim1-T', inputs: [T(F(2, 3)), F(2, 2), S(F(2, 1))], py: 'torch.cat([a, b, c], 1)', call: (a, b, c) => cat([a, b, c], 1) },
    { id: 'neg-dim', inputs: [F(2, 2, 3), F(2, 2, 1)], py: 'torch.cat([a, b], -1)', call: (a, b) => cat([a, b], -1) },
    { id: 'promote', inputs: [F(2), I(3)], py: 'torch.cat([a, b])', call: (a, b) => cat([a, b]) },
    { id: 'empty', inputs: [F(0, 3), F(2, 3)], py: 'torch.cat([a, b])', call: (a, b) => cat([a, b]) },
  ],
});


function stackFn(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new ShapeError('stack: expected a non-empty list of tensors');
  const ref = tensors[0];
  tensors.forEach((t, i) => {
    if (!shapesEqual(t.shape, ref.shape)) throw new ShapeError(`stack: expects each tensor to be equal size, but got ${fmt(ref.shape)} at entry 0 and ${fmt(t.shape)} at entry ${i}`);
  });
  const d = normDim('stack', dim, ref.ndim + 1);
  return cat(tensors.map((t) => unsqueeze(t, d)), d);
}
export const stack: Op<typeof stackFn, false> = functionOp({
  name: 'stack', fn: stackFn, backward: 'composite', samples: [
    { id: 'dim0', inputs: [F(2, 3), T(F(2, 3))], py: 'torch.stack([a, b])', call: (a, b) => stack([a, b]) },
    { id: 'dim-1', inputs: [F(2, 3), F(2, 3), X(F(2, 3))], py: 'torch.stack([a, b, c], -1)', call: (a, b, c) => stack([a, b, c], -1) },
  ],
});

/** Split into chunks of `size` (number) or of the listed sizes along dim. */
function splitFn(x: Tensor, sizeOrSections: number | readonly number[], dim = 0): Tensor[] {
  const d = normDim('split', dim, x.ndim);
  const n = x.shape[d];
  let sizes: number[];
  if (typeof sizeOrSections === 'number') {
    if (sizeOrSections <= 0) throw new ShapeError(`split: split size must be positive, got ${sizeOrSections}`);
    sizes = [];
    for (let s = 0; s < n; s += sizeOrSections) sizes.push(Math.min(sizeOrSections, n - s));
    if (n === 0) sizes = [0];
  } else {
    sizes = [...sizeOrSections];
    const sum = sizes.reduce((a, b) => a + b, 0);
    if (sum !== n) throw new ShapeError(`split: split sizes ${fmt(sizes)} must sum to the size of dimension ${d} (${n}), got ${sum}`);
  }
  let s = 0;
  return sizes.map((len) => { const r = narrow(x, d, s, len); s += len; return r; });
}
export const split: Op<typeof splitFn> = customOp({
  name: 'split', fn: splitFn, method: true, backward: 'composite', samples: [
    { id: 'size', inputs: [F(3, 5)], py: 'a.split(2, 1)', call: (a) => split(a, 2, 1) },
    { id: 'sections', inputs: [T(F(3, 4))], py: 'torch.split(a, [1, 3], -1)', call: (a) => split(a, [1, 3], -1) },
    { id: 'uneven', inputs: [F(5, 2)], py: 'a.split(2)', call: (a) => split(a, 2) },
  ],
});

function chunkFn(x: Tensor, chunks: number, dim = 0): Tensor[] {
  if (!Number.isInteger(chunks) || chunks <= 0) throw new ShapeError(`chunk: number of chunks must be a positive integer, got ${chunks}`);
  const d = normDim('chunk', dim, x.ndim);
  return split(x, Math.max(1, Math.ceil(x.shape[d] / chunks)), d);
}
export const chunk: Op<typeof chunkFn> = customOp({
  name: 'chunk', fn: chunkFn, method: true, backward: 'composite', samples: [
    { id: 'dim0', inputs: [F(5, 2)], py: 'a.chunk(3)', call: (a) => chunk(a, 3) },
    { id: 'dim1-step', inputs: [S(F(2, 6))], py: 'torch.chunk(a, 2, 1)', call: (a) => chunk(a, 2, 1) },
    { id: 'more-than-size', inputs: [F(2, 3)], py: 'a.chunk(4, 1)', call: (a) => chunk(a, 4, 1) },
  ],
});
