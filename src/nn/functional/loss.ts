/**
 * @file Loss functions (torch.nn.functional) with PyTorch's reductions ('mean' | 'sum' | 'none') and options,
 * written as compositions of ops following PyTorch's formulas (so means, weights, ignored entries and label
 * smoothing divide by the same quantities).
 */
import { INT64_HINT } from '../../core/args.js';
import type { Tensor } from '../../tensor/tensor.js';
import { DTypeError, IndexError, ShapeError } from '../../core/errors.js';
import { fmt, shapesEqual } from '../../core/shape.js';
import { isFloating } from '../../core/dtype.js';
import {
  abs, add, clamp, div, exp, gt, log, logicalNot, lt, mul, ne, neg, sub, where, rsub,
} from '../../ops/elementwise.js';
import { gather, indexSelect } from '../../ops/indexing.js';
import { permute, reshape, squeeze, toDtype, unsqueeze } from '../../ops/movement.js';
import { logSoftmax, mean, sum } from '../../ops/reduce.js';
import { checkSpec, type Rule } from '../../core/args.js';
const TN: Rule = { tensorOrNull: true };


export type Reduction = 'mean' | 'sum' | 'none';

export function checkReduction(op: string, r: string | undefined, extra: string[] = []): string {
  const red = r ?? 'mean';
  const ok = ['mean', 'sum', 'none', ...extra];
  if (!ok.includes(red)) throw new ShapeError(`${op}: ${red} is not a valid value for reduction (expected ${ok.map((s) => `'${s}'`).join(', ')})`);
  return red;
}

function reduce(loss: Tensor, reduction: string): Tensor {
  if (reduction === 'none') return loss;
  if (reduction === 'sum') return sum(loss);
  return mean(loss);
}

function checkSameShape(op: string, input: Tensor, target: Tensor): void {
  if (!shapesEqual(input.shape, target.shape)) {
    // PyTorch broadcasts with a warning; torchlet asks for matching shapes, which is what is almost always meant
    throw new ShapeError(`${op}: target size ${fmt(target.shape)} is different from input size ${fmt(input.shape)}; ` +
      'reshape one of them (e.g. target.unsqueeze(1) or input.squeeze(1)) so that they match');
  }
}

export interface ReductionOpt { reduction?: Reduction }

/** Mean squared error (x - y)². */
export function mseLoss(input: Tensor, target: Tensor, opts: ReductionOpt = {}): Tensor {
  opts = checkSpec('F.mseLoss', opts, { reduction: 'any' });
  const red = checkReduction('mseLoss', opts.reduction);
  checkSameShape('mseLoss', input, target);
  const d = sub(input, target);
  return reduce(mul(d, d), red);
}

/** Mean absolute error |x - y|. */
export function l1Loss(input: Tensor, target: Tensor, opts: ReductionOpt = {}): Tensor {
  opts = checkSpec('F.l1Loss', opts, { reduction: 'any' });
  const red = checkReduction('l1Loss', opts.reduction);
  checkSameShape('l1Loss', input, target);
  return reduce(abs(sub(input, target)), red);
}

/** 0.5 d² / beta where |d| < beta, |d| - 0.5 beta elsewhere (beta = 0 gives l1Loss). */
export function smoothL1Loss(input: Tensor, target: Tensor, opts: ReductionOpt & { beta?: number } = {}): Tensor {
  opts = checkSpec('F.smoothL1Loss', opts, { reduction: 'any', beta: 'number' });
  const red = checkReduction('smoothL1Loss', opts.reduction);
  const beta = opts.beta ?? 1;
  if (beta < 0) throw new ShapeError(`smoothL1Loss: beta must be non-negative, got ${beta}`);
  checkSameShape('smoothL1Loss', input, target);
  if (beta === 0) return l1Loss(input, target, opts);
  const d = abs(sub(input, target));
  return reduce(where(lt(d, beta), div(mul(mul(d, d), 0.5), beta), sub(d, 0.5 * beta)), red);
}

/** 0.5 d² where |d| < delta, delta (|d| - 0.5 delta) elsewhere. */
export function huberLoss(input: Tensor, target: Tensor, opts: ReductionOpt & { delta?: number } = {}): Tensor {
  opts = checkSpec('F.huberLoss', opts, { reduction: 'any', delta: 'number' });
  const red = checkReduction('huberLoss', opts.reduction);
  const delta = opts.delta ?? 1;
  if (delta <= 0) throw new ShapeError(`huberLoss: delta must be positive, got ${delta}`);
  checkSameShape('huberLoss', input, target);
  const d = abs(sub(input, target));
  return reduce(where(lt(d, delta), mul(mul(d, d), 0.5), mul(sub(d, 0.5 * delta), delta)), red);
}

export interface NllOpts extends ReductionOpt { weight?: Tensor | null; ignoreIndex?: number }

/** Move the class dim (1) last and flatten: [N, C, d...] -> [M, C]; [C] -> [1, C]. */
function classesLast(input: Tensor): Tensor {
  if (input.ndim === 1) return unsqueeze(input, 0);
  if (input.ndim === 2) return input;
  const perm = [0, ...Array.from({ length: input.ndim - 2 }, (_, i) => i + 2), 1];
  return reshape(permute(input, perm), [-1, input.shape[1]]);
}

function checkClassTarget(op: string, input: Tensor, target: Tensor, ignoreIndex: number): number {
  if (isFloating(target.dtype) || target.dtype === 'bool') {
    throw new DTypeError(`${op}: expected target of class indices with dtype int64, got ${target.dtype}${op === 'crossEntropy' ? ' (for class probabilities the target must have the input\'s shape)' : ''}; ${INT64_HINT}`);
  }
  const C = input.ndim === 1 ? input.shape[0] : input.shape[1];
  const expected = input.ndim === 1 ? [] : [input.shape[0], ...input.shape.slice(2)];
  if (!shapesEqual(target.shape, expected)) {
    throw new ShapeError(`${op}: for input of shape ${fmt(input.shape)} (classes in dim ${input.ndim === 1 ? 0 : 1}) expected target of shape ${fmt(expected)}, got ${fmt(target.shape)}`);
  }
  if (target.device === 'cpu' && target.numel() > 0) {
    const v = target.dataSync();
    for (let i = 0; i < v.length; i++) {
      if (v[i] !== ignoreIndex && (v[i] < 0 || v[i] >= C)) throw new IndexError(`${op}: target ${v[i]} is out of bounds for ${C} classes (valid: 0..${C - 1}${ignoreIndex !== -100 ? ` or ignoreIndex ${ignoreIndex}` : ''})`);
    }
  }
  return C;
}

/** Per-element weighted negative log-likelihood and the weights (0 where ignored), both of the target's shape. */
function nllParts(logp: Tensor, target: Tensor, weight: Tensor | null | undefined, ignoreIndex: number): { loss: Tensor; w: Tensor } {
  const lp = classesLast(logp);
  const t = reshape(target, [-1]);
  const valid = ne(t, ignoreIndex);
  const safe = where(valid, t, 0);
  const picked = squeeze(gather(lp, 1, unsqueeze(safe, 1)), 1);
  const w = weight ? mul(indexSelect(weight, 0, safe), valid) : toDtype(valid, logp.dtype);
  return { loss: reshape(neg(mul(picked, w)), target.shape), w: reshape(w, target.shape) };
}

/** Negative log-likelihood of log-probabilities input [N, C, ...] (or [C]) at class indices target [N, ...]. */
export function nllLoss(input: Tensor, target: Tensor, opts: NllOpts = {}): Tensor {
  opts = checkSpec('F.nllLoss', opts, { reduction: 'any', weight: TN, ignoreIndex: 'int' });
  const red = checkReduction('nllLoss', opts.reduction);
  const ignoreIndex = opts.ignoreIndex ?? -100;
  const C = checkClassTarget('nllLoss', input, target, ignoreIndex);
  if (opts.weight && (opts.weight.ndim !== 1 || opts.weight.shape[0] !== C)) throw new ShapeError(`nllLoss: weight must be a 1-D tensor of ${C} class weights, got shape ${fmt(opts.weight.shape)}`);
  const { loss, w } = nllParts(input, target, opts.weight, ignoreIndex);
  if (red === 'none') return loss;
  if (red === 'sum') return sum(loss);
  return div(sum(loss), sum(w));
}

export interface CrossEntropyOpts extends NllOpts { labelSmoothing?: number }

/**
 * Cross entropy of logits input [N, C, ...] (or [C]) against class indices [N, ...] (int64) or class
 * probabilities of the input's shape (floating), with weight, ignoreIndex (indices only) and labelSmoothing.
 */
export function crossEntropy(input: Tensor, target: Tensor, opts: CrossEntropyOpts = {}): Tensor {
  opts = checkSpec('F.crossEntropy', opts, { reduction: 'any', weight: TN, ignoreIndex: 'int', labelSmoothing: { number: { min: 0, max: 1 } } });
  const red = checkReduction('crossEntropy', opts.reduction);
  const eps = opts.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps <= 1)) throw new ShapeError(`crossEntropy: labelSmoothing must be between 0.0 and 1.0, got ${eps}`);
  const classDim = input.ndim === 1 ? 0 : 1;
  const C = input.shape[classDim];
  if (opts.weight && (opts.weight.ndim !== 1 || opts.weight.shape[0] !== C)) throw new ShapeError(`crossEntropy: weight must be a 1-D tensor of ${C} class weights, got shape ${fmt(opts.weight.shape)}`);
  const logp = logSoftmax(input, classDim);
  const wView = opts.weight ? reshape(opts.weight, input.shape.map((s, i) => (i === classDim ? s : 1))) : null;

  if (isFloating(target.dtype)) {
    if (!shapesEqual(target.shape, input.shape)) {
      throw new ShapeError(`crossEntropy: a floating target holds class probabilities and must have the input's shape ${fmt(input.shape)}, got ${fmt(target.shape)}; for class indices pass an int64 tensor: ${INT64_HINT}`);
    }
    const tgt = eps > 0 ? add(mul(target, 1 - eps), eps / C) : target;
    let prod = mul(logp, tgt);
    if (wView) prod = mul(prod, wView);
    if (red === 'none') return neg(sum(prod, classDim));
    if (red === 'sum') return neg(sum(prod));
    return div(neg(sum(prod)), input.numel() / C);
  }

  const ignoreIndex = opts.ignoreIndex ?? -100;
  checkClassTarget('crossEntropy', input, target, ignoreIndex);
  const { loss, w } = nllParts(logp, target, opts.weight, ignoreIndex);
  const nll = red === 'none' ? loss : red === 'sum' ? sum(loss) : div(sum(loss), sum(w));
  if (eps === 0) return nll;
  // label smoothing (PyTorch's cross_entropy_loss_label_smoothing)
  const ignored = logicalNot(ne(target, ignoreIndex));
  let smooth = neg(sum(wView ? mul(logp, wView) : logp, classDim));
  smooth = where(ignored, 0, smooth);
  let ret: Tensor;
  if (red === 'none') ret = smooth;
  else if (red === 'sum') ret = sum(smooth);
  else ret = opts.weight ? div(sum(smooth), sum(w)) : div(sum(smooth), sum(logicalNot(ignored)));
  return add(mul(nll, 1 - eps), mul(ret, eps / C));
}

export interface WeightedOpts extends ReductionOpt { weight?: Tensor | null }

/** Binary cross entropy of probabilities input in [0, 1]: -w (y log x + (1 - y) log(1 - x)), logs clamped at -100. */
export function binaryCrossEntropy(input: Tensor, target: Tensor, opts: WeightedOpts = {}): Tensor {
  opts = checkSpec('F.binaryCrossEntropy', opts, { reduction: 'any', weight: TN });
  const red = checkReduction('binaryCrossEntropy', opts.reduction);
  checkSameShape('binaryCrossEntropy', input, target);
  if (input.device === 'cpu') {
    const v = input.dataSync();
    for (let i = 0; i < v.length; i++) {
      if (!(v[i] >= 0 && v[i] <= 1)) throw new ShapeError(`binaryCrossEntropy: all elements of input should be between 0 and 1 (got ${v[i]} at flat index ${i}); apply sigmoid first, or use binaryCrossEntropyWithLogits`);
    }
  }
  const logx = clamp(log(input), -100);
  const log1mx = clamp(log(rsub(input, 1)), -100);
  let loss = neg(add(mul(target, logx), mul(rsub(target, 1), log1mx)));
  if (opts.weight) loss = mul(loss, opts.weight);
  return reduce(loss, red);
}

/**
 * Binary cross entropy on logits, stable: (1 - y) x + lw (log(exp(-m) + exp(-x - m)) + m) with m = max(-x, 0)
 * and lw = 1 + (posWeight - 1) y.
 */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, opts: WeightedOpts & { posWeight?: Tensor | null } = {}): Tensor {
  opts = checkSpec('F.binaryCrossEntropyWithLogits', opts, { reduction: 'any', weight: TN, posWeight: TN });
  const red = checkReduction('binaryCrossEntropyWithLogits', opts.reduction);
  checkSameShape('binaryCrossEntropyWithLogits', input, target);
  const m = clamp(neg(input), 0);
  const lse = add(log(add(exp(neg(m)), exp(sub(neg(input), m)))), m);
  let loss: Tensor;
  if (opts.posWeight) {
    const lw = add(mul(sub(opts.posWeight, 1), target), 1);
    loss = add(mul(rsub(target, 1), input), mul(lw, lse));
  } else {
    loss = add(mul(rsub(target, 1), input), lse);
  }
  if (opts.weight) loss = mul(loss, opts.weight);
  return reduce(loss, red);
}

/**
 * KL divergence with input as log-probabilities: target (log target - input), or exp(target) (target - input)
 * with logTarget. Reduction 'batchmean' divides the sum by the batch size (the mathematically correct KL).
 */
export function klDiv(input: Tensor, target: Tensor, opts: { reduction?: Reduction | 'batchmean'; logTarget?: boolean } = {}): Tensor {
  opts = checkSpec('F.klDiv', opts, { reduction: 'any', logTarget: 'bool' });
  const red = checkReduction('klDiv', opts.reduction, ['batchmean']);
  let loss: Tensor;
  if (opts.logTarget) loss = mul(exp(target), sub(target, input));
  else {
    const xlogy = mul(target, log(where(gt(target, 0), target, 1)));
    loss = sub(xlogy, mul(target, input));
  }
  if (red === 'batchmean') return input.ndim === 0 ? sum(loss) : div(sum(loss), input.shape[0]);
  return reduce(loss, red);
}
