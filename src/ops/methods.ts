/**
 * @file Tensor methods: the method and in-place forms of every registered op (ops/registry.ts), attached to
 * Tensor.prototype, their types derived from the definitions (declaration merging), so `x.add(y)`,
 * `x.sum(1, {keepdim: true})`, `x.add_(y)` read like PyTorch.
 */
import type { DTypeName } from '../core/dtype.js';
import { installGradOps } from '../autograd/engine.js';
import { Tensor } from '../tensor/tensor.js';
import { lastStorageSerial } from '../backend/memory.js';
import { be } from './util.js';
import * as E from './elementwise.js';
import * as M from './movement.js';
import * as R from './reduce.js';
import * as L from './linalg.js';
import * as I from './indexing.js';
import * as P from './inplace.js';
import * as S from './subscript.js';
import * as C from './compare.js';
import * as K from './cast.js';
import * as Smp from './sampling.js';
import { onesLike } from './creation.js';
import { METHOD_FORMS, OPS, type MethodsOf, type OpInfo, type OwnMethodsOf } from './registry.js';

export type { DTypeName };

/** The registered ops' method forms (`name`, `name_`), typed from their definitions (ops/registry.ts). */
type RegisteredMethods = MethodsOf<typeof E> & OwnMethodsOf<typeof E> & MethodsOf<typeof M> & OwnMethodsOf<typeof M> & MethodsOf<typeof K>
  & MethodsOf<typeof I> & MethodsOf<typeof P> & MethodsOf<typeof S> & MethodsOf<typeof R> & MethodsOf<typeof L> & MethodsOf<typeof C>
  & MethodsOf<typeof Smp>;

declare module '../tensor/tensor.js' {
  interface Tensor extends RegisteredMethods {
    readonly mT: Tensor; readonly T: Tensor;
  }
}

const proto = Tensor.prototype as unknown as Record<string, unknown>;
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
const FAMILIES = [E, M, K, I, P, S, R, L, C, Smp];

/**
 * Attaches the Tensor methods (every one is a registered op's form; `mT`/`T` are properties) and autograd's helper
 * ops. Idempotent; called by the setup path (src/setup.ts), never on import.
 */
export function installTensorMethods(): void {
  if (installed || FAMILIES.length === 0) return;
  installed = true;
  for (const op of OPS) {
    if (op.method) proto[op.name] = methodForm(op);
    if (op.inPlace) proto[`${op.name}_`] = inPlaceForm(op);
  }
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
    intoWindow: M.intoZeros,
    recycle: (t) => { be(t).recycle?.(t.storage); },
  });
}
