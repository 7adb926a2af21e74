/**
 * @file Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d (torch.nn): weight [out, in/groups, ...k] (transposed:
 * [in, out/groups, ...k]), bias [out], PyTorch's default initialization and repr.
 */
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';
import * as init from '../init.js';
import * as F from '../functional/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import { empty } from '../../ops/creation.js';
import { ntuple, type IntOrTuple } from '../../ops/conv.js';
import { ModuleError } from '../../core/errors.js';
import { layerInt, layerOpts, R, pyTuple, type FactoryKwargs } from './utils.js';

export interface ConvModuleOpts extends FactoryKwargs {
  stride?: IntOrTuple;
  padding?: IntOrTuple | 'same' | 'valid';
  dilation?: IntOrTuple;
  groups?: number;
  bias?: boolean;
  paddingMode?: 'zeros';
}

export interface ConvTransposeModuleOpts extends FactoryKwargs {
  stride?: IntOrTuple;
  padding?: IntOrTuple;
  outputPadding?: IntOrTuple;
  groups?: number;
  bias?: boolean;
  dilation?: IntOrTuple;
  paddingMode?: 'zeros';
}

/** Shared parameters, init and repr of the convolution layers (PyTorch's _ConvNd). */
abstract class ConvNd extends Module {
  declare weight: Parameter;
  declare bias: Parameter | null;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[] | 'same' | 'valid';
  readonly dilation: number[];
  readonly transposed: boolean;
  readonly outputPadding: number[];
  readonly groups: number;
  readonly paddingMode: 'zeros';

  constructor(nd: number, transposed: boolean, inChannels: number, outChannels: number, kernelSize: IntOrTuple,
    options: ConvModuleOpts & { outputPadding?: IntOrTuple }) {
    super();
    const cls = this._getName();
    const opts = layerOpts<ConvModuleOpts & { outputPadding?: IntOrTuple }>(cls, options, {
      stride: R.intOrTuple, dilation: R.intOrTuple, groups: R.int, bias: R.bool, paddingMode: { oneOf: ['zeros', 'reflect', 'replicate', 'circular'] },
      padding: transposed ? R.intOrTuple : ((fn, k, v) => { if (v !== 'same' && v !== 'valid') (R.intOrTuple as (a: string, b: string, c: unknown) => void)(fn, k, v); }),
      ...(transposed ? { outputPadding: R.intOrTuple } : {}),
    }, true);
    layerInt(cls, 'inChannels', inChannels, 1); layerInt(cls, 'outChannels', outChannels, 1);
    (R.intOrTuple as (a: string, b: string, c: unknown) => void)(`nn.${cls}`, 'kernelSize', kernelSize);
    const groups = opts.groups ?? 1;
    if (!Number.isInteger(groups) || groups <= 0) throw new ModuleError(`${cls}: groups must be a positive integer, got ${groups}`);
    if (inChannels % groups !== 0) throw new ModuleError(`${cls}: in_channels (${inChannels}) must be divisible by groups (${groups})`);
    if (outChannels % groups !== 0) throw new ModuleError(`${cls}: out_channels (${outChannels}) must be divisible by groups (${groups})`);
    if ((opts.paddingMode ?? 'zeros') !== 'zeros') throw new ModuleError(`${cls}: only paddingMode 'zeros' is implemented, got '${String(opts.paddingMode)}'`);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = ntuple(cls, 'kernelSize', kernelSize, nd);
    this.stride = ntuple(cls, 'stride', opts.stride ?? 1, nd);
    this.dilation = ntuple(cls, 'dilation', opts.dilation ?? 1, nd);
    const pad = opts.padding ?? 0;
    if (typeof pad === 'string') {
      if (pad !== 'same' && pad !== 'valid') throw new ModuleError(`${cls}: invalid padding string '${String(pad)}', should be one of 'valid', 'same'`);
      if (pad === 'same' && this.stride.some((s) => s !== 1)) throw new ModuleError(`${cls}: padding='same' is not supported for strided convolutions`);
      this.padding = pad;
    } else this.padding = ntuple(cls, 'padding', pad, nd);
    this.transposed = transposed;
    this.outputPadding = ntuple(cls, 'outputPadding', opts.outputPadding ?? 0, nd);
    this.groups = groups;
    this.paddingMode = 'zeros';
    const fk = { dtype: opts.dtype, device: opts.device };
    const wShape = transposed ? [inChannels, outChannels / groups, ...this.kernelSize] : [outChannels, inChannels / groups, ...this.kernelSize];
    this.weight = new Parameter(empty(wShape, fk));
    if (opts.bias ?? true) this.bias = new Parameter(empty([outChannels], fk));
    else this.registerParameter('bias', null);
    this.resetParameters();
  }

  /** kaiming_uniform_(weight, a=√5), bias ~ U(-1/√fan_in, 1/√fan_in) (fan_in from the weight, as PyTorch). */
  resetParameters(): void {
    init.kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) {
      const [fanIn] = init.calculateFanInAndFanOut(this.weight);
      if (fanIn !== 0) {
        const bound = 1 / Math.sqrt(fanIn);
        init.uniform_(this.bias, -bound, bound);
      }
    }
  }

  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${pyTuple(this.kernelSize)}, stride=${pyTuple(this.stride)}`;
    if (typeof this.padding === 'string') s += `, padding=${this.padding}`;
    else if (this.padding.some((p) => p !== 0)) s += `, padding=${pyTuple(this.padding)}`;
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=${pyTuple(this.dilation)}`;
    if (this.outputPadding.some((p) => p !== 0)) s += `, output_padding=${pyTuple(this.outputPadding)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ', bias=False';
    return s;
  }
}

/** 1-D convolution over [N, C, L] (or [C, L]). */
export class Conv1d extends ConvNd {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'Conv1d';
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrTuple, opts: ConvModuleOpts = {}) {
    super(1, false, inChannels, outChannels, kernelSize, opts);
  }
  forward(x: Tensor): Tensor {
    return F.conv1d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }
}

/** 2-D convolution over [N, C, H, W] (or [C, H, W]). */
export class Conv2d extends ConvNd {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'Conv2d';
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrTuple, opts: ConvModuleOpts = {}) {
    super(2, false, inChannels, outChannels, kernelSize, opts);
  }
  forward(x: Tensor): Tensor {
    return F.conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }
}

/** Output padding for a requested output size (PyTorch's _output_padding). */
function outputPaddingFor(m: ConvNd, x: Tensor, outputSize: readonly number[] | undefined, nd: number): number[] {
  if (!outputSize) return m.outputPadding;
  const size = outputSize.length === nd + 2 ? outputSize.slice(2) : outputSize.length === nd + 1 && x.ndim === nd + 1 ? outputSize.slice(1) : [...outputSize];
  if (size.length !== nd) throw new ModuleError(`${m._getName()}: outputSize must have ${nd} or ${nd + 2} elements (got ${outputSize.length})`);
  const pad = m.padding as number[];
  const spatial = x.shape.slice(x.ndim - nd);
  return size.map((s, i) => {
    const min = (spatial[i] - 1) * m.stride[i] - 2 * pad[i] + m.dilation[i] * (m.kernelSize[i] - 1) + 1;
    const max = min + m.stride[i] - 1;
    if (s < min || s > max) throw new ModuleError(`${m._getName()}: requested an output size of ${s} in dim ${i}, but valid sizes range from ${min} to ${max} (for an input of ${spatial[i]})`);
    return s - min;
  });
}

/** Transposed 1-D convolution (the adjoint of Conv1d). */
export class ConvTranspose1d extends ConvNd {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'ConvTranspose1d';
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrTuple, opts: ConvTransposeModuleOpts = {}) {
    super(1, true, inChannels, outChannels, kernelSize, opts);
  }
  forward(x: Tensor, outputSize?: readonly number[]): Tensor {
    return F.convTranspose1d(x, this.weight, this.bias, {
      stride: this.stride, padding: this.padding as number[], outputPadding: outputPaddingFor(this, x, outputSize, 1), groups: this.groups, dilation: this.dilation,
    });
  }
}

/** Transposed 2-D convolution (the adjoint of Conv2d): weight [in, out/groups, kh, kw]. */
export class ConvTranspose2d extends ConvNd {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'ConvTranspose2d';
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrTuple, opts: ConvTransposeModuleOpts = {}) {
    super(2, true, inChannels, outChannels, kernelSize, opts);
  }
  forward(x: Tensor, outputSize?: readonly number[]): Tensor {
    return F.convTranspose2d(x, this.weight, this.bias, {
      stride: this.stride, padding: this.padding as number[], outputPadding: outputPaddingFor(this, x, outputSize, 2), groups: this.groups, dilation: this.dilation,
    });
  }
}
