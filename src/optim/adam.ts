/**
 * @file torch.optim.Adam and torch.optim.AdamW (amsgrad, weight decay, maximize), in PyTorch 1.13's single-tensor
 * (for-loop) arithmetic order. State: `step` (a 0-dim float32 tensor, as PyTorch), `exp_avg`, `exp_avg_sq`,
 * `max_exp_avg_sq` (amsgrad).
 */
import { Tensor } from '../tensor/tensor.js';
import { zerosLike } from '../ops/creation.js';
import { adamStepFused } from '../ops/fused.js';
import {
  addcdivInto, addcmulInto, checkNonNegative, checkOptimOptions, Optimizer, OptimizerError, stepTensor, stepValue,
  type ParamGroup, type ParamsInput, type ParamState,
} from './optimizer.js';

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
  maximize?: boolean;
  foreach?: boolean | null;
  capturable?: boolean;
  differentiable?: boolean;
  fused?: boolean;
}

const ADAM_DEFAULTS: Record<string, unknown> = {
  lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, foreach: null, capturable: false,
  differentiable: false, fused: false,
};
// PyTorch 1.13's AdamW group keys, in its order (its state dicts round-trip key for key)
const ADAMW_DEFAULTS: Record<string, unknown> = {
  lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, foreach: null, maximize: false, capturable: false,
};

function check(name: string, lr: number, betas: [number, number], eps: number, wd: number): void {
  checkNonNegative('lr', 'learning rate', lr);
  checkNonNegative('eps', 'epsilon value', eps);
  if (!(betas[0] >= 0 && betas[0] < 1)) throw new OptimizerError(`${name}: Invalid beta parameter at index 0: ${betas[0]}; betas must be in [0, 1)`);
  if (!(betas[1] >= 0 && betas[1] < 1)) throw new OptimizerError(`${name}: Invalid beta parameter at index 1: ${betas[1]}; betas must be in [0, 1)`);
  checkNonNegative('weightDecay', 'weight_decay value', wd);
}

abstract class AdamBase extends Optimizer {
  protected abstract readonly decoupled: boolean;

  protected override checkGroup(g: ParamGroup): void {
    check(this.constructor.name, g.lr, g.betas as [number, number], g.eps as number, g.weightDecay as number);
  }

  protected initState(p: Tensor, g: ParamGroup): ParamState {
    const st: ParamState = { step: stepTensor(0), exp_avg: zerosLike(p), exp_avg_sq: zerosLike(p) };
    if (g.amsgrad) st.max_exp_avg_sq = zerosLike(p);
    return st;
  }

  protected override normalizeLoadedState(st: ParamState): void {
    if (!(st.step instanceof Tensor)) st.step = stepTensor(stepValue(st.step ?? 0));
  }

  protected updateParam(p: Tensor, grad: Tensor, st: ParamState, g: ParamGroup): void {
    const [beta1, beta2] = g.betas as [number, number];
    const lr = g.lr, wd = g.weightDecay as number, eps = g.eps as number;
    if (g.amsgrad && !(st.max_exp_avg_sq instanceof Tensor)) st.max_exp_avg_sq = zerosLike(p);
    const stepT = st.step as Tensor;
    const expAvg = st.exp_avg as Tensor, expAvgSq = st.exp_avg_sq as Tensor;
    stepT.add_(1);
    const step = stepT.item();
    // one fused pass where the backend has it (bit-identical to the op-by-op update below)
    if (!g.amsgrad && !g.differentiable && adamStepFused(p, grad, expAvg, expAvgSq, {
      lr, beta1, beta2, eps, weightDecay: wd, decoupled: this.decoupled, maximize: !!g.maximize,
      stepSize: lr / (1 - beta1 ** step), bc2Sqrt: Math.sqrt(1 - beta2 ** step),
    })) return;
    let gr = g.maximize ? grad.neg() : grad;
    if (this.decoupled) p.mul_(1 - lr * wd);
    else if (wd !== 0) gr = gr.add(p, { alpha: wd });
    expAvg.mul_(beta1).add_(gr, { alpha: 1 - beta1 });
    addcmulInto(expAvgSq.mul_(beta2), gr, gr, 1 - beta2);
    const bc1 = 1 - beta1 ** step;
    const bc2 = 1 - beta2 ** step;
    const stepSize = lr / bc1;
    const bc2Sqrt = Math.sqrt(bc2);
    let denom: Tensor;
    if (g.amsgrad) {
      const maxSq = st.max_exp_avg_sq as Tensor;
      maxSq.copy_(maxSq.maximum(expAvgSq));
      denom = maxSq.sqrt().div(bc2Sqrt).add_(eps);
    } else {
      denom = expAvgSq.sqrt().div(bc2Sqrt).add_(eps);
    }
    addcdivInto(p, expAvg, denom, -stepSize);
  }
}

/** torch.optim.Adam: L2 weight decay added to the gradient. */
export class Adam extends AdamBase {
  protected readonly decoupled = false;
  constructor(params: ParamsInput, opts: AdamOptions = {}) {
    const o = { ...ADAM_DEFAULTS, ...checkOptimOptions('Adam', opts, ADAM_DEFAULTS) };
    super(params, { ...o, betas: [...(o.betas as number[])] });
  }
}

/** torch.optim.AdamW: decoupled weight decay (param *= 1 - lr * weightDecay), default weightDecay 0.01. */
export class AdamW extends AdamBase {
  protected readonly decoupled = true;
  constructor(params: ParamsInput, opts: AdamOptions = {}) {
    const o = { ...ADAMW_DEFAULTS, ...checkOptimOptions('AdamW', opts, ADAMW_DEFAULTS) };
    super(params, { ...o, betas: [...(o.betas as number[])] });
  }
}
