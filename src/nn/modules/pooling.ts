/**
 * @file MaxPool1d/2d, AvgPool1d/2d, AdaptiveAvgPool1d/2d (torch.nn): no parameters; PyTorch's options and repr.
 */
import { Module } from '../module.js';
import * as F from '../functional/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import { ntuple, type IntOrTuple } from '../../ops/conv.js';
import { layerInt, layerOpts, R, pyBool, pyIntOrTuple, pyTuple } from './utils.js';
import type { Rule } from '../../core/args.js';

const tuple = R.intOrTuple as (fn: string, k: string, v: unknown) => void;
const tupleOrNull: Rule = (fn, k, v) => { if (v !== null) tuple(fn, k, v); };

export interface MaxPoolModuleOpts { stride?: IntOrTuple | null; padding?: IntOrTuple; dilation?: IntOrTuple; returnIndices?: boolean; ceilMode?: boolean }

abstract class MaxPoolNd extends Module {
  readonly kernelSize: IntOrTuple;
  readonly stride: IntOrTuple;
  readonly padding: IntOrTuple;
  readonly dilation: IntOrTuple;
  readonly returnIndices: boolean;
  readonly ceilMode: boolean;
  constructor(kernelSize: IntOrTuple, options: MaxPoolModuleOpts) {
    super();
    const opts = layerOpts<MaxPoolModuleOpts>(this._getName(), options, {
      stride: tupleOrNull, padding: R.intOrTuple, dilation: R.intOrTuple, returnIndices: R.bool, ceilMode: R.bool,
    });
    tuple(`nn.${this._getName()}`, 'kernelSize', kernelSize);
    this.kernelSize = kernelSize;
    this.stride = opts.stride ?? kernelSize;
    this.padding = opts.padding ?? 0;
    this.dilation = opts.dilation ?? 1;
    this.returnIndices = opts.returnIndices ?? false;
    this.ceilMode = opts.ceilMode ?? false;
  }
  protected opts() { return { stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode }; }
  override extraRepr(): string {
    return `kernel_size=${pyIntOrTuple(this.kernelSize)}, stride=${pyIntOrTuple(this.stride)}, padding=${pyIntOrTuple(this.padding)}, ` +
      `dilation=${pyIntOrTuple(this.dilation)}, ceil_mode=${pyBool(this.ceilMode)}`;
  }
}

/** Max over sliding windows of [N, C, L]; with returnIndices the forward returns {values, indices}. */
export class MaxPool1d extends MaxPoolNd {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'MaxPool1d';
  constructor(kernelSize: IntOrTuple, opts: MaxPoolModuleOpts = {}) { super(kernelSize, opts); }
  forward(x: Tensor): Tensor | { values: Tensor; indices: Tensor } {
    const r = F.maxPool1d(x, this.kernelSize, { ...this.opts(), returnIndices: true });
    return this.returnIndices ? r : r.values;
  }
}

/** Max over sliding windows of [N, C, H, W]; with returnIndices the forward returns {values, indices}. */
export class MaxPool2d extends MaxPoolNd {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'MaxPool2d';
  constructor(kernelSize: IntOrTuple, opts: MaxPoolModuleOpts = {}) { super(kernelSize, opts); }
  forward(x: Tensor): Tensor | { values: Tensor; indices: Tensor } {
    const r = F.maxPool2d(x, this.kernelSize, { ...this.opts(), returnIndices: true });
    return this.returnIndices ? r : r.values;
  }
}

export interface AvgPoolModuleOpts { stride?: IntOrTuple | null; padding?: IntOrTuple; ceilMode?: boolean; countIncludePad?: boolean; divisorOverride?: number | null }

/** Average over sliding windows of [N, C, L] (PyTorch stores the sizes as 1-tuples). */
export class AvgPool1d extends Module {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'AvgPool1d';
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[];
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  constructor(kernelSize: IntOrTuple, options: Omit<AvgPoolModuleOpts, 'divisorOverride'> = {}) {
    super();
    const opts = layerOpts<AvgPoolModuleOpts>('AvgPool1d', options, { stride: tupleOrNull, padding: R.intOrTuple, ceilMode: R.bool, countIncludePad: R.bool });
    this.kernelSize = ntuple('AvgPool1d', 'kernelSize', kernelSize, 1);
    this.stride = ntuple('AvgPool1d', 'stride', opts.stride ?? kernelSize, 1);
    this.padding = ntuple('AvgPool1d', 'padding', opts.padding ?? 0, 1);
    this.ceilMode = opts.ceilMode ?? false;
    this.countIncludePad = opts.countIncludePad ?? true;
  }
  forward(x: Tensor): Tensor {
    return F.avgPool1d(x, this.kernelSize, { stride: this.stride, padding: this.padding, ceilMode: this.ceilMode, countIncludePad: this.countIncludePad });
  }
  override extraRepr(): string { return `kernel_size=${pyTuple(this.kernelSize)}, stride=${pyTuple(this.stride)}, padding=${pyTuple(this.padding)}`; }
}

/** Average over sliding windows of [N, C, H, W]. */
export class AvgPool2d extends Module {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'AvgPool2d';
  readonly kernelSize: IntOrTuple;
  readonly stride: IntOrTuple;
  readonly padding: IntOrTuple;
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;
  constructor(kernelSize: IntOrTuple, options: AvgPoolModuleOpts = {}) {
    super();
    const opts = layerOpts<AvgPoolModuleOpts>('AvgPool2d', options, {
      stride: tupleOrNull, padding: R.intOrTuple, ceilMode: R.bool, countIncludePad: R.bool, divisorOverride: { number: { integer: true, min: 1 }, nullable: true },
    });
    tuple('nn.AvgPool2d', 'kernelSize', kernelSize);
    this.kernelSize = kernelSize;
    this.stride = opts.stride ?? kernelSize;
    this.padding = opts.padding ?? 0;
    this.ceilMode = opts.ceilMode ?? false;
    this.countIncludePad = opts.countIncludePad ?? true;
    this.divisorOverride = opts.divisorOverride ?? null;
  }
  forward(x: Tensor): Tensor {
    return F.avgPool2d(x, this.kernelSize, {
      stride: this.stride, padding: this.padding, ceilMode: this.ceilMode, countIncludePad: this.countIncludePad, divisorOverride: this.divisorOverride,
    });
  }
  override extraRepr(): string { return `kernel_size=${pyIntOrTuple(this.kernelSize)}, stride=${pyIntOrTuple(this.stride)}, padding=${pyIntOrTuple(this.padding)}`; }
}

type OutSize2d = number | readonly (number | null)[];
const fmtOut = (v: OutSize2d): string => (typeof v === 'number' ? String(v) : `(${v.map((x) => (x === null ? 'None' : String(x))).join(', ')}${v.length === 1 ? ',' : ''})`);

/** Average pooling to a fixed output size [oh, ow] (null keeps the input's size in that dim). */
export class AdaptiveAvgPool2d extends Module {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'AdaptiveAvgPool2d';
  readonly outputSize: OutSize2d;
  constructor(outputSize: OutSize2d) {
    super();
    if (typeof outputSize === 'number') layerInt('AdaptiveAvgPool2d', 'outputSize', outputSize, 1);
    else tuple('nn.AdaptiveAvgPool2d', 'outputSize', Array.isArray(outputSize) ? outputSize.map((v: number | null) => v ?? 1) : outputSize);
    this.outputSize = typeof outputSize === 'number' ? outputSize : [...outputSize];
  }
  forward(x: Tensor): Tensor { return F.adaptiveAvgPool2d(x, this.outputSize); }
  override extraRepr(): string { return `output_size=${fmtOut(this.outputSize)}`; }
}

/** Average pooling of [N, C, L] to a fixed output length. */
export class AdaptiveAvgPool1d extends Module {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'AdaptiveAvgPool1d';
  readonly outputSize: number;
  constructor(outputSize: number) { super(); this.outputSize = layerInt('AdaptiveAvgPool1d', 'outputSize', outputSize, 1); }
  forward(x: Tensor): Tensor { return F.adaptiveAvgPool1d(x, this.outputSize); }
  override extraRepr(): string { return `output_size=${this.outputSize}`; }
}
