/**
 * @file The CPU's elementwise op tables: one scalar function per UnaryOp/BinaryOp row. Both the generic loops
 * (elementwise.ts) and the float32-specialised ones (f32.ts) fall back to these rows; kept apart so neither
 * loop file imports the other.
 */
import type { BinaryOp, UnaryOp } from '../backend.js';
import { erf, erfinv, gelu, geluGrad, geluTanh, geluTanhGrad, roundHalfEven, sigmoid, softplus } from './math.js';

type F1 = (x: number) => number;
type F2 = (a: number, b: number) => number;

export const UNARY: Record<UnaryOp, F1> = {
  neg: (x) => -x, abs: Math.abs, sqrt: Math.sqrt, rsqrt: (x) => 1 / Math.sqrt(x), exp: Math.exp, expm1: Math.expm1,
  log: Math.log, log1p: Math.log1p, sin: Math.sin, cos: Math.cos, tan: Math.tan, tanh: Math.tanh, sigmoid,
  relu: (x) => (x > 0 ? x : Number.isNaN(x) ? x : 0), erf, erfinv,
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : NaN), floor: Math.floor, ceil: Math.ceil, round: roundHalfEven,
  trunc: Math.trunc, reciprocal: (x) => 1 / x, square: (x) => x * x, logicalNot: (x) => (x !== 0 ? 0 : 1), // NaN is truthy, as in PyTorch
  isnan: (x) => (Number.isNaN(x) ? 1 : 0), gelu, geluTanh, silu: (x) => x * sigmoid(x), softplus,
};

function pyMod(a: number, b: number): number { const r = a % b; return r !== 0 && (r < 0) !== (b < 0) ? r + b : r; }

export const BINARY: Record<BinaryOp, F2> = {
  add: (a, b) => a + b, sub: (a, b) => a - b, mul: (a, b) => a * b, div: (a, b) => a / b, pow: Math.pow,
  maximum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : a > b ? a : b),
  minimum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : a < b ? a : b),
  atan2: Math.atan2, remainder: pyMod, floorDivide: (a, b) => Math.floor(a / b),
  eq: (a, b) => (a === b ? 1 : 0), ne: (a, b) => (a !== b ? 1 : 0), lt: (a, b) => (a < b ? 1 : 0), le: (a, b) => (a <= b ? 1 : 0),
  gt: (a, b) => (a > b ? 1 : 0), ge: (a, b) => (a >= b ? 1 : 0),
  logicalAnd: (a, b) => (a !== 0 && b !== 0 ? 1 : 0), logicalOr: (a, b) => (a !== 0 || b !== 0 ? 1 : 0),
  logicalXor: (a, b) => ((a !== 0) !== (b !== 0) ? 1 : 0),
  // reluBackward is PyTorch's threshold_backward: a NaN result passes the gradient
  reluBackward: (y, g) => (y <= 0 ? 0 : g), geluBackward: (x, g) => g * geluGrad(x), geluTanhBackward: (x, g) => g * geluTanhGrad(x),
  erfinvBackward: (y, g) => g * 0.886226925452758 * Math.exp(y * y),
};
