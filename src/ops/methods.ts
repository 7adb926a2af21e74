/**
 * @file Tensor methods: one line per op, attached to Tensor.prototype with matching declarations
 * (declaration merging), so `x.add(y)`, `x.sum(1, {keepdim: true})`, `x.add_(y)` read like PyTorch.
 */
import { isDeviceName } from '../core/devices.js';
import type { DeviceType } from '../backend/backend.js';
import type { DType, DTypeName } from '../core/dtype.js';
import { DTypeError } from '../core/errors.js';
import { isFloating } from '../core/dtype.js';
import { broadcastShapes } from '../core/shape.js';
import { fmaRaw, operands, scalarTensor } from './util.js';
import { checkDevice, checkDtype, checkOptions, checkSpec, type Rule } from '../core/args.js';
import { installGradOps } from '../autograd/engine.js';
import { record } from '../autograd/node.js';
import { Tensor } from '../tensor/tensor.js';
import * as E from './elementwise.js';
import * as M from './movement.js';
import * as R from './reduce.js';
import * as L from './linalg.js';
import * as I from './indexing.js';
import * as P from './inplace.js';
import * as S from './subscript.js';
import * as C from './compare.js';
import { onesLike } from './creation.js';
import type * as Smp from './sampling.js';
import './sampling.js'; // its ops are in OPS before installTensorMethods runs
import type { TensorOrScalar } from './elementwise.js';
import { OPS, type MethodsOf, type OpInfo } from './registry.js';

export type { DTypeName };
type ToArg = DTypeName | DeviceType | { dtype?: DTypeName; device?: DeviceType; copy?: boolean; nonBlocking?: boolean };

/** Tensor.to(dtype | device | {dtype, device, copy}). */
export function to(x: Tensor, arg: ToArg, opts?: { copy?: boolean; nonBlocking?: boolean }): Tensor {
  if (typeof arg === 'string') {
    const o = checkOptions<{ copy: boolean }>('Tensor.to', opts, ['copy', 'nonBlocking']);
    const r = isDeviceName(arg) ? M.toDevice(x, arg) : M.toDtype(x, checkDtype('Tensor.to', 'the argument', arg));
    return o.copy && r === x ? M.clone(x) : r;
  }
  const o = checkOptions<{ dtype: DTypeName; device: DeviceType; copy: boolean }>('Tensor.to', arg, ['dtype', 'device', 'copy', 'nonBlocking']);
  let r = x;
  if (o.device !== undefined) r = M.toDevice(r, checkDevice('Tensor.to', 'device', o.device));
  if (o.dtype !== undefined) r = M.toDtype(r, checkDtype('Tensor.to', 'dtype', o.dtype));
  if (o.copy && r === x) r = M.clone(x);
  return r;
}

const ALPHA: Record<string, Rule> = { alpha: 'number' };
type UniformOpts = P.GenOpt & { from?: number; to?: number };
type NormalOpts = P.GenOpt & { mean?: number; std?: number };
/**
 * a + alpha * b as PyTorch's add kernel computes it: for floating results one fused multiply-add, `fma(b, alpha,
 * a)`, rounded once (ATen's vectorized fmadd; PyTorch 1.13 and 2.6 agree on every element checked), so
 * `p.add_(grad, { alpha: -lr })` rounds as PyTorch's SGD. Integers: exact, and alpha must be an integer (as
 * PyTorch). `add`/`sub` with `{ alpha }` and the optimizers call it; `op` names the caller in errors and the graph.
 */
function addScaled(a: TensorOrScalar, b: TensorOrScalar, alpha: number, op: 'add' | 'sub' = 'add'): Tensor {
  const [x, y, dt] = operands(op, a, b);
  if (!isFloating(dt)) {
    if (!Number.isInteger(alpha)) {
      throw new DTypeError(`${op}: for integral input tensors, argument alpha must not be a floating point number (got ${alpha}); convert the tensors with .float() first`);
    }
    return E.add(x, E.mul(y, alpha));
  }
  const shape = broadcastShapes(op, x.shape, y.shape);
  const out = fmaRaw(y, scalarTensor(alpha, dt, x.device), x, dt, shape);
  return record(out, op === 'add' ? 'Add' : 'Sub', [x, y], (g) => [x.requiresGrad ? g : null, y.requiresGrad ? E.mul(g, alpha) : null], []);
}

/** x + alpha * y (x - alpha * y for sub): the plain op without alpha, else one rounding as PyTorch (E.addScaled). */
function addAlpha(op: 'add' | 'sub' | 'add_' | 'sub_', x: Tensor, y: TensorOrScalar, opts?: { alpha?: number }): Tensor {
  const a = checkSpec<{ alpha: number }>(op, opts, ALPHA).alpha;
  const sub = op.startsWith('sub');
  if (a === undefined || a === 1) return sub ? E.sub(x, y) : E.add(x, y);
  return addScaled(x, y, sub ? -a : a, sub ? 'sub' : 'add');
}

/** The registered ops' method forms (`name`, `name_`), typed from their definitions (ops/registry.ts). */
type RegisteredMethods = MethodsOf<typeof E> & MethodsOf<typeof R> & MethodsOf<typeof L> & MethodsOf<typeof C>;
/** The method forms of the registered ops of sampling.ts (multinomial). */
type SamplingMethods = MethodsOf<typeof Smp>;

declare module '../tensor/tensor.js' {
  interface Tensor extends RegisteredMethods, SamplingMethods {
    add(other: TensorOrScalar, opts?: { alpha?: number }): Tensor;
    sub(other: TensorOrScalar, opts?: { alpha?: number }): Tensor;
    where(cond: Tensor, other: TensorOrScalar): Tensor;

    view(...shape: number[] | [readonly number[]]): Tensor; reshape(...shape: number[] | [readonly number[]]): Tensor;
    transpose(d0: number, d1: number): Tensor; permute(...dims: number[] | [readonly number[]]): Tensor; t(): Tensor;
    readonly mT: Tensor; readonly T: Tensor;
    squeeze(dim?: number | readonly number[]): Tensor; unsqueeze(dim: number): Tensor;
    expand(...shape: number[] | [readonly number[]]): Tensor; expandAs(other: Tensor): Tensor;
    narrow(dim: number, start: number, length: number): Tensor; select(dim: number, index: number): Tensor;
    slice(dim: number, start?: number, end?: number | null, step?: number): Tensor;
    /** x[items] (PyTorch's __getitem__): integers, slice strings (':', '1:3', '::2'), null (new axis), '...', integer tensors/arrays and bool masks. */
    index(...items: S.IndexItem[]): Tensor;
    /** x[items] = value, in place (PyTorch's __setitem__): the index items, then the value. */
    setIndex_(...args: [...items: S.IndexItem[], value: Tensor | number | boolean]): Tensor;
    indexPut(indices: readonly S.IndexItem[], values: Tensor | number, opts?: S.IndexPutOpts): Tensor;
    indexPut_(indices: readonly S.IndexItem[], values: Tensor | number, opts?: S.IndexPutOpts): Tensor;
    flatten(startDim?: number, endDim?: number): Tensor; unflatten(dim: number, sizes: readonly number[]): Tensor;
    contiguous(): Tensor; clone(): Tensor; detach(): Tensor; detach_(): Tensor;
    split(size: number | readonly number[], dim?: number): Tensor[]; chunk(chunks: number, dim?: number): Tensor[];
    to(arg: ToArg, opts?: { copy?: boolean; nonBlocking?: boolean }): Tensor; toAsync(device: DeviceType): Promise<Tensor>;
    cpu(): Tensor; float(): Tensor; double(): Tensor; half(): Tensor; bfloat16(): Tensor; long(): Tensor; int(): Tensor; bool(): Tensor; byte(): Tensor;
    type(dtype: DTypeName): Tensor;

    gather(dim: number, index: Tensor): Tensor; scatter(dim: number, index: Tensor, src: Tensor | number): Tensor;
    scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor; indexSelect(dim: number, index: Tensor): Tensor;
    tril(diagonal?: number): Tensor; triu(diagonal?: number): Tensor;

    add_(other: TensorOrScalar, opts?: { alpha?: number }): Tensor; sub_(other: TensorOrScalar, opts?: { alpha?: number }): Tensor;
    lerp_(end: Tensor, weight: number): Tensor;
    zero_(): Tensor; fill_(value: number | boolean): Tensor; copy_(src: Tensor): Tensor;
    uniform_(from?: number | UniformOpts, to?: number | UniformOpts, opts?: UniformOpts): Tensor;
    normal_(mean?: number | NormalOpts, std?: number | NormalOpts, opts?: NormalOpts): Tensor;
    exponential_(lambd?: number | (P.GenOpt & { lambd?: number }), opts?: P.GenOpt): Tensor;
    bernoulli_(p?: number | (P.GenOpt & { p?: number }), opts?: P.GenOpt): Tensor;
    random_(from: number, to: number, opts?: P.GenOpt): Tensor;
  }
}

const shapeArgs = (a: number[] | [readonly number[]]): number[] => (Array.isArray(a[0]) ? [...(a[0] as readonly number[])] : (a as number[]));
const proto = Tensor.prototype as unknown as Record<string, unknown>;
/** The hand-written methods (ops not in the registry yet), attached by installTensorMethods. */
const HAND: [string, (this: Tensor, ...args: never[]) => unknown][] = [];
const def = (name: string, fn: (this: Tensor, ...args: never[]) => unknown) => { HAND.push([name, fn]); };
type Call = (...args: unknown[]) => unknown;

/** `x.name(...)` for a registered op: the receiver first; one closure per op, made once at install. */
function methodForm(op: OpInfo): (this: Tensor, ...args: never[]) => unknown {
  const f = op.fn as Call;
  if (op.family === 'unary') return function (this: Tensor) { return f(this); };
  if (op.family === 'binary') return function (this: Tensor, o: unknown) { return f(this, o); };
  return function (this: Tensor, a?: unknown, b?: unknown, c?: unknown, d?: unknown) { return f(this, a, b, c, d); };
}

/** `x.name_(...)`: the op out of place, written into the receiver (inplace.ts: version bump, grad_fn rebase). */
function inPlaceForm(op: OpInfo): (this: Tensor, ...args: never[]) => unknown {
  const f = op.fn as Call, name = `${op.name}_`;
  if (op.family === 'unary') return function (this: Tensor) { return P.assign(this, name, f(this) as Tensor); };
  if (op.family === 'binary') return function (this: Tensor, o: unknown) { return P.assign(this, name, f(this, o) as Tensor); };
  return function (this: Tensor, a?: unknown, b?: unknown, c?: unknown, d?: unknown) { return P.assign(this, name, f(this, a, b, c, d) as Tensor); };
}

let installed = false;

/**
 * Attaches the Tensor methods (the registered ops' forms, then the hand-written ones below) and autograd's helper
 * ops. Idempotent; called by the setup path (src/setup.ts), never on import.
 */
export function installTensorMethods(): void {
  if (installed) return;
  installed = true;
  // the registered families are referenced by value so that each has loaded (its definitions are in OPS) by now
  for (const family of [E, R, L, C]) if (typeof family !== 'object') throw new Error('installTensorMethods: an op family did not load');
  for (const op of OPS) {
    if (op.method) proto[op.name] = methodForm(op);
    if (op.inPlace) proto[`${op.name}_`] = inPlaceForm(op);
  }
  for (const [name, fn] of HAND) proto[name] = fn;
  Object.defineProperty(Tensor.prototype, 'mT', { get(this: Tensor) { return M.transpose(this, -2, -1); } });
  Object.defineProperty(Tensor.prototype, 'T', { get(this: Tensor) { return M.permute(this, this.shape.map((_, i) => this.ndim - 1 - i)); } });
  installGradOps({
    sumToShape(g, shape) {
      let r = g;
      const lead = r.ndim - shape.length;
      if (lead > 0) r = R.sum(r, Array.from({ length: lead }, (_, i) => i));
      const dims = shape.map((s, i) => (s === 1 && r.shape[i] !== 1 ? i : -1)).filter((i) => i >= 0);
      if (dims.length) r = R.sum(r, dims, { keepdim: true });
      return M.reshape(r, shape);
    },
    cast: (g, like) => M.toDtype(g, like.dtype),
    add: (a, b) => E.add(a, b),
    onesLike: (t) => onesLike(t),
    addInPlace: (a, b) => { P.assign(a, 'grad accumulation', E.add(a, b)); },
    clone: (t) => M.clone(t),
  });
}

def('add', function (o: TensorOrScalar, opts?: { alpha?: number }) { return addAlpha('add', this, o, opts); });
def('sub', function (o: TensorOrScalar, opts?: { alpha?: number }) { return addAlpha('sub', this, o, opts); });
def('where', function (c: Tensor, o: TensorOrScalar) { return E.where(c, this, o); });

def('view', function (...s: number[] | [readonly number[]]) { return M.view(this, shapeArgs(s)); });
def('reshape', function (...s: number[] | [readonly number[]]) { return M.reshape(this, shapeArgs(s)); });
def('transpose', function (a: number, b: number) { return M.transpose(this, a, b); });
def('permute', function (...s: number[] | [readonly number[]]) { return M.permute(this, shapeArgs(s)); });
def('t', function () { return M.t(this); });
def('squeeze', function (d?: number | readonly number[]) { return M.squeeze(this, d); });
def('unsqueeze', function (d: number) { return M.unsqueeze(this, d); });
def('expand', function (...s: number[] | [readonly number[]]) { return M.expand(this, shapeArgs(s)); });
def('expandAs', function (o: Tensor) { return M.expand(this, o.shape); });
def('narrow', function (d: number, s: number, l: number) { return M.narrow(this, d, s, l); });
def('select', function (d: number, i: number) { return M.select(this, d, i); });
def('slice', function (d: number, s?: number, e?: number | null, st?: number) { return M.slice(this, d, s, e, st); });
def('index', function (...items: S.IndexItem[]) { return S.index(this, ...items); });
def('setIndex_', function (...args: unknown[]) { return S.setIndex_(this, ...args); });
def('indexPut', function (i: readonly S.IndexItem[], v: Tensor | number, o?: S.IndexPutOpts) { return S.indexPut(this, i, v, o); });
def('indexPut_', function (i: readonly S.IndexItem[], v: Tensor | number, o?: S.IndexPutOpts) { return S.indexPut_(this, i, v, o); });
def('flatten', function (s?: number, e?: number) { return M.flatten(this, s, e); });
def('unflatten', function (d: number, s: readonly number[]) { return M.unflatten(this, d, s); });
def('contiguous', function () { return M.contiguous(this); });
def('clone', function () { return M.clone(this); });
def('detach', function () { return M.detach(this); });
def('detach_', function () { if (this.base) throw new DTypeError('detach_: cannot detach a view in place; use detach()'); this.gradFn = null; this.setRequiresGradInternal(false); return this; });
def('split', function (s: number | readonly number[], d?: number) { return M.split(this, s, d); });
def('chunk', function (c: number, d?: number) { return M.chunk(this, c, d); });
def('to', function (a: ToArg, o?: { copy?: boolean }) { return to(this, a, o); });
def('toAsync', function (d: DeviceType) { return M.toDeviceAsync(this, d); });
def('cpu', function () { return M.toDevice(this, 'cpu'); });
const casts: [string, DType][] = [['float', 'float32'], ['double', 'float64'], ['half', 'float16'], ['bfloat16', 'bfloat16'], ['long', 'int64'], ['int', 'int32'], ['bool', 'bool'], ['byte', 'uint8']];
for (const [n, dt] of casts) def(n, function () { return M.toDtype(this, dt); });
def('type', function (dt: DTypeName) { return M.toDtype(this, checkDtype('Tensor.type', 'dtype', dt)); });

def('gather', function (d: number, i: Tensor) { return I.gather(this, d, i); });
def('scatter', function (d: number, i: Tensor, s: Tensor | number) { return I.scatter(this, d, i, s); });
def('scatterAdd', function (d: number, i: Tensor, s: Tensor) { return I.scatterAdd(this, d, i, s); });
def('indexSelect', function (d: number, i: Tensor) { return I.indexSelect(this, d, i); });
def('tril', function (k?: number) { return I.tril(this, k); });
def('triu', function (k?: number) { return I.triu(this, k); });

def('add_', function (o: TensorOrScalar, opts?: { alpha?: number }) { return P.assign(this, 'add_', addAlpha('add_', this, o, opts)); });
def('sub_', function (o: TensorOrScalar, opts?: { alpha?: number }) { return P.assign(this, 'sub_', addAlpha('sub_', this, o, opts)); });
def('lerp_', function (end: Tensor, w: number) { return P.assign(this, 'lerp_', E.add(this, E.mul(E.sub(end, this), w))); });
def('zero_', function () { return P.zero_(this); });
def('fill_', function (v: number | boolean) { return P.fill_(this, v); });
def('copy_', function (s: Tensor) { return P.copy_(this, s); });
def('uniform_', function (...a: unknown[]) { return P.uniform_(this, ...a); });
def('normal_', function (...a: unknown[]) { return P.normal_(this, ...a); });
def('exponential_', function (...a: unknown[]) { return P.exponential_(this, ...a); });
def('bernoulli_', function (...a: unknown[]) { return P.bernoulli_(this, ...a); });
def('random_', function (a: number, b: number, o?: P.GenOpt) { return P.random_(this, a, b, o); });

