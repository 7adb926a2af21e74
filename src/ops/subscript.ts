/**
 * @file PyTorch's `__getitem__` / `__setitem__` / `index_put_`: `x.index(...items)`, `x.setIndex_(...items, value)`
 * and `x.indexPut_(indices, values, { accumulate })`. Composites over existing ops (select, slice, unsqueeze,
 * reshape, indexSelect, scatter/scatterAdd over flat positions), so every device runs them and autograd needs no new rule.
 *
 * Combination rule (PyTorch's, which is NumPy's): integers, slices, new axes and the ellipsis apply first as a
 * view; the advanced indices (integer tensors/arrays, and bool masks expanded to their nonzero positions)
 * broadcast together to a shape B. When they are adjacent, B replaces their dims in place; when a slice, new
 * axis or ellipsis separates them, B goes first. A 0-dim integer tensor acts as an integer (as in PyTorch).
 * Each is a registered definition (ops/registry.ts); their op-table rows are slice's (movement.ts) and
 * test/tensor's indexing suites.
 */
import { isGradEnabled } from '../autograd/grad-mode.js';
import { ArgumentError, checkOptions, describeValue } from '../core/args.js';
import { isFloating } from '../core/dtype.js';
import { DeviceError, DTypeError, IndexError, ShapeError } from '../core/errors.js';
import { broadcastShapes, fmt } from '../core/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { add, ge, logicalOr, lt, mul, where } from './elementwise.js';
import { assign, checkInplace } from './inplace.js';
import { indexSelect, scatter, scatterAdd } from './indexing.js';
import { clone, contiguous, expand, reshape, select, slice, squeeze, toDevice, toDtype, unsqueeze } from './movement.js';
import { parseIndex, type IndexItem, type Parsed } from './index-spec.js';
import { be, make, scalarTensor } from './util.js';
import { readsSync } from '../backend/backend.js';
import { customOp, type OpFn } from './registry.js';

type Method<F> = OpFn<F, true, false>;

export type { IndexItem, IndexSpec, IndexArray } from './index-spec.js';

/** An advanced index on dim `dim` of the basic-indexed view: a tensor (on the indexed device) or host values. */
interface Adv { dim: number; t: Tensor | null; host: Float64Array | null; shape: number[]; pos: number }

const readable = (t: Tensor) => readsSync(t.device);

function asyncRead(fn: string, what: string, t: Tensor): never {
  throw new DeviceError(`${fn}: ${what} on ${t.device} must be read to index with it, and reads there are asynchronous; ` +
    `move it to the CPU first (await t.toAsync('cpu')) or read it (await t.itemAsync())`);
}

function checkBounds(fn: string, vals: ArrayLike<number>, size: number, dim: number): void {
  for (let i = 0; i < vals.length; i++) {
    const v = vals[i];
    if (v < -size || v >= size) throw new IndexError(`${fn}: index ${v} is out of bounds for dimension ${dim} with size ${size}`);
  }
}

/** Positions of the true elements of a mask, one coordinate array per mask dim (nonzero, transposed). */
function nonzero(mask: ArrayLike<number>, shape: readonly number[]): Float64Array[] {
  let nnz = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) nnz++;
  const out = shape.map(() => new Float64Array(nnz));
  let k = 0;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    let rem = i;
    for (let d = shape.length - 1; d >= 0; d--) { out[d][k] = rem % shape[d]; rem = Math.floor(rem / shape[d]); }
    k++;
  }
  return out;
}

/** Integers, slices, new axes and the ellipsis as a view of x; the advanced indices with their dims in it. */
function applyBasic(fn: string, x: Tensor, parsed: Parsed[]): { r: Tensor; adv: Adv[] } {
  const consumed = parsed.reduce((n, p) => n + (p.k === 'int' || p.k === 'slice' || p.k === 'tensor' ? 1 : p.k === 'mask' ? p.shape.length : 0), 0);
  let r = x;
  let dim = 0;
  const adv: Adv[] = [];
  const selectAt = (v: number) => {
    const size = r.shape[dim];
    if (v < -size || v >= size) throw new IndexError(`${fn}: index ${v} is out of bounds for dimension ${dim} with size ${size}`);
    r = select(r, dim, v);
  };
  parsed.forEach((p, pos) => {
    switch (p.k) {
      case 'int': selectAt(p.v); return;
      case 'slice': r = slice(r, dim, p.start ?? 0, p.stop, p.step); dim++; return;
      case 'new': r = unsqueeze(r, dim); dim++; return;
      case 'ell': dim += x.ndim - consumed; return;
      case 'tensor': {
        const t = p.t;
        if (t && t.device !== 'cpu' && t.device !== x.device) {
          throw new DeviceError(`${fn}: indices should be either on cpu or on the same device as the indexed tensor (${x.device}); index ${pos} is on ${t.device}`);
        }
        if (t && t.ndim === 0 && readable(t)) { selectAt(Number(t.item())); return; }
        let host = p.host;
        if (t && readable(t)) host = Float64Array.from(t.dataSync() as ArrayLike<number>);
        if (host) checkBounds(fn, host, r.shape[dim], dim);
        adv.push({ dim, t: host ? null : t, host, shape: p.shape, pos });
        dim++;
        return;
      }
      case 'mask': {
        const t = p.t;
        if (t && t.device !== 'cpu' && t.device !== x.device) {
          throw new DeviceError(`${fn}: indices should be either on cpu or on the same device as the indexed tensor (${x.device}); index ${pos} is on ${t.device}`);
        }
        if (t && !readable(t)) asyncRead(fn, `the boolean mask (index ${pos})`, t);
        const vals = p.host ?? (t!.dataSync() as ArrayLike<number>);
        if (p.shape.length === 0) {
          // x[True] / x[False]: a new axis of size 1, indexed by [0] or by nothing
          r = unsqueeze(r, dim);
          adv.push({ dim, t: null, host: vals[0] ? Float64Array.of(0) : new Float64Array(0), shape: [vals[0] ? 1 : 0], pos });
          dim++;
          return;
        }
        p.shape.forEach((s, j) => {
          if (s !== r.shape[dim + j]) {
            throw new IndexError(`${fn}: the shape of the mask ${fmt(p.shape)} (index ${pos}) does not match the shape of the indexed tensor ${fmt(r.shape)} at dimension ${dim + j} (mask dimension ${j})`);
          }
        });
        nonzero(vals, p.shape).forEach((host, j) => adv.push({ dim: dim + j, t: null, host, shape: [host.length], pos }));
        dim += p.shape.length;
        return;
      }
    }
  });
  const deferred = adv.filter((a) => a.t !== null && a.t.ndim === 0);
  if (deferred.length && adv.length > 1) asyncRead(fn, `the 0-dim index tensor (index ${deferred[0].pos})`, deferred[0].t!);
  return { r, adv };
}

/** The advanced index as an int64 tensor on `device`. */
function indexTensor(a: Adv, device: Tensor['device']): Tensor {
  if (a.host) return make(be(device).fromArray('int64', a.host), a.shape);
  let t = a.t!;
  if (t.device !== device) t = toDevice(t, device);
  return t.dtype === 'int64' ? t : toDtype(t, 'int64');
}

/** Apply a parsed index expression to x (the getter). */
function applyIndex(fn: string, x: Tensor, parsed: Parsed[]): Tensor {
  const advanced = parsed.reduce((n, p) => n + (p.k === 'mask' ? Math.max(1, p.shape.length) : p.k === 'tensor' ? 1 : 0), 0);
  if (advanced < 2) {
    const { r, adv } = applyBasic(fn, x, parsed);
    if (adv.length === 0) return r;
    const a = adv[0];
    const out = indexSelect(r, a.dim, reshape(indexTensor(a, x.device), [-1]));
    return reshape(out, [...r.shape.slice(0, a.dim), ...a.shape, ...r.shape.slice(a.dim + 1)]);
  }
  // several advanced indices: gather x's elements, flattened, at their positions
  const xc = contiguous(x);
  const pos = positionsOf(fn, xc, applyBasic(fn, xc, parsed));
  return reshape(indexSelect(reshape(xc, [-1]), 0, reshape(pos, [-1])), pos.shape);
}

/**
 * x[items] as PyTorch's `__getitem__`: `x.index(0, ':', null, '...', idx, mask)`. Integers select, slice strings
 * slice (views), null adds an axis, '...' fills the rest; integer tensors/arrays and bool masks are advanced
 * indices (a copy). Differentiable.
 */
export const index: Method<(x: Tensor, ...items: IndexItem[]) => Tensor> = customOp({
  name: 'index', method: true, backward: 'composite', samples: [],
  fn: (x: Tensor, ...items: IndexItem[]): Tensor => applyIndex('index', x, parseIndex('index', items, x.ndim)),
});

/** A number as PyTorch converts it into x's dtype: truncated towards zero for integer dtypes. */
function numberFor(x: Tensor, value: number | boolean): number {
  return isFloating(x.dtype) || x.dtype === 'bool' ? +value : Math.trunc(+value);
}

/** The value of a setter as a tensor of x's dtype and device, broadcast to `shape` (PyTorch's setitem rules). */
function valueFor(fn: string, x: Tensor, value: unknown, shape: readonly number[], castDtype: boolean): Tensor {
  let v: Tensor;
  if (typeof value === 'number' || typeof value === 'boolean') v = scalarTensor(numberFor(x, value), x.dtype, x.device);
  else if (value instanceof Tensor) v = value;
  else {
    throw new ArgumentError(`${fn}: the value is ${describeValue(value)}; expected a Tensor or a number` +
      (Array.isArray(value) ? " (make a tensor: torch.tensor(values, { dtype: x.dtype }))" : ''));
  }
  if (v.device !== x.device) {
    throw new DeviceError(`${fn}: the value is on ${v.device} and the indexed tensor on ${x.device}; move one with .to('${x.device}')`);
  }
  if (v.dtype !== x.dtype) {
    if (!castDtype) {
      throw new DTypeError(`${fn}: index put requires the source and destination dtypes to match, got ${x.dtype} for the destination and ${v.dtype} for the source; convert with values.to('${x.dtype}')`);
    }
    v = toDtype(v, x.dtype);
  }
  while (v.ndim > shape.length && v.shape[0] === 1) v = squeeze(v, 0);
  try { v = expand(v, shape); } catch {
    throw new ShapeError(`${fn}: shape mismatch: value tensor of shape ${fmt(value instanceof Tensor ? value.shape : [])} cannot be broadcast to indexing result of shape ${fmt(shape)}`);
  }
  if (v.storage === x.storage) v = clone(v); // never read and write the same memory in one copy
  return v;
}

/** An int64 tensor of `shape` on `device` holding `start + i * step` along dim `at` (size 1 elsewhere). */
function ramp(device: Tensor['device'], size: number, step: number, at: number, nd: number): Tensor {
  const a = new Float64Array(size);
  for (let i = 0; i < size; i++) a[i] = i * step;
  const shape = new Array<number>(nd).fill(1);
  shape[at] = size;
  return make(be(device).fromArray('int64', a), shape);
}

/**
 * The flat (row-major) position in `base` (a contiguous tensor) of every element that the index selects, in the
 * getter's result layout (PyTorch's placement rule lives here), computed from the geometry of the basic view `r`
 * and the advanced indices alone: O(result), never O(base). An advanced index only the device can read maps
 * out-of-range entries to base.numel(), which the device's index kernels skip (read 0, write nothing).
 */
function positionsOf(fn: string, base: Tensor, { r, adv }: { r: Tensor; adv: Adv[] }): Tensor {
  const device = base.device;
  let B: number[] = [];
  if (adv.length) {
    try { B = broadcastShapes(fn, ...adv.map((a) => a.shape)); } catch {
      throw new IndexError(`${fn}: shape mismatch: indexing tensors could not be broadcast together with shapes ${adv.map((a) => fmt(a.shape)).join(', ')}`);
    }
  }
  const dims = adv.map((a) => a.dim);
  const rest = r.shape.map((_, i) => i).filter((i) => !dims.includes(i));
  const adjacent = dims.every((d, i) => i === 0 || d === dims[i - 1] + 1);
  const at = adv.length === 0 ? 0 : adjacent ? rest.filter((d) => d < dims[0]).length : 0; // where B goes
  const nd = B.length + rest.length;
  const outShape = [...rest.slice(0, at).map((d) => r.shape[d]), ...B, ...rest.slice(at).map((d) => r.shape[d])];
  let pos: Tensor = make(be(device).fromArray('int64', Float64Array.of(r.offset - base.offset)), new Array<number>(nd).fill(1));
  rest.forEach((d, k) => { pos = add(pos, ramp(device, r.shape[d], r.strides[d], k < at ? k : k + B.length, nd)); });
  let oob: Tensor | null = null;
  adv.forEach((a) => {
    const size = r.shape[a.dim];
    const I = reshape(indexTensor(a, device), [...new Array<number>(at).fill(1), ...new Array<number>(B.length - a.shape.length).fill(1), ...a.shape, ...new Array<number>(rest.length - at).fill(1)]);
    pos = add(pos, mul(where(lt(I, 0), add(I, size), I), r.strides[a.dim]));
    if (a.t !== null) { const bad = logicalOr(ge(I, size), lt(I, -size)); oob = oob ? logicalOr(oob, bad) : bad; }
  });
  pos = expand(pos, outShape);
  return oob ? where(oob, base.numel(), pos) : pos;
}

/** Out-of-place x with x[items] = value (or += value with accumulate): a scatter at the flat positions. */
function put(fn: string, x: Tensor, parsed: Parsed[], value: unknown, accumulate: boolean, castDtype: boolean): Tensor {
  // the basic items applied to a shadow of x with contiguous strides: only its geometry is used
  const shadow = new Tensor(x.storage, x.shape);
  const pos = positionsOf(fn, shadow, applyBasic(fn, shadow, parsed));
  const v = valueFor(fn, x, value, pos.shape, castDtype);
  const flatX = reshape(x, [-1]);
  const idx = reshape(pos, [-1]), src = reshape(v, [-1]);
  const out = accumulate ? scatterAdd(flatX, 0, idx, src) : scatter(flatX, 0, idx, src);
  return reshape(out, x.shape);
}

/**
 * x[items] = value, in place (PyTorch's `__setitem__`): `x.setIndex_(':', idx, value)` — the same index items
 * as `index`, then the value (a Tensor, cast to x's dtype and broadcast, or a number). Differentiable with
 * respect to the value and to x's other elements.
 */
function setIndexFn(x: Tensor, ...args: unknown[]): Tensor {
  const fn = 'setIndex_';
  if (args.length < 2) {
    throw new ArgumentError(`${fn}: expected the index items and then the value, as x[items] = value (x.setIndex_(':', 0, value)); ` +
      `got ${args.length === 0 ? 'nothing' : `only ${describeValue(args[0])}`}. For the whole tensor write x.setIndex_('...', value) or x.fill_(value)`);
  }
  const value = args[args.length - 1];
  const parsed = parseIndex(fn, args.slice(0, -1), x.ndim);
  const graph = isGradEnabled() && (x.requiresGrad || (value instanceof Tensor && value.requiresGrad));
  if (!graph && !parsed.some((p) => p.k === 'tensor' || p.k === 'mask')) {
    // basic indices only and no graph: write through the view
    checkInplace(x, fn);
    const view = applyIndex(fn, x, parsed);
    if (typeof value === 'number' || typeof value === 'boolean') be(x).fill(view, numberFor(x, value));
    else be(x).copyInto(view, valueFor(fn, x, value, view.shape, true));
    x.bumpVersion();
    return x;
  }
  return assign(x, fn, put(fn, x, parsed, value, false, true));
}
// typed as PyTorch's x[items] = value (the items, then the value): a tuple with a rest before its last element,
// which customOp's `(self, ...rest: never[])` bound does not take
type SetIndex = (x: Tensor, ...args: [...items: IndexItem[], value: Tensor | number | boolean]) => Tensor;
export const setIndex_ = customOp({ name: 'setIndex_', fn: setIndexFn, kernels: ['fill', 'copyInto'], method: true, backward: 'composite', samples: [] }) as unknown as Method<SetIndex>;

function parseIndices(fn: string, indices: unknown, ndim: number): Parsed[] {
  if (!Array.isArray(indices)) {
    throw new ArgumentError(`${fn}: indices must be an array of index tensors (PyTorch's tuple), got ${describeValue(indices)}; e.g. x.${fn}([idx], values)`);
  }
  indices.forEach((t, i) => {
    if (t instanceof Tensor || (Array.isArray(t) && !t.some((e) => typeof e === 'string'))) return;
    const hint = t === null
      ? "null would mean a whole dimension in index_put_ but a new axis in index(); write x[:, idx] = v as x.setIndex_(':', idx, v)"
      : 'numbers, slices and new axes are __setitem__ items: use x.setIndex_(...items, value)';
    throw new ArgumentError(`${fn}: indices[${i}] is ${describeValue(t)}; index_put_ takes index tensors (int64/int32, or bool masks) or arrays of integers. ${hint}`);
  });
  return parseIndex(fn, indices, ndim);
}

export interface IndexPutOpts { accumulate?: boolean }

function putOpts(fn: string, opts: unknown): boolean {
  const o = checkOptions<IndexPutOpts>(fn, opts ?? {}, ['accumulate']);
  if (o.accumulate !== undefined && typeof o.accumulate !== 'boolean') {
    throw new ArgumentError(`${fn}: accumulate must be a boolean, got ${describeValue(o.accumulate)}`);
  }
  return o.accumulate ?? false;
}

/** torch.index_put: a copy of x with x[indices] = values (or += with accumulate). Differentiable. */
type IndexPut = (x: Tensor, indices: readonly (Tensor | IndexItem)[], values: Tensor | number, opts?: IndexPutOpts) => Tensor;
export const indexPut: Method<IndexPut> = customOp({
  name: 'indexPut', method: true, backward: 'composite', samples: [],
  fn: (x: Tensor, indices: readonly (Tensor | IndexItem)[], values: Tensor | number, opts: IndexPutOpts = {}): Tensor => {
    const accumulate = putOpts('indexPut', opts);
    return put('indexPut', x, parseIndices('indexPut', indices, x.ndim), values, accumulate, false);
  },
});

/** Tensor.index_put_: x[indices] = values (or += with accumulate), in place. */
export const indexPut_: Method<IndexPut> = customOp({
  name: 'indexPut_', method: true, backward: 'composite', samples: [],
  fn: (x: Tensor, indices: readonly (Tensor | IndexItem)[], values: Tensor | number, opts: IndexPutOpts = {}): Tensor => {
    const accumulate = putOpts('indexPut_', opts);
    return assign(x, 'indexPut_', put('indexPut_', x, parseIndices('indexPut_', indices, x.ndim), values, accumulate, false));
  },
});
