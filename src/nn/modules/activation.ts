/**
 * @file Activation modules (torch.nn): ReLU, LeakyReLU, GELU, SiLU, Tanh, Sigmoid, Softmax, LogSoftmax, ELU,
 * Softplus, Hardswish, with PyTorch's options and repr.
 */
import { Module } from '../module.js';
import * as F from '../functional/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import { checkNoArgs } from '../../core/args.js';
import { layerOpts, R, pyFloat, pyNum } from './utils.js';

const inplaceRepr = (inplace: boolean) => (inplace ? 'inplace=True' : '');

export class ReLU extends Module {
  readonly inplace: boolean;
  constructor(opts: { inplace?: boolean } = {}) { super(); this.inplace = layerOpts<typeof opts>('ReLU', opts, { inplace: R.bool }).inplace ?? false; }
  forward(x: Tensor): Tensor { return F.relu(x, { inplace: this.inplace }); }
  override extraRepr(): string { return inplaceRepr(this.inplace); }
}

export class LeakyReLU extends Module {
  readonly negativeSlope: number;
  readonly inplace: boolean;
  constructor(options: { negativeSlope?: number; inplace?: boolean } = {}) {
    super();
    const opts = layerOpts<typeof options>('LeakyReLU', options, { negativeSlope: R.num, inplace: R.bool });
    this.negativeSlope = opts.negativeSlope ?? 0.01;
    this.inplace = opts.inplace ?? false;
  }
  forward(x: Tensor): Tensor { return F.leakyRelu(x, { negativeSlope: this.negativeSlope, inplace: this.inplace }); }
  override extraRepr(): string { return `negative_slope=${pyFloat(this.negativeSlope)}${this.inplace ? ', inplace=True' : ''}`; }
}

export class GELU extends Module {
  readonly approximate: 'none' | 'tanh';
  constructor(opts: { approximate?: 'none' | 'tanh' } = {}) {
    super();
    this.approximate = layerOpts<typeof opts>('GELU', opts, { approximate: { oneOf: ['none', 'tanh'] } }).approximate ?? 'none';
  }
  forward(x: Tensor): Tensor { return F.gelu(x, { approximate: this.approximate }); }
  override extraRepr(): string { return `approximate='${this.approximate}'`; }
}

export class SiLU extends Module {
  readonly inplace: boolean;
  constructor(opts: { inplace?: boolean } = {}) { super(); this.inplace = layerOpts<typeof opts>('SiLU', opts, { inplace: R.bool }).inplace ?? false; }
  forward(x: Tensor): Tensor { return F.silu(x, { inplace: this.inplace }); }
  override extraRepr(): string { return inplaceRepr(this.inplace); }
}

export class Tanh extends Module {
  constructor(...rest: never[]) { super(); checkNoArgs('nn.Tanh', rest); }
  forward(x: Tensor): Tensor { return F.tanh(x); }
}

export class Sigmoid extends Module {
  constructor(...rest: never[]) { super(); checkNoArgs('nn.Sigmoid', rest); }
  forward(x: Tensor): Tensor { return F.sigmoid(x); }
}

export class Softmax extends Module {
  readonly dim: number | null;
  constructor(opts: { dim?: number | null } = {}) { super(); this.dim = layerOpts<typeof opts>('Softmax', opts, { dim: { number: { integer: true }, nullable: true } }).dim ?? null; }
  forward(x: Tensor): Tensor { return F.softmax(x, implicitDim(this.dim, x)); }
  override extraRepr(): string { return `dim=${this.dim === null ? 'None' : this.dim}`; }
}

export class LogSoftmax extends Module {
  readonly dim: number | null;
  constructor(opts: { dim?: number | null } = {}) { super(); this.dim = layerOpts<typeof opts>('LogSoftmax', opts, { dim: { number: { integer: true }, nullable: true } }).dim ?? null; }
  forward(x: Tensor): Tensor { return F.logSoftmax(x, implicitDim(this.dim, x)); }
  override extraRepr(): string { return `dim=${this.dim === null ? 'None' : this.dim}`; }
}

/** PyTorch's legacy implicit softmax dim: 0 for 0-, 1- and 3-D inputs, else 1. */
function implicitDim(dim: number | null, x: Tensor): number {
  if (dim !== null) return dim;
  return x.ndim === 0 || x.ndim === 1 || x.ndim === 3 ? 0 : 1;
}

export class ELU extends Module {
  readonly alpha: number;
  readonly inplace: boolean;
  constructor(options: { alpha?: number; inplace?: boolean } = {}) {
    super();
    const opts = layerOpts<typeof options>('ELU', options, { alpha: R.num, inplace: R.bool });
    this.alpha = opts.alpha ?? 1; this.inplace = opts.inplace ?? false;
  }
  forward(x: Tensor): Tensor { return F.elu(x, { alpha: this.alpha, inplace: this.inplace }); }
  override extraRepr(): string { return `alpha=${pyFloat(this.alpha)}${this.inplace ? ', inplace=True' : ''}`; }
}

export class Softplus extends Module {
  readonly beta: number;
  readonly threshold: number;
  constructor(options: { beta?: number; threshold?: number } = {}) {
    super();
    const opts = layerOpts<typeof options>('Softplus', options, { beta: R.num, threshold: R.num });
    this.beta = opts.beta ?? 1; this.threshold = opts.threshold ?? 20;
  }
  forward(x: Tensor): Tensor { return F.softplus(x, { beta: this.beta, threshold: this.threshold }); }
  override extraRepr(): string {
    return `beta=${pyNum(this.beta, !Number.isInteger(this.beta))}, threshold=${pyNum(this.threshold, !Number.isInteger(this.threshold))}`;
  }
}

export class Hardswish extends Module {
  readonly inplace: boolean;
  constructor(opts: { inplace?: boolean } = {}) { super(); this.inplace = layerOpts<typeof opts>('Hardswish', opts, { inplace: R.bool }).inplace ?? false; }
  forward(x: Tensor): Tensor { return F.hardswish(x, { inplace: this.inplace }); }
  override extraRepr(): string { return inplaceRepr(this.inplace); }
}
