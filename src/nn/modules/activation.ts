/**
 * @file Activation modules (torch.nn): ReLU, LeakyReLU, GELU, SiLU, Tanh, Sigmoid, Softmax, LogSoftmax, ELU,
 * Softplus, Hardswish, Hardsigmoid, with PyTorch's options and repr.
 */
import { Module } from '../module.js';
import * as F from '../functional/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import { callArgs, checkNoArgs, type Rule } from '../../core/args.js';

/** PyTorch's positional-or-keyword constructor arguments (`nn.LeakyReLU(0.2)`, `nn.LeakyReLU({ negativeSlope: 0.2 })`), checked. */
function args<T extends object>(cls: string, a: unknown[], spec: Record<string, Rule>): Partial<T> {
  return layerOpts<T>(cls, callArgs(`nn.${cls}`, a, Object.keys(spec)), spec);
}
import { layerOpts, R, pyFloat, pyNum } from './utils.js';

const inplaceRepr = (inplace: boolean) => (inplace ? 'inplace=True' : '');

export class ReLU extends Module {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'ReLU';
  readonly inplace: boolean;
  constructor(...a: [inplace?: boolean | { inplace?: boolean }]) { super(); this.inplace = args<{ inplace: boolean }>('ReLU', a, { inplace: R.bool }).inplace ?? false; }
  forward(x: Tensor): Tensor { return F.relu(x, { inplace: this.inplace }); }
  override extraRepr(): string { return inplaceRepr(this.inplace); }
}

export class LeakyReLU extends Module {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'LeakyReLU';
  readonly negativeSlope: number;
  readonly inplace: boolean;
  constructor(...a: [negativeSlope?: number | { negativeSlope?: number; inplace?: boolean }, inplace?: boolean | { inplace?: boolean }]) {
    super();
    const opts = args<{ negativeSlope: number; inplace: boolean }>('LeakyReLU', a, { negativeSlope: R.num, inplace: R.bool });
    this.negativeSlope = opts.negativeSlope ?? 0.01;
    this.inplace = opts.inplace ?? false;
  }
  forward(x: Tensor): Tensor { return F.leakyRelu(x, { negativeSlope: this.negativeSlope, inplace: this.inplace }); }
  override extraRepr(): string { return `negative_slope=${pyFloat(this.negativeSlope)}${this.inplace ? ', inplace=True' : ''}`; }
}

export class GELU extends Module {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'GELU';
  readonly approximate: 'none' | 'tanh';
  constructor(...a: [approximate?: 'none' | 'tanh' | { approximate?: 'none' | 'tanh' }]) {
    super();
    this.approximate = args<{ approximate: 'none' | 'tanh' }>('GELU', a, { approximate: { oneOf: ['none', 'tanh'] } }).approximate ?? 'none';
  }
  forward(x: Tensor): Tensor { return F.gelu(x, { approximate: this.approximate }); }
  override extraRepr(): string { return `approximate='${this.approximate}'`; }
}

export class SiLU extends Module {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'SiLU';
  readonly inplace: boolean;
  constructor(...a: [inplace?: boolean | { inplace?: boolean }]) { super(); this.inplace = args<{ inplace: boolean }>('SiLU', a, { inplace: R.bool }).inplace ?? false; }
  forward(x: Tensor): Tensor { return F.silu(x, { inplace: this.inplace }); }
  override extraRepr(): string { return inplaceRepr(this.inplace); }
}

export class Tanh extends Module {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'Tanh';
  constructor(...rest: never[]) { super(); checkNoArgs('nn.Tanh', rest); }
  forward(x: Tensor): Tensor { return F.tanh(x); }
}

export class Sigmoid extends Module {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'Sigmoid';
  constructor(...rest: never[]) { super(); checkNoArgs('nn.Sigmoid', rest); }
  forward(x: Tensor): Tensor { return F.sigmoid(x); }
}

export class Softmax extends Module {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'Softmax';
  readonly dim: number | null;
  constructor(...a: [dim?: number | null | { dim?: number | null }]) { super(); this.dim = args<{ dim: number | null }>('Softmax', a, { dim: { number: { integer: true }, nullable: true } }).dim ?? null; }
  forward(x: Tensor): Tensor { return F.softmax(x, implicitDim(this.dim, x)); }
  override extraRepr(): string { return `dim=${this.dim === null ? 'None' : this.dim}`; }
}

export class LogSoftmax extends Module {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'LogSoftmax';
  readonly dim: number | null;
  constructor(...a: [dim?: number | null | { dim?: number | null }]) { super(); this.dim = args<{ dim: number | null }>('LogSoftmax', a, { dim: { number: { integer: true }, nullable: true } }).dim ?? null; }
  forward(x: Tensor): Tensor { return F.logSoftmax(x, implicitDim(this.dim, x)); }
  override extraRepr(): string { return `dim=${this.dim === null ? 'None' : this.dim}`; }
}

/** PyTorch's legacy implicit softmax dim: 0 for 0-, 1- and 3-D inputs, else 1. */
function implicitDim(dim: number | null, x: Tensor): number {
  if (dim !== null) return dim;
  return x.ndim === 0 || x.ndim === 1 || x.ndim === 3 ? 0 : 1;
}

export class ELU extends Module {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'ELU';
  readonly alpha: number;
  readonly inplace: boolean;
  constructor(...a: [alpha?: number | { alpha?: number; inplace?: boolean }, inplace?: boolean | { inplace?: boolean }]) {
    super();
    const opts = args<{ alpha: number; inplace: boolean }>('ELU', a, { alpha: R.num, inplace: R.bool });
    this.alpha = opts.alpha ?? 1; this.inplace = opts.inplace ?? false;
  }
  forward(x: Tensor): Tensor { return F.elu(x, { alpha: this.alpha, inplace: this.inplace }); }
  override extraRepr(): string { return `alpha=${pyFloat(this.alpha)}${this.inplace ? ', inplace=True' : ''}`; }
}

export class Softplus extends Module {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'Softplus';
  readonly beta: number;
  readonly threshold: number;
  constructor(...a: [beta?: number | { beta?: number; threshold?: number }, threshold?: number | { threshold?: number }]) {
    super();
    const opts = args<{ beta: number; threshold: number }>('Softplus', a, { beta: R.num, threshold: R.num });
    this.beta = opts.beta ?? 1; this.threshold = opts.threshold ?? 20;
  }
  forward(x: Tensor): Tensor { return F.softplus(x, { beta: this.beta, threshold: this.threshold }); }
  override extraRepr(): string {
    return `beta=${pyNum(this.beta, !Number.isInteger(this.beta))}, threshold=${pyNum(this.threshold, !Number.isInteger(this.threshold))}`;
  }
}

export class Hardswish extends Module {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'Hardswish';
  readonly inplace: boolean;
  constructor(...a: [inplace?: boolean | { inplace?: boolean }]) { super(); this.inplace = args<{ inplace: boolean }>('Hardswish', a, { inplace: R.bool }).inplace ?? false; }
  forward(x: Tensor): Tensor { return F.hardswish(x, { inplace: this.inplace }); }
  override extraRepr(): string { return inplaceRepr(this.inplace); }
}

export class Hardsigmoid extends Module {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'Hardsigmoid';
  readonly inplace: boolean;
  constructor(...a: [inplace?: boolean | { inplace?: boolean }]) { super(); this.inplace = args<{ inplace: boolean }>('Hardsigmoid', a, { inplace: R.bool }).inplace ?? false; }
  forward(x: Tensor): Tensor { return F.hardsigmoid(x, { inplace: this.inplace }); }
  override extraRepr(): string { return inplaceRepr(this.inplace); }
}
