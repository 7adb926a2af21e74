/**
 * @file torchvision 0.21's ResNet (torchvision/models/resnet.py): BasicBlock, Bottleneck, ResNet and the
 * resnet18/34/50/101/152 builders. Same module tree (so the same state-dict keys: `conv1.weight`,
 * `layer1.0.bn1.running_mean`, `layer2.0.downsample.0.weight`, `fc.bias`, ...), the same construction order and
 * the same re-initialization loop (kaiming_normal_ fan_out on every Conv2d in `modules()` order, ones/zeros on
 * the norms, optional zero-init of each block's last BN), so `torch.manualSeed(s)` gives torchvision's weights
 * bit for bit.
 */
import * as torch from '../index.js';
import { ArgumentError, checkBoolean, checkOptions } from '../core/args.js';
import { modelOptions, posInt, type NormLayer } from './misc.js';

const { nn } = torch;
type Module = torch.nn.Module;
type Tensor = torch.Tensor;

/** 3x3 convolution with padding (torchvision's conv3x3). */
function conv3x3(inPlanes: number, outPlanes: number, stride = 1, groups = 1, dilation = 1): torch.nn.Conv2d {
  return new nn.Conv2d(inPlanes, outPlanes, 3, { stride, padding: dilation, groups, bias: false, dilation });
}
/** 1x1 convolution (torchvision's conv1x1). */
function conv1x1(inPlanes: number, outPlanes: number, stride = 1): torch.nn.Conv2d {
  return new nn.Conv2d(inPlanes, outPlanes, 1, { stride, bias: false });
}

export interface BlockOpts {
  stride?: number;
  downsample?: Module | null;
  groups?: number;
  baseWidth?: number;
  dilation?: number;
  normLayer?: NormLayer | null;
}
const BLOCK_KEYS = ['stride', 'downsample', 'groups', 'baseWidth', 'dilation', 'normLayer'] as const;

/** A residual block class: BasicBlock or Bottleneck (or one of the same shape). */
export interface BlockClass {
  new (inplanes: number, planes: number, opts?: BlockOpts): Module;
  readonly expansion: number;
}

const bn2d: NormLayer = (c) => new nn.BatchNorm2d(c);

/** Two 3x3 convolutions with a residual connection (ResNet-18/34). */
export class BasicBlock extends nn.Module {
  static readonly expansion = 1;
  declare conv1: torch.nn.Conv2d;
  declare bn1: Module;
  declare relu: torch.nn.ReLU;
  declare conv2: torch.nn.Conv2d;
  declare bn2: Module;
  declare downsample: Module | null;
  readonly stride: number;

  constructor(inplanes: number, planes: number, opts: BlockOpts = {}) {
    super();
    const o = checkOptions<BlockOpts>('BasicBlock', opts, BLOCK_KEYS);
    const norm = o.normLayer ?? bn2d;
    if ((o.groups ?? 1) !== 1 || (o.baseWidth ?? 64) !== 64) throw new ArgumentError('BasicBlock: only supports groups=1 and baseWidth=64');
    if ((o.dilation ?? 1) > 1) throw new ArgumentError('BasicBlock: dilation > 1 not supported in BasicBlock (use Bottleneck)');
    this.stride = o.stride ?? 1;
    this.conv1 = conv3x3(inplanes, planes, this.stride);
    this.bn1 = norm(planes);
    this.relu = new nn.ReLU({ inplace: true });
    this.conv2 = conv3x3(planes, planes);
    this.bn2 = norm(planes);
    this.downsample = o.downsample ?? null;
  }

  forward(x: Tensor): Tensor {
    let out = this.relu.call(this.bn1.call(this.conv1.call(x)) as Tensor);
    out = this.bn2.call(this.conv2.call(out)) as Tensor;
    const identity = this.downsample ? (this.downsample.call(x) as Tensor) : x;
    return this.relu.call(out.add(identity));
  }
}

/** 1x1, 3x3 (stride here, as torchvision's "ResNet V1.5"), 1x1 with expansion 4 (ResNet-50/101/152). */
export class Bottleneck extends nn.Module {
  static readonly expansion = 4;
  declare conv1: torch.nn.Conv2d;
  declare bn1: Module;
  declare conv2: torch.nn.Conv2d;
  declare bn2: Module;
  declare conv3: torch.nn.Conv2d;
  declare bn3: Module;
  declare relu: torch.nn.ReLU;
  declare downsample: Module | null;
  readonly stride: number;

  constructor(inplanes: number, planes: number, opts: BlockOpts = {}) {
    super();
    const o = checkOptions<BlockOpts>('Bottleneck', opts, BLOCK_KEYS);
    const norm = o.normLayer ?? bn2d;
    const groups = o.groups ?? 1;
    const width = Math.trunc(planes * ((o.baseWidth ?? 64) / 64.0)) * groups;
    this.stride = o.stride ?? 1;
    this.conv1 = conv1x1(inplanes, width);
    this.bn1 = norm(width);
    this.conv2 = conv3x3(width, width, this.stride, groups, o.dilation ?? 1);
    this.bn2 = norm(width);
    this.conv3 = conv1x1(width, planes * Bottleneck.expansion);
    this.bn3 = norm(planes * Bottleneck.expansion);
    this.relu = new nn.ReLU({ inplace: true });
    this.downsample = o.downsample ?? null;
  }

  forward(x: Tensor): Tensor {
    let out = this.relu.call(this.bn1.call(this.conv1.call(x)) as Tensor);
    out = this.relu.call(this.bn2.call(this.conv2.call(out)) as Tensor);
    out = this.bn3.call(this.conv3.call(out)) as Tensor;
    const identity = this.downsample ? (this.downsample.call(x) as Tensor) : x;
    return this.relu.call(out.add(identity));
  }
}

export interface ResNetOpts {
  /** Classes of the final Linear layer (default 1000). */
  numClasses?: number;
  /** Zero the last BN's weight in each residual block, so each block starts as the identity (default false). */
  zeroInitResidual?: boolean;
  groups?: number;
  widthPerGroup?: number;
  /** Per stage 2..4: replace the stride-2 by a dilation (default [false, false, false]). */
  replaceStrideWithDilation?: [boolean, boolean, boolean] | null;
  /** Norm layer factory (default nn.BatchNorm2d). */
  normLayer?: NormLayer | null;
}
const RESNET_KEYS = ['numClasses', 'zeroInitResidual', 'groups', 'widthPerGroup', 'replaceStrideWithDilation', 'normLayer'] as const;

/** torchvision's ResNet: stem (conv 7x7/2, BN, ReLU, max-pool 3x3/2), four stages of blocks, global average pool, fc. */
export class ResNet extends nn.Module {
  declare conv1: torch.nn.Conv2d;
  declare bn1: Module;
  declare relu: torch.nn.ReLU;
  declare maxpool: torch.nn.MaxPool2d;
  declare layer1: torch.nn.Sequential;
  declare layer2: torch.nn.Sequential;
  declare layer3: torch.nn.Sequential;
  declare layer4: torch.nn.Sequential;
  declare avgpool: torch.nn.AdaptiveAvgPool2d;
  declare fc: torch.nn.Linear;
  private inplanes = 64;
  private dilation = 1;
  readonly groups: number;
  readonly baseWidth: number;
  private readonly normLayer: NormLayer;

  constructor(block: BlockClass, layers: readonly number[], opts: ResNetOpts = {}) {
    super();
    const fn = 'ResNet';
    const o = modelOptions<ResNetOpts>(fn, opts, RESNET_KEYS);
    if (block !== BasicBlock && block !== Bottleneck && typeof block?.expansion !== 'number') {
      throw new ArgumentError(`${fn}: block must be BasicBlock, Bottleneck or a class with a static expansion`);
    }
    if (!Array.isArray(layers) || layers.length !== 4) throw new ArgumentError(`${fn}: layers must be 4 block counts, e.g. [2, 2, 2, 2] for ResNet-18`);
    layers.forEach((n, i) => posInt(fn, `layers[${i}]`, n));
    const counts = layers as readonly number[]; // Array.isArray above narrowed it to any[]
    const numClasses = posInt(fn, 'numClasses', o.numClasses ?? 1000);
    const zeroInit = checkBoolean(fn, 'zeroInitResidual', o.zeroInitResidual ?? false);
    this.normLayer = o.normLayer ?? bn2d;
    const rswd = o.replaceStrideWithDilation ?? [false, false, false];
    if (!Array.isArray(rswd) || rswd.length !== 3) {
      throw new ArgumentError(`${fn}: replaceStrideWithDilation should be null or a 3-element array, got ${JSON.stringify(rswd)}`);
    }
    rswd.forEach((v, i) => checkBoolean(fn, `replaceStrideWithDilation[${i}]`, v));
    this.groups = posInt(fn, 'groups', o.groups ?? 1);
    this.baseWidth = posInt(fn, 'widthPerGroup', o.widthPerGroup ?? 64);
    this.conv1 = new nn.Conv2d(3, this.inplanes, 7, { stride: 2, padding: 3, bias: false });
    this.bn1 = this.normLayer(this.inplanes);
    this.relu = new nn.ReLU({ inplace: true });
    this.maxpool = new nn.MaxPool2d(3, { stride: 2, padding: 1 });
    this.layer1 = this.makeLayer(block, 64, counts[0]);
    this.layer2 = this.makeLayer(block, 128, counts[1], 2, rswd[0]);
    this.layer3 = this.makeLayer(block, 256, counts[2], 2, rswd[1]);
    this.layer4 = this.makeLayer(block, 512, counts[3], 2, rswd[2]);
    this.avgpool = new nn.AdaptiveAvgPool2d([1, 1]);
    this.fc = new nn.Linear(512 * block.expansion, numClasses);

    for (const m of this.modules()) {
      if (m instanceof nn.Conv2d) nn.init.kaimingNormal_(m.weight, { mode: 'fan_out', nonlinearity: 'relu' });
      else if (m instanceof nn.BatchNorm2d || m instanceof nn.GroupNorm) {
        nn.init.constant_(m.weight!, 1);
        nn.init.constant_(m.bias!, 0);
      }
    }
    if (zeroInit) {
      for (const m of this.modules()) {
        const last = m instanceof Bottleneck ? m.bn3 : m instanceof BasicBlock ? m.bn2 : null;
        const w = last ? (last as Module & { weight?: torch.nn.Parameter | null }).weight : null;
        if (w) nn.init.constant_(w, 0);
      }
    }
  }

  private makeLayer(block: BlockClass, planes: number, blocks: number, stride = 1, dilate = false): torch.nn.Sequential {
    const norm = this.normLayer;
    let downsample: Module | null = null;
    const previousDilation = this.dilation;
    if (dilate) {
      this.dilation *= stride;
      stride = 1;
    }
    if (stride !== 1 || this.inplanes !== planes * block.expansion) {
      downsample = new nn.Sequential(conv1x1(this.inplanes, planes * block.expansion, stride), norm(planes * block.expansion));
    }
    const layers: Module[] = [new block(this.inplanes, planes, {
      stride, downsample, groups: this.groups, baseWidth: this.baseWidth, dilation: previousDilation, normLayer: norm,
    })];
    this.inplanes = planes * block.expansion;
    for (let i = 1; i < blocks; i++) {
      layers.push(new block(this.inplanes, planes, { groups: this.groups, baseWidth: this.baseWidth, dilation: this.dilation, normLayer: norm }));
    }
    return new nn.Sequential(...layers);
  }

  forward(x: Tensor): Tensor {
    x = this.maxpool.call(this.relu.call(this.bn1.call(this.conv1.call(x)) as Tensor)) as Tensor;
    x = this.layer4.call(this.layer3.call(this.layer2.call(this.layer1.call(x))));
    x = (this.avgpool.call(x)).flatten(1);
    return this.fc.call(x);
  }
}

/** ResNet-18 ([2, 2, 2, 2] BasicBlocks, 11.7M parameters at 1000 classes). */
export function resnet18(opts: ResNetOpts = {}): ResNet { return new ResNet(BasicBlock, [2, 2, 2, 2], opts); }
/** ResNet-34 ([3, 4, 6, 3] BasicBlocks). */
export function resnet34(opts: ResNetOpts = {}): ResNet { return new ResNet(BasicBlock, [3, 4, 6, 3], opts); }
/** ResNet-50 ([3, 4, 6, 3] Bottlenecks). */
export function resnet50(opts: ResNetOpts = {}): ResNet { return new ResNet(Bottleneck, [3, 4, 6, 3], opts); }
/** ResNet-101 ([3, 4, 23, 3] Bottlenecks). */
export function resnet101(opts: ResNetOpts = {}): ResNet { return new ResNet(Bottleneck, [3, 4, 23, 3], opts); }
/** ResNet-152 ([3, 8, 36, 3] Bottlenecks). */
export function resnet152(opts: ResNetOpts = {}): ResNet { return new ResNet(Bottleneck, [3, 8, 36, 3], opts); }
