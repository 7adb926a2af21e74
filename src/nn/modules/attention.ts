/**
 * @file MultiheadAttention (in_proj_weight [3E, E] / in_proj_bias [3E] / out_proj layout, or q/k/v_proj_weight
 * when kdim/vdim differ) and TransformerEncoderLayer (torch.nn), with PyTorch's init order: out_proj as a
 * Linear, then xavier_uniform_ on the input projections and zeros on the biases.
 */
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';
import * as init from '../init.js';
import * as F from '../functional/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import { ModuleError } from '../../core/errors.js';
import { empty } from '../../ops/creation.js';
import { add } from '../../ops/elementwise.js';
import { transpose } from '../../ops/movement.js';
import { Linear, NonDynamicallyQuantizableLinear } from './linear.js';
import { Dropout } from './dropout.js';
import { LayerNorm } from './normalization.js';
import { layerInt, layerOpts, R, type FactoryKwargs } from './utils.js';

export interface MultiheadAttentionOpts extends FactoryKwargs {
  dropout?: number;
  bias?: boolean;
  addBiasKv?: boolean;
  addZeroAttn?: boolean;
  kdim?: number | null;
  vdim?: number | null;
  /** Inputs and output as [N, L, E] instead of [L, N, E]. */
  batchFirst?: boolean;
}

export interface MhaForwardOpts {
  keyPaddingMask?: Tensor | null;
  needWeights?: boolean;
  attnMask?: Tensor | null;
  averageAttnWeights?: boolean;
}

/** Multi-head attention; forward(query, key, value, opts) returns [output, weights | null]. */
export class MultiheadAttention extends Module {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'MultiheadAttention';
  declare in_proj_weight: Parameter | null;
  declare q_proj_weight: Parameter | null;
  declare k_proj_weight: Parameter | null;
  declare v_proj_weight: Parameter | null;
  declare in_proj_bias: Parameter | null;
  declare out_proj: NonDynamicallyQuantizableLinear;
  readonly embedDim: number;
  readonly kdim: number;
  readonly vdim: number;
  readonly qkvSameEmbedDim: boolean;
  readonly numHeads: number;
  readonly dropout: number;
  readonly batchFirst: boolean;
  readonly headDim: number;

  constructor(embedDim: number, numHeads: number, options: MultiheadAttentionOpts = {}) {
    super();
    const opts = layerOpts<MultiheadAttentionOpts>('MultiheadAttention', options, {
      dropout: R.prob, bias: R.bool, addBiasKv: R.bool, addZeroAttn: R.bool, kdim: { number: { integer: true, min: 1 }, nullable: true },
      vdim: { number: { integer: true, min: 1 }, nullable: true }, batchFirst: R.bool,
    }, true);
    layerInt('MultiheadAttention', 'embedDim', embedDim, 1); layerInt('MultiheadAttention', 'numHeads', numHeads, 1);
    if (opts.addBiasKv || opts.addZeroAttn) throw new ModuleError('MultiheadAttention: addBiasKv and addZeroAttn are not implemented; leave them false');
    this.embedDim = embedDim;
    this.kdim = opts.kdim ?? embedDim;
    this.vdim = opts.vdim ?? embedDim;
    this.qkvSameEmbedDim = this.kdim === embedDim && this.vdim === embedDim;
    this.numHeads = numHeads;
    this.dropout = opts.dropout ?? 0;
    this.batchFirst = opts.batchFirst ?? false;
    this.headDim = Math.floor(embedDim / numHeads);
    if (this.headDim * numHeads !== embedDim) throw new ModuleError(`MultiheadAttention: embed_dim (${embedDim}) must be divisible by num_heads (${numHeads})`);
    const fk = { dtype: opts.dtype, device: opts.device };
    if (!this.qkvSameEmbedDim) {
      this.q_proj_weight = new Parameter(empty([embedDim, embedDim], fk));
      this.k_proj_weight = new Parameter(empty([embedDim, this.kdim], fk));
      this.v_proj_weight = new Parameter(empty([embedDim, this.vdim], fk));
      this.registerParameter('in_proj_weight', null);
    } else {
      this.in_proj_weight = new Parameter(empty([3 * embedDim, embedDim], fk));
      this.registerParameter('q_proj_weight', null);
      this.registerParameter('k_proj_weight', null);
      this.registerParameter('v_proj_weight', null);
    }
    if (opts.bias ?? true) this.in_proj_bias = new Parameter(empty([3 * embedDim], fk));
    else this.registerParameter('in_proj_bias', null);
    this.out_proj = new NonDynamicallyQuantizableLinear(embedDim, embedDim, { bias: opts.bias ?? true, ...fk });
    this.resetParameters();
  }

  /** xavier_uniform_ on the input projections, zeros on in_proj_bias and out_proj.bias. */
  resetParameters(): void {
    if (this.qkvSameEmbedDim) init.xavierUniform_(this.in_proj_weight!);
    else {
      init.xavierUniform_(this.q_proj_weight!);
      init.xavierUniform_(this.k_proj_weight!);
      init.xavierUniform_(this.v_proj_weight!);
    }
    if (this.in_proj_bias) {
      init.constant_(this.in_proj_bias, 0);
      init.constant_(this.out_proj.bias!, 0);
    }
  }

  forward(query: Tensor, key: Tensor, value: Tensor, options: MhaForwardOpts = {}): [Tensor, Tensor | null] {
    const opts = layerOpts<MhaForwardOpts>('MultiheadAttention.forward', options, {
      keyPaddingMask: R.tensorOrNull, needWeights: R.bool, attnMask: R.tensorOrNull, averageAttnWeights: R.bool,
    });
    const batched = query.ndim === 3;
    let q = query, k = key, v = value;
    if (this.batchFirst && batched) {
      // keep the identity of shared inputs (self-attention uses one packed projection)
      q = transpose(query, 1, 0);
      k = key === query ? q : transpose(key, 1, 0);
      v = value === key ? k : value === query ? q : transpose(value, 1, 0);
    }
    const r = F.multiHeadAttentionForward(q, k, v, {
      numHeads: this.numHeads,
      inProjWeight: this.in_proj_weight, inProjBias: this.in_proj_bias,
      qProjWeight: this.q_proj_weight, kProjWeight: this.k_proj_weight, vProjWeight: this.v_proj_weight,
      outProjWeight: this.out_proj.weight, outProjBias: this.out_proj.bias,
      dropoutP: this.dropout, training: this.training,
      keyPaddingMask: opts.keyPaddingMask, attnMask: opts.attnMask,
      needWeights: opts.needWeights ?? true, averageAttnWeights: opts.averageAttnWeights ?? true,
    });
    const out = this.batchFirst && batched ? transpose(r.output, 1, 0) : r.output;
    return [out, r.weights];
  }
}

export interface TransformerEncoderLayerOpts extends FactoryKwargs {
  dimFeedforward?: number;
  dropout?: number;
  activation?: 'relu' | 'gelu' | ((x: Tensor) => Tensor);
  layerNormEps?: number;
  batchFirst?: boolean;
  normFirst?: boolean;
}

/** Self-attention + feed-forward block (post-norm by default, pre-norm with normFirst). */
export class TransformerEncoderLayer extends Module {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'TransformerEncoderLayer';
  declare self_attn: MultiheadAttention;
  declare linear1: Linear;
  declare dropout: Dropout;
  declare linear2: Linear;
  declare norm1: LayerNorm;
  declare norm2: LayerNorm;
  declare dropout1: Dropout;
  declare dropout2: Dropout;
  readonly normFirst: boolean;
  readonly activation: (x: Tensor) => Tensor;

  constructor(dModel: number, nhead: number, options: TransformerEncoderLayerOpts = {}) {
    super();
    const opts = layerOpts<TransformerEncoderLayerOpts>('TransformerEncoderLayer', options, {
      dimFeedforward: { number: { integer: true, min: 1 } }, dropout: R.prob, activation: 'any', layerNormEps: { number: { gt: 0 } },
      batchFirst: R.bool, normFirst: R.bool,
    }, true);
    const fk = { dtype: opts.dtype, device: opts.device };
    const p = opts.dropout ?? 0.1, ff = opts.dimFeedforward ?? 2048, eps = opts.layerNormEps ?? 1e-5;
    this.self_attn = new MultiheadAttention(dModel, nhead, { dropout: p, batchFirst: opts.batchFirst ?? false, ...fk });
    this.linear1 = new Linear(dModel, ff, fk);
    this.dropout = new Dropout(p);
    this.linear2 = new Linear(ff, dModel, fk);
    this.normFirst = opts.normFirst ?? false;
    this.norm1 = new LayerNorm(dModel, { eps, ...fk });
    this.norm2 = new LayerNorm(dModel, { eps, ...fk });
    this.dropout1 = new Dropout(p);
    this.dropout2 = new Dropout(p);
    const act = opts.activation ?? 'relu';
    if (act === 'relu') this.activation = (x) => F.relu(x);
    else if (act === 'gelu') this.activation = (x) => F.gelu(x);
    else if (typeof act === 'function') this.activation = act;
    else throw new ModuleError(`TransformerEncoderLayer: activation should be relu/gelu or a function, not ${String(act)}`);
  }

  forward(src: Tensor, options: { srcMask?: Tensor | null; srcKeyPaddingMask?: Tensor | null } = {}): Tensor {
    const opts = layerOpts<typeof options>('TransformerEncoderLayer.forward', options, { srcMask: R.tensorOrNull, srcKeyPaddingMask: R.tensorOrNull });
    const sa = (x: Tensor) => this.dropout1.call(this.self_attn.call(x, x, x, { attnMask: opts.srcMask, keyPaddingMask: opts.srcKeyPaddingMask, needWeights: false })[0]);
    const ffb = (x: Tensor) => this.dropout2.call(this.linear2.call(this.dropout.call(this.activation(this.linear1.call(x)))));
    let x = src;
    if (this.normFirst) {
      x = add(x, sa(this.norm1.call(x)));
      x = add(x, ffb(this.norm2.call(x)));
    } else {
      x = this.norm1.call(add(x, sa(x)));
      x = this.norm2.call(add(x, ffb(x)));
    }
    return x;
  }
}
