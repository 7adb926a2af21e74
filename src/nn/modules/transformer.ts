/**
 * @file TransformerEncoder, TransformerDecoderLayer, TransformerDecoder and Transformer (torch.nn), with PyTorch's
 * constructor arguments as options, state-dict keys (`layers.0.self_attn.in_proj_weight`, `multihead_attn`,
 * `norm1..3`, `encoder.norm`, `decoder.norm`), masks (attention masks bool or float, key padding masks, the
 * `isCausal` hints) and init: a stack holds deep copies of the layer it is given (same weights in every layer, no
 * random numbers drawn), and Transformer re-initializes every matrix with xavier_uniform_ in parameters() order.
 */
import { checkBoolean, checkChoice, checkNumber, checkOptions } from '../../core/args.js';
import { ModuleError } from '../../core/errors.js';
import { defaultGenerator } from '../../random/default-generator.js';
import type { Tensor } from '../../tensor/tensor.js';
import { full } from '../../ops/creation.js';
import { add } from '../../ops/elementwise.js';
import { triu } from '../../ops/indexing.js';
import { noGrad } from '../../autograd/grad-mode.js';
import { Module } from '../module.js';
import { ModuleList } from '../containers.js';
import * as init from '../init.js';
import * as F from '../functional/index.js';
import { MultiheadAttention, TransformerEncoderLayer } from './attention.js';
import { Linear } from './linear.js';
import { Dropout } from './dropout.js';
import { LayerNorm } from './normalization.js';
import type { FactoryKwargs } from './utils.js';
import type { DType } from '../../core/dtype.js';
import type { DeviceType } from '../../backend/backend.js';

type Activation = 'relu' | 'gelu' | ((x: Tensor) => Tensor);

/** The float mask PyTorch's `Transformer.generate_square_subsequent_mask(sz)` gives: -inf above the diagonal, 0 elsewhere. */
export function generateSquareSubsequentMask(sz: number, opts: { dtype?: DType; device?: DeviceType } = {}): Tensor {
  checkNumber('generateSquareSubsequentMask', 'sz', sz, { integer: true, min: 0 });
  const o = checkOptions<{ dtype: DType; device: DeviceType }>('generateSquareSubsequentMask', opts, ['dtype', 'device']);
  return triu(full([sz, sz], -Infinity, { dtype: o.dtype ?? 'float32', device: o.device }), 1);
}

/** Runs fn without consuming the default generator's random numbers (a deep copy draws none in PyTorch). */
function withoutRng<T>(fn: () => T): T {
  const state = defaultGenerator.getState();
  try { return fn(); } finally { defaultGenerator.setState(state); }
}

function firstParam(m: Module): Tensor | undefined { return m.parameters()[0]; }

/** A deep copy of a Transformer layer (PyTorch's copy.deepcopy in _get_clones): same options, same weights, same mode. */
function cloneLayer<M extends Module>(fn: string, layer: M | (() => M)): M {
  if (typeof layer === 'function') return layer();
  let copy: Module;
  if (layer instanceof TransformerEncoderLayer || layer instanceof TransformerDecoderLayer) {
    const sa = layer.self_attn, p = firstParam(layer);
    const opts = {
      dimFeedforward: layer.linear1.outFeatures, dropout: layer.dropout.p, activation: layer.activation, layerNormEps: layer.norm1.eps,
      batchFirst: sa.batchFirst, normFirst: layer.normFirst, dtype: p?.dtype, device: p?.device,
    };
    copy = withoutRng(() => layer instanceof TransformerEncoderLayer
      ? new TransformerEncoderLayer(sa.embedDim, sa.numHeads, opts)
      : new TransformerDecoderLayer(sa.embedDim, sa.numHeads, opts));
  } else {
    throw new ModuleError(`${fn}: cannot copy a ${layer?.constructor?.name ?? String(layer)}; pass a TransformerEncoderLayer/TransformerDecoderLayer, or a function that builds one layer (called once per layer)`);
  }
  noGrad(() => copy.loadStateDict(layer.stateDict()));
  copy.train(layer.training);
  return copy as M;
}

function causalCheck(fn: string, isCausal: boolean | undefined, mask: Tensor | null | undefined, hint: string, maskName: string): void {
  if (isCausal !== undefined) checkBoolean(fn, hint, isCausal);
  if (isCausal && !mask) throw new ModuleError(`${fn}: ${hint} is only a hint: pass the causal mask too (${maskName}: nn.Transformer.generateSquareSubsequentMask(L))`);
}

export interface TransformerEncoderOpts { norm?: Module | null; enableNestedTensor?: boolean; maskCheck?: boolean }
export interface TransformerEncoderForwardOpts { mask?: Tensor | null; srcKeyPaddingMask?: Tensor | null; isCausal?: boolean }

/**
 * A stack of numLayers copies of encoderLayer (keys `layers.0...`), then an optional final norm (`norm.weight`).
 * `enableNestedTensor` is accepted for PyTorch's signature; torchlet never uses nested tensors, so under noGrad
 * padded positions hold computed values where PyTorch's fast path writes zeros (the unpadded positions agree).
 */
export class TransformerEncoder extends Module {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'TransformerEncoder';
  declare layers: ModuleList<TransformerEncoderLayer>;
  declare norm: Module | null;
  readonly numLayers: number;

  constructor(encoderLayer: TransformerEncoderLayer | (() => TransformerEncoderLayer), numLayers: number, opts: TransformerEncoderOpts = {}) {
    super();
    const fn = 'TransformerEncoder';
    const o = checkOptions<TransformerEncoderOpts>(fn, opts, ['norm', 'enableNestedTensor', 'maskCheck']);
    this.numLayers = checkNumber(fn, 'numLayers', numLayers, { integer: true, min: 1 });
    if (o.norm !== undefined && o.norm !== null && !(o.norm instanceof Module)) throw new ModuleError(`${fn}: norm must be a Module (e.g. new nn.LayerNorm(dModel)) or null`);
    if (o.enableNestedTensor !== undefined) checkBoolean(fn, 'enableNestedTensor', o.enableNestedTensor);
    if (o.maskCheck !== undefined) checkBoolean(fn, 'maskCheck', o.maskCheck);
    this.layers = new ModuleList(Array.from({ length: numLayers }, () => cloneLayer(fn, encoderLayer)));
    if (o.norm) this.norm = o.norm;
    else this.registerModule('norm', null);
  }

  forward(src: Tensor, opts: TransformerEncoderForwardOpts = {}): Tensor {
    const fn = 'TransformerEncoder.forward';
    const o = checkOptions<TransformerEncoderForwardOpts>(fn, opts, ['mask', 'srcKeyPaddingMask', 'isCausal']);
    causalCheck(fn, o.isCausal, o.mask, 'isCausal', 'mask');
    let x = src;
    for (const layer of this.layers) x = layer.call(x, { srcMask: o.mask ?? null, srcKeyPaddingMask: o.srcKeyPaddingMask ?? null });
    return this.norm ? (this.norm.call(x) as Tensor) : x;
  }
}

export interface TransformerDecoderLayerOpts extends FactoryKwargs {
  dimFeedforward?: number;
  dropout?: number;
  activation?: Activation;
  layerNormEps?: number;
  batchFirst?: boolean;
  normFirst?: boolean;
}
const LAYER_KEYS = ['dimFeedforward', 'dropout', 'activation', 'layerNormEps', 'batchFirst', 'normFirst', 'dtype', 'device'];

export interface TransformerDecoderLayerForwardOpts {
  tgtMask?: Tensor | null;
  memoryMask?: Tensor | null;
  tgtKeyPaddingMask?: Tensor | null;
  memoryKeyPaddingMask?: Tensor | null;
  tgtIsCausal?: boolean;
  memoryIsCausal?: boolean;
}
const DEC_FWD_KEYS = ['tgtMask', 'memoryMask', 'tgtKeyPaddingMask', 'memoryKeyPaddingMask', 'tgtIsCausal', 'memoryIsCausal'];

/** Self-attention, cross-attention over the encoder's memory, feed-forward; post-norm by default, pre-norm with normFirst. */
export class TransformerDecoderLayer extends Module {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'TransformerDecoderLayer';
  declare self_attn: MultiheadAttention;
  declare multihead_attn: MultiheadAttention;
  declare linear1: Linear;
  declare dropout: Dropout;
  declare linear2: Linear;
  declare norm1: LayerNorm;
  declare norm2: LayerNorm;
  declare norm3: LayerNorm;
  declare dropout1: Dropout;
  declare dropout2: Dropout;
  declare dropout3: Dropout;
  readonly normFirst: boolean;
  readonly activation: (x: Tensor) => Tensor;

  constructor(dModel: number, nhead: number, opts: TransformerDecoderLayerOpts = {}) {
    super();
    const fn = 'TransformerDecoderLayer';
    const o = checkOptions<TransformerDecoderLayerOpts>(fn, opts, LAYER_KEYS);
    checkNumber(fn, 'dModel', dModel, { integer: true, min: 1 });
    checkNumber(fn, 'nhead', nhead, { integer: true, min: 1 });
    const fk = { dtype: o.dtype, device: o.device };
    const p = o.dropout === undefined ? 0.1 : checkNumber(fn, 'dropout', o.dropout, { min: 0, max: 1 });
    const ff = o.dimFeedforward === undefined ? 2048 : checkNumber(fn, 'dimFeedforward', o.dimFeedforward, { integer: true, min: 1 });
    const eps = o.layerNormEps === undefined ? 1e-5 : checkNumber(fn, 'layerNormEps', o.layerNormEps, { gt: 0 });
    const batchFirst = o.batchFirst === undefined ? false : checkBoolean(fn, 'batchFirst', o.batchFirst);
    this.self_attn = new MultiheadAttention(dModel, nhead, { dropout: p, batchFirst, ...fk });
    this.multihead_attn = new MultiheadAttention(dModel, nhead, { dropout: p, batchFirst, ...fk });
    this.linear1 = new Linear(dModel, ff, fk);
    this.dropout = new Dropout(p);
    this.linear2 = new Linear(ff, dModel, fk);
    this.normFirst = o.normFirst === undefined ? false : checkBoolean(fn, 'normFirst', o.normFirst);
    this.norm1 = new LayerNorm(dModel, { eps, ...fk });
    this.norm2 = new LayerNorm(dModel, { eps, ...fk });
    this.norm3 = new LayerNorm(dModel, { eps, ...fk });
    this.dropout1 = new Dropout(p);
    this.dropout2 = new Dropout(p);
    this.dropout3 = new Dropout(p);
    const act = o.activation ?? 'relu';
    if (typeof act === 'function') this.activation = act;
    else {
      const name = checkChoice(fn, 'activation', act, ['relu', 'gelu'] as const);
      this.activation = name === 'relu' ? (x) => F.relu(x) : (x) => F.gelu(x);
    }
  }

  forward(tgt: Tensor, memory: Tensor, opts: TransformerDecoderLayerForwardOpts = {}): Tensor {
    const fn = 'TransformerDecoderLayer.forward';
    const o = checkOptions<TransformerDecoderLayerForwardOpts>(fn, opts, DEC_FWD_KEYS);
    causalCheck(fn, o.tgtIsCausal, o.tgtMask, 'tgtIsCausal', 'tgtMask');
    causalCheck(fn, o.memoryIsCausal, o.memoryMask, 'memoryIsCausal', 'memoryMask');
    const sa = (x: Tensor) => this.dropout1.call(this.self_attn.call(x, x, x, { attnMask: o.tgtMask, keyPaddingMask: o.tgtKeyPaddingMask, needWeights: false })[0]);
    const mha = (x: Tensor) => this.dropout2.call(this.multihead_attn.call(x, memory, memory, { attnMask: o.memoryMask, keyPaddingMask: o.memoryKeyPaddingMask, needWeights: false })[0]);
    const ffb = (x: Tensor) => this.dropout3.call(this.linear2.call(this.dropout.call(this.activation(this.linear1.call(x)))));
    let x = tgt;
    if (this.normFirst) {
      x = add(x, sa(this.norm1.call(x)));
      x = add(x, mha(this.norm2.call(x)));
      x = add(x, ffb(this.norm3.call(x)));
    } else {
      x = this.norm1.call(add(x, sa(x)));
      x = this.norm2.call(add(x, mha(x)));
      x = this.norm3.call(add(x, ffb(x)));
    }
    return x;
  }
}

/** A stack of numLayers copies of decoderLayer (keys `layers.0...`), then an optional final norm. */
export class TransformerDecoder extends Module {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'TransformerDecoder';
  declare layers: ModuleList<TransformerDecoderLayer>;
  declare norm: Module | null;
  readonly numLayers: number;

  constructor(decoderLayer: TransformerDecoderLayer | (() => TransformerDecoderLayer), numLayers: number, opts: { norm?: Module | null } = {}) {
    super();
    const fn = 'TransformerDecoder';
    const o = checkOptions<{ norm: Module | null }>(fn, opts, ['norm']);
    this.numLayers = checkNumber(fn, 'numLayers', numLayers, { integer: true, min: 1 });
    if (o.norm !== undefined && o.norm !== null && !(o.norm instanceof Module)) throw new ModuleError(`${fn}: norm must be a Module (e.g. new nn.LayerNorm(dModel)) or null`);
    this.layers = new ModuleList(Array.from({ length: numLayers }, () => cloneLayer(fn, decoderLayer)));
    if (o.norm) this.norm = o.norm;
    else this.registerModule('norm', null);
  }

  forward(tgt: Tensor, memory: Tensor, opts: TransformerDecoderLayerForwardOpts = {}): Tensor {
    const o = checkOptions<TransformerDecoderLayerForwardOpts>('TransformerDecoder.forward', opts, DEC_FWD_KEYS);
    let x = tgt;
    for (const layer of this.layers) x = layer.call(x, memory, o);
    return this.norm ? (this.norm.call(x) as Tensor) : x;
  }
}

export interface TransformerOpts extends TransformerDecoderLayerOpts {
  dModel?: number;
  nhead?: number;
  numEncoderLayers?: number;
  numDecoderLayers?: number;
  customEncoder?: Module | null;
  customDecoder?: Module | null;
}

export interface TransformerForwardOpts {
  srcMask?: Tensor | null;
  tgtMask?: Tensor | null;
  memoryMask?: Tensor | null;
  srcKeyPaddingMask?: Tensor | null;
  tgtKeyPaddingMask?: Tensor | null;
  memoryKeyPaddingMask?: Tensor | null;
  srcIsCausal?: boolean;
  tgtIsCausal?: boolean;
  memoryIsCausal?: boolean;
}

/**
 * The encoder-decoder Transformer of "Attention Is All You Need" as torch.nn.Transformer: all options are PyTorch's
 * keyword arguments (dModel 512, nhead 8, 6 + 6 layers, dimFeedforward 2048, dropout 0.1, ...). Every parameter
 * with more than one dimension is re-initialized with xavier_uniform_, as PyTorch's _reset_parameters.
 */
export class Transformer extends Module {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'Transformer';
  declare encoder: Module;
  declare decoder: Module;
  readonly dModel: number;
  readonly nhead: number;
  readonly batchFirst: boolean;

  /** PyTorch's static Transformer.generate_square_subsequent_mask. */
  static generateSquareSubsequentMask = generateSquareSubsequentMask;

  constructor(opts: TransformerOpts = {}) {
    super();
    const fn = 'Transformer';
    const o = checkOptions<TransformerOpts>(fn, opts, ['dModel', 'nhead', 'numEncoderLayers', 'numDecoderLayers', 'customEncoder', 'customDecoder', ...LAYER_KEYS]);
    const dModel = o.dModel === undefined ? 512 : checkNumber(fn, 'dModel', o.dModel, { integer: true, min: 1 });
    const nhead = o.nhead === undefined ? 8 : checkNumber(fn, 'nhead', o.nhead, { integer: true, min: 1 });
    const nEnc = o.numEncoderLayers === undefined ? 6 : checkNumber(fn, 'numEncoderLayers', o.numEncoderLayers, { integer: true, min: 1 });
    const nDec = o.numDecoderLayers === undefined ? 6 : checkNumber(fn, 'numDecoderLayers', o.numDecoderLayers, { integer: true, min: 1 });
    const layerOpts: TransformerDecoderLayerOpts = {
      dimFeedforward: o.dimFeedforward, dropout: o.dropout, activation: o.activation, layerNormEps: o.layerNormEps,
      batchFirst: o.batchFirst, normFirst: o.normFirst, dtype: o.dtype, device: o.device,
    };
    const normOpts = { eps: o.layerNormEps ?? 1e-5, dtype: o.dtype, device: o.device };
    if (o.customEncoder) {
      if (!(o.customEncoder instanceof Module)) throw new ModuleError(`${fn}: customEncoder must be a Module`);
      this.encoder = o.customEncoder;
    } else {
      const layer = new TransformerEncoderLayer(dModel, nhead, layerOpts);
      this.encoder = new TransformerEncoder(layer, nEnc, { norm: new LayerNorm(dModel, normOpts) });
    }
    if (o.customDecoder) {
      if (!(o.customDecoder instanceof Module)) throw new ModuleError(`${fn}: customDecoder must be a Module`);
      this.decoder = o.customDecoder;
    } else {
      const layer = new TransformerDecoderLayer(dModel, nhead, layerOpts);
      this.decoder = new TransformerDecoder(layer, nDec, { norm: new LayerNorm(dModel, normOpts) });
    }
    this.dModel = dModel;
    this.nhead = nhead;
    this.batchFirst = o.batchFirst ?? false;
    for (const p of this.parameters()) if (p.ndim > 1) init.xavierUniform_(p);
  }

  forward(src: Tensor, tgt: Tensor, opts: TransformerForwardOpts = {}): Tensor {
    const fn = 'Transformer.forward';
    const o = checkOptions<TransformerForwardOpts>(fn, opts, ['srcMask', 'tgtMask', 'memoryMask', 'srcKeyPaddingMask', 'tgtKeyPaddingMask',
      'memoryKeyPaddingMask', 'srcIsCausal', 'tgtIsCausal', 'memoryIsCausal']);
    const batched = src.ndim === 3;
    if (!this.batchFirst && src.shape[1] !== tgt.shape[1] && batched) throw new ModuleError(`${fn}: the batch number of src and tgt must be equal (src ${src.shape[1]}, tgt ${tgt.shape[1]}; batchFirst is false: inputs are [L, N, E])`);
    if (this.batchFirst && src.shape[0] !== tgt.shape[0] && batched) throw new ModuleError(`${fn}: the batch number of src and tgt must be equal (src ${src.shape[0]}, tgt ${tgt.shape[0]}; batchFirst is true: inputs are [N, L, E])`);
    if (src.shape[src.ndim - 1] !== this.dModel || tgt.shape[tgt.ndim - 1] !== this.dModel) {
      throw new ModuleError(`${fn}: the feature number of src and tgt must be equal to dModel (${this.dModel}), got ${src.shape[src.ndim - 1]} and ${tgt.shape[tgt.ndim - 1]}`);
    }
    const memory = this.encoder.call(src, { mask: o.srcMask ?? null, srcKeyPaddingMask: o.srcKeyPaddingMask ?? null, isCausal: o.srcIsCausal }) as Tensor;
    return this.decoder.call(tgt, memory, {
      tgtMask: o.tgtMask ?? null, memoryMask: o.memoryMask ?? null, tgtKeyPaddingMask: o.tgtKeyPaddingMask ?? null,
      memoryKeyPaddingMask: o.memoryKeyPaddingMask ?? null, tgtIsCausal: o.tgtIsCausal, memoryIsCausal: o.memoryIsCausal,
    }) as Tensor;
  }
}

