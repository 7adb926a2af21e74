/**
 * @file Identity, Linear, Bilinear, Flatten, Unflatten (torch.nn), with PyTorch's parameter names, shapes,
 * default initialization and repr.
 */
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';
import * as init from '../init.js';
import * as F from '../functional/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import { empty } from '../../ops/creation.js';
import { flatten, unflatten } from '../../ops/movement.js';
import { ModuleError } from '../../core/errors.js';
import { layerInt, layerOpts, R, pyBool, pyTuple, type FactoryKwargs } from './utils.js';
import { ArgumentError, describeValue } from '../../core/args.js';

function checkPositive(cls: string, what: Record<string, number>): void {
  for (const [k, v] of Object.entries(what)) {
    if (!Number.isInteger(v) || v < 0) throw new ModuleError(`nn.${cls}: ${k} must be a non-negative integer, got ${describeValue(v)}`);
  }
}

/** Returns its input (a placeholder; accepts and ignores any constructor arguments, as PyTorch). */
export class Identity extends Module {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'Identity';
  constructor(..._args: unknown[]) { super(); }
  forward(x: Tensor): Tensor { return x; }
}

export interface LinearOpts extends FactoryKwargs { bias?: boolean }

/** y = x Wᵀ + b with weight [out_features, in_features] and bias [out_features]. */
export class Linear extends Module {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'Linear';
  declare weight: Parameter;
  declare bias: Parameter | null;
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(inFeatures: number, outFeatures: number, options: LinearOpts = {}) {
    super();
    const opts = layerOpts<LinearOpts>(this._getName(), options, { bias: R.bool }, true);
    checkPositive(this._getName(), { inFeatures, outFeatures });
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const fk = { dtype: opts.dtype, device: opts.device };
    this.weight = new Parameter(empty([outFeatures, inFeatures], fk));
    if (opts.bias ?? true) this.bias = new Parameter(empty([outFeatures], fk));
    else this.registerParameter('bias', null);
    this.resetParameters();
  }

  /** kaiming_uniform_(weight, a=√5), bias ~ U(-1/√fan_in, 1/√fan_in): PyTorch's default. */
  resetParameters(): void {
    init.kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) {
      const [fanIn] = init.calculateFanInAndFanOut(this.weight);
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      init.uniform_(this.bias, -bound, bound);
    }
  }

  forward(x: Tensor): Tensor { return F.linear(x, this.weight, this.bias); }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${pyBool(this.bias !== null)}`;
  }
}

/** The Linear that MultiheadAttention uses for out_proj (PyTorch's class name, for identical reprs). */
export class NonDynamicallyQuantizableLinear extends Linear {
  static override readonly torchName: string = 'NonDynamicallyQuantizableLinear';
}

/** y = x1ᵀ W x2 + b with weight [out, in1, in2] and bias [out]. */
export class Bilinear extends Module {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'Bilinear';
  declare weight: Parameter;
  declare bias: Parameter | null;
  readonly in1Features: number;
  readonly in2Features: number;
  readonly outFeatures: number;

  constructor(in1Features: number, in2Features: number, outFeatures: number, options: LinearOpts = {}) {
    super();
    const opts = layerOpts<LinearOpts>('Bilinear', options, { bias: R.bool }, true);
    checkPositive('Bilinear', { in1Features, in2Features, outFeatures });
    this.in1Features = in1Features;
    this.in2Features = in2Features;
    this.outFeatures = outFeatures;
    const fk = { dtype: opts.dtype, device: opts.device };
    this.weight = new Parameter(empty([outFeatures, in1Features, in2Features], fk));
    if (opts.bias ?? true) this.bias = new Parameter(empty([outFeatures], fk));
    else this.registerParameter('bias', null);
    this.resetParameters();
  }

  /** weight and bias ~ U(-1/√in1, 1/√in1). */
  resetParameters(): void {
    const bound = 1 / Math.sqrt(this.weight.shape[1]);
    init.uniform_(this.weight, -bound, bound);
    if (this.bias) init.uniform_(this.bias, -bound, bound);
  }

  forward(x1: Tensor, x2: Tensor): Tensor { return F.bilinear(x1, x2, this.weight, this.bias); }

  override extraRepr(): string {
    return `in1_features=${this.in1Features}, in2_features=${this.in2Features}, out_features=${this.outFeatures}, bias=${pyBool(this.bias !== null)}`;
  }
}

/** Flattens dims startDim..endDim (default 1..-1: everything but the batch). */
export class Flatten extends Module {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'Flatten';
  readonly startDim: number;
  readonly endDim: number;
  constructor(startDim: number | { startDim?: number; endDim?: number } = 1, endDim = -1) {
    super();
    if (typeof startDim === 'object') {
      const o = layerOpts<{ startDim: number; endDim: number }>('Flatten', startDim, { startDim: R.int, endDim: R.int });
      startDim = o.startDim ?? 1; endDim = o.endDim ?? -1;
    }
    layerInt('Flatten', 'startDim', startDim, -Infinity); layerInt('Flatten', 'endDim', endDim, -Infinity);
    this.startDim = startDim;
    this.endDim = endDim;
  }
  forward(x: Tensor): Tensor { return flatten(x, this.startDim, this.endDim); }
  override extraRepr(): string { return `start_dim=${this.startDim}, end_dim=${this.endDim}`; }
}

/** Expands dim into unflattenedSize. */
export class Unflatten extends Module {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'Unflatten';
  readonly dim: number;
  readonly unflattenedSize: readonly number[];
  constructor(dim: number, unflattenedSize: readonly number[]) {
    super();
    layerInt('Unflatten', 'dim', dim, -Infinity);
    if (!Array.isArray(unflattenedSize)) throw new ArgumentError(`nn.Unflatten: unflattenedSize must be an array of sizes like [2, 3], got ${describeValue(unflattenedSize)}`);
    this.dim = dim;
    this.unflattenedSize = [...(unflattenedSize as readonly number[])]; // Array.isArray above narrowed it to any[]
  }
  forward(x: Tensor): Tensor { return unflatten(x, this.dim, this.unflattenedSize); }
  override extraRepr(): string { return `dim=${this.dim}, unflattened_size=${pyTuple(this.unflattenedSize)}`; }
}
