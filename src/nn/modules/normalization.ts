/**
 * @file BatchNorm1d/2d (running_mean / running_var / num_batches_tracked buffers, momentum incl. null for a
 * cumulative average, affine, track_running_stats, train vs eval), LayerNorm, GroupNorm (torch.nn).
 */
import { Module } from '../module.js';
import { Buffer, Parameter } from '../parameter.js';
import * as init from '../init.js';
import * as F from '../functional/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import { noGrad } from '../../autograd/grad-mode.js';
import { ModuleError, ShapeError } from '../../core/errors.js';
import { fmt } from '../../core/shape.js';
import { empty, ones, zeros } from '../../ops/creation.js';
import { layerInt, layerOpts, R, pyBool, pyFloat, pyTuple, type FactoryKwargs } from './utils.js';

export interface BatchNormOpts extends FactoryKwargs {
  eps?: number;
  /** Weight of each new batch in the running stats (default 0.1); null = cumulative moving average. */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
}

abstract class BatchNormBase extends Module {
  declare weight: Parameter | null;
  declare bias: Parameter | null;
  declare running_mean: Tensor | null;
  declare running_var: Tensor | null;
  declare num_batches_tracked: Tensor | null;
  readonly numFeatures: number;
  readonly eps: number;
  momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;

  constructor(numFeatures: number, options: BatchNormOpts = {}) {
    super();
    const opts = layerOpts<BatchNormOpts>(this._getName(), options, {
      eps: { number: { gt: 0 } }, momentum: { number: { min: 0, max: 1 }, nullable: true }, affine: R.bool, trackRunningStats: R.bool,
    }, true);
    layerInt(this._getName(), 'numFeatures', numFeatures, 1);
    if (!Number.isInteger(numFeatures) || numFeatures <= 0) throw new ModuleError(`${this._getName()}: num_features must be a positive integer, got ${numFeatures}`);
    this.numFeatures = numFeatures;
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
    this.affine = opts.affine ?? true;
    this.trackRunningStats = opts.trackRunningStats ?? true;
    const fk = { dtype: opts.dtype, device: opts.device };
    if (this.affine) {
      this.weight = new Parameter(empty([numFeatures], fk));
      this.bias = new Parameter(empty([numFeatures], fk));
    } else {
      this.registerParameter('weight', null);
      this.registerParameter('bias', null);
    }
    if (this.trackRunningStats) {
      this.running_mean = new Buffer(zeros([numFeatures], fk));
      this.running_var = new Buffer(ones([numFeatures], fk));
      this.num_batches_tracked = new Buffer(zeros([], { dtype: 'int64', device: opts.device }));
    } else {
      this.registerBuffer('running_mean', null);
      this.registerBuffer('running_var', null);
      this.registerBuffer('num_batches_tracked', null);
    }
    this.resetParameters();
  }

  resetRunningStats(): void {
    if (!this.trackRunningStats) return;
    noGrad(() => {
      this.running_mean!.zero_();
      this.running_var!.fill_(1);
      this.num_batches_tracked!.zero_();
    });
  }

  /** Running stats reset; weight ones, bias zeros. */
  resetParameters(): void {
    this.resetRunningStats();
    if (this.affine) {
      init.ones_(this.weight!);
      init.zeros_(this.bias!);
    }
  }

  protected abstract checkInputDim(x: Tensor): void;

  forward(x: Tensor): Tensor {
    this.checkInputDim(x);
    let factor = this.momentum ?? 0;
    if (this.training && this.trackRunningStats && this.num_batches_tracked) {
      const nbt = this.num_batches_tracked;
      noGrad(() => nbt.add_(1));
      if (this.momentum === null && nbt.device !== 'cpu') return this.cumulativeOnDevice(x, nbt);
      factor = this.momentum === null ? 1 / nbt.item() : this.momentum;
    }
    const bnTraining = this.training ? true : this.running_mean === null && this.running_var === null;
    const useRunning = !this.training || this.trackRunningStats;
    return F.batchNorm(x, useRunning ? this.running_mean : null, useRunning ? this.running_var : null, {
      weight: this.weight, bias: this.bias, training: bnTraining, momentum: factor, eps: this.eps,
    });
  }

  /**
   * momentum: null (cumulative average) on a device whose reads are asynchronous (webgpu): the factor
   * 1 / num_batches_tracked stays a tensor on the device instead of being read back; running stats become
   * running + f * (batch - running) in the CPU's form f * batch + (1 - f) * running (unbiased batch variance).
   */
  private cumulativeOnDevice(x: Tensor, nbt: Tensor): Tensor {
    const dims = [0, ...Array.from({ length: x.ndim - 2 }, (_, i) => i + 2)];
    noGrad(() => {
      const f = nbt.float().reciprocal();
      const keep = f.neg().add(1);
      const xd = x.detach();
      if (this.running_mean) this.running_mean.copy_(xd.mean(dims).mul(f).add(this.running_mean.mul(keep)));
      if (this.running_var) this.running_var.copy_(xd.var(dims, { correction: 1 }).mul(f).add(this.running_var.mul(keep)));
    });
    return F.batchNorm(x, null, null, { weight: this.weight, bias: this.bias, training: true, eps: this.eps });
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${pyFloat(this.eps)}, momentum=${this.momentum === null ? 'None' : pyFloat(this.momentum)}, ` +
      `affine=${pyBool(this.affine)}, track_running_stats=${pyBool(this.trackRunningStats)}`;
  }
}

/** Batch normalization over [N, C] or [N, C, L]: statistics per channel C. */
export class BatchNorm1d extends BatchNormBase {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'BatchNorm1d';
  protected checkInputDim(x: Tensor): void {
    if (x.ndim !== 2 && x.ndim !== 3) throw new ShapeError(`BatchNorm1d: expected 2D or 3D input [N, C] or [N, C, L] (got ${x.ndim}D input of shape ${fmt(x.shape)})`);
  }
}

/** Batch normalization over [N, C, H, W]: statistics per channel C. */
export class BatchNorm2d extends BatchNormBase {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'BatchNorm2d';
  protected checkInputDim(x: Tensor): void {
    if (x.ndim !== 4) throw new ShapeError(`BatchNorm2d: expected 4D input [N, C, H, W] (got ${x.ndim}D input of shape ${fmt(x.shape)})`);
  }
}

export interface LayerNormOpts extends FactoryKwargs { eps?: number; elementwiseAffine?: boolean; bias?: boolean }

/** Normalizes over the trailing normalizedShape dims; weight (ones) and bias (zeros) of that shape. */
export class LayerNorm extends Module {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'LayerNorm';
  declare weight: Parameter | null;
  declare bias: Parameter | null;
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;

  constructor(normalizedShape: number | readonly number[], options: LayerNormOpts = {}) {
    super();
    const opts = layerOpts<LayerNormOpts>('LayerNorm', options, { eps: { number: { gt: 0 } }, elementwiseAffine: R.bool, bias: R.bool }, true);
    (R.intOrTuple as (a: string, b: string, c: unknown) => void)('nn.LayerNorm', 'normalizedShape', normalizedShape);
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    this.eps = opts.eps ?? 1e-5;
    this.elementwiseAffine = opts.elementwiseAffine ?? true;
    const fk = { dtype: opts.dtype, device: opts.device };
    if (this.elementwiseAffine) {
      this.weight = new Parameter(empty(this.normalizedShape, fk));
      if (opts.bias ?? true) this.bias = new Parameter(empty(this.normalizedShape, fk));
      else this.registerParameter('bias', null);
    } else {
      this.registerParameter('weight', null);
      this.registerParameter('bias', null);
    }
    this.resetParameters();
  }

  resetParameters(): void {
    if (this.weight) init.ones_(this.weight);
    if (this.bias) init.zeros_(this.bias);
  }

  forward(x: Tensor): Tensor { return F.layerNorm(x, this.normalizedShape, { weight: this.weight, bias: this.bias, eps: this.eps }); }

  override extraRepr(): string {
    return `${pyTuple(this.normalizedShape)}, eps=${pyFloat(this.eps)}, elementwise_affine=${pyBool(this.elementwiseAffine)}`;
  }
}

export interface GroupNormOpts extends FactoryKwargs { eps?: number; affine?: boolean }

/** Normalizes each of numGroups channel groups per sample; per-channel weight (ones) and bias (zeros). */
export class GroupNorm extends Module {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'GroupNorm';
  declare weight: Parameter | null;
  declare bias: Parameter | null;
  readonly numGroups: number;
  readonly numChannels: number;
  readonly eps: number;
  readonly affine: boolean;

  constructor(numGroups: number, numChannels: number, options: GroupNormOpts = {}) {
    super();
    const opts = layerOpts<GroupNormOpts>('GroupNorm', options, { eps: { number: { gt: 0 } }, affine: R.bool }, true);
    layerInt('GroupNorm', 'numGroups', numGroups, 1); layerInt('GroupNorm', 'numChannels', numChannels, 0);
    if (numChannels % numGroups !== 0) throw new ModuleError(`GroupNorm: num_channels (${numChannels}) must be divisible by num_groups (${numGroups})`);
    this.numGroups = numGroups;
    this.numChannels = numChannels;
    this.eps = opts.eps ?? 1e-5;
    this.affine = opts.affine ?? true;
    const fk = { dtype: opts.dtype, device: opts.device };
    if (this.affine) {
      this.weight = new Parameter(empty([numChannels], fk));
      this.bias = new Parameter(empty([numChannels], fk));
    } else {
      this.registerParameter('weight', null);
      this.registerParameter('bias', null);
    }
    this.resetParameters();
  }

  resetParameters(): void {
    if (this.weight) init.ones_(this.weight);
    if (this.bias) init.zeros_(this.bias);
  }

  forward(x: Tensor): Tensor { return F.groupNorm(x, this.numGroups, { weight: this.weight, bias: this.bias, eps: this.eps }); }

  override extraRepr(): string { return `${this.numGroups}, ${this.numChannels}, eps=${pyFloat(this.eps)}, affine=${pyBool(this.affine)}`; }
}
