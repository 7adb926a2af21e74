/**
 * @file torch.optim.SGD: momentum, dampening, Nesterov, weight decay, maximize; PyTorch 1.13's single-tensor
 * arithmetic order.
 */
import type { Tensor } from '../tensor/tensor.js';
import { sgdMomentumStepFused, sgdStepFused } from '../ops/fused.js';
import { checkNonNegative, checkOptimOptions, Optimizer, OptimizerError, REQUIRED, type ParamGroup, type ParamsInput, type ParamState } from './optimizer.js';

export interface SGDOptions {
  lr?: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
  maximize?: boolean;
  foreach?: boolean | null;
  differentiable?: boolean;
}

const SGD_DEFAULTS: Record<string, unknown> = {
  lr: REQUIRED, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false, foreach: null, differentiable: false,
};

export class SGD extends Optimizer {
  constructor(params: ParamsInput, opts: SGDOptions = {}) {
    super(params, { ...SGD_DEFAULTS, ...checkOptimOptions('SGD', opts, SGD_DEFAULTS) });
  }

  protected override checkGroup(g: ParamGroup): void {
    if ((g.lr as unknown) !== REQUIRED) checkNonNegative('lr', 'learning rate', g.lr);
    checkNonNegative('momentum', 'momentum value', g.momentum as number);
    checkNonNegative('weightDecay', 'weight_decay value', g.weightDecay as number);
    if (g.nesterov && ((g.momentum as number) <= 0 || g.dampening !== 0)) {
      throw new OptimizerError('SGD: Nesterov momentum requires a momentum and zero dampening; pass {momentum: 0.9, dampening: 0} or drop nesterov');
    }
  }

  protected initState(): ParamState { return { momentum_buffer: null }; }

  protected updateParam(p: Tensor, grad: Tensor, st: ParamState, g: ParamGroup): void {
    const wd = g.weightDecay as number, momentum = g.momentum as number, dampening = g.dampening as number;
    // plain SGD: one fused pass where the backend has it (same roundings as p.add_(grad, {alpha: -lr}))
    if (wd === 0 && momentum === 0 && !g.maximize && !g.differentiable && sgdStepFused(p, grad, g.lr)) {
      st.momentum_buffer = null;
      return;
    }
    const prevBuf = st.momentum_buffer as Tensor | null | undefined;
    // momentum SGD after the first step: one fused pass over param, grad and buffer (same roundings as below)
    if (wd === 0 && momentum !== 0 && !g.nesterov && !g.maximize && !g.differentiable && prevBuf
      && sgdMomentumStepFused(p, grad, prevBuf, g.lr, momentum, dampening)) return;
    let d = g.maximize ? grad.neg() : grad;
    if (wd !== 0) d = d.add(p, { alpha: wd });
    if (momentum !== 0) {
      let buf = st.momentum_buffer as Tensor | null;
      if (buf === null || buf === undefined) {
        buf = d.clone().detach();
        st.momentum_buffer = buf;
      } else {
        buf.mul_(momentum).add_(d, { alpha: 1 - dampening });
      }
      d = g.nesterov ? d.add(buf, { alpha: momentum }) : buf;
    } else {
      st.momentum_buffer = null;
    }
    p.add_(d, { alpha: -g.lr });
  }
}
