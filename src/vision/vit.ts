/**
 * @file torchvision 0.21's Vision Transformer (torchvision/models/vision_transformer.py): MLPBlock, EncoderBlock
 * (pre-norm self-attention through nn.MultiheadAttention with batchFirst, then the MLP), Encoder (learned position
 * embedding), VisionTransformer (patchify conv, class token, heads) and the vitB16/B32/L16/L32/H14 builders.
 * Keys (`class_token`, `conv_proj.weight`, `encoder.pos_embedding`, `encoder.layers.encoder_layer_0.ln_1.weight`,
 * `...self_attention.in_proj_weight`, `...mlp.0.weight`, `encoder.ln.bias`, `heads.head.weight`), construction order
 * and initialization (trunc_normal_ on the patchify conv, xavier_uniform_ + N(0, 1e-6) biases in the MLPs,
 * N(0, 0.02) position embedding, zero head) as torchvision's.
 */
import * as torch from '../index.js';
import { ArgumentError, checkNumber } from '../core/args.js';
import { MLP, modelOptions, posInt } from './misc.js';

const { nn } = torch;
type Module = torch.nn.Module;
type Tensor = torch.Tensor;

/** A LayerNorm factory (default nn.LayerNorm with eps 1e-6). */
export type LayerNormFactory = (dim: number) => Module;
const ln6: LayerNormFactory = (d) => new nn.LayerNorm(d, { eps: 1e-6 });

/** Transformer MLP block: Linear, GELU, Dropout, Linear, Dropout (keys `0` and `3`), xavier_uniform_ weights. */
export class MLPBlock extends MLP {
  constructor(inDim: number, mlpDim: number, dropout: number) {
    super(inDim, [mlpDim, inDim], { activationLayer: () => new nn.GELU(), inplace: null, dropout });
    for (const m of this.modules()) {
      if (m instanceof nn.Linear) {
        nn.init.xavierUniform_(m.weight);
        if (m.bias) nn.init.normal_(m.bias, 0, 1e-6);
      }
    }
  }
}

/** Transformer encoder block: x + dropout(attention(ln_1(x))), then + mlp(ln_2(.)). */
export class EncoderBlock extends nn.Module {
  declare ln_1: Module;
  declare self_attention: torch.nn.MultiheadAttention;
  declare dropout: torch.nn.Dropout;
  declare ln_2: Module;
  declare mlp: MLPBlock;
  readonly numHeads: number;

  constructor(numHeads: number, hiddenDim: number, mlpDim: number, dropout: number, attentionDropout: number, normLayer: LayerNormFactory = ln6) {
    super();
    this.numHeads = numHeads;
    this.ln_1 = normLayer(hiddenDim);
    this.self_attention = new nn.MultiheadAttention(hiddenDim, numHeads, { dropout: attentionDropout, batchFirst: true });
    this.dropout = new nn.Dropout(dropout);
    this.ln_2 = normLayer(hiddenDim);
    this.mlp = new MLPBlock(hiddenDim, mlpDim, dropout);
  }

  forward(input: Tensor): Tensor {
    if (input.ndim !== 3) throw new ArgumentError(`EncoderBlock: Expected (batch_size, seq_length, hidden_dim) got [${input.shape.join(', ')}]`);
    let x = this.ln_1.call(input) as Tensor;
    [x] = this.self_attention.call(x, x, x, { needWeights: false });
    x = this.dropout.call(x).add(input);
    const y = this.mlp.call(this.ln_2.call(x) as Tensor);
    return x.add(y);
  }
}

/** The transformer encoder: + position embedding, dropout, the blocks, a final LayerNorm. */
export class Encoder extends nn.Module {
  declare pos_embedding: torch.nn.Parameter;
  declare dropout: torch.nn.Dropout;
  declare layers: torch.nn.Sequential;
  declare ln: Module;

  constructor(seqLength: number, numLayers: number, numHeads: number, hiddenDim: number, mlpDim: number, dropout: number,
    attentionDropout: number, normLayer: LayerNormFactory = ln6) {
    super();
    this.pos_embedding = new nn.Parameter(torch.empty([1, seqLength, hiddenDim]).normal_(0, 0.02)); // from BERT
    this.dropout = new nn.Dropout(dropout);
    const layers = new Map<string, Module>();
    for (let i = 0; i < numLayers; i++) {
      layers.set(`encoder_layer_${i}`, new EncoderBlock(numHeads, hiddenDim, mlpDim, dropout, attentionDropout, normLayer));
    }
    this.layers = new nn.Sequential(layers);
    this.ln = normLayer(hiddenDim);
  }

  forward(input: Tensor): Tensor {
    if (input.ndim !== 3) throw new ArgumentError(`Encoder: Expected (batch_size, seq_length, hidden_dim) got [${input.shape.join(', ')}]`);
    const x = input.add(this.pos_embedding);
    return this.ln.call(this.layers.call(this.dropout.call(x))) as Tensor;
  }
}

export interface VisionTransformerOpts {
  imageSize: number;
  patchSize: number;
  numLayers: number;
  numHeads: number;
  hiddenDim: number;
  mlpDim: number;
  /** Dropout after attention, in the MLPs and on the embeddings (default 0). */
  dropout?: number;
  /** Dropout on the attention weights (default 0). */
  attentionDropout?: number;
  /** Default 1000. */
  numClasses?: number;
  /** A hidden pre-logits Linear + tanh of this width before the head (default none). */
  representationSize?: number | null;
  /** LayerNorm factory (default eps 1e-6). */
  normLayer?: LayerNormFactory | null;
}
const VIT_KEYS = ['imageSize', 'patchSize', 'numLayers', 'numHeads', 'hiddenDim', 'mlpDim', 'dropout', 'attentionDropout',
  'numClasses', 'representationSize', 'normLayer'] as const;

/** Vision Transformer (Dosovitskiy et al. 2020) with torchvision's constructor arguments as an options object. */
export class VisionTransformer extends nn.Module {
  declare conv_proj: torch.nn.Conv2d;
  declare class_token: torch.nn.Parameter;
  declare encoder: Encoder;
  declare heads: torch.nn.Sequential;
  readonly imageSize: number;
  readonly patchSize: number;
  readonly hiddenDim: number;
  readonly mlpDim: number;
  readonly attentionDropout: number;
  readonly dropout: number;
  readonly numClasses: number;
  readonly representationSize: number | null;
  readonly seqLength: number;

  constructor(opts: VisionTransformerOpts) {
    super();
    const fn = 'VisionTransformer';
    const o = modelOptions<VisionTransformerOpts>(fn, opts, VIT_KEYS);
    for (const k of ['imageSize', 'patchSize', 'numLayers', 'numHeads', 'hiddenDim', 'mlpDim'] as const) {
      if (o[k] === undefined) throw new ArgumentError(`${fn}: ${k} is required, e.g. new VisionTransformer({ imageSize: 224, patchSize: 16, numLayers: 12, numHeads: 12, hiddenDim: 768, mlpDim: 3072 })`);
    }
    this.imageSize = posInt(fn, 'imageSize', o.imageSize);
    this.patchSize = posInt(fn, 'patchSize', o.patchSize);
    if (this.imageSize % this.patchSize !== 0) throw new ArgumentError(`${fn}: Input shape indivisible by patch size! (imageSize ${this.imageSize}, patchSize ${this.patchSize})`);
    const numLayers = posInt(fn, 'numLayers', o.numLayers);
    const numHeads = posInt(fn, 'numHeads', o.numHeads);
    this.hiddenDim = posInt(fn, 'hiddenDim', o.hiddenDim);
    if (this.hiddenDim % numHeads !== 0) throw new ArgumentError(`${fn}: hiddenDim (${this.hiddenDim}) must be divisible by numHeads (${numHeads})`);
    this.mlpDim = posInt(fn, 'mlpDim', o.mlpDim);
    this.dropout = checkNumber(fn, 'dropout', o.dropout ?? 0, { min: 0, max: 1 });
    this.attentionDropout = checkNumber(fn, 'attentionDropout', o.attentionDropout ?? 0, { min: 0, max: 1 });
    this.numClasses = posInt(fn, 'numClasses', o.numClasses ?? 1000);
    this.representationSize = o.representationSize == null ? null : posInt(fn, 'representationSize', o.representationSize);
    const norm = o.normLayer ?? ln6;

    this.conv_proj = new nn.Conv2d(3, this.hiddenDim, this.patchSize, { stride: this.patchSize });
    let seqLength = (this.imageSize / this.patchSize) ** 2;
    this.class_token = new nn.Parameter(torch.zeros([1, 1, this.hiddenDim]));
    seqLength += 1;
    this.encoder = new Encoder(seqLength, numLayers, numHeads, this.hiddenDim, this.mlpDim, this.dropout, this.attentionDropout, norm);
    this.seqLength = seqLength;
    const heads = new Map<string, Module>();
    if (this.representationSize === null) heads.set('head', new nn.Linear(this.hiddenDim, this.numClasses));
    else {
      heads.set('pre_logits', new nn.Linear(this.hiddenDim, this.representationSize));
      heads.set('act', new nn.Tanh());
      heads.set('head', new nn.Linear(this.representationSize, this.numClasses));
    }
    this.heads = new nn.Sequential(heads);

    // the patchify stem
    const fanIn = 3 * this.patchSize * this.patchSize;
    nn.init.truncNormal_(this.conv_proj.weight, 0, Math.sqrt(1 / fanIn));
    if (this.conv_proj.bias) nn.init.zeros_(this.conv_proj.bias);
    const pre = heads.get('pre_logits');
    if (pre instanceof nn.Linear) {
      nn.init.truncNormal_(pre.weight, 0, Math.sqrt(1 / pre.inFeatures));
      nn.init.zeros_(pre.bias!);
    }
    const head = heads.get('head') as torch.nn.Linear;
    nn.init.zeros_(head.weight);
    nn.init.zeros_(head.bias!);
  }

  /** [N, 3, H, W] -> [N, (H/p)(W/p), hiddenDim] patch embeddings. */
  processInput(x: Tensor): Tensor {
    if (x.ndim !== 4) throw new ArgumentError(`VisionTransformer: expected an image batch [N, 3, H, W], got [${x.shape.join(', ')}]`);
    const [n, , h, w] = x.shape;
    const p = this.patchSize;
    if (h !== this.imageSize) throw new ArgumentError(`VisionTransformer: Wrong image height! Expected ${this.imageSize} but got ${h}!`);
    if (w !== this.imageSize) throw new ArgumentError(`VisionTransformer: Wrong image width! Expected ${this.imageSize} but got ${w}!`);
    const nh = Math.floor(h / p), nw = Math.floor(w / p);
    return this.conv_proj.call(x).reshape([n, this.hiddenDim, nh * nw]).permute([0, 2, 1]);
  }

  forward(x: Tensor): Tensor {
    x = this.processInput(x);
    const n = x.shape[0];
    const batchClassToken = this.class_token.expand([n, -1, -1]);
    x = torch.cat([batchClassToken, x], 1);
    x = this.encoder.call(x);
    return this.heads.call(x.select(1, 0));
  }
}

type VitBuildOpts = Partial<Omit<VisionTransformerOpts, 'patchSize' | 'numLayers' | 'numHeads' | 'hiddenDim' | 'mlpDim'>>;
const BUILD_KEYS = ['imageSize', 'dropout', 'attentionDropout', 'numClasses', 'representationSize', 'normLayer'] as const;

function vit(fn: string, patchSize: number, numLayers: number, numHeads: number, hiddenDim: number, mlpDim: number, opts: VitBuildOpts): VisionTransformer {
  const o = modelOptions<VitBuildOpts>(fn, opts, BUILD_KEYS);
  return new VisionTransformer({ imageSize: 224, ...o, patchSize, numLayers, numHeads, hiddenDim, mlpDim });
}

/** ViT-B/16: patch 16, 12 layers, 12 heads, hidden 768, MLP 3072 (86.6M parameters). */
export function vitB16(opts: VitBuildOpts = {}): VisionTransformer { return vit('vitB16', 16, 12, 12, 768, 3072, opts); }
/** ViT-B/32: patch 32, 12 layers, 12 heads, hidden 768, MLP 3072. */
export function vitB32(opts: VitBuildOpts = {}): VisionTransformer { return vit('vitB32', 32, 12, 12, 768, 3072, opts); }
/** ViT-L/16: patch 16, 24 layers, 16 heads, hidden 1024, MLP 4096. */
export function vitL16(opts: VitBuildOpts = {}): VisionTransformer { return vit('vitL16', 16, 24, 16, 1024, 4096, opts); }
/** ViT-L/32: patch 32, 24 layers, 16 heads, hidden 1024, MLP 4096. */
export function vitL32(opts: VitBuildOpts = {}): VisionTransformer { return vit('vitL32', 32, 24, 16, 1024, 4096, opts); }
/** ViT-H/14: patch 14, 32 layers, 16 heads, hidden 1280, MLP 5120. */
export function vitH14(opts: VitBuildOpts = {}): VisionTransformer { return vit('vitH14', 14, 32, 16, 1280, 5120, opts); }
