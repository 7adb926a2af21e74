/**
 * @file Loss modules (torch.nn): the functional losses with their options stored; class weights are registered
 * as buffers (`weight`, `pos_weight`) as in PyTorch, so they move with the module and appear in its state dict.
 */
import { Module } from '../module.js';
import { ModuleError } from '../../core/errors.js';
import * as F from '../functional/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import { checkReduction, type Reduction } from '../functional/loss.js';
import { layerOpts, R } from './utils.js';
import type { Rule } from '../../core/args.js';

const RED: Record<string, Rule> = { reduction: 'any', sizeAverage: 'any', reduce: 'any' };
const chk = <T extends object>(cls: string, o: T, spec: Record<string, Rule> = {}): T => layerOpts<T>(cls, o, { ...RED, ...spec }) as T;

abstract class Loss extends Module {
  readonly reduction: Reduction;
  constructor(reduction: Reduction | undefined, extra: string[] = [], legacy?: object) {
    super();
    if (legacy && ((legacy as { sizeAverage?: unknown }).sizeAverage !== undefined || (legacy as { reduce?: unknown }).reduce !== undefined)) {
      throw new ModuleError(`nn.${this._getName()}: sizeAverage and reduce are deprecated in PyTorch; use { reduction: 'mean' | 'sum' | 'none' }`);
    }
    this.reduction = checkReduction(this._getName(), reduction, extra) as Reduction;
  }
}

abstract class WeightedLoss extends Loss {
  declare weight: Tensor | null;
  constructor(weight: Tensor | null | undefined, reduction: Reduction | undefined, legacy?: object) {
    super(reduction, [], legacy);
    this.registerBuffer('weight', weight ?? null);
  }
}

export class MSELoss extends Loss {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'MSELoss';
  constructor(opts: { reduction?: Reduction } = {}) { super(chk('MSELoss', opts).reduction, [], opts); }
  forward(input: Tensor, target: Tensor): Tensor { return F.mseLoss(input, target, { reduction: this.reduction }); }
}

export class L1Loss extends Loss {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'L1Loss';
  constructor(opts: { reduction?: Reduction } = {}) { super(chk('L1Loss', opts).reduction, [], opts); }
  forward(input: Tensor, target: Tensor): Tensor { return F.l1Loss(input, target, { reduction: this.reduction }); }
}

export class SmoothL1Loss extends Loss {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'SmoothL1Loss';
  readonly beta: number;
  constructor(opts: { reduction?: Reduction; beta?: number } = {}) {
    super(chk('SmoothL1Loss', opts, { beta: { number: { min: 0 } } }).reduction, [], opts); this.beta = opts.beta ?? 1;
  }
  forward(input: Tensor, target: Tensor): Tensor { return F.smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta }); }
}

export class HuberLoss extends Loss {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'HuberLoss';
  readonly delta: number;
  constructor(opts: { reduction?: Reduction; delta?: number } = {}) {
    super(chk('HuberLoss', opts, { delta: { number: { gt: 0 } } }).reduction, [], opts); this.delta = opts.delta ?? 1;
  }
  forward(input: Tensor, target: Tensor): Tensor { return F.huberLoss(input, target, { reduction: this.reduction, delta: this.delta }); }
}

export interface CrossEntropyLossOpts { weight?: Tensor | null; ignoreIndex?: number; reduction?: Reduction; labelSmoothing?: number }

/** logSoftmax + nllLoss over logits [N, C, ...] with class indices or class probabilities. */
export class CrossEntropyLoss extends WeightedLoss {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'CrossEntropyLoss';
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;
  constructor(opts: CrossEntropyLossOpts = {}) {
    chk('CrossEntropyLoss', opts, { weight: R.tensorOrNull, ignoreIndex: R.int, labelSmoothing: { number: { min: 0, max: 1 } } });
    super(opts.weight, opts.reduction, opts);
    this.ignoreIndex = opts.ignoreIndex ?? -100;
    this.labelSmoothing = opts.labelSmoothing ?? 0;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.crossEntropy(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction, labelSmoothing: this.labelSmoothing });
  }
}

export class NLLLoss extends WeightedLoss {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'NLLLoss';
  readonly ignoreIndex: number;
  constructor(opts: { weight?: Tensor | null; ignoreIndex?: number; reduction?: Reduction } = {}) {
    chk('NLLLoss', opts, { weight: R.tensorOrNull, ignoreIndex: R.int });
    super(opts.weight, opts.reduction, opts);
    this.ignoreIndex = opts.ignoreIndex ?? -100;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.nllLoss(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction });
  }
}

export class BCELoss extends WeightedLoss {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'BCELoss';
  constructor(opts: { weight?: Tensor | null; reduction?: Reduction } = {}) {
    chk('BCELoss', opts, { weight: R.tensorOrNull });
    super(opts.weight, opts.reduction, opts);
  }
  forward(input: Tensor, target: Tensor): Tensor { return F.binaryCrossEntropy(input, target, { weight: this.weight, reduction: this.reduction }); }
}

export class BCEWithLogitsLoss extends Loss {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'BCEWithLogitsLoss';
  declare weight: Tensor | null;
  declare pos_weight: Tensor | null;
  constructor(opts: { weight?: Tensor | null; reduction?: Reduction; posWeight?: Tensor | null } = {}) {
    chk('BCEWithLogitsLoss', opts, { weight: R.tensorOrNull, posWeight: R.tensorOrNull });
    super(opts.reduction, [], opts);
    this.registerBuffer('weight', opts.weight ?? null);
    this.registerBuffer('pos_weight', opts.posWeight ?? null);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.binaryCrossEntropyWithLogits(input, target, { weight: this.weight, posWeight: this.pos_weight, reduction: this.reduction });
  }
}

export class KLDivLoss extends Module {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'KLDivLoss';
  readonly reduction: Reduction | 'batchmean';
  readonly logTarget: boolean;
  constructor(opts: { reduction?: Reduction | 'batchmean'; logTarget?: boolean } = {}) {
    super();
    chk('KLDivLoss', opts, { logTarget: R.bool });
    this.reduction = checkReduction('KLDivLoss', opts.reduction, ['batchmean']) as Reduction | 'batchmean';
    this.logTarget = opts.logTarget ?? false;
  }
  forward(input: Tensor, target: Tensor): Tensor { return F.klDiv(input, target, { reduction: this.reduction, logTarget: this.logTarget }); }
}
