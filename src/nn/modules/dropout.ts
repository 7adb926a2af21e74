/**
 * @file Dropout, Dropout1d, Dropout2d (torch.nn): active in training mode only; the mask comes from the default
 * generator in PyTorch's order, so a seed drops the same elements as PyTorch.
 */
import { Module } from '../module.js';
import * as F from '../functional/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import { ModuleError } from '../../core/errors.js';
import { layerOpts, R, pyBool, pyFloat } from './utils.js';
import { describeValue } from '../../core/args.js';

abstract class DropoutBase extends Module {
  readonly p: number;
  readonly inplace: boolean;
  constructor(p: number | { p?: number; inplace?: boolean } = 0.5, options: { inplace?: boolean } = {}) {
    super();
    let opts: { p?: number; inplace?: boolean };
    if (typeof p === 'object' && p !== null) { opts = layerOpts(this._getName(), p, { p: R.num, inplace: R.bool }); p = opts.p ?? 0.5; }
    else opts = layerOpts(this._getName(), options, { inplace: R.bool });
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new ModuleError(`nn.${this._getName()}: dropout probability has to be between 0 and 1, but got ${describeValue(p)}`);
    this.p = p;
    this.inplace = opts.inplace ?? false;
  }
  override extraRepr(): string { return `p=${pyFloat(this.p)}, inplace=${pyBool(this.inplace)}`; }
}

/** Zeroes elements with probability p and scales the rest by 1/(1 - p) (training mode only). */
export class Dropout extends DropoutBase {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'Dropout';
  forward(x: Tensor): Tensor { return F.dropout(x, { p: this.p, training: this.training, inplace: this.inplace }); }
}
/** Zeroes whole channels of [N, C, L]. */
export class Dropout1d extends DropoutBase {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'Dropout1d';
  forward(x: Tensor): Tensor { return F.dropout1d(x, { p: this.p, training: this.training, inplace: this.inplace }); }
}
/** Zeroes whole channels of [N, C, H, W]. */
export class Dropout2d extends DropoutBase {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'Dropout2d';
  forward(x: Tensor): Tensor { return F.dropout2d(x, { p: this.p, training: this.training, inplace: this.inplace }); }
}
