/**
 * @file Elementwise ops with broadcasting and PyTorch type promotion: unary math, binary arithmetic,
 * comparisons and logic, where, clamp. Each op: checks, one kernel call, and its backward written with ops.
 */
import { ArgumentError, checkSpec, describeType } from '../core/args.js';
import { record } from '../autograd/node.js';
import type { BinaryOp, UnaryOp } from '../backend/backend.js';
import { isFloating, resultType, type DType } from '../core/dtype.js';
import { DTypeError } from '../core/errors.js';
import { broadcastShapes } from '../core/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { be, broadcast2, bview, castRaw, computable, fmaRaw, make, operands, sameDevice, scalarTensor, type TensorOrScalar } from './util.js';
import { customOp, In, layouts, ownMethodOp, registerOp, type Differentiability, type Forms, type OpFn, type OpFnOwnMethod, type Sample } from './registry.js';

export type { Scalar, TensorOrScalar } from './util.js';

// ---------------- unary ----------------

/** A unary kernel's dtype rule: 'float' (integer inputs compute in float32, as PyTorch's float-only ops), 'bool' (a predicate). */
type UnaryDtype = 'float' | 'bool';
const UNARY_DTYPE = new Map<UnaryOp, UnaryDtype>([['gelu', 'float'], ['geluTanh', 'float']]);

function unaryRaw(op: UnaryOp, x: Tensor, outDtype?: DType): Tensor {
  computable(op, x);
  let dt = outDtype ?? x.dtype;
  if (!outDtype) {
    const rule = UNARY_DTYPE.get(op);
    if (rule === 'bool') dt = 'bool';
    else if (rule === 'float' && !isFloating(x.dtype)) dt = 'float32';
  }
  return make(be(x).unary(op, x, dt), x.shape);
}

/**
 * The backward of a unary op: `grad(x, out, g)`, and `save`, which tensor it reads: its input ('in'), its result
 * ('out') or neither ('none'); only that one is version-checked, so an in-place op on the other is allowed (as PyTorch).
 */
interface UnaryBackward { save: 'in' | 'out' | 'none'; grad: (x: Tensor, out: Tensor, g: Tensor) => Tensor }

/** A unary primitive: its name is its kernel's (a row of the CPU's UNARY table and of every device's). */
function unaryOp<N extends UnaryOp, M extends boolean, I extends boolean = false>(
  def: { name: N; dtype?: UnaryDtype; samples: readonly Sample[] } & Forms<M, I> & Differentiability<UnaryBackward>,
): OpFn<(x: Tensor) => Tensor, M, I> {
  const { name: op, backward: bw } = def;
  if (def.dtype) UNARY_DTYPE.set(op, def.dtype);
  const node = op[0].toUpperCase() + op.slice(1);
  const fn = bw
    ? (x: Tensor): Tensor => {
      const out = unaryRaw(op, x);
      if (!x.requiresGrad) return out; // what record answers; no backward closure or saved list made
      return record(out, node, [x], (g) => [bw.grad(x, out, g)], bw.save === 'in' ? [x] : bw.save === 'out' ? [out] : []);
    }
    : (x: Tensor): Tensor => unaryRaw(op, x);
  registerOp({ name: op, family: 'unary', kernels: [op], nonDifferentiable: def.nonDifferentiable ?? null, method: def.method, inPlace: def.inPlace ?? false, fn, samples: def.samples });
  return fn as OpFn<(x: Tensor) => Tensor, M, I>;
}

/** A registered unary / binary op's type: the function, branded with its method forms (methods.ts types the methods from it). */
type Unary<M extends boolean, I extends boolean> = OpFn<(x: Tensor) => Tensor, M, I>;
type Binary<M extends boolean, I extends boolean> = OpFn<(a: TensorOrScalar, b: TensorOrScalar) => Tensor, M, I>;

const TWO_OVER_SQRT_PI = 1.1283791670955126;
const { F, P, U, I, B, V, D } = In;
/** Rounding ops are sampled on 3 * x, so that values cross integers. */
const times3 = (op: string, f: (x: Tensor) => Tensor): Sample[] => layouts(F, `torch.${op}(a * 3)`, { call: (x) => f(mul(x, 3)) });

export const neg: Unary<true, true> = unaryOp({ name: 'neg', method: true, inPlace: true, backward: { save: 'none', grad: (_x, _o, g): Tensor => neg(g) }, samples: layouts(F, 'torch.neg(a)') });
export const abs: Unary<true, true> = unaryOp({ name: 'abs', method: true, inPlace: true, backward: { save: 'in', grad: (x, _o, g): Tensor => mul(g, sign(x)) },
  samples: [...layouts(F, 'torch.abs(a)'), { id: 'int', inputs: [I(3, 4)], py: 'torch.abs(a)' }] });
export const sqrt: Unary<true, true> = unaryOp({ name: 'sqrt', dtype: 'float', method: true, inPlace: true, backward: { save: 'out', grad: (_x, o, g): Tensor => div(g, mul(o, 2)) },
  samples: [...layouts(P, 'torch.sqrt(a)'), { id: 'int', inputs: [V([4], [0, 1, 4, 9])], py: 'torch.sqrt(a)' }] });
export const rsqrt: Unary<true, false> = unaryOp({ name: 'rsqrt', dtype: 'float', method: true, backward: { save: 'out', grad: (_x, o, g): Tensor => mul(g, mul(pow(o, 3), -0.5)) }, samples: layouts(P, 'torch.rsqrt(a)') });
export const exp: Unary<true, true> = unaryOp({ name: 'exp', dtype: 'float', method: true, inPlace: true, backward: { save: 'out', grad: (_x, o, g): Tensor => mul(g, o) },
  samples: [...layouts(F, 'torch.exp(a)'), { id: 'int', inputs: [I(3, 4)], py: 'torch.exp(a)' }] });
export const expm1: Unary<true, false> = unaryOp({ name: 'expm1', dtype: 'float', method: true, backward: { save: 'out', grad: (_x, o, g): Tensor => mul(g, add(o, 1)) }, samples: layouts(F, 'torch.expm1(a)') });
export const log: Unary<true, true> = unaryOp({ name: 'log', dtype: 'float', method: true, inPlace: true, backward: { save: 'in', grad: (x, _o, g): Tensor => div(g, x) }, samples: layouts(P, 'torch.log(a)') });
export const log1p: Unary<true, false> = unaryOp({ name: 'log1p', dtype: 'float', method: true, backward: { save: 'in', grad: (x, _o, g): Tensor => div(g, add(x, 1)) }, samples: layouts(P, 'torch.log1p(a)') });
export const sin: Unary<true, false> = unaryOp({ name: 'sin', dtype: 'float', method: true, backward: { save: 'in', grad: (x, _o, g): Tensor => mul(g, cos(x)) }, samples: layouts(F, 'torch.sin(a)') });
export const cos: Unary<true, false> = unaryOp({ name: 'cos', dtype: 'float', method: true, backward: { save: 'in', grad: (x, _o, g): Tensor => mul(g, neg(sin(x))) }, samples: layouts(F, 'torch.cos(a)') });
export const tan: Unary<true, false> = unaryOp({ name: 'tan', dtype: 'float', method: true, backward: { save: 'out', grad: (_x, o, g): Tensor => mul(g, add(mul(o, o), 1)) }, samples: layouts(U, 'torch.tan(a)') });
export const tanh: Unary<true, true> = unaryOp({ name: 'tanh', dtype: 'float', method: true, inPlace: true, backward: { save: 'out', grad: (_x, o, g): Tensor => mul(g, rsub(mul(o, o), 1)) }, samples: layouts(F, 'torch.tanh(a)') });
export const sigmoid: Unary<true, true> = unaryOp({ name: 'sigmoid', dtype: 'float', method: true, inPlace: true, backward: { save: 'out', grad: (_x, o, g): Tensor => mul(g, mul(o, rsub(o, 1))) }, samples: layouts(F, 'torch.sigmoid(a)') });
export const relu: Unary<true, true> = unaryOp({ name: 'relu', method: true, inPlace: true, backward: { save: 'out', grad: (_x, o, g): Tensor => binaryRaw('reluBackward', o, g) }, samples: layouts(F, 'torch.relu(a)') });
export const erf: Unary<true, false> = unaryOp({ name: 'erf', dtype: 'float', method: true, backward: { save: 'in', grad: (x, _o, g): Tensor => mul(g, mul(exp(neg(mul(x, x))), TWO_OVER_SQRT_PI)) }, samples: layouts(F, 'torch.erf(a)') });
export const erfinv: Unary<true, false> = unaryOp({ name: 'erfinv', dtype: 'float', method: true, backward: { save: 'out', grad: (_x, o, g): Tensor => binaryRaw('erfinvBackward', o, g) }, samples: layouts(U, 'torch.erfinv(a)') });
export const sign: Unary<true, false> = unaryOp({ name: 'sign', method: true, backward: { save: 'none', grad: (x): Tensor => zerosOf(x) },
  samples: [...layouts(F, 'torch.sign(a)'), { id: 'int', inputs: [I(3, 4)], py: 'torch.sign(a)' }] });
export const floor: Unary<true, false> = unaryOp({ name: 'floor', method: true, backward: { save: 'none', grad: (x): Tensor => zerosOf(x) }, samples: times3('floor', (x): Tensor => floor(x)) });
export const ceil: Unary<true, false> = unaryOp({ name: 'ceil', method: true, backward: { save: 'none', grad: (x): Tensor => zerosOf(x) }, samples: times3('ceil', (x): Tensor => ceil(x)) });
export const round: Unary<true, false> = unaryOp({ name: 'round', method: true, backward: { save: 'none', grad: (x): Tensor => zerosOf(x) },
  samples: [...times3('round', (x): Tensor => round(x)), { id: 'halves', inputs: [V([6], [0.5, 1.5, 2.5, -0.5, -1.5, 2.4], 'float32')], py: 'torch.round(a)', gradcheck: false }] });
export const trunc: Unary<true, false> = unaryOp({ name: 'trunc', method: true, backward: { save: 'none', grad: (x): Tensor => zerosOf(x) }, samples: times3('trunc', (x): Tensor => trunc(x)) });
export const reciprocal: Unary<true, false> = unaryOp({ name: 'reciprocal', dtype: 'float', method: true, backward: { save: 'out', grad: (_x, o, g): Tensor => mul(g, neg(mul(o, o))) }, samples: layouts(P, 'torch.reciprocal(a)') });
export const square: Unary<true, false> = unaryOp({ name: 'square', method: true, backward: { save: 'in', grad: (x, _o, g): Tensor => mul(g, mul(x, 2)) }, samples: layouts(F, 'torch.square(a)') });
export const silu: Unary<true, false> = unaryOp({ name: 'silu', dtype: 'float', method: true, backward: { save: 'in', grad: (x, _o, g): Tensor => { const s = sigmoid(x); return mul(g, mul(s, add(mul(x, rsub(s, 1)), 1))); } },
  samples: layouts(F, 'torch.nn.functional.silu(a)') });
export const softplus: Unary<false, false> = unaryOp({ name: 'softplus', dtype: 'float', method: false, backward: { save: 'in', grad: (x, _o, g): Tensor => mul(g, sigmoid(x)) }, samples: layouts(F, 'torch.nn.functional.softplus(a)') });
export const logicalNot: Unary<true, false> = unaryOp({ name: 'logicalNot', dtype: 'bool', method: true, nonDifferentiable: 'a boolean result',
  samples: [{ id: 'bool', inputs: [B(3, 4)], py: 'torch.logical_not(a)' }, { id: 'float', inputs: [V([4], [0, 1.5, -2, 0], 'float32')], py: 'torch.logical_not(a)' }] });
export const isnan: Unary<true, false> = unaryOp({ name: 'isnan', dtype: 'bool', method: true, nonDifferentiable: 'a boolean result',
  samples: [{ id: 'float', inputs: [V([5], [0, NaN, -Infinity, 1.5, NaN], 'float32')], py: 'torch.isnan(a)' }] });

/** GELU, exact (erf) or with the tanh approximation ({approximate: 'tanh'}). */
export const gelu: OpFn<(x: Tensor, opts?: { approximate?: 'none' | 'tanh' }) => Tensor, true, false> = customOp({
  name: 'gelu', kernels: ['gelu', 'geluTanh', 'geluBackward', 'geluTanhBackward'], method: true, backward: 'records',
  fn: (x: Tensor, opts: { approximate?: 'none' | 'tanh' } = {}): Tensor => {
    opts = checkSpec('gelu', opts, { approximate: { oneOf: ['none', 'tanh'] } });
    const tanhMode = opts.approximate === 'tanh';
    const out = unaryRaw(tanhMode ? 'geluTanh' : 'gelu', x);
    return record(out, 'Gelu', [x], (g) => [binaryRaw(tanhMode ? 'geluTanhBackward' : 'geluBackward', x, g)], [x]);
  },
  samples: [
    ...layouts(F, 'torch.nn.functional.gelu(a)'), { id: 'float64', inputs: [D(F(5), 'float64')], py: 'torch.nn.functional.gelu(a)' },
    ...layouts(F, "torch.nn.functional.gelu(a, approximate='tanh')", { op: 'geluTanh', call: (x): Tensor => gelu(x, { approximate: 'tanh' }) }),
  ],
});

function zerosOf(x: Tensor): Tensor { return make(be(x).alloc(x.dtype, x.numel()), x.shape); }

// ---------------- binary ----------------

/** A binary kernel's dtype rule beyond promotion: 'bool' (comparisons, logic), 'float' (true division of integers). */
type BinaryDtype = 'float' | 'bool';
const BINARY_DTYPE = new Map<BinaryOp, BinaryDtype>();


/** A binary kernel call without autograd (used by backward rules too). */
function binaryRaw(op: BinaryOp, a: TensorOrScalar, b: TensorOrScalar, outDtype?: DType): Tensor {
  const [x, y, dt] = operands(op, a, b);
  return binaryKernel(op, x, y, dt, outDtype);
}

/** The kernel call of binaryRaw, on operands already resolved by `operands` (dt: their result dtype). */
function binaryKernel(op: BinaryOp, x: Tensor, y: Tensor, dt: DType, outDtype?: DType): Tensor {
  const shape = broadcast2(op, x.shape, y.shape);
  let out: DType = outDtype ?? dt;
  if (!outDtype) {
    const rule = BINARY_DTYPE.get(op);
    if (rule === 'bool') out = 'bool';
    else if (rule === 'float' && !isFloating(dt)) out = 'float32';
  }
  // kernels read any input dtype and compute in float64; the result is written as `out`
  return make(be(x).binary(op, bview(x, shape), bview(y, shape), out), shape);
}

type Saves = (a: Tensor, b: Tensor, out: Tensor) => Tensor[];
const BOTH: Saves = (a, b) => [a, b];

/** The backward of a binary op: `grad(a, b, out, g)`; `save` lists the tensors it reads (version-checked at backward; default both inputs). */
type Grads = [Tensor | null, Tensor | null];
interface BinaryBackward { grad: (a: Tensor, b: Tensor, out: Tensor, g: Tensor) => Grads; save?: Saves }

/** A binary primitive with broadcasting and promotion: its name is its kernel's (a row of the CPU's BINARY table). */
function binaryOp<N extends BinaryOp, M extends boolean, I extends boolean = false>(
  def: { name: N; dtype?: BinaryDtype; samples: readonly Sample[] } & Forms<M, I> & Differentiability<BinaryBackward>,
): OpFn<(a: TensorOrScalar, b: TensorOrScalar) => Tensor, M, I>;
/** With `alpha: true` (add, sub): `op(a, b, { alpha })` is `op(a, alpha * b)`, as PyTorch's. */
function binaryOp<N extends BinaryOp, M extends boolean, I extends boolean = false>(
  def: { name: N; alpha: true; samples: readonly Sample[] } & Forms<M, I> & Differentiability<BinaryBackward>,
): OpFn<AlphaFn, M, I>;
function binaryOp<N extends BinaryOp, M extends boolean, I extends boolean = false>(
  def: { name: N; dtype?: BinaryDtype; alpha?: true; samples: readonly Sample[] } & Forms<M, I> & Differentiability<BinaryBackward>,
): OpFn<AlphaFn, M, I> {
  const { name: op, backward: bw } = def;
  if (def.dtype) BINARY_DTYPE.set(op, def.dtype);
  const node = op[0].toUpperCase() + op.slice(1);
  const save = bw?.save ?? BOTH;
  const fn = bw
    ? (a: TensorOrScalar, b: TensorOrScalar): Tensor => {
      const [x, y, dt] = operands(op, a, b);
      const out = binaryKernel(op, x, y, dt);
      // record's own test first (no input requires grad): then no backward closure or saved list is made
      return x.requiresGrad || y.requiresGrad ? record(out, node, [x, y], (g) => bw.grad(x, y, out, g), save(x, y, out)) : out;
    }
    : (a: TensorOrScalar, b: TensorOrScalar): Tensor => binaryRaw(op, a, b);
  const withAlpha = def.alpha
    ? (a: TensorOrScalar, b: TensorOrScalar, opts?: { alpha?: number }): Tensor => {
      const alpha = opts === undefined ? undefined : checkSpec<{ alpha: number }>(op, opts, ALPHA).alpha;
      return alpha === undefined || alpha === 1 ? fn(a, b) : addScaled(a, b, op === 'sub' ? -alpha : alpha, op === 'sub' ? 'sub' : 'add');
    }
    : fn;
  registerOp({ name: op, family: 'binary', kernels: [op], nonDifferentiable: def.nonDifferentiable ?? null, method: def.method, inPlace: def.inPlace ?? false, fn: withAlpha, samples: def.samples });
  return withAlpha as OpFn<AlphaFn, M, I>;
}

type AlphaFn = (a: TensorOrScalar, b: TensorOrScalar, opts?: { alpha?: number }) => Tensor;
const ALPHA = { alpha: 'number' } as const;
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
    return add(x, mul(y, alpha));
  }
  const shape = broadcast2(op, x.shape, y.shape);
  const out = fmaRaw(y, scalarTensor(alpha, dt, x.device), x, dt, shape);
  return record(out, op === 'add' ? 'Add' : 'Sub', [x, y], (g) => [x.requiresGrad ? g : null, y.requiresGrad ? mul(g, alpha) : null], []);
}

const { T, S, X } = In;

/** add(a, b, { alpha }) and sub: a + alpha * b (PyTorch's torch.add), in every form: torch.add, x.add, x.add_. */
export const add: OpFn<AlphaFn, true, true> = binaryOp({ name: 'add', alpha: true, method: true, inPlace: true, backward: { grad: (_a, _b, _o, g): Grads => [g, g], save: () => [] }, samples: [
  { id: 'same', inputs: [F(3, 4), F(3, 4)], py: 'torch.add(a, b)' },
  { id: 'broadcast', inputs: [F(3, 1), F(1, 4)], py: 'a + b' },
  { id: 'T+vec', inputs: [T(F(2, 3, 4)), F(4)], py: 'a + b' },
  { id: 'scalar', inputs: [S(F(3, 4))], py: 'a + 2.5', call: (a): Tensor => add(a, 2.5) },
  { id: 'float64', inputs: [D(F(2, 3), 'float64'), D(F(3), 'float64')], py: 'a + b' },
  { id: 'alpha', inputs: [F(3, 4), X(F(3, 4))], py: 'torch.add(a, b, alpha=2)', call: (a, b): Tensor => add(a, b, { alpha: 2 }) },
  { id: '0dim+vec', inputs: [F(), F(3)], py: 'a + b' },
] });
export const sub: OpFn<AlphaFn, true, true> = binaryOp({ name: 'sub', alpha: true, method: true, inPlace: true, backward: { grad: (_a, _b, _o, g): Grads => [g, neg(g)], save: () => [] }, samples: [
  { id: 'broadcast', inputs: [F(2, 3, 4), S(F(3, 4))], py: 'a - b' },
  { id: 'scalar-left', inputs: [F(3, 4)], py: '1.5 - a', call: (a): Tensor => sub(1.5, a) },
] });
// each factor is needed only for the other's gradient
const crossSaves: Saves = (a, b) => [...(b.requiresGrad ? [a] : []), ...(a.requiresGrad ? [b] : [])];
export const mul: Binary<true, true> = binaryOp({ name: 'mul', method: true, inPlace: true,
  backward: { grad: (a, b, _o, g): Grads => [a.requiresGrad ? mul(g, b) : null, b.requiresGrad ? mul(g, a) : null], save: crossSaves }, samples: [
    { id: 'broadcast', inputs: [F(2, 1, 4), F(3, 1)], py: 'a * b' },
    { id: 'expand', inputs: [X(F(3, 4)), T(F(3, 4))], py: 'a * b' },
    { id: 'scalar', inputs: [F(3, 4)], py: 'a * -3', call: (a): Tensor => mul(a, -3) },
    { id: 'self', inputs: [F(3, 4)], py: 'a * a', call: (a): Tensor => mul(a, a) },
  ] });
export const div: Binary<true, true> = binaryOp({ name: 'div', dtype: 'float', method: true, inPlace: true, backward: {
  grad: (a, b, _o, g): Grads => [a.requiresGrad ? div(g, b) : null, b.requiresGrad ? neg(div(mul(g, a), mul(b, b))) : null],
  save: (a, b) => [b, ...(b.requiresGrad ? [a] : [])],
}, samples: [
  { id: 'broadcast', inputs: [F(3, 4), P(4)], py: 'a / b' },
  { id: 'scalar-left', inputs: [P(3, 4)], py: '2 / a', call: (a): Tensor => div(2, a) },
  { id: 'T', inputs: [T(F(3, 4)), T(P(3, 4))], py: 'a / b' },
] });
export const pow: Binary<true, true> = binaryOp({ name: 'pow', method: true, inPlace: true, backward: {
  grad: (a, b, o, g): Grads => [
    a.requiresGrad ? mul(g, mul(b, pow(a, sub(b, 1)))) : null,
    b.requiresGrad ? mul(g, mul(o, where(eq(a, 0), 0, log(a)))) : null,
  ],
  save: (a, b, o) => [a, b, ...(b.requiresGrad ? [o] : [])],
}, samples: [
  { id: 'tensor', inputs: [P(3, 4), F(3, 4)], py: 'torch.pow(a, b)' },
  { id: 'broadcast', inputs: [P(2, 3), F(3)], py: 'a ** b' },
  { id: 'int-exp', inputs: [F(3, 4)], py: 'a ** 3', call: (a): Tensor => pow(a, 3) },
  { id: 'frac-exp', inputs: [S(P(3, 4))], py: 'a ** 0.5', call: (a): Tensor => pow(a, 0.5) },
  { id: 'scalar-base', inputs: [F(3, 4)], py: 'torch.pow(2, a)', call: (a): Tensor => pow(2, a) },
] });
export const atan2: Binary<false, false> = binaryOp({ name: 'atan2', method: false, backward: {
  grad: (a, b, _o, g): Grads => {
    const den = add(mul(a, a), mul(b, b));
    return [mul(g, div(b, den)), mul(g, neg(div(a, den)))];
  },
}, samples: [{ id: 'broadcast', inputs: [F(3, 4), T(F(1, 4))], py: 'torch.atan2(a, b)' }] });
/**
 * Elementwise max/min; ties split the gradient evenly, as PyTorch. Written as PyTorch's formula
 * (where(a == b, g / 2, g) masked to zero where the other operand wins), so a NaN passes the gradient to both.
 */
function extremumGrads(a: Tensor, b: Tensor, g: Tensor, aLoses: Tensor, bLoses: Tensor): [Tensor | null, Tensor | null] {
  const shared = where(eq(a, b), mul(g, 0.5), g);
  return [a.requiresGrad ? where(aLoses, 0, shared) : null, b.requiresGrad ? where(bLoses, 0, shared) : null];
}
const ties = (op: string): Sample => ({ id: 'ties', inputs: [V([4], [1, 2, 3, 4], 'float32'), V([4], [1, 3, 3, 0], 'float32')], py: `torch.${op}(a, b)`, gradcheck: false });
export const maximum: Binary<true, true> = binaryOp({ name: 'maximum', method: true, inPlace: true, backward: { grad: (a, b, _o, g): Grads => extremumGrads(a, b, g, lt(a, b), gt(a, b)) }, samples: [
  { id: 'broadcast', inputs: [F(3, 4), F(4)], py: 'torch.maximum(a, b)' },
  { id: 'T', inputs: [T(F(3, 4)), X(F(3, 4))], py: 'torch.maximum(a, b)' },
  ties('maximum'),
] });
export const minimum: Binary<true, true> = binaryOp({ name: 'minimum', method: true, inPlace: true, backward: { grad: (a, b, _o, g): Grads => extremumGrads(a, b, g, gt(a, b), lt(a, b)) }, samples: [
  { id: 'broadcast', inputs: [F(2, 3, 1), F(3, 4)], py: 'torch.minimum(a, b)' },
  ties('minimum'),
] });
export const remainder: Binary<true, false> = binaryOp({ name: 'remainder', method: true, backward: { grad: (a, b, _o, g): Grads => [g, mul(neg(g), floorDivide(a, b))] }, samples: [] });
export const floorDivide: Binary<false, false> = binaryOp({ name: 'floorDivide', method: false, nonDifferentiable: 'a step function (PyTorch: floor_divide is not differentiable)', samples: [] });
const compare = (op: string, f: () => (a: Tensor, b: number) => Tensor): Sample[] => [
  { id: 'int-broadcast', inputs: [I(3, 4), I(4)], py: `torch.${op}(a, b)` },
  { id: 'float-scalar', inputs: [T(F(3, 4))], py: `torch.${op}(a, 0.25)`, call: (a) => f()(a, 0.25) },
];
const BOOL = 'a boolean result';
export const eq: Binary<true, false> = binaryOp({ name: 'eq', dtype: 'bool', method: true, nonDifferentiable: BOOL, samples: compare('eq', () => eq) });
export const ne: Binary<true, false> = binaryOp({ name: 'ne', dtype: 'bool', method: true, nonDifferentiable: BOOL, samples: compare('ne', () => ne) });
export const lt: Binary<true, false> = binaryOp({ name: 'lt', dtype: 'bool', method: true, nonDifferentiable: BOOL, samples: compare('lt', () => lt) });
export const le: Binary<true, false> = binaryOp({ name: 'le', dtype: 'bool', method: true, nonDifferentiable: BOOL, samples: compare('le', () => le) });
export const gt: Binary<true, false> = binaryOp({ name: 'gt', dtype: 'bool', method: true, nonDifferentiable: BOOL, samples: compare('gt', () => gt) });
export const ge: Binary<true, false> = binaryOp({ name: 'ge', dtype: 'bool', method: true, nonDifferentiable: BOOL, samples: compare('ge', () => ge) });
export const logicalAnd: Binary<true, false> = binaryOp({ name: 'logicalAnd', dtype: 'bool', method: true, nonDifferentiable: BOOL, samples: [
  { id: 'broadcast', inputs: [B(3, 4), B(4)], py: 'torch.logical_and(a, b)' },
] });
export const logicalOr: Binary<true, false> = binaryOp({ name: 'logicalOr', dtype: 'bool', method: true, nonDifferentiable: BOOL, samples: [
  { id: 'broadcast', inputs: [B(3, 4), T(B(3, 4))], py: 'torch.logical_or(a, b)' },
  { id: 'float', inputs: [F(3, 4), V([4], [0, 1, 0, 2], 'float32')], py: 'torch.logical_or(a > 0, b)', call: (a, b): Tensor => logicalOr(gt(a, 0), b) },
] });
export const logicalXor: Binary<true, false> = binaryOp({ name: 'logicalXor', dtype: 'bool', method: true, nonDifferentiable: BOOL, samples: [
  { id: 'broadcast', inputs: [B(3, 4), B(4)], py: 'torch.logical_xor(a, b)' },
] });

/** torch.rsub(input, other): other - input (used for 1 - x without a scalar tensor on the left). */
export const rsub: OpFn<(a: TensorOrScalar, b: TensorOrScalar) => Tensor, false, false> = customOp({
  name: 'rsub', method: false, backward: 'composite',
  fn: (a: TensorOrScalar, b: TensorOrScalar): Tensor => sub(b, a),
  samples: [{ id: 'scalar', inputs: [F(3, 4)], py: 'torch.rsub(a, 1)', call: (a) => rsub(a, 1) }],
});

/** where(cond, a, b): elementwise choice, broadcasting all three. */
function whereFn(cond: Tensor, a: TensorOrScalar, b: TensorOrScalar): Tensor {
  const [x, y, dt] = operands('where', a, b);
  sameDevice('where', cond, x, y);
  const shape = broadcastShapes('where', cond.shape, x.shape, y.shape);
  const out = make(be(cond).where(bview(cond, shape), bview(x, shape), bview(y, shape), dt), shape);
  return record(out, 'Where', [x, y], (g) => [
    x.requiresGrad ? where(cond, g, 0) : null,
    y.requiresGrad ? where(cond, 0, g) : null,
  ], [cond]);
}

/** Clamp to [min, max] (either may be null, a number or a tensor); gradient passes where min <= x <= max, as PyTorch, and to a tensor bound where it is the one chosen. */
function clampFn(x: Tensor, min: TensorOrScalar | null = null, max: TensorOrScalar | null = null): Tensor {
  if (min === null && max === null) throw new DTypeError("clamp: at least one of 'min' or 'max' must not be None");
  const bounds = [min, max].filter((v): v is TensorOrScalar => v !== null);
  const dt = resultType([{ dtype: x.dtype, dim: Math.max(1, x.ndim) }, ...bounds.filter((v): v is Tensor => v instanceof Tensor).map((t) => ({ dtype: t.dtype, dim: t.ndim }))],
    bounds.filter((v): v is number => typeof v === 'number'));
  let out = x;
  if (min !== null) out = binaryRaw('maximum', out, min, dt);
  if (max !== null) out = binaryRaw('minimum', out, max, dt);
  const lo = min instanceof Tensor ? min : null, hi = max instanceof Tensor ? max : null;
  // as PyTorch's clamp_backward_min_max: x gets the gradient where min <= x <= max; a tensor min where x < min
  // (and min < max); a tensor max where x > max or max < min (max wins when the bounds cross)
  return record(out, 'Clamp', [x, lo, hi], (g) => {
    let mask: Tensor | null = null;
    if (min !== null) mask = ge(x, min);
    if (max !== null) { const m = le(x, max); mask = mask ? logicalAnd(mask, m) : m; }
    let gLo: Tensor | null = null, gHi: Tensor | null = null;
    if (lo) gLo = where(max !== null ? logicalAnd(lt(x, lo), lt(lo, max)) : lt(x, lo), g, 0);
    if (hi) gHi = where(min !== null ? logicalOr(gt(x, hi), lt(hi, min)) : gt(x, hi), g, 0);
    return [where(mask!, g, 0), gLo, gHi];
  }, [x, ...(lo ? [lo] : []), ...(hi ? [hi] : [])]);
}

function maskedFillFn(x: Tensor, mask: Tensor, value: TensorOrScalar): Tensor {
  if (mask.dtype !== 'bool') throw new DTypeError(`maskedFill: expected mask of dtype bool, got ${mask.dtype}`);
  const v = value instanceof Tensor ? value : scalarTensor(typeof value === 'boolean' ? +value : value, x.dtype, x.device);
  return where(mask, v, x);
}

/** torch.where(cond, a, b); its method form x.where(cond, other) is where(cond, x, other) (PyTorch's Tensor.where). */
export const where: OpFnOwnMethod<typeof whereFn, (x: Tensor, cond: Tensor, other: TensorOrScalar) => Tensor> = ownMethodOp({
  name: 'where', kernels: ['where'], backward: 'records', fn: whereFn, methodForm: (x: Tensor, cond: Tensor, other: TensorOrScalar): Tensor => where(cond, x, other), samples: [
    { id: 'broadcast', inputs: [B(3, 4), F(3, 1), F(4)], py: 'torch.where(a, b, c)' },
    { id: 'scalar', inputs: [B(4), T(F(3, 4))], py: 'torch.where(a, b, torch.tensor(0.0))', call: (c, a) => where(c, a, 0) },
    { id: 'promote', inputs: [B(4), I(4), F(4)], py: 'torch.where(a, b, c)' },
    { id: '0dim-cond', inputs: [V([], [1], 'bool'), F(3), F()], py: 'torch.where(a, b, c)' },
  ],
});
export const clamp: OpFn<typeof clampFn, true, true> = customOp({
  name: 'clamp', kernels: ['maximum', 'minimum'], method: true, inPlace: true, backward: 'records', fn: clampFn, samples: [
    { id: 'both', inputs: [F(3, 4)], py: 'torch.clamp(a, -0.5, 0.5)', call: (a) => clamp(a, -0.5, 0.5) },
    { id: 'min', inputs: [T(F(3, 4))], py: 'torch.clamp(a, min=0.1)', call: (a) => clamp(a, 0.1) },
    { id: 'max', inputs: [S(F(3, 4))], py: 'torch.clamp(a, max=0.2)', call: (a) => clamp(a, null, 0.2) },
    { id: 'tensor-min', inputs: [F(3, 4), F(4)], py: 'torch.clamp(a, min=b)', call: (a, b) => clamp(a, b) },
    { id: 'int', inputs: [I(3, 4)], py: 'torch.clamp(a, -1, 2)', call: (a) => clamp(a, -1, 2) },
  ],
});
export const maskedFill: OpFn<typeof maskedFillFn, true, true> = customOp({
  name: 'maskedFill', method: true, inPlace: true, backward: 'composite', fn: maskedFillFn, samples: [
    { id: 'broadcast', inputs: [F(3, 4), B(4)], py: 'a.masked_fill(b, -1.0)', call: (a, m) => maskedFill(a, m, -1) },
    { id: 'T', inputs: [T(F(3, 4)), B(3, 4)], py: 'a.masked_fill(b, 2.5)', call: (a, m) => maskedFill(a, m, 2.5) },
  ],
});

// ---------------- composites ----------------

const VALUE = { value: 'number' } as const;
type AddcFn = (self: Tensor, t1: Tensor, t2: Tensor, opts?: { value?: number }) => Tensor;

/**
 * self + value * t1 * t2 as PyTorch's CPU kernel computes it: value * t1 rounded, then one fused multiply-add with
 * t2 and self (GCC contracts ATen's `self + value * t1 * t2`; checked on 200,000 float32 values in PyTorch 1.13 and
 * 2.6: every element equals the once-rounded result). Integers: the plain ops (exact). Its gradient is
 * PyTorch's: grad * (t2 * value) and grad * (t1 * value). The one copy: the op, its method forms and the optimizers.
 */
function addcmulValue(self: Tensor, t1: Tensor, t2: Tensor, value: number): Tensor {
  const dt = resultType([self, t1, t2].map((t) => ({ dtype: t.dtype, dim: t.ndim })), []);
  if (!isFloating(dt)) return add(self, value === 1 ? mul(t1, t2) : mul(mul(t1, value), t2));
  computable('addcmul', self, t1, t2);
  sameDevice('addcmul', self, t1, t2);
  const shape = broadcastShapes('addcmul', self.shape, t1.shape, t2.shape);
  const c1 = castRaw(t1, dt);
  const p = value === 1 ? c1 : binaryRaw('mul', c1, value);
  const out = fmaRaw(p, t2, self, dt, shape);
  const scaled = (t: Tensor): Tensor => (value === 1 ? t : mul(t, value));
  return record(out, 'Addcmul', [self, t1, t2], (g) => [
    self.requiresGrad ? g : null,
    t1.requiresGrad ? mul(g, scaled(t2)) : null,
    t2.requiresGrad ? mul(g, scaled(t1)) : null,
  ], [...(t2.requiresGrad ? [t1] : []), ...(t1.requiresGrad ? [t2] : [])]);
}

/** self + value * t1 / t2 in PyTorch's kernel order: (value * t1) / t2, then added (bit-exact with PyTorch's CPU). */
function addcdivValue(self: Tensor, t1: Tensor, t2: Tensor, value: number): Tensor {
  return add(self, value === 1 ? div(t1, t2) : div(mul(t1, value), t2));
}

/** torch.addcmul(input, tensor1, tensor2, {value}): input + value * tensor1 * tensor2, broadcasting all three. */
export const addcmul: OpFn<AddcFn, true, true> = customOp({
  name: 'addcmul', kernels: ['fma'], method: true, inPlace: true, backward: 'records',
  fn: (self: Tensor, t1: Tensor, t2: Tensor, opts?: { value?: number }): Tensor =>
    addcmulValue(self, t1, t2, checkSpec<{ value: number }>('addcmul', opts, VALUE).value ?? 1),
  samples: [
    { id: 'value', inputs: [F(3, 4), F(3, 4), S(F(3, 4))], py: 'torch.addcmul(a, b, c, value=0.1)', call: (a, b, c): Tensor => addcmul(a, b, c, { value: 0.1 }) },
    { id: 'broadcast', inputs: [F(4), F(3, 1), T(F(3, 4))], py: 'torch.addcmul(a, b, c)' },
  ],
});

/** torch.addcdiv(input, tensor1, tensor2, {value}): input + value * tensor1 / tensor2, broadcasting all three. */
export const addcdiv: OpFn<AddcFn, true, true> = customOp({
  name: 'addcdiv', method: true, inPlace: true, backward: 'composite',
  fn: (self: Tensor, t1: Tensor, t2: Tensor, opts?: { value?: number }): Tensor =>
    addcdivValue(self, t1, t2, checkSpec<{ value: number }>('addcdiv', opts, VALUE).value ?? 1),
  samples: [
    { id: 'value', inputs: [F(3, 4), F(3, 4), P(3, 4)], py: 'torch.addcdiv(a, b, c, value=-0.5)', call: (a, b, c): Tensor => addcdiv(a, b, c, { value: -0.5 }) },
    { id: 'broadcast', inputs: [T(F(3, 4)), F(3, 1), P(4)], py: 'torch.addcdiv(a, b, c)' },
  ],
});

/**
 * torch.lerp(input, end, weight) with a number weight: input + weight * (end - input), rounded as torchlet's lerp_
 * always has ((end - input) * weight, then added). PyTorch computes end - (end - input) * (1 - weight) for
 * weight >= 0.5, which can differ in the last bit there.
 */
export const lerp: OpFn<(self: Tensor, end: Tensor, weight: number) => Tensor, true, true> = customOp({
  name: 'lerp', method: true, inPlace: true, backward: 'composite',
  fn: (self: Tensor, end: Tensor, weight: number): Tensor => {
    if (typeof weight !== 'number') throw new ArgumentError(`lerp: weight must be a number, got ${describeType(weight)} (for a tensor weight write a.add(end.sub(a).mul(weight)))`);
    return add(self, mul(sub(end, self), weight));
  },
  samples: [
    { id: 'low', inputs: [F(3, 4), T(F(3, 4))], py: 'torch.lerp(a, b, 0.25)', call: (a, b): Tensor => lerp(a, b, 0.25) },
    { id: 'high-broadcast', inputs: [S(F(3, 4)), F(4)], py: 'torch.lerp(a, b, 0.75)', call: (a, b): Tensor => lerp(a, b, 0.75) },
  ],
});
