/**
 * @file Activation functions (torch.nn.functional): each is a composition of ops, so its gradient is autograd's.
 */
import type { Tensor } from '../../tensor/tensor.js';
import { DTypeError } from '../../core/errors.js';
import * as E from '../../ops/elementwise.js';
import * as R from '../../ops/reduce.js';
import { toDtype } from '../../ops/movement.js';
import { assign } from '../../ops/inplace.js';
import { clone } from '../../ops/movement.js';
import { isGradEnabled } from '../../autograd/grad-mode.js';
import type { DType } from '../../core/dtype.js';
import { checkDtype, checkSpec, type Rule } from '../../core/args.js';
const DT: Rule = (fn, k, v) => { checkDtype(fn, k, v); };


export interface InplaceOpt { inplace?: boolean }

/**
 * `f(x)`, or with `inplace` written into x. When autograd records, f runs on a copy of x (PyTorch's
 * `original_self`): the backward of f may need its input, which the in-place write then overwrites.
 */
function maybeInplace(x: Tensor, f: (t: Tensor) => Tensor, op: string, opts: InplaceOpt): Tensor {
  if (!opts.inplace) return f(x);
  return assign(x, op, f(isGradEnabled() && x.requiresGrad ? clone(x) : x));
}

/** max(0, x). */
export function relu(x: Tensor, opts: InplaceOpt = {}): Tensor {
  opts = checkSpec('F.relu', opts, { inplace: 'bool' });
  return maybeInplace(x, E.relu, 'relu_', opts);
}

/** x for x > 0, negativeSlope * x otherwise (default slope 0.01). */
export function leakyRelu(x: Tensor, opts: { negativeSlope?: number } & InplaceOpt = {}): Tensor {
  opts = checkSpec('F.leakyRelu', opts, { negativeSlope: 'number', inplace: 'bool' });
  const slope = opts.negativeSlope ?? 0.01;
  return maybeInplace(x, (t) => E.where(E.gt(t, 0), t, E.mul(t, slope)), 'leakyRelu_', opts);
}

/** GELU: exact (erf) by default, or {approximate: 'tanh'}. */
export function gelu(x: Tensor, opts: { approximate?: 'none' | 'tanh' } = {}): Tensor {
  opts = checkSpec('F.gelu', opts, { approximate: { oneOf: ['none', 'tanh'] } });
  if (opts.approximate !== undefined && opts.approximate !== 'none' && opts.approximate !== 'tanh') {
    throw new DTypeError(`gelu: approximate must be 'none' or 'tanh', got '${String(opts.approximate)}'`);
  }
  return E.gelu(x, opts);
}

/** x * sigmoid(x). */
export function silu(x: Tensor, opts: InplaceOpt = {}): Tensor {
  opts = checkSpec('F.silu', opts, { inplace: 'bool' });
  return maybeInplace(x, E.silu, 'silu_', opts);
}
export function tanh(x: Tensor): Tensor { return E.tanh(x); }
export function sigmoid(x: Tensor): Tensor { return E.sigmoid(x); }

/** x for x > 0, alpha * (exp(x) - 1) otherwise. */
export function elu(x: Tensor, opts: { alpha?: number } & InplaceOpt = {}): Tensor {
  opts = checkSpec('F.elu', opts, { alpha: 'number', inplace: 'bool' });
  const alpha = opts.alpha ?? 1;
  return maybeInplace(x, (t) => E.where(E.gt(t, 0), t, E.mul(E.expm1(t), alpha)), 'elu_', opts);
}

/** log(1 + exp(beta x)) / beta, reverting to x where beta x > threshold (defaults beta 1, threshold 20). */
export function softplus(x: Tensor, opts: { beta?: number; threshold?: number } = {}): Tensor {
  opts = checkSpec('F.softplus', opts, { beta: 'number', threshold: 'number' });
  const beta = opts.beta ?? 1, threshold = opts.threshold ?? 20;
  const bx = beta === 1 ? x : E.mul(x, beta);
  const soft = beta === 1 ? E.log1p(E.exp(bx)) : E.div(E.log1p(E.exp(bx)), beta);
  return E.where(E.gt(bx, threshold), x, soft);
}

/** x * relu6(x + 3) / 6. */
export function hardswish(x: Tensor, opts: InplaceOpt = {}): Tensor {
  opts = checkSpec('F.hardswish', opts, { inplace: 'bool' });
  return maybeInplace(x, (t) => E.div(E.mul(t, E.clamp(E.add(t, 3), 0, 6)), 6), 'hardswish_', opts);
}

/** relu6(x + 3) / 6 (PyTorch's order: clamp(x + 3, 0, 6) / 6); the gradient is 1/6 inside [-3, 3], 0 outside. */
export function hardsigmoid(x: Tensor, opts: InplaceOpt = {}): Tensor {
  opts = checkSpec('F.hardsigmoid', opts, { inplace: 'bool' });
  return maybeInplace(x, (t) => E.div(E.clamp(E.add(t, 3), 0, 6), 6), 'hardsigmoid_', opts);
}

/** min(max(x, 0), 6). */
export function relu6(x: Tensor): Tensor { return E.clamp(x, 0, 6); }

function castFirst(x: Tensor, dtype?: DType): Tensor { return dtype ? toDtype(x, dtype) : x; }

/** softmax along dim (PyTorch requires dim; `dtype` casts the input first). */
export function softmax(x: Tensor, dim: number, opts: { dtype?: DType } = {}): Tensor {
  opts = checkSpec('F.softmax', opts, { dtype: DT });
  return R.softmax(castFirst(x, opts.dtype), dim);
}
/** log(softmax(x)) along dim, computed stably. */
export function logSoftmax(x: Tensor, dim: number, opts: { dtype?: DType } = {}): Tensor {
  opts = checkSpec('F.logSoftmax', opts, { dtype: DT });
  return R.logSoftmax(castFirst(x, opts.dtype), dim);
}
/** softmax(-x) along dim. */
export function softmin(x: Tensor, dim: number, opts: { dtype?: DType } = {}): Tensor {
  opts = checkSpec('F.softmin', opts, { dtype: DT });
  return R.softmax(E.neg(castFirst(x, opts.dtype)), dim);
}
/** log(sigmoid(x)) = -softplus(-x). */
export function logSigmoid(x: Tensor): Tensor { return E.neg(softplus(E.neg(x))); }
