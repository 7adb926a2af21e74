/**
 * @file Loss modules (torch.nn): the functional losses with their options stored; class weights are registered
 * as buffers (`weight`, `pos_weight`) as in PyTorch, so they move with the module and appear in its state dict.
 */
import { Module } from '../module.js';
import * as F from '../functional/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import { checkReduction, type Reduction } from '../functional/loss.js';

abstract class Loss extends Module {
  readonly reduction: Reduction;
  constructor(reduction: Reduction | undefined, extra: string[] = []) {
    super();
    this.reduction = checkReduction(this._getName(), reduction, extra) as Reduction;
  }
}

abstract class WeightedLoss extends Loss {
  declare weight: Tensor | null;
  constructor(weight: Tensor | null | undefined, reduction: Reduction | undefined) {
    super(reduction);
    this.registerBuffer('weight', weight ?? null);
  }
}

export class MSELoss extends Loss {
  constructor(opts: { reduction?: Reduction } = {}) { super(opts.reduction); }
  forward(input: Tensor, target: Tensor): Tensor { return F.mseLoss(input, target, { reduction: this.reduction }); }
}

export class L1Loss extends Loss {
  constructor(opts: { reduction?: Reduction } = {}) { super(opts.reduction); }
  forward(input: Tensor, target: Tensor): Tensor { return F.l1Loss(input, target, { reduction: this.reduction }); }
}

export class SmoothL1Loss extends Loss {
  readonly beta: number;
  constructor(opts: { reduction?: Reduction; beta?: number } = {}) { super(opts.reduction); this.beta = opts.beta ?? 1; }
  forward(input: Tensor, target: Tensor): Tensor { return F.smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta }); }
}

export class HuberLoss extends Loss {
  readonly delta: number;
  constructor(opts: { reduction?: Reduction; delta?: number } = {}) { super(opts.reduction); this.delta = opts.delta ?? 1; }
  forward(input: Tensor, target: Tensor): Tensor { return F.huberLoss(input, target, { reduction: this.reduction, delta: this.delta }); }
}

export interface CrossEntropyLossOpts { weight?: Tensor | null; ignoreIndex?: number; reduction?: Reduction; labelSmoothing?: number }

/** logSoftmax + nllLoss over logits [N, C, ...] with class indices or class probabilities. */
export class CrossEntropyLoss extends WeightedLoss {
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;
  constructor(opts: CrossEntropyLossOpts = {}) {
    super(opts.weight, opts.reduction);
    this.ignoreIndex = opts.ignoreIndex ?? -100;
    this.labelSmoothing = opts.labelSmoothing ?? 0;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.crossEntropy(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction, labelSmoothing: this.labelSmoothing });
  }
}

export class NLLLoss extends WeightedLoss {
  readonly ignoreIndex: number;
  constructor(opts: { weight?: Tensor | null; ignoreIndex?: number; reduction?: Reduction } = {}) {
    super(opts.weight, opts.reduction);
    this.ignoreIndex = opts.ignoreIndex ?? -100;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.nllLoss(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction });
  }
}

export class BCELoss extends WeightedLoss {
  constructor(opts: { weight?: Tensor | null; reduction?: Reduction } = {}) { super(opts.weight, opts.reduction); }
  forward(input: Tensor, target: Tensor): Tensor { return F.binaryCrossEntropy(input, target, { weight: this.weight, reduction: this.reduction }); }
}

export class BCEWithLogitsLoss extends Loss {
  declare weight: Tensor | null;
  declare pos_weight: Tensor | null;
  constructor(opts: { weight?: Tensor | null; reduction?: Reduction; posWeight?: Tensor | null } = {}) {
    super(opts.reduction);
    this.registerBuffer('weight', opts.weight ?? null);
    this.registerBuffer('pos_weight', opts.posWeight ?? null);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.binaryCrossEntropyWithLogits(input, target, { weight: this.weight, posWeight: this.pos_weight, reduction: this.reduction });
  }
}

export class KLDivLoss extends Module {
  readonly reduction: Reduction | 'batchmean';
  readonly logTarget: boolean;
  constructor(opts: { reduction?: Reduction | 'batchmean'; logTarget?: boolean } = {}) {
    super();
    this.reduction = checkReduction('KLDivLoss', opts.reduction, ['batchmean']) as Reduction | 'batchmean';
    this.logTarget = opts.logTarget ?? false;
  }
  forward(input: Tensor, target: Tensor): Tensor { return F.klDiv(input, target, { reduction: this.reduction, logTarget: this.logTarget }); }
}
