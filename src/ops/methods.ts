/**
 * @file Tensor methods: one line per op, attached to Tensor.prototype with matching declarations
 * (declaration merging), so `x.add(y)`, `x.sum(1, {keepdim: true})`, `x.add_(y)` read like PyTorch.
 */
import { isDeviceName } from '../core/devices.js';
import type { DeviceType } from '../backend/backend.js';
import type { DType, DTypeName } from '../core/dtype.js';
import { DTypeError } from '../core/errors.js';
import { checkDevice, checkDtype, checkOptions, checkSpec, type Rule } from '../core/args.js';
import { installGradOps } from '../autograd/engine.js';
import { Tensor } from '../tensor/tensor.js';
import { lastStorageSerial } from '../backend/memory.js';
import * as E from './elementwise.js';
import * as M from './movement.js';
import * as R from './reduce.js';
import * as L from './linalg.js';
import * as I from './indexing.js';
import * as P from './inplace.js';
import * as S from './subscript.js';
import * as C from './compare.js';
import { onesLike } from './creation.js';
import { multinomial, type MultinomialOpts } from './sampling.js';
import type { TensorOrScalar } from './elementwise.js';
import type { Dims, ReduceOpts, VarOpts } from './reduce.js';
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
function alpha(y: TensorOrScalar, a?: number): TensorOrScalar {
  return a === undefined || a === 1 ? y : typeof y === 'number' ? y * a : E.mul(y, a);
}

/** The registered ops' method forms (`name`, `name_`), typed from their definitions (ops/registry.ts). */
type RegisteredMethods = MethodsOf<typeof E>;

declare module '../tensor/tensor.js' {
  interface Tensor extends RegisteredMethods {
    add(other: TensorOrScalar, opts?: { alpha?: number }): Tensor;
    sub(other: TensorOrScalar, opts?: { alpha?: number }): Tensor;
    where(cond: Tensor, other: TensorOrScalar): Tensor;
    equal(other: Tensor): boolean; isclose(other: Tensor, opts?: C.IscloseOpts): Tensor; allclose(other: Tensor, opts?: C.IscloseOpts): boolean;

    sum(dim?: Dims, opts?: ReduceOpts): Tensor; mean(dim?: Dims, opts?: ReduceOpts): Tensor;
    prod(dim?: number | null, opts?: ReduceOpts): Tensor;
    amax(dim?: Dims, opts?: { keepdim?: boolean }): Tensor; amin(dim?: Dims, opts?: { keepdim?: boolean }): Tensor;
    max(): Tensor; max(dim: number, opts?: { keepdim?: boolean }): { values: Tensor; indices: Tensor };
    min(): Tensor; min(dim: number, opts?: { keepdim?: boolean }): { values: Tensor; indices: Tensor };
    argmax(dim?: number | null, opts?: { keepdim?: boolean }): Tensor; argmin(dim?: number | null, opts?: { keepdim?: boolean }): Tensor;
    var(dim?: Dims, opts?: VarOpts): Tensor; std(dim?: Dims, opts?: VarOpts): Tensor;
    logsumexp(dim: Dims, opts?: { keepdim?: boolean }): Tensor;
    norm(p?: number | 'fro', dim?: Dims, opts?: { keepdim?: boolean }): Tensor;
    all(dim?: number | null, opts?: { keepdim?: boolean }): Tensor; any(dim?: number | null, opts?: { keepdim?: boolean }): Tensor;
    softmax(dim: number): Tensor; logSoftmax(dim: number): Tensor; cumsum(dim: number): Tensor;
    sort(dim?: number, opts?: { descending?: boolean }): { values: Tensor; indices: Tensor };
    topk(k: number, dim?: number, opts?: { largest?: boolean }): { values: Tensor; indices: Tensor };

    matmul(other: Tensor): Tensor; mm(other: Tensor): Tensor; bmm(other: Tensor): Tensor; mv(v: Tensor): Tensor; dot(other: Tensor): Tensor;

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
    multinomial(numSamples: number, opts?: MultinomialOpts): Tensor;
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
    adopt: (t) => (t.base === null ? t : new Tensor(t.storage, t.shape)),
    lastSerial: lastStorageSerial,
  });
}

def('add', function (o: TensorOrScalar, opts?: { alpha?: number }) { return E.add(this, alpha(o, checkSpec<{ alpha: number }>('add', opts, ALPHA).alpha)); });
def('sub', function (o: TensorOrScalar, opts?: { alpha?: number }) { return E.sub(this, alpha(o, checkSpec<{ alpha: number }>('sub', opts, ALPHA).alpha)); });
def('where', function (c: Tensor, o: TensorOrScalar) { return E.where(c, this, o); });

def('sum', function (d?: Dims, o?: ReduceOpts) { return R.sum(this, d, o); });
def('mean', function (d?: Dims, o?: ReduceOpts) { return R.mean(this, d, o); });
def('prod', function (d?: number | null, o?: ReduceOpts) { return R.prod(this, d, o); });
def('amax', function (d?: Dims, o?: { keepdim?: boolean }) { return R.amax(this, d, o); });
def('amin', function (d?: Dims, o?: { keepdim?: boolean }) { return R.amin(this, d, o); });
def('max', function (d?: number, o?: { keepdim?: boolean }) { return d === undefined ? R.max(this) : R.max(this, d, o); });
def('min', function (d?: number, o?: { keepdim?: boolean }) { return d === undefined ? R.min(this) : R.min(this, d, o); });
def('argmax', function (d?: number | null, o?: { keepdim?: boolean }) { return R.argmax(this, d, o); });
def('argmin', function (d?: number | null, o?: { keepdim?: boolean }) { return R.argmin(this, d, o); });
def('var', function (d?: Dims, o?: VarOpts) { return R.variance(this, d, o); });
def('std', function (d?: Dims, o?: VarOpts) { return R.std(this, d, o); });
def('logsumexp', function (d: Dims, o?: { keepdim?: boolean }) { return R.logsumexp(this, d, o); });
def('norm', function (p?: number | 'fro', d?: Dims, o?: { keepdim?: boolean }) { return R.norm(this, p, d, o); });
def('all', function (d?: number | null, o?: { keepdim?: boolean }) { return R.all(this, d, o); });
def('any', function (d?: number | null, o?: { keepdim?: boolean }) { return R.any(this, d, o); });
def('softmax', function (d: number) { return R.softmax(this, d); });
def('logSoftmax', function (d: number) { return R.logSoftmax(this, d); });
def('cumsum', function (d: number) { return R.cumsum(this, d); });
def('sort', function (d?: number, o?: { descending?: boolean }) { return R.sort(this, d, o); });
def('topk', function (k: number, d?: number, o?: { largest?: boolean }) { return R.topk(this, k, d, o); });

def('matmul', function (o: Tensor) { return L.matmul(this, o); });
def('mm', function (o: Tensor) { return L.mm(this, o); });
def('bmm', function (o: Tensor) { return L.bmm(this, o); });
def('mv', function (o: Tensor) { return L.mv(this, o); });
def('dot', function (o: Tensor) { return L.dot(this, o); });

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

def('add_', function (o: TensorOrScalar, opts?: { alpha?: number }) { return P.assign(this, 'add_', E.add(this, alpha(o, checkSpec<{ alpha: number }>('add_', opts, ALPHA).alpha))); });
def('sub_', function (o: TensorOrScalar, opts?: { alpha?: number }) { return P.assign(this, 'sub_', E.sub(this, alpha(o, checkSpec<{ alpha: number }>('sub_', opts, ALPHA).alpha))); });
def('lerp_', function (end: Tensor, w: number) { return P.assign(this, 'lerp_', E.add(this, E.mul(E.sub(end, this), w))); });
def('zero_', function () { return P.zero_(this); });
def('fill_', function (v: number | boolean) { return P.fill_(this, v); });
def('copy_', function (s: Tensor) { return P.copy_(this, s); });
def('uniform_', function (...a: unknown[]) { return P.uniform_(this, ...a); });
def('normal_', function (...a: unknown[]) { return P.normal_(this, ...a); });
def('exponential_', function (...a: unknown[]) { return P.exponential_(this, ...a); });
def('bernoulli_', function (...a: unknown[]) { return P.bernoulli_(this, ...a); });
def('random_', function (a: number, b: number, o?: P.GenOpt) { return P.random_(this, a, b, o); });
def('multinomial', function (n: number, o?: MultinomialOpts) { return multinomial(this, n, o); });
def('equal', function (o: Tensor) { return C.equal(this, o); });
def('isclose', function (o: Tensor, opts?: C.IscloseOpts) { return C.isclose(this, o, opts); });
def('allclose', function (o: Tensor, opts?: C.IscloseOpts) { return C.allclose(this, o, opts); });

