/**
 * @file torch.optim.Adagrad (lrDecay, weightDecay, initialAccumulatorValue, eps, maximize), PyTorch 1.13's order.
 * State (created at construction, as PyTorch): `step` (a 0-dim float32 tensor) and `sum`.
 */
import { Tensor } from '../tensor/tensor.js';
import { fullLike } from '../ops/creation.js';
import {
  addcdivInto, addcmulInto, checkNonNegative, checkOptimOptions, Optimizer, stepTensor, stepValue,
  type ParamGroup, type ParamsInput, type ParamState,
} from './optimizer.js';

export interface AdagradOptions {
  lr?: number;
  lrDecay?: number;
  weightDecay?: number;
  initialAccumulatorValue?: number;
  eps?: number;
  foreach?: boolean | null;
  maximize?: boolean;
}

const ADAGRAD_DEFAULTS: Record<string, unknown> = {
  lr: 1e-2, lrDecay: 0, eps: 1e-10, weightDecay: 0, initialAccumulatorValue: 0, foreach: null, maximize: false,
};

export class Adagrad extends Optimizer {
  constructor(params: ParamsInput, opts: AdagradOptions = {}) {
    super(params, { ...ADAGRAD_DEFAULTS, ...checkOptimOptions('Adagrad', opts, ADAGRAD_DEFAULTS) });
  }

  protected override checkGroup(g: ParamGroup): void {
    checkNonNegative('lr', 'learning rate', g.lr);
    checkNonNegative('lrDecay', 'lr_decay value', g.lrDecay as number);
    checkNonNegative('weightDecay', 'weight_decay value', g.weightDecay as number);
    checkNonNegative('initialAccumulatorValue', 'initial_accumulator_value value', g.initialAccumulatorValue as number);
    checkNonNegative('eps', 'epsilon value', g.eps as number);
  }

  override addParamGroup(group: Parameters<Optimizer['addParamGroup']>[0]): void {
    super.addParamGroup(group);
    // PyTorch creates Adagrad's state in __init__; here each group's state is created as the group is added
    const g = this.paramGroups[this.paramGroups.length - 1];
    for (const p of g.params) this.state.set(p, this.initState(p, g));
  }

  protected initState(p: Tensor, g: ParamGroup): ParamState {
    return { step: stepTensor(0), sum: fullLike(p, g.initialAccumulatorValue as number) };
  }

  protected override normalizeLoadedState(st: ParamState): void {
    if (!(st.step instanceof Tensor)) st.step = stepTensor(stepValue(st.step ?? 0));
  }

  protected updateParam(p: Tensor, grad: Tensor, st: ParamState, g: ParamGroup): void {
    const stepT = st.step as Tensor;
    stepT.add_(1);
    const step = stepT.item();
    let gr = g.maximize ? grad.neg() : grad;
    const wd = g.weightDecay as number;
    if (wd !== 0) gr = gr.add(p, { alpha: wd });
    const clr = g.lr / (1 + (step - 1) * (g.lrDecay as number));
    const sum = st.sum as Tensor;
    addcmulInto(sum, gr, gr, 1);
    const std = sum.sqrt().add_(g.eps as number);
    addcdivInto(p, gr, std, -clr);
  }
}
