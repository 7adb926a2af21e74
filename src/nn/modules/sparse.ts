/**
 * @file Embedding (torch.nn): a lookup table weight [num_embeddings, embedding_dim] initialized N(0, 1), the
 * padding row zeroed and kept out of the gradient; optional maxNorm renormalization.
 */
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';
import * as init from '../init.js';
import * as F from '../functional/index.js';
import { normalizePaddingIdx } from '../functional/sparse.js';
import type { Tensor } from '../../tensor/tensor.js';
import { noGrad } from '../../autograd/grad-mode.js';
import { ModuleError } from '../../core/errors.js';
import { fmt } from '../../core/shape.js';
import { empty } from '../../ops/creation.js';
import { select } from '../../ops/movement.js';
import { layerInt, layerOpts, R, pyFloat, type FactoryKwargs } from './utils.js';

export interface EmbeddingModuleOpts extends FactoryKwargs {
  paddingIdx?: number | null;
  maxNorm?: number | null;
  normType?: number;
  scaleGradByFreq?: boolean;
  sparse?: boolean;
  /** Use this tensor as the weight instead of a fresh N(0, 1) one (PyTorch's _weight). */
  weight?: Tensor;
}

/** Rows of weight [numEmbeddings, embeddingDim] looked up by integer indices. */
export class Embedding extends Module {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'Embedding';
  declare weight: Parameter;
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly paddingIdx: number | null;
  readonly maxNorm: number | null;
  readonly normType: number;
  readonly scaleGradByFreq: boolean;
  readonly sparse: boolean;

  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingModuleOpts = {}) {
    super();
    const opts = layerOpts<EmbeddingModuleOpts>('Embedding', options, {
      paddingIdx: { number: { integer: true }, nullable: true }, maxNorm: { number: { gt: 0 }, nullable: true }, normType: R.num,
      scaleGradByFreq: R.bool, sparse: R.bool, weight: 'tensor',
    }, true);
    layerInt('Embedding', 'numEmbeddings', numEmbeddings, 0); layerInt('Embedding', 'embeddingDim', embeddingDim, 0);
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    this.paddingIdx = normalizePaddingIdx(opts.paddingIdx, numEmbeddings, 'Embedding');
    this.maxNorm = opts.maxNorm ?? null;
    this.normType = opts.normType ?? 2;
    this.scaleGradByFreq = opts.scaleGradByFreq ?? false;
    this.sparse = opts.sparse ?? false;
    if (opts.weight) {
      if (opts.weight.ndim !== 2 || opts.weight.shape[0] !== numEmbeddings || opts.weight.shape[1] !== embeddingDim) {
        throw new ModuleError(`Embedding: shape of weight ${fmt(opts.weight.shape)} does not match num_embeddings and embedding_dim [${numEmbeddings}, ${embeddingDim}]`);
      }
      this.weight = new Parameter(opts.weight);
    } else {
      this.weight = new Parameter(empty([numEmbeddings, embeddingDim], { dtype: opts.dtype, device: opts.device }));
      this.resetParameters();
    }
  }

  /** weight ~ N(0, 1), then the padding row zeroed. */
  resetParameters(): void {
    init.normal_(this.weight);
    this.fillPaddingIdxWithZero();
  }

  private fillPaddingIdxWithZero(): void {
    if (this.paddingIdx !== null) {
      const p = this.paddingIdx;
      noGrad(() => { select(this.weight, 0, p).fill_(0); });
    }
  }

  forward(input: Tensor): Tensor {
    return F.embedding(input, this.weight, {
      paddingIdx: this.paddingIdx, maxNorm: this.maxNorm, normType: this.normType, scaleGradByFreq: this.scaleGradByFreq, sparse: this.sparse,
    });
  }

  override extraRepr(): string {
    let s = `${this.numEmbeddings}, ${this.embeddingDim}`;
    if (this.paddingIdx !== null) s += `, padding_idx=${this.paddingIdx}`;
    if (this.maxNorm !== null) s += `, max_norm=${pyFloat(this.maxNorm)}`;
    if (this.normType !== 2) s += `, norm_type=${pyFloat(this.normType)}`;
    if (this.scaleGradByFreq) s += ', scale_grad_by_freq=True';
    if (this.sparse) s += ', sparse=True';
    return s;
  }

  /** An Embedding holding `embeddings` (frozen unless freeze: false), as Embedding.from_pretrained. */
  static fromPretrained(embeddings: Tensor, opts: Omit<EmbeddingModuleOpts, 'weight'> & { freeze?: boolean } = {}): Embedding {
    if (embeddings.ndim !== 2) throw new ModuleError(`Embedding.fromPretrained: embeddings must be 2-D, got shape ${fmt(embeddings.shape)}`);
    const { freeze = true, ...rest } = layerOpts<Omit<EmbeddingModuleOpts, 'weight'> & { freeze?: boolean }>('Embedding.fromPretrained', opts, {
      freeze: R.bool, paddingIdx: 'any', maxNorm: 'any', normType: 'any', scaleGradByFreq: 'any', sparse: 'any',
    });
    const e = new Embedding(embeddings.shape[0], embeddings.shape[1], { ...rest, weight: embeddings });
    e.weight.requiresGrad_(!freeze);
    return e;
  }
}
