/**
 * @file torchvision.ops.misc's building blocks, with torchvision's module structure (so its state-dict keys):
 * Conv2dNormActivation (a Sequential: conv `0`, norm `1`, activation `2`), SqueezeExcitation (avgpool, fc1, fc2,
 * activation, scale_activation) and MLP (a Sequential of Linear, norm, activation, Dropout, ..., Linear, Dropout).
 * Also `makeDivisible` (torchvision's `_make_divisible`) and the option checks the model files share.
 */
import * as torch from '../index.js';
import { ArgumentError, checkOptions, checkNumber, checkBoolean } from '../core/args.js';

const { nn } = torch;
type Module = torch.nn.Module;
type Tensor = torch.Tensor;

/** A norm layer factory: channels -> module (default nn.BatchNorm2d). */
export type NormLayer = (channels: number) => Module;
/** An activation factory: () -> module (default nn.ReLU with inplace). */
export type ActivationLayer = (opts: { inplace?: boolean }) => Module;

/** torchvision's `_make_divisible`: round `v` to the nearest multiple of `divisor` (at least minValue), not below 90% of v. */
export function makeDivisible(v: number, divisor = 8, minValue: number | null = null): number {
  const min = minValue ?? divisor;
  let newV = Math.max(min, Math.floor(Math.trunc(v + divisor / 2) / divisor) * divisor);
  if (newV < 0.9 * v) newV += divisor;
  return newV;
}

/** A positive integer argument (channel counts, layer counts). */
export function posInt(fn: string, name: string, v: unknown): number {
  return checkNumber(fn, name, v, { integer: true, min: 1 });
}

/** Options with torchvision's `weights=` refused by name (torchlet downloads nothing). */
export function modelOptions<T extends object>(fn: string, opts: unknown, known: readonly string[]): Partial<T> {
  if (opts !== null && typeof opts === 'object' && ('weights' in opts || 'pretrained' in opts)) {
    throw new ArgumentError(`${fn}: torchlet downloads no weights; build the model, then load a checkpoint you saved from torchvision: ` +
      `model.loadStateDict(await torch.load('resnet18.pt'))  (in Python: torch.save(model.state_dict(), 'resnet18.pt'))`);
  }
  return checkOptions<T>(fn, opts, known);
}

export interface Conv2dNormActivationOpts {
  kernelSize?: number;
  stride?: number;
  /** Default (kernelSize - 1) / 2 * dilation. */
  padding?: number | null;
  groups?: number;
  /** null: no norm layer. */
  normLayer?: NormLayer | null;
  /** null: no activation. */
  activationLayer?: ActivationLayer | null;
  dilation?: number;
  inplace?: boolean | null;
  /** Default: a bias only when there is no norm layer. */
  bias?: boolean | null;
}
const CNA_KEYS = ['kernelSize', 'stride', 'padding', 'groups', 'normLayer', 'activationLayer', 'dilation', 'inplace', 'bias'] as const;

/** Conv2d, then a norm layer, then an activation (torchvision.ops.Conv2dNormActivation). */
export class Conv2dNormActivation extends nn.Sequential {
  readonly outChannels: number;
  constructor(inChannels: number, outChannels: number, opts: Conv2dNormActivationOpts = {}) {
    const fn = 'Conv2dNormActivation';
    const o = checkOptions<Conv2dNormActivationOpts>(fn, opts, CNA_KEYS);
    posInt(fn, 'inChannels', inChannels);
    posInt(fn, 'outChannels', outChannels);
    const kernelSize = posInt(fn, 'kernelSize', o.kernelSize ?? 3);
    const dilation = posInt(fn, 'dilation', o.dilation ?? 1);
    const padding = o.padding ?? Math.floor((kernelSize - 1) / 2) * dilation;
    const normLayer = o.normLayer === undefined ? (c: number) => new nn.BatchNorm2d(c) : o.normLayer;
    const activationLayer = o.activationLayer === undefined ? (p: { inplace?: boolean }) => new nn.ReLU(p) : o.activationLayer;
    const bias = o.bias ?? normLayer === null;
    const inplace = o.inplace === undefined ? true : o.inplace;
    const layers: Module[] = [new nn.Conv2d(inChannels, outChannels, kernelSize, {
      stride: posInt(fn, 'stride', o.stride ?? 1), padding: checkNumber(fn, 'padding', padding, { integer: true, min: 0 }),
      dilation, groups: posInt(fn, 'groups', o.groups ?? 1), bias: checkBoolean(fn, 'bias', bias),
    })];
    if (normLayer !== null) layers.push(normLayer(outChannels));
    if (activationLayer !== null) layers.push(activationLayer(inplace === null ? {} : { inplace }));
    super(...layers);
    this.outChannels = outChannels;
  }
}

export interface SqueezeExcitationOpts {
  activation?: () => Module;
  scaleActivation?: () => Module;
}

/** Squeeze-and-excitation: x * scaleActivation(fc2(activation(fc1(avgpool(x))))) (torchvision.ops.SqueezeExcitation). */
export class SqueezeExcitation extends nn.Module {
  declare avgpool: torch.nn.AdaptiveAvgPool2d;
  declare fc1: torch.nn.Conv2d;
  declare fc2: torch.nn.Conv2d;
  declare activation: Module;
  declare scale_activation: Module;
  constructor(inputChannels: number, squeezeChannels: number, opts: SqueezeExcitationOpts = {}) {
    super();
    const fn = 'SqueezeExcitation';
    const o = checkOptions<SqueezeExcitationOpts>(fn, opts, ['activation', 'scaleActivation']);
    this.avgpool = new nn.AdaptiveAvgPool2d(1);
    this.fc1 = new nn.Conv2d(posInt(fn, 'inputChannels', inputChannels), posInt(fn, 'squeezeChannels', squeezeChannels), 1);
    this.fc2 = new nn.Conv2d(squeezeChannels, inputChannels, 1);
    this.activation = (o.activation ?? (() => new nn.ReLU()))();
    this.scale_activation = (o.scaleActivation ?? (() => new nn.Sigmoid()))();
  }
  forward(input: Tensor): Tensor {
    let scale = this.avgpool.call(input);
    scale = this.fc1.call(scale);
    scale = this.activation.call(scale) as Tensor;
    scale = this.fc2.call(scale);
    scale = this.scale_activation.call(scale) as Tensor;
    return scale.mul(input);
  }
}

export interface MLPOpts {
  normLayer?: ((features: number) => Module) | null;
  activationLayer?: ActivationLayer;
  inplace?: boolean | null;
  bias?: boolean;
  dropout?: number;
}

/** Linear layers with norm/activation/dropout between them, ending in Linear + Dropout (torchvision.ops.MLP). */
export class MLP extends nn.Sequential {
  constructor(inChannels: number, hiddenChannels: number[], opts: MLPOpts = {}) {
    const fn = 'MLP';
    const o = checkOptions<MLPOpts>(fn, opts, ['normLayer', 'activationLayer', 'inplace', 'bias', 'dropout']);
    if (!Array.isArray(hiddenChannels) || hiddenChannels.length === 0) {
      throw new ArgumentError(`${fn}: hiddenChannels must be a non-empty array of layer widths, e.g. [3072, 768]`);
    }
    const params = o.inplace === undefined || o.inplace === null ? {} : { inplace: o.inplace };
    const act = o.activationLayer ?? ((p: { inplace?: boolean }) => new nn.ReLU(p));
    const bias = o.bias ?? true;
    const p = checkNumber(fn, 'dropout', o.dropout ?? 0, { min: 0, max: 1 });
    const layers: Module[] = [];
    let inDim = posInt(fn, 'inChannels', inChannels);
    for (const h of hiddenChannels.slice(0, -1)) {
      layers.push(new nn.Linear(inDim, posInt(fn, 'hiddenChannels[i]', h), { bias }));
      if (o.normLayer) layers.push(o.normLayer(h));
      layers.push(act(params));
      layers.push(new nn.Dropout(p, params));
      inDim = h;
    }
    layers.push(new nn.Linear(inDim, posInt(fn, 'hiddenChannels[-1]', hiddenChannels[hiddenChannels.length - 1]), { bias }));
    layers.push(new nn.Dropout(p, params));
    super(...layers);
  }
}
