/**
 * @file batchNorm, layerNorm, groupNorm (torch.nn.functional), composed from ops. batchNorm in training mode
 * updates the running statistics in place, outside the graph (under noGrad), as PyTorch does.
 */
import { batchNormFused, layerNormFused } from '../../ops/fused.js';
import type { Tensor } from '../../tensor/tensor.js';
import { noGrad } from '../../autograd/grad-mode.js';
import { ShapeError } from '../../core/errors.js';
import { fmt, numel } from '../../core/shape.js';
import { add, mul, rsqrt, sub } from '../../ops/elementwise.js';
import { copy_ } from '../../ops/inplace.js';
import { detach, reshape } from '../../ops/movement.js';
import { mean, variance } from '../../ops/reduce.js';
import { checkSpec, type Rule } from '../../core/args.js';
const TN: Rule = { tensorOrNull: true };


export interface BatchNormOpts {
  weight?: Tensor | null;
  bias?: Tensor | null;
  /** Use batch statistics (and update the running ones) instead of the running statistics. */
  training?: boolean;
  /** Weight of the new batch statistic in the running average (default 0.1). */
  momentum?: number;
  eps?: number;
}

/** [1, C, 1, ...] view of a per-channel vector for an input of `ndim` dims. */
function channelView(v: Tensor, ndim: number): Tensor {
  return reshape(v, [1, v.numel(), ...Array<number>(Math.max(0, ndim - 2)).fill(1)]);
}

/**
 * F.batch_norm over x [N, C, ...]: normalizes each channel with the batch statistics (training) or with
 * runningMean/runningVar (eval). In training, the running stats (when given) become
 * (1 - momentum) * running + momentum * batch, with the unbiased batch variance.
 */
export function batchNorm(x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, opts: BatchNormOpts = {}): Tensor {
  opts = checkSpec('F.batchNorm', opts, { weight: TN, bias: TN, training: 'bool', momentum: 'number', eps: 'number' });
  const training = opts.training ?? false, momentum = opts.momentum ?? 0.1, eps = opts.eps ?? 1e-5;
  if (x.ndim < 2) throw new ShapeError(`batchNorm: expected an input of at least 2 dims [N, C, ...], got shape ${fmt(x.shape)}`);
  const C = x.shape[1];
  for (const [name, t] of [['runningMean', runningMean], ['runningVar', runningVar], ['weight', opts.weight], ['bias', opts.bias]] as const) {
    if (t && t.numel() !== C) throw new ShapeError(`batchNorm: ${name} should contain ${C} elements (the channels of input ${fmt(x.shape)}), not ${t.numel()}`);
  }
  const dims = [0, ...Array.from({ length: x.ndim - 2 }, (_, i) => i + 2)];
  let mu: Tensor, v: Tensor;
  if (training) {
    const n = numel(dims.map((d) => x.shape[d]));
    if (n <= 1) throw new ShapeError(`batchNorm: expected more than 1 value per channel when training, got input size ${fmt(x.shape)}`);
    const fused = batchNormFused(x, opts.weight, opts.bias, eps); // one node (ops/fused.ts)
    if (fused) {
      mu = fused.mean; v = fused.var;
    } else {
      mu = mean(x, dims, { keepdim: true });
      v = variance(x, dims, { keepdim: true, correction: 0 });
    }
    if (runningMean || runningVar) {
      noGrad(() => {
        if (runningMean) copy_(runningMean, add(mul(reshape(detach(mu), [C]), momentum), mul(runningMean, 1 - momentum)));
        if (runningVar) copy_(runningVar, add(mul(reshape(detach(v), [C]), (momentum * n) / (n - 1)), mul(runningVar, 1 - momentum)));
      });
    }
    if (fused) return fused.y;
  } else {
    if (!runningMean || !runningVar) throw new ShapeError('batchNorm: runningMean and runningVar must be given in eval mode (training: false)');
    mu = channelView(runningMean, x.ndim);
    v = channelView(runningVar, x.ndim);
  }
  let y = mul(sub(x, mu), rsqrt(add(v, eps)));
  if (opts.weight) y = mul(y, channelView(opts.weight, x.ndim));
  if (opts.bias) y = add(y, channelView(opts.bias, x.ndim));
  return y;
}

export interface NormOpts { weight?: Tensor | null; bias?: Tensor | null; eps?: number }

/** F.layer_norm: normalize over the trailing dims `normalizedShape`, then scale and shift elementwise. */
export function layerNorm(x: Tensor, normalizedShape: number | readonly number[], opts: NormOpts = {}): Tensor {
  opts = checkSpec('F.layerNorm', opts, { weight: TN, bias: TN, eps: 'number' });
  const ns = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
  const eps = opts.eps ?? 1e-5;
  const tail = x.shape.slice(x.ndim - ns.length);
  if (ns.length > x.ndim || tail.join() !== ns.join()) {
    throw new ShapeError(`layerNorm: given normalizedShape ${fmt(ns)}, expected input with shape [*, ${ns.join(', ')}], but got input of size ${fmt(x.shape)}`);
  }
  for (const [name, t] of [['weight', opts.weight], ['bias', opts.bias]] as const) {
    if (t && t.shape.join() !== ns.join()) throw new ShapeError(`layerNorm: ${name} of shape ${fmt(t.shape)} must have the normalizedShape ${fmt(ns)}`);
  }
  const fused = layerNormFused(x, ns.reduce((a, b) => a * b, 1), opts.weight, opts.bias, eps); // one node (ops/fused.ts)
  if (fused) return fused;
  const dims = ns.map((_, i) => x.ndim - ns.length + i);
  const mu = mean(x, dims, { keepdim: true });
  const v = variance(x, dims, { keepdim: true, correction: 0 });
  let y = mul(sub(x, mu), rsqrt(add(v, eps)));
  if (opts.weight) y = mul(y, opts.weight);
  if (opts.bias) y = add(y, opts.bias);
  return y;
}

/** F.group_norm over x [N, C, ...]: statistics per sample over each group of C / numGroups channels. */
export function groupNorm(x: Tensor, numGroups: number, opts: NormOpts = {}): Tensor {
  opts = checkSpec('F.groupNorm', opts, { weight: TN, bias: TN, eps: 'number' });
  const eps = opts.eps ?? 1e-5;
  if (x.ndim < 2) throw new ShapeError(`groupNorm: expected an input of at least 2 dims [N, C, ...], got shape ${fmt(x.shape)}`);
  const [N, C] = x.shape;
  if (C % numGroups !== 0) throw new ShapeError(`groupNorm: expected number of channels in input (${C}) to be divisible by numGroups (${numGroups})`);
  for (const [name, t] of [['weight', opts.weight], ['bias', opts.bias]] as const) {
    if (t && t.numel() !== C) throw new ShapeError(`groupNorm: expected ${name} to be a vector of size ${C} (the channels), got shape ${fmt(t.shape)}`);
  }
  const g = reshape(x, [N, numGroups, -1]);
  const mu = mean(g, 2, { keepdim: true });
  const v = variance(g, 2, { keepdim: true, correction: 0 });
  let y = reshape(mul(sub(g, mu), rsqrt(add(v, eps))), x.shape);
  if (opts.weight) y = mul(y, channelView(opts.weight, x.ndim));
  if (opts.bias) y = add(y, channelView(opts.bias, x.ndim));
  return y;
}
