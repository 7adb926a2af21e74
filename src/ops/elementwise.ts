/**
 * @file Elementwise ops with broadcasting and PyTorch type promotion: unary math, binary arithmetic,
 * comparisons and logic, where, clamp. Each op: checks, one kernel call, and its backward written with ops.
 */
import { checkSpec } from '../core/args.js';
import { record } from '../autograd/node.js';
import type { BinaryOp, UnaryOp } from '../backend/backend.js';
import { isFloating, resultType, type DType } from '../core/dtype.js';
import { DTypeError } from '../core/errors.js';
import { broadcastShapes, broadcastStrides } from '../core/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { be, computable, make, sameDevice, scalarTensor } from './util.js';

export type Scalar = number | boolean;
export type TensorOrScalar = Tensor | Scalar;

/** View t as `shape` with stride-0 broadcast dims (no autograd; kernels only). */
function bview(t: Tensor, shape: readonly number[]): Tensor {
  return new Tensor(t.storage, shape, broadcastStrides(t.shape, t.strides, shape), t.offset);
}

// ---------------- unary ----------------

const FLOAT_ONLY = new Set<UnaryOp>(['sqrt', 'rsqrt', 'exp', 'expm1', 'log', 'log1p', 'sin', 'cos', 'tan', 'tanh', 'sigmoid', 'erf', 'erfinv', 'reciprocal', 'gelu', 'geluTanh', 'silu', 'softplus']);

export function unaryRaw(op: UnaryOp, x: Tensor, outDtype?: DType): Tensor {
  computable(op, x);
  let dt = outDtype ?? x.dtype;
  if (!outDtype && FLOAT_ONLY.has(op) && !isFloating(x.dtype)) dt = 'float32';
  if (op === 'logicalNot' || op === 'isnan') dt = 'bool';
  return make(be(x).unary(op, x, dt), x.shape);
}

/**
 * A unary op. `save` says which tensor the backward reads: its input ('in'), its result ('out') or neither
 * ('none'); only that one is version-checked, so an in-place op on the other is allowed (as PyTorch).
 */
function u(op: UnaryOp, bw: ((x: Tensor, out: Tensor, g: Tensor) => Tensor) | null, save: 'in' | 'out' | 'none' = 'in') {
  return (x: Tensor): Tensor => {
    const out = unaryRaw(op, x);
    if (!bw) return out;
    return record(out, op[0].toUpperCase() + op.slice(1), [x], (g) => [bw(x, out, g)], save === 'in' ? [x] : save === 'out' ? [out] : []);
  };
}

const TWO_OVER_SQRT_PI = 1.1283791670955126;

export const neg = u('neg', (_x, _o, g) => neg(g), 'none');
export const abs = u('abs', (x, _o, g) => mul(g, sign(x)));
export const sqrt = u('sqrt', (_x, o, g) => div(g, mul(o, 2)), 'out');
export const rsqrt = u('rsqrt', (_x, o, g) => mul(g, mul(pow(o, 3), -0.5)), 'out');
export const exp = u('exp', (_x, o, g) => mul(g, o), 'out');
export const expm1 = u('expm1', (_x, o, g) => mul(g, add(o, 1)), 'out');
export const log = u('log', (x, _o, g) => div(g, x));
export const log1p = u('log1p', (x, _o, g) => div(g, add(x, 1)));
export const sin = u('sin', (x, _o, g) => mul(g, cos(x)));
export const cos = u('cos', (x, _o, g) => mul(g, neg(sin(x))));
export const tan = u('tan', (_x, o, g) => mul(g, add(mul(o, o), 1)), 'out');
export const tanh = u('tanh', (_x, o, g) => mul(g, rsub(mul(o, o), 1)), 'out');
export const sigmoid = u('sigmoid', (_x, o, g) => mul(g, mul(o, rsub(o, 1))), 'out');
export const relu = u('relu', (_x, o, g) => binaryRaw('reluBackward', o, g), 'out');
export const erf = u('erf', (x, _o, g) => mul(g, mul(exp(neg(mul(x, x))), TWO_OVER_SQRT_PI)));
export const erfinv = u('erfinv', (_x, o, g) => binaryRaw('erfinvBackward', o, g), 'out');
export const sign = u('sign', (x) => zerosOf(x), 'none');
export const floor = u('floor', (x) => zerosOf(x), 'none');
export const ceil = u('ceil', (x) => zerosOf(x), 'none');
export const round = u('round', (x) => zerosOf(x), 'none');
export const trunc = u('trunc', (x) => zerosOf(x), 'none');
export const reciprocal = u('reciprocal', (_x, o, g) => mul(g, neg(mul(o, o))), 'out');
export const square = u('square', (x, _o, g) => mul(g, mul(x, 2)));
export const silu = u('silu', (x, _o, g) => { const s = sigmoid(x); return mul(g, mul(s, add(mul(x, rsub(s, 1)), 1))); });
export const softplus = u('softplus', (x, _o, g) => mul(g, sigmoid(x)));
export const logicalNot = u('logicalNot', null);
export const isnan = u('isnan', null);

/** GELU, exact (erf) or with the tanh approximation ({approximate: 'tanh'}). */
export function gelu(x: Tensor, opts: { approximate?: 'none' | 'tanh' } = {}): Tensor {
  opts = checkSpec('gelu', opts, { approximate: { oneOf: ['none', 'tanh'] } });
  const tanhMode = opts.approximate === 'tanh';
  const out = unaryRaw(tanhMode ? 'geluTanh' : 'gelu', x);
  return record(out, 'Gelu', [x], (g) => [binaryRaw(tanhMode ? 'geluTanhBackward' : 'geluBackward', x, g)], [x]);
}

function zerosOf(x: Tensor): Tensor { return make(be(x).alloc(x.dtype, x.numel()), x.shape); }

// ---------------- binary ----------------

const COMPARE = new Set<BinaryOp>(['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr', 'logicalXor']);

function operands(op: string, a: TensorOrScalar, b: TensorOrScalar): [Tensor, Tensor, DType] {
  if (!(a instanceof Tensor) && !(b instanceof Tensor)) throw new DTypeError(`${op}: expected at least one tensor argument, got two numbers`);
  const ts = [a, b].filter((v): v is Tensor => v instanceof Tensor);
  const scalars = [a, b].filter((v): v is Scalar => !(v instanceof Tensor)).map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v));
  const boolScalar = [a, b].some((v) => typeof v === 'boolean');
  computable(op, ...ts);
  const dev = sameDevice(op, ...ts);
  let dt = resultType(ts.map((t) => ({ dtype: t.dtype, dim: t.ndim })), boolScalar ? [] : scalars);
  if (boolScalar && scalars.length) dt = ts[0].dtype;
  const wrap = (v: TensorOrScalar) => (v instanceof Tensor ? v : scalarTensor(typeof v === 'boolean' ? (v ? 1 : 0) : v, dt, dev));
  return [wrap(a), wrap(b), dt];
}

/** A binary kernel call without autograd (used by backward rules too). */
export function binaryRaw(op: BinaryOp, a: TensorOrScalar, b: TensorOrScalar, outDtype?: DType): Tensor {
  const [x, y, dt] = operands(op, a, b);
  const shape = broadcastShapes(op, x.shape, y.shape);
  let out: DType = outDtype ?? dt;
  if (!outDtype && COMPARE.has(op)) out = 'bool';
  if (!outDtype && (op === 'div') && !isFloating(dt)) out = 'float32';
  // kernels read any input dtype and compute in float64; the result is written as `out`
  return make(be(x).binary(op, bview(x, shape), bview(y, shape), out), shape);
}

type Saves = (a: Tensor, b: Tensor, out: Tensor) => Tensor[];
const BOTH: Saves = (a, b) => [a, b];

/** A binary op; `save` lists the tensors its backward reads (version-checked at backward time). */
function bin(op: BinaryOp, name: string, bw: ((a: Tensor, b: Tensor, out: Tensor, g: Tensor) => [Tensor | null, Tensor | null]) | null, save: Saves = BOTH) {
  return (a: TensorOrScalar, b: TensorOrScalar): Tensor => {
    const [x, y] = operands(op, a, b);
    const out = binaryRaw(op, x, y);
    if (!bw) return out;
    return record(out, name, [x, y], (g) => bw(x, y, out, g), save(x, y, out));
  };
}

export const add = bin('add', 'Add', (_a, _b, _o, g) => [g, g], () => []);
export const sub = bin('sub', 'Sub', (_a, _b, _o, g) => [g, neg(g)], () => []);
// each factor is needed only for the other's gradient
const crossSaves: Saves = (a, b) => [...(b.requiresGrad ? [a] : []), ...(a.requiresGrad ? [b] : [])];
export const mul = bin('mul', 'Mul', (a, b, _o, g) => [a.requiresGrad ? mul(g, b) : null, b.requiresGrad ? mul(g, a) : null], crossSaves);
export const div = bin('div', 'Div', (a, b, _o, g) => [a.requiresGrad ? div(g, b) : null, b.requiresGrad ? neg(div(mul(g, a), mul(b, b))) : null],
  (a, b) => [b, ...(b.requiresGrad ? [a] : [])]);
export const pow = bin('pow', 'Pow', (a, b, o, g) => [
  a.requiresGrad ? mul(g, mul(b, pow(a, sub(b, 1)))) : null,
  b.requiresGrad ? mul(g, mul(o, where(eq(a, 0), 0, log(a)))) : null,
], (a, b, o) => [a, b, ...(b.requiresGrad ? [o] : [])]);
export const atan2 = bin('atan2', 'Atan2', (a, b, _o, g) => {
  const den = add(mul(a, a), mul(b, b));
  return [mul(g, div(b, den)), mul(g, neg(div(a, den)))];
});
/**
 * Elementwise max/min; ties split the gradient evenly, as PyTorch. Written as PyTorch's formula
 * (where(a == b, g / 2, g) masked to zero where the other operand wins), so a NaN passes the gradient to both.
 */
function extremumGrads(a: Tensor, b: Tensor, g: Tensor, aLoses: Tensor, bLoses: Tensor): [Tensor | null, Tensor | null] {
  const shared = where(eq(a, b), mul(g, 0.5), g);
  return [a.requiresGrad ? where(aLoses, 0, shared) : null, b.requiresGrad ? where(bLoses, 0, shared) : null];
}
export const maximum = bin('maximum', 'Maximum', (a, b, _o, g) => extremumGrads(a, b, g, lt(a, b), gt(a, b)));
export const minimum = bin('minimum', 'Minimum', (a, b, _o, g) => extremumGrads(a, b, g, gt(a, b), lt(a, b)));
export const remainder = bin('remainder', 'Remainder', (a, b, _o, g) => [g, mul(neg(g), floorDivide(a, b))]);
export const floorDivide = bin('floorDivide', 'FloorDivide', null);
export const eq = bin('eq', 'Eq', null);
export const ne = bin('ne', 'Ne', null);
export const lt = bin('lt', 'Lt', null);
export const le = bin('le', 'Le', null);
export const gt = bin('gt', 'Gt', null);
export const ge = bin('ge', 'Ge', null);
export const logicalAnd = bin('logicalAnd', 'LogicalAnd', null);
export const logicalOr = bin('logicalOr', 'LogicalOr', null);
export const logicalXor = bin('logicalXor', 'LogicalXor', null);

/** b - a: used for (1 - x) without a scalar tensor on the left. */
export function rsub(a: TensorOrScalar, b: TensorOrScalar): Tensor { return sub(b, a); }

/** where(cond, a, b): elementwise choice, broadcasting all three. */
export function where(cond: Tensor, a: TensorOrScalar, b: TensorOrScalar): Tensor {
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
export function clamp(x: Tensor, min: TensorOrScalar | null = null, max: TensorOrScalar | null = null): Tensor {
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

export function maskedFill(x: Tensor, mask: Tensor, value: TensorOrScalar): Tensor {
  if (mask.dtype !== 'bool') throw new DTypeError(`maskedFill: expected mask of dtype bool, got ${mask.dtype}`);
  const v = value instanceof Tensor ? value : scalarTensor(typeof value === 'boolean' ? +value : value, x.dtype, x.device);
  return where(mask, v, x);
}
