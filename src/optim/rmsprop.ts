/**
 * @file torch.optim.RMSprop (alpha, eps, weight decay, momentum, centered, maximize), PyTorch 1.13's order.
 * State: `step` (a number, as PyTorch), `square_avg`, `momentum_buffer` (momentum > 0), `grad_avg` (centered).
 */
import type { Tensor } from '../tensor/tensor.js';
import { zerosLike } from '../ops/creation.js';
import {
  addcdivInto, addcmul, addcmulInto, checkNonNegative, checkOptimOptions, Optimizer, stepValue,
  type ParamGroup, type ParamsInput, type ParamState,
} from './optimizer.js';

export interface RMSpropOptions {
  lr?: number;
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  centered?: boolean;
  maximize?: boolean;
  foreach?: boolean | null;
  differentiable?: boolean;
}

const RMSPROP_DEFAULTS: Record<string, unknown> = {
  lr: 1e-2, momentum: 0, alpha: 0.99, eps: 1e-8, centered: false, weightDecay: 0, foreach: null, maximize: false, differentiable: false,
};

export class RMSprop extends Optimizer {
  constructor(params: ParamsInput, opts: RMSpropOptions = {}) {
    super(params, { ...RMSPROP_DEFAULTS, ...checkOptimOptions('RMSprop', opts, RMSPROP_DEFAULTS) });
  }

  protected override checkGroup(g: ParamGroup): void {
    checkNonNegative('lr', 'learning rate', g.lr);
    checkNonNegative('eps', 'epsilon value', g.eps as number);
    checkNonNegative('momentum', 'momentum value', g.momentum as number);
    checkNonNegative('weightDecay', 'weight_decay value', g.weightDecay as number);
    checkNonNegative('alpha', 'alpha value', g.alpha as number);
  }

  protected initState(p: Tensor, g: ParamGroup): ParamState {
    const st: ParamState = { step: 0, square_avg: zerosLike(p) };
    if ((g.momentum as number) > 0) st.momentum_buffer = zerosLike(p);
    if (g.centered) st.grad_avg = zerosLike(p);
    return st;
  }

  protected updateParam(p: Tensor, grad: Tensor, st: ParamState, g: ParamGroup): void {
    const alpha = g.alpha as number, eps = g.eps as number, wd = g.weightDecay as number, momentum = g.momentum as number;
    st.step = stepValue(st.step) + 1;
    let gr = g.maximize ? grad.neg() : grad;
    if (wd !== 0) gr = gr.add(p, { alpha: wd });
    const squareAvg = st.square_avg as Tensor;
    addcmulInto(squareAvg.mul_(alpha), gr, gr, 1 - alpha);
    let avg: Tensor;
    if (g.centered) {
      if (!st.grad_avg) st.grad_avg = zerosLike(p);
      const gradAvg = (st.grad_avg as Tensor).mul_(alpha).add_(gr, { alpha: 1 - alpha });
      avg = addcmul(squareAvg, gradAvg, gradAvg, -1).sqrt_();
    } else {
      avg = squareAvg.sqrt();
    }
    avg = avg.add_(eps);
    if (momentum > 0) {
      if (!st.momentum_buffer) st.momentum_buffer = zerosLike(p);
      const buf = st.momentum_buffer as Tensor;
      addcdivInto(buf.mul_(momentum), gr, avg);
      p.add_(buf, { alpha: -g.lr });
    } else {
      addcdivInto(p, gr, avg, -g.lr);
    }
  }
}
