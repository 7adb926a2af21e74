/**
 * @file Dropout, Dropout1d, Dropout2d (torch.nn): active in training mode only; the mask comes from the default
 * generator in PyTorch's order, so a seed drops the same elements as PyTorch.
 */
import { Module } from '../module.js';
import * as F from '../functional/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import { ModuleError } from '../../core/errors.js';
import { pyBool, pyFloat } from './utils.js';

abstract class DropoutBase extends Module {
  readonly p: number;
  readonly inplace: boolean;
  constructor(p = 0.5, opts: { inplace?: boolean } = {}) {
    super();
    if (!(p >= 0 && p <= 1)) throw new ModuleError(`${this._getName()}: dropout probability has to be between 0 and 1, but got ${p}`);
    this.p = p;
    this.inplace = opts.inplace ?? false;
  }
  override extraRepr(): string { return `p=${pyFloat(this.p)}, inplace=${pyBool(this.inplace)}`; }
}

/** Zeroes elements with probability p and scales the rest by 1/(1 - p) (training mode only). */
export class Dropout extends DropoutBase {
  forward(x: Tensor): Tensor { return F.dropout(x, { p: this.p, training: this.training, inplace: this.inplace }); }
}
/** Zeroes whole channels of [N, C, L]. */
export class Dropout1d extends DropoutBase {
  forward(x: Tensor): Tensor { return F.dropout1d(x, { p: this.p, training: this.training, inplace: this.inplace }); }
}
/** Zeroes whole channels of [N, C, H, W]. */
export class Dropout2d extends DropoutBase {
  forward(x: Tensor): Tensor { return F.dropout2d(x, { p: this.p, training: this.training, inplace: this.inplace }); }
}
