/**
 * @file The op registry. An op of a registered family is ONE definition object in its family file: its name, the
 * kernel it calls (or that it is composite), its dtype rule, its backward (or `nonDifferentiable` with the
 * reason), its method and in-place forms, and its op-table sample rows. The family builders (`unaryOp`,
 * `binaryOp` in elementwise.ts, `customOp` here) turn a definition into the op function once, at module load (the
 * call path is the same closure a hand-written op has), and record it in `OPS`. From that one object come:
 * - `torch.*`: the op function is the family file's export (ops/index.ts re-exports the family);
 * - the Tensor methods and their types: methods.ts installs `OPS` on Tensor.prototype and derives the method
 *   declarations from the branded export types (`MethodsOf`), so a method cannot exist without a definition;
 * - the test suites: test/ops/op-db.ts expands every definition's `samples` into the op table (PyTorch fixtures,
 *   float64 gradcheck, every device), gradcheck.test.ts requires a checked sample of each differentiable op,
 *   test/webgpu/ops.test.ts compares every unary kernel with the CPU.
 * The compiler rejects a definition without `backward` or `nonDifferentiable`, a kernel name that is not a row of
 * the CPU's kernel table (backend/cpu/math.ts), and a kernel without a row (or an explicit `notOnDevice` reason)
 * in each device's table. Imports only types.
 */
import type { Backend, BinaryOp, UnaryOp } from '../backend/backend.js';
import type { DType } from '../core/dtype.js';
import type { Tensor } from '../tensor/tensor.js';

/** An input of an op-table sample (see test/ops/op-db.ts: kinds of values, layouts that make it non-contiguous). */
export interface SampleInput {
  shape: number[];
  dtype?: DType;
  kind?: 'randn' | 'pos' | 'unit' | 'int' | 'bool';
  /** Fixed values (row-major, of the final shape; only with no layout). */
  values?: number[];
  layout?: 'T' | 'step' | 'expand';
}

export interface SampleTol { atol?: number; rtol?: number }

/** One op-table row: the fixture id is `${op ?? definition name}/${id}`; `py` is the same call in PyTorch over a, b, c, d. */
export interface Sample {
  id: string;
  inputs: SampleInput[];
  py: string;
  /** The torchlet call (default: the op applied to the inputs). */
  call?: (...xs: Tensor[]) => Tensor | Tensor[] | { values: Tensor; indices: Tensor };
  /** The op-table name when it is not the definition's (gelu's tanh form is the table's 'geluTanh'). */
  op?: string;
  grad?: boolean;
  gradcheck?: boolean;
  webgpu?: { skip?: string; fwd?: SampleTol; grad?: SampleTol };
  cpu?: { fwd?: SampleTol; grad?: SampleTol };
}

/** Every definition says how it differentiates: a backward, or the reason it has none. */
export type Differentiability<B> =
  | { backward: B; nonDifferentiable?: never }
  | { nonDifferentiable: string; backward?: never };

/** The method forms of a definition: `x.name(...)` (method) and `x.name_(...)` (inPlace). */
export interface Forms<M extends boolean, I extends boolean> { method: M; inPlace?: I }

declare const FORMS: unique symbol;
/** An op function branded (in types only) with its forms; methods.ts derives the Tensor method types from it. */
export type OpFn<F, M extends boolean, I extends boolean> = F & { readonly [FORMS]: { method: M; inPlace: I } };

type Fn = (...args: never[]) => unknown;
type Rest<F> = F extends (self: never, ...rest: infer A) => infer R ? (...args: A) => R : never;

/** The Tensor methods a module's registered ops give: `name` for `method: true`, `name_` for `inPlace: true`. */
export type MethodsOf<Mod> = {
  [K in keyof Mod as Mod[K] extends { readonly [FORMS]: { method: true } } ? K : never]: MethodOf<Mod[K]>;
} & {
  [K in keyof Mod as Mod[K] extends { readonly [FORMS]: { inPlace: true } } ? `${K & string}_` : never]: MethodOf<Mod[K]>;
};

/** A kernel an op calls: an elementwise kernel of the CPU's tables, or another `Backend` method. */
export type Kernel = UnaryOp | BinaryOp | Exclude<keyof Backend, 'name' | 'unary' | 'binary'>;

/** What the registry knows of one op at run time. */
export interface OpInfo {
  readonly name: string;
  /** unary / binary: one kernel of that family; custom: its own body (composite when `kernels` is empty). */
  readonly family: 'unary' | 'binary' | 'custom';
  readonly kernels: readonly Kernel[];
  /** Null when differentiable; else the reason it is not. */
  readonly nonDifferentiable: string | null;
  readonly method: boolean;
  readonly inPlace: boolean;
  readonly fn: Fn;
  readonly samples: readonly Sample[];
}

/** Every registered op, in definition order. */
export const OPS: OpInfo[] = [];

export function registerOp(info: OpInfo): void {
  if (OPS.some((o) => o.name === info.name)) throw new Error(`op registry: '${info.name}' is defined twice`);
  OPS.push(info);
}

/**
 * An op written in its own body: composite (`backward: 'composite'`: the gradient flows through the ops it calls,
 * no kernel of its own) or calling kernels and recording its backward itself (`backward: 'records'`, `kernels`
 * listed). The method forms pass the receiver first, then the call's own arguments.
 */
export function customOp<N extends string, F extends (self: Tensor, ...rest: never[]) => unknown, M extends boolean, I extends boolean = false>(
  def: { name: N; fn: F; kernels?: readonly Kernel[]; samples: readonly Sample[] } & Forms<M, I> & Differentiability<'composite' | 'records'>,
): OpFn<F, M, I> {
  registerOp({
    name: def.name, family: 'custom', kernels: def.kernels ?? [], nonDifferentiable: def.nonDifferentiable ?? null,
    method: def.method, inPlace: def.inPlace ?? false, fn: def.fn, samples: def.samples,
  });
  return def.fn as OpFn<F, M, I>;
}

// ---------------- ops without a Tensor receiver (factories; internal ops of nn.functional and the fused kernels) ----------------

/**
 * An op whose function takes no Tensor receiver first, so it has no method form: `freeOp` for an internal op
 * (a fused kernel's node, an F.* helper whose first argument is not a tensor), `factoryOp` for a factory
 * (zeros, arange, randn, ...), which must say why it is not differentiable (it makes a new leaf). Registered as
 * a 'custom' op with `method: false`; samples are optional (a factory's values are checked by its own tests).
 */
export function freeOp<N extends string, F extends (...args: never[]) => unknown>(
  def: { name: N; fn: F; kernels?: readonly Kernel[]; samples?: readonly Sample[] } & Differentiability<'composite' | 'records'>,
): OpFn<F, false, false> {
  registerOp({
    name: def.name, family: 'custom', kernels: def.kernels ?? [], nonDifferentiable: def.nonDifferentiable ?? null,
    method: false, inPlace: false, fn: def.fn, samples: def.samples ?? [],
  });
  return def.fn as OpFn<F, false, false>;
}

/** A factory: a `freeOp` that is never differentiable (`nonDifferentiable` gives the reason, e.g. 'creates a new leaf'). */
export function factoryOp<N extends string, F extends (...args: never[]) => unknown>(
  def: { name: N; fn: F; kernels?: readonly Kernel[]; samples?: readonly Sample[]; nonDifferentiable: string },
): OpFn<F, false, false> {
  return freeOp(def);
}

// ---------------- sample shorthands (the op table's) ----------------

type Shape = number[];
/** randn, positive, in (-1, 1), int64, bool; T / S / X make an input transposed, strided, expanded; V fixed values. */
export const In = {
  F: (...shape: Shape): SampleInput => ({ shape }),
  P: (...shape: Shape): SampleInput => ({ shape, kind: 'pos' }),
  U: (...shape: Shape): SampleInput => ({ shape, kind: 'unit' }),
  I: (...shape: Shape): SampleInput => ({ shape, kind: 'int', dtype: 'int64' }),
  B: (...shape: Shape): SampleInput => ({ shape, kind: 'bool', dtype: 'bool' }),
  T: (s: SampleInput): SampleInput => ({ ...s, layout: 'T' }),
  S: (s: SampleInput): SampleInput => ({ ...s, layout: 'step' }),
  X: (s: SampleInput): SampleInput => ({ ...s, layout: 'expand' }),
  V: (shape: Shape, values: number[], dtype: DType = 'int64'): SampleInput => ({ shape, values, dtype }),
  D: (s: SampleInput, dtype: DType): SampleInput => ({ ...s, dtype }),
};

/** The three layouts every unary op is sampled in: contiguous [3, 4], transposed [2, 3, 4], strided [3, 4]. */
export function layouts(kind: (...shape: Shape) => SampleInput, py: string, extra: Partial<Sample> = {}): Sample[] {
  return [
    { id: 'contig', inputs: [kind(3, 4)], py, ...extra },
    { id: 'T', inputs: [In.T(kind(2, 3, 4))], py, ...extra },
    { id: 'step', inputs: [In.S(kind(3, 4))], py, ...extra },
  ];
}

// ---------------- explicit method types (overloaded methods: max() / max(dim)) ----------------

declare const METHOD: unique symbol;
/**
 * An op whose Tensor method type is not `Rest<F>`: `T` is the method's type (the one case today: an overloaded
 * function such as reduce.ts's max, where `Rest` would see only the last overload). Types only, like `OpFn`.
 */
export type WithMethod<F, T> = F & { readonly [METHOD]: T };
/** The method type of a registered op: its explicit `WithMethod` type, else the op function less its receiver. */
type MethodOf<F> = F extends { readonly [METHOD]: infer T } ? T : Rest<F>;

/** One sample row in the op table's argument order: id, inputs, the PyTorch expression, the torchlet call, the rest. */
export function sample(id: string, inputs: SampleInput[], py: string, call?: Sample['call'], extra: Partial<Sample> = {}): Sample {
  return call ? { id, inputs, py, call, ...extra } : { id, inputs, py, ...extra };
}

// ---------------- ops without a tensor receiver, and method forms of their own (movement/indexing families) ----------------

/** An op whose first argument is not a tensor (cat and stack take a list): a function only, no method forms. */
export function functionOp<N extends string, F extends Fn>(
  def: { name: N; fn: F; kernels?: readonly Kernel[]; samples: readonly Sample[] } & Differentiability<'composite' | 'records'>,
): OpFn<F, false, false> {
  registerOp({
    name: def.name, family: 'custom', kernels: def.kernels ?? [], nonDifferentiable: def.nonDifferentiable ?? null,
    method: false, inPlace: false, fn: def.fn, samples: def.samples,
  });
  return def.fn as OpFn<F, false, false>;
}

declare const OWN: unique symbol;
/** An op function whose Tensor method has its own body and type (`methodForm`, the receiver first). */
export type OpFnOwnMethod<F, MF> = OpFn<F, false, false> & { readonly [OWN]: MF };

/** The Tensor methods of a module's `ownMethodOp` definitions: `name`, typed as its method form without the receiver. */
export type OwnMethodsOf<Mod> = {
  [K in keyof Mod as Mod[K] extends { readonly [OWN]: unknown } ? K : never]: Mod[K] extends { readonly [OWN]: infer MF } ? Rest<MF> : never;
};

/** The method bodies of the `ownMethodOp` definitions, by op name (methods.ts installs them as `x.name(...)`). */
export const METHOD_FORMS = new Map<string, Fn>();

/**
 * An op whose method form is not `fn(x, ...rest)`: `x.view(2, 3)` is `view(x, [2, 3])` (PyTorch's variadic
 * sizes), `x.where(cond, y)` is `where(cond, x, y)`. `methodForm(self, ...args)` is the method's body and type.
 */
export function ownMethodOp<N extends string, F extends Fn, MF extends (self: Tensor, ...rest: never[]) => unknown>(
  def: { name: N; fn: F; methodForm: MF; kernels?: readonly Kernel[]; samples: readonly Sample[] } & Differentiability<'composite' | 'records'>,
): OpFnOwnMethod<F, MF> {
  registerOp({
    name: def.name, family: 'custom', kernels: def.kernels ?? [], nonDifferentiable: def.nonDifferentiable ?? null,
    method: true, inPlace: false, fn: def.fn, samples: def.samples,
  });
  METHOD_FORMS.set(def.name, def.methodForm);
  return def.fn as OpFnOwnMethod<F, MF>;
}
