/**
 * @file Tensor methods: one line per op, attached to Tensor.prototype with matching declarations
 * (declaration merging), so `x.add(y)`, `x.sum(1, {keepdim: true})`, `x.add_(y)` read like PyTorch.
 */
import type { DTypeName } from '../core/dtype.js';
import { installGradOps } from '../autograd/engine.js';
import { Tensor } from '../tensor/tensor.js';
import * as E from './elementwise.js';
import * as M from './movement.js';
import * as R from './reduce.js';
import * as L from './linalg.js';
import * as I from './indexing.js';
import * as P from './inplace.js';
import * as S from './subscript.js';
import * as C from './compare.js';
import * as K from './cast.js';
import { onesLike } from './creation.js';
import { multinomial, type MultinomialOpts } from './sampling.js';
import type { Dims, ReduceOpts, VarOpts } from './reduce.js';
import { METHOD_FORMS, OPS, type MethodsOf, type OpInfo, type OwnMethodsOf } from './registry.js';

export type { DTypeName };

/** The registered ops' method forms (`name`, `name_`), typed from their definitions (ops/registry.ts). */
type RegisteredMethods = MethodsOf<typeof E> & OwnMethodsOf<typeof E> & MethodsOf<typeof M> & OwnMethodsOf<typeof M> & MethodsOf<typeof K>
  & MethodsOf<typeof I> & MethodsOf<typeof P> & MethodsOf<typeof S>;

declare module '../tensor/tensor.js' {
  interface Tensor extends RegisteredMethods {
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

    readonly mT: Tensor; readonly T: Tensor;
    multinomial(numSamples: number, opts?: MultinomialOpts): Tensor;
  }
}

const proto = Tensor.prototype as unknown as Record<string, unknown>;
/** The hand-written methods (ops not in the registry yet), attached by installTensorMethods. */
const HAND: [string, (this: Tensor, ...args: never[]) => unknown][] = [];
const def = (name: string, fn: (this: Tensor, ...args: never[]) => unknown) => { HAND.push([name, fn]); };
type Call = (...args: unknown[]) => unknown;

/**
 * `x.name(...)` for a registered op: the receiver first (or the definition's own method form); one closure per op,
 * made once at install. Custom ops get exactly the call's arguments (variadic ones count them).
 */
function methodForm(op: OpInfo): (this: Tensor, ...args: never[]) => unknown {
  const f = (METHOD_FORMS.get(op.name) ?? op.fn) as Call;
  if (op.family === 'unary') return function (this: Tensor) { return f(this); };
  if (op.family === 'binary') return function (this: Tensor, o: unknown, opts?: unknown) { return f(this, o, opts); };
  return function (this: Tensor, ...a: unknown[]) { return f(this, ...a); };
}

/** `x.name_(...)`: the op out of place, written into the receiver (inplace.ts: version bump, grad_fn rebase). */
function inPlaceForm(op: OpInfo): (this: Tensor, ...args: never[]) => unknown {
  const f = op.fn as Call, name = `${op.name}_`;
  if (op.family === 'unary') return function (this: Tensor) { return P.assign(this, name, f(this) as Tensor); };
  if (op.family === 'binary') return function (this: Tensor, o: unknown, opts?: unknown) { return P.assign(this, name, f(this, o, opts) as Tensor); };
  return function (this: Tensor, ...a: unknown[]) { return P.assign(this, name, f(this, ...a) as Tensor); };
}

let installed = false;
/** The registered families: each fills OPS when loaded. Read here so that a bundler keeps every one (a family may have no other used export). */
const FAMILIES = [E, M, K, I, P, S];

/**
 * Attaches the Tensor methods (the registered ops' forms, then the hand-written ones below) and autograd's helper
 * ops. Idempotent; called by the setup path (src/setup.ts), never on import.
 */
export function installTensorMethods(): void {
  if (installed || FAMILIES.length === 0) return;
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
  });
}


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



def('multinomial', function (n: number, o?: MultinomialOpts) { return multinomial(this, n, o); });
def('equal', function (o: Tensor) { return C.equal(this, o); });
def('isclose', function (o: Tensor, opts?: C.IscloseOpts) { return C.isclose(this, o, opts); });
def('allclose', function (o: Tensor, opts?: C.IscloseOpts) { return C.allclose(this, o, opts); });

