/**
 * @file torchvision 0.21's MobileNetV3 (torchvision/models/mobilenetv3.py): InvertedResidualConfig,
 * InvertedResidual (expand 1x1, depthwise kxk, squeeze-excitation with hardsigmoid, project 1x1), MobileNetV3 and
 * the mobilenetV3Small / mobilenetV3Large builders (`widthMult`, `reducedTail`, `dilated`). Module tree, keys
 * (`features.1.block.0.0.weight`, `features.1.block.1.fc1.bias`, `classifier.3.weight`, ...), construction order
 * and re-initialization (kaiming_normal_ fan_out + zero bias on convs, N(0, 0.01) + zero bias on Linears) as
 * torchvision's, so a seed gives its weights bit for bit.
 */
import * as torch from '../index.js';
import { ArgumentError, checkBoolean, checkNumber, checkChoice } from '../core/args.js';
import { Conv2dNormActivation, SqueezeExcitation, makeDivisible, modelOptions, posInt, type NormLayer } from './misc.js';

const { nn } = torch;
type Module = torch.nn.Module;
type Tensor = torch.Tensor;

/** One inverted-residual stage of the architecture table (channels already scaled by widthMult). */
export class InvertedResidualConfig {
  readonly inputChannels: number;
  readonly kernel: number;
  readonly expandedChannels: number;
  readonly outChannels: number;
  readonly useSe: boolean;
  readonly useHs: boolean;
  readonly stride: number;
  readonly dilation: number;
  constructor(inputChannels: number, kernel: number, expandedChannels: number, outChannels: number, useSe: boolean,
    activation: 'RE' | 'HS', stride: number, dilation: number, widthMult: number) {
    const fn = 'InvertedResidualConfig';
    this.inputChannels = InvertedResidualConfig.adjustChannels(posInt(fn, 'inputChannels', inputChannels), widthMult);
    this.kernel = posInt(fn, 'kernel', kernel);
    this.expandedChannels = InvertedResidualConfig.adjustChannels(posInt(fn, 'expandedChannels', expandedChannels), widthMult);
    this.outChannels = InvertedResidualConfig.adjustChannels(posInt(fn, 'outChannels', outChannels), widthMult);
    this.useSe = checkBoolean(fn, 'useSe', useSe);
    this.useHs = checkChoice(fn, 'activation', activation, ['RE', 'HS'] as const) === 'HS';
    this.stride = posInt(fn, 'stride', stride);
    this.dilation = posInt(fn, 'dilation', dilation);
  }
  static adjustChannels(channels: number, widthMult: number): number { return makeDivisible(channels * widthMult, 8); }
}

const hardsigmoid = () => new nn.Hardsigmoid();

/** Expand (1x1) -> depthwise (kxk) -> optional squeeze-excitation -> project (1x1), residual when shapes allow. */
export class InvertedResidual extends nn.Module {
  declare block: torch.nn.Sequential;
  readonly useResConnect: boolean;
  readonly outChannels: number;
  readonly _is_cn: boolean;

  constructor(cnf: InvertedResidualConfig, normLayer: NormLayer) {
    super();
    if (!(cnf.stride >= 1 && cnf.stride <= 2)) throw new ArgumentError(`InvertedResidual: illegal stride value ${cnf.stride} (1 or 2)`);
    this.useResConnect = cnf.stride === 1 && cnf.inputChannels === cnf.outChannels;
    const act = cnf.useHs ? (p: { inplace?: boolean }) => new nn.Hardswish(p) : (p: { inplace?: boolean }) => new nn.ReLU(p);
    const layers: Module[] = [];
    if (cnf.expandedChannels !== cnf.inputChannels) {
      layers.push(new Conv2dNormActivation(cnf.inputChannels, cnf.expandedChannels, { kernelSize: 1, normLayer, activationLayer: act }));
    }
    const stride = cnf.dilation > 1 ? 1 : cnf.stride;
    layers.push(new Conv2dNormActivation(cnf.expandedChannels, cnf.expandedChannels, {
      kernelSize: cnf.kernel, stride, dilation: cnf.dilation, groups: cnf.expandedChannels, normLayer, activationLayer: act,
    }));
    if (cnf.useSe) {
      const squeeze = makeDivisible(Math.floor(cnf.expandedChannels / 4), 8);
      layers.push(new SqueezeExcitation(cnf.expandedChannels, squeeze, { scaleActivation: hardsigmoid }));
    }
    layers.push(new Conv2dNormActivation(cnf.expandedChannels, cnf.outChannels, { kernelSize: 1, normLayer, activationLayer: null }));
    this.block = new nn.Sequential(...layers);
    this.outChannels = cnf.outChannels;
    this._is_cn = cnf.stride > 1;
  }

  forward(input: Tensor): Tensor {
    const result = this.block.call(input);
    return this.useResConnect ? result.add(input) : result;
  }
}

export interface MobileNetV3Opts {
  /** Classes of the last Linear layer (default 1000). */
  numClasses?: number;
  /** Dropout probability before the last Linear layer (default 0.2). */
  dropout?: number;
  /** Norm layer factory (default BatchNorm2d with eps 0.001, momentum 0.01). */
  normLayer?: NormLayer | null;
}

/** The MobileNetV3 network for a given architecture table and last channel count. */
export class MobileNetV3 extends nn.Module {
  declare features: torch.nn.Sequential;
  declare avgpool: torch.nn.AdaptiveAvgPool2d;
  declare classifier: torch.nn.Sequential;

  constructor(invertedResidualSetting: InvertedResidualConfig[], lastChannel: number, opts: MobileNetV3Opts = {}) {
    super();
    const fn = 'MobileNetV3';
    const o = modelOptions<MobileNetV3Opts>(fn, opts, ['numClasses', 'dropout', 'normLayer']);
    if (!Array.isArray(invertedResidualSetting) || invertedResidualSetting.length === 0 ||
      !invertedResidualSetting.every((c) => c instanceof InvertedResidualConfig)) {
      throw new ArgumentError(`${fn}: The invertedResidualSetting should be a non-empty array of InvertedResidualConfig`);
    }
    const numClasses = posInt(fn, 'numClasses', o.numClasses ?? 1000);
    const dropout = checkNumber(fn, 'dropout', o.dropout ?? 0.2, { min: 0, max: 1 });
    const norm: NormLayer = o.normLayer ?? ((c) => new nn.BatchNorm2d(c, { eps: 0.001, momentum: 0.01 }));
    const hswish = (p: { inplace?: boolean }) => new nn.Hardswish(p);
    const layers: Module[] = [];
    const firstOut = invertedResidualSetting[0].inputChannels;
    layers.push(new Conv2dNormActivation(3, firstOut, { kernelSize: 3, stride: 2, normLayer: norm, activationLayer: hswish }));
    for (const cnf of invertedResidualSetting) layers.push(new InvertedResidual(cnf, norm));
    const lastIn = invertedResidualSetting[invertedResidualSetting.length - 1].outChannels;
    const lastOut = 6 * lastIn;
    layers.push(new Conv2dNormActivation(lastIn, lastOut, { kernelSize: 1, normLayer: norm, activationLayer: hswish }));
    this.features = new nn.Sequential(...layers);
    this.avgpool = new nn.AdaptiveAvgPool2d(1);
    this.classifier = new nn.Sequential(
      new nn.Linear(lastOut, posInt(fn, 'lastChannel', lastChannel)),
      new nn.Hardswish({ inplace: true }),
      new nn.Dropout(dropout, { inplace: true }),
      new nn.Linear(lastChannel, numClasses),
    );

    for (const m of this.modules()) {
      if (m instanceof nn.Conv2d) {
        nn.init.kaimingNormal_(m.weight, { mode: 'fan_out' });
        if (m.bias) nn.init.zeros_(m.bias);
      } else if (m instanceof nn.BatchNorm2d || m instanceof nn.GroupNorm) {
        nn.init.ones_(m.weight!);
        nn.init.zeros_(m.bias!);
      } else if (m instanceof nn.Linear) {
        nn.init.normal_(m.weight, 0, 0.01);
        nn.init.zeros_(m.bias!);
      }
    }
  }

  forward(x: Tensor): Tensor {
    x = this.features.call(x);
    x = (this.avgpool.call(x)).flatten(1);
    return this.classifier.call(x);
  }
}

export interface MobileNetV3BuildOpts extends MobileNetV3Opts {
  /** Channel multiplier (default 1.0). */
  widthMult?: number;
  /** Halve the channels of the last blocks (default false; for detection backbones). */
  reducedTail?: boolean;
  /** Dilate the last blocks instead of striding (default false; for segmentation backbones). */
  dilated?: boolean;
}
const BUILD_KEYS = ['numClasses', 'dropout', 'normLayer', 'widthMult', 'reducedTail', 'dilated'] as const;

/** torchvision's `_mobilenet_v3_conf`: the architecture table and last channel count. */
export function mobilenetV3Conf(arch: 'mobilenet_v3_large' | 'mobilenet_v3_small', opts: MobileNetV3BuildOpts = {}): [InvertedResidualConfig[], number] {
  const fn = `mobilenetV3Conf('${arch}')`;
  const widthMult = checkNumber(fn, 'widthMult', opts.widthMult ?? 1.0, { gt: 0 });
  const rd = checkBoolean(fn, 'reducedTail', opts.reducedTail ?? false) ? 2 : 1;
  const dil = checkBoolean(fn, 'dilated', opts.dilated ?? false) ? 2 : 1;
  const b = (i: number, k: number, e: number, o: number, se: boolean, act: 'RE' | 'HS', s: number, d: number) =>
    new InvertedResidualConfig(i, k, e, o, se, act, s, d, widthMult);
  const q = (n: number) => Math.floor(n / rd);
  if (arch === 'mobilenet_v3_large') {
    return [[
      b(16, 3, 16, 16, false, 'RE', 1, 1),
      b(16, 3, 64, 24, false, 'RE', 2, 1),
      b(24, 3, 72, 24, false, 'RE', 1, 1),
      b(24, 5, 72, 40, true, 'RE', 2, 1),
      b(40, 5, 120, 40, true, 'RE', 1, 1),
      b(40, 5, 120, 40, true, 'RE', 1, 1),
      b(40, 3, 240, 80, false, 'HS', 2, 1),
      b(80, 3, 200, 80, false, 'HS', 1, 1),
      b(80, 3, 184, 80, false, 'HS', 1, 1),
      b(80, 3, 184, 80, false, 'HS', 1, 1),
      b(80, 3, 480, 112, true, 'HS', 1, 1),
      b(112, 3, 672, 112, true, 'HS', 1, 1),
      b(112, 5, 672, q(160), true, 'HS', 2, dil),
      b(q(160), 5, q(960), q(160), true, 'HS', 1, dil),
      b(q(160), 5, q(960), q(160), true, 'HS', 1, dil),
    ], InvertedResidualConfig.adjustChannels(q(1280), widthMult)];
  }
  if (arch === 'mobilenet_v3_small') {
    return [[
      b(16, 3, 16, 16, true, 'RE', 2, 1),
      b(16, 3, 72, 24, false, 'RE', 2, 1),
      b(24, 3, 88, 24, false, 'RE', 1, 1),
      b(24, 5, 96, 40, true, 'HS', 2, 1),
      b(40, 5, 240, 40, true, 'HS', 1, 1),
      b(40, 5, 240, 40, true, 'HS', 1, 1),
      b(40, 5, 120, 48, true, 'HS', 1, 1),
      b(48, 5, 144, 48, true, 'HS', 1, 1),
      b(48, 5, 288, q(96), true, 'HS', 2, dil),
      b(q(96), 5, q(576), q(96), true, 'HS', 1, dil),
      b(q(96), 5, q(576), q(96), true, 'HS', 1, dil),
    ], InvertedResidualConfig.adjustChannels(q(1024), widthMult)];
  }
  throw new ArgumentError(`mobilenetV3Conf: Unsupported model type ${String(arch)}`);
}

function build(arch: 'mobilenet_v3_large' | 'mobilenet_v3_small', fn: string, opts: MobileNetV3BuildOpts): MobileNetV3 {
  const o = modelOptions<MobileNetV3BuildOpts>(fn, opts, BUILD_KEYS);
  const [setting, lastChannel] = mobilenetV3Conf(arch, o);
  return new MobileNetV3(setting, lastChannel, { numClasses: o.numClasses, dropout: o.dropout, normLayer: o.normLayer });
}

/** MobileNetV3-Large (5.5M parameters at 1000 classes). */
export function mobilenetV3Large(opts: MobileNetV3BuildOpts = {}): MobileNetV3 { return build('mobilenet_v3_large', 'mobilenetV3Large', opts); }
/** MobileNetV3-Small (2.5M parameters at 1000 classes). */
export function mobilenetV3Small(opts: MobileNetV3BuildOpts = {}): MobileNetV3 { return build('mobilenet_v3_small', 'mobilenetV3Small', opts); }
