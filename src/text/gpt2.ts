/**
 * @file GPT-2 with Hugging Face transformers' module tree and state-dict keys (GPT2LMHeadModel):
 * `transformer.wte.weight`, `transformer.wpe.weight`, `transformer.h.N.{ln_1,attn.c_attn,attn.c_proj,ln_2,mlp.c_fc,
 * mlp.c_proj}.{weight,bias}`, `transformer.ln_f.*`, `lm_head.weight` (the same Parameter as `transformer.wte.weight`).
 * Conv1D weights are stored [in, out] as HF's Conv1D. The causal mask is not a buffer (HF's `attn.bias` is
 * registered non-persistent, so it is not in HF's state dict either).
 *
 * Initialization follows transformers' order, so a seed gives the same weights as a model built that way (the
 * reference in scripts/fixtures/gpt2.py; transformers itself is not installed here): construction draws
 * (nn.Embedding N(0, 1), Conv1D N(0, 0.02), lm_head's nn.Linear kaiming_uniform_), then GPT2Model's post_init
 * (module.apply order, children first: Embedding and Conv1D N(0, initializerRange), biases 0, LayerNorm 1/0, and
 * each `c_proj.weight` redrawn N(0, initializerRange / sqrt(2 nLayer)) when its parent is visited), then
 * GPT2LMHeadModel's post_init, which only reaches lm_head (N(0, initializerRange)) before lm_head is tied to wte.
 */
import { Module } from '../nn/module.js';
import { Parameter } from '../nn/parameter.js';
import { ModuleList } from '../nn/containers.js';
import { Dropout, Embedding, LayerNorm, Linear } from '../nn/modules/index.js';
import * as init from '../nn/init.js';
import * as F from '../nn/functional/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { ArgumentError, checkChoice, checkNumber, checkOptions } from '../core/args.js';
import { ShapeError } from '../core/errors.js';
import { fmt } from '../core/shape.js';
import { arange, empty, zeros } from '../ops/creation.js';
import { add, le } from '../ops/elementwise.js';
import { generate, type GenerateOpts } from './generate.js';
import { cat, contiguous, reshape, split, transpose, unsqueeze } from '../ops/movement.js';

export interface GPT2Config {
  vocabSize: number;
  nPositions: number;
  nEmbd: number;
  nLayer: number;
  nHead: number;
  /** Width of the MLP; null means 4 * nEmbd. */
  nInner: number | null;
  layerNormEpsilon: number;
  initializerRange: number;
  embdPdrop: number;
  attnPdrop: number;
  residPdrop: number;
  /** 'gelu_new' (HF's default: the tanh approximation), 'gelu_pytorch_tanh' (the same), 'gelu' (erf) or 'relu'. */
  activationFunction: 'gelu_new' | 'gelu_pytorch_tanh' | 'gelu' | 'relu';
}

/** GPT-2 small (124M): transformers' GPT2Config defaults. */
export const GPT2_DEFAULTS: Readonly<GPT2Config> = Object.freeze({
  vocabSize: 50257, nPositions: 1024, nEmbd: 768, nLayer: 12, nHead: 12, nInner: null, layerNormEpsilon: 1e-5,
  initializerRange: 0.02, embdPdrop: 0.1, attnPdrop: 0.1, residPdrop: 0.1, activationFunction: 'gelu_new',
});

const CONFIG_KEYS = Object.keys(GPT2_DEFAULTS) as (keyof GPT2Config)[];

/** Validates a partial config and fills in the defaults. */
export function gpt2Config(opts: Partial<GPT2Config> = {}, fn = 'models.gpt2'): GPT2Config {
  const o = checkOptions<GPT2Config>(fn, opts, CONFIG_KEYS, 'config');
  const c: GPT2Config = { ...GPT2_DEFAULTS, ...o };
  for (const k of ['vocabSize', 'nPositions', 'nEmbd', 'nLayer', 'nHead'] as const) checkNumber(fn, k, c[k], { integer: true, min: 1 });
  if (c.nInner !== null) checkNumber(fn, 'nInner', c.nInner, { integer: true, min: 1 });
  checkNumber(fn, 'layerNormEpsilon', c.layerNormEpsilon, { gt: 0 });
  checkNumber(fn, 'initializerRange', c.initializerRange, { min: 0 });
  for (const k of ['embdPdrop', 'attnPdrop', 'residPdrop'] as const) checkNumber(fn, k, c[k], { min: 0, max: 1 });
  checkChoice(fn, 'activationFunction', c.activationFunction, ['gelu_new', 'gelu_pytorch_tanh', 'gelu', 'relu'] as const);
  if (c.nEmbd % c.nHead !== 0) throw new ArgumentError(`${fn}: nEmbd (${c.nEmbd}) must be divisible by nHead (${c.nHead})`);
  return c;
}

/** A layer's cached keys and values, each [B, nHead, S, headDim]. */
export type KVCache = [Tensor, Tensor];

/** HF's Conv1D: y = x W + b with weight [nx (in), nf (out)], i.e. a Linear whose weight is stored transposed. */
export class Conv1D extends Module {
  declare weight: Parameter;
  declare bias: Parameter;
  constructor(readonly nf: number, readonly nx: number) {
    super();
    this.weight = new Parameter(empty([nx, nf]));
    this.bias = new Parameter(zeros([nf]));
    init.normal_(this.weight, 0, 0.02);
  }
  forward(x: Tensor): Tensor { return F.linear(x, transpose(this.weight, 0, 1), this.bias); }
  override extraRepr(): string { return `nf=${this.nf}, nx=${this.nx}`; }
}

/** Causal self-attention through F.scaledDotProductAttention, with an optional key/value cache. */
export class GPT2Attention extends Module {
  declare c_attn: Conv1D;
  declare c_proj: Conv1D;
  declare attn_dropout: Dropout;
  declare resid_dropout: Dropout;
  readonly nHead: number;
  readonly headDim: number;
  readonly attnPdrop: number;
  constructor(c: GPT2Config) {
    super();
    this.nHead = c.nHead;
    this.headDim = c.nEmbd / c.nHead;
    this.attnPdrop = c.attnPdrop;
    this.c_attn = new Conv1D(3 * c.nEmbd, c.nEmbd);
    this.c_proj = new Conv1D(c.nEmbd, c.nEmbd);
    this.attn_dropout = new Dropout(c.attnPdrop);
    this.resid_dropout = new Dropout(c.residPdrop);
  }

  /** x [B, T, E] (and the cache of the earlier positions) → [output [B, T, E], the cache including x]. */
  forward(x: Tensor, past: KVCache | null = null): [Tensor, KVCache] {
    const [B, T, E] = x.shape;
    const heads = (t: Tensor) => transpose(reshape(t, [B, T, this.nHead, this.headDim]), 1, 2);
    const [q0, k0, v0] = split(this.c_attn.call(x), E, 2);
    let k = heads(k0), v = heads(v0);
    const q = heads(q0);
    if (past) { k = cat([past[0], k], 2); v = cat([past[1], v], 2); }
    const S = k.shape[2], P = S - T;
    let mask: Tensor | null = null;
    if (P > 0 && T > 1) {
      // query i (absolute position P + i) sees keys j <= P + i
      mask = le(unsqueeze(arange(0, S, 1, { dtype: 'int64', device: x.device }), 0), unsqueeze(arange(P, S, 1, { dtype: 'int64', device: x.device }), 1));
    }
    const y = F.scaledDotProductAttention(q, k, v, {
      attnMask: mask, isCausal: P === 0 && T > 1, dropoutP: this.training ? this.attnPdrop : 0,
    });
    const merged = reshape(contiguous(transpose(y, 1, 2)), [B, T, E]);
    return [this.resid_dropout.call(this.c_proj.call(merged)), [k, v]];
  }
}

/** c_fc → activation → c_proj → dropout. */
export class GPT2MLP extends Module {
  declare c_fc: Conv1D;
  declare c_proj: Conv1D;
  declare dropout: Dropout;
  readonly activation: GPT2Config['activationFunction'];
  constructor(inner: number, c: GPT2Config) {
    super();
    this.c_fc = new Conv1D(inner, c.nEmbd);
    this.c_proj = new Conv1D(c.nEmbd, inner);
    this.activation = c.activationFunction;
    this.dropout = new Dropout(c.residPdrop);
  }
  forward(x: Tensor): Tensor {
    const h = this.c_fc.call(x);
    const a = this.activation === 'relu' ? F.relu(h) : F.gelu(h, { approximate: this.activation === 'gelu' ? 'none' : 'tanh' });
    return this.dropout.call(this.c_proj.call(a));
  }
}

/** Pre-LayerNorm transformer block: x + attn(ln_1(x)), then + mlp(ln_2(.)). */
export class GPT2Block extends Module {
  declare ln_1: LayerNorm;
  declare attn: GPT2Attention;
  declare ln_2: LayerNorm;
  declare mlp: GPT2MLP;
  constructor(c: GPT2Config) {
    super();
    this.ln_1 = new LayerNorm(c.nEmbd, { eps: c.layerNormEpsilon });
    this.attn = new GPT2Attention(c);
    this.ln_2 = new LayerNorm(c.nEmbd, { eps: c.layerNormEpsilon });
    this.mlp = new GPT2MLP(c.nInner ?? 4 * c.nEmbd, c);
  }
  forward(x: Tensor, past: KVCache | null = null): [Tensor, KVCache] {
    const [a, present] = this.attn.call(this.ln_1.call(x), past);
    const h = add(x, a);
    return [add(h, this.mlp.call(this.ln_2.call(h))), present];
  }
}

/** The transformer body (HF's GPT2Model): embeddings, blocks, final LayerNorm. */
export class GPT2Model extends Module {
  declare wte: Embedding;
  declare wpe: Embedding;
  declare drop: Dropout;
  declare h: ModuleList<GPT2Block>;
  declare ln_f: LayerNorm;
  readonly config: GPT2Config;
  constructor(c: GPT2Config) {
    super();
    this.config = c;
    this.wte = new Embedding(c.vocabSize, c.nEmbd);
    this.wpe = new Embedding(c.nPositions, c.nEmbd);
    this.drop = new Dropout(c.embdPdrop);
    this.h = new ModuleList(Array.from({ length: c.nLayer }, () => new GPT2Block(c)));
    this.ln_f = new LayerNorm(c.nEmbd, { eps: c.layerNormEpsilon });
    hfInitWeights(this, c);
  }

  /** inputIds [B, T] (int64) after `past` positions → [hidden [B, T, E], per-layer caches]. */
  forward(inputIds: Tensor, past: KVCache[] | null = null): [Tensor, KVCache[]] {
    if (inputIds.ndim !== 2) throw new ShapeError(`GPT2Model: inputIds must be [batch, seq] int64, got shape ${fmt(inputIds.shape)}`);
    if (inputIds.dtype !== 'int64' && inputIds.dtype !== 'int32') throw new ArgumentError(`GPT2Model: inputIds must be int64 token ids, got ${inputIds.dtype} (pass { dtype: 'int64' })`);
    if (past && past.length !== this.h.length) throw new ArgumentError(`GPT2Model: past has ${past.length} layers, the model ${this.h.length}`);
    const T = inputIds.shape[1];
    const P = past ? past[0][0].shape[2] : 0;
    if (P + T > this.config.nPositions) {
      throw new ShapeError(`GPT2Model: ${P + T} positions (${P} cached + ${T} new) exceed nPositions = ${this.config.nPositions}`);
    }
    const pos = unsqueeze(arange(P, P + T, 1, { dtype: 'int64', device: inputIds.device }), 0);
    let x = this.drop.call(add(this.wte.call(inputIds), this.wpe.call(pos)));
    const presents: KVCache[] = [];
    for (const [i, block] of [...this.h].entries()) {
      const [y, kv] = block.call(x, past ? past[i] : null);
      x = y;
      presents.push(kv);
    }
    return [this.ln_f.call(x), presents];
  }
}

/** HF's GPT2LMHeadModel: the transformer and a bias-free lm_head tied to the token embedding. */
export class GPT2LMHeadModel extends Module {
  declare transformer: GPT2Model;
  declare lm_head: Linear;
  readonly config: GPT2Config;
  constructor(config: Partial<GPT2Config> = {}) {
    super();
    const c = gpt2Config(config);
    this.config = c;
    this.transformer = new GPT2Model(c);
    this.lm_head = new Linear(c.nEmbd, c.vocabSize, { bias: false });
    init.normal_(this.lm_head.weight, 0, c.initializerRange); // GPT2LMHeadModel.post_init reaches only lm_head
    this.lm_head.weight = this.transformer.wte.weight;          // tie_weights
  }

  /** Logits [B, T, vocabSize] for inputIds [B, T] (int64). */
  forward(inputIds: Tensor): Tensor { return this.forwardWithPast(inputIds, null).logits; }

  /**
   * Load a GPT-2 checkpoint as the Hugging Face hub stores it (`model.safetensors` of openai-community/gpt2):
   * keys without the `transformer.` prefix (GPT2Model's), the old `attn.bias` / `attn.masked_bias` mask buffers, and
   * no `lm_head.weight` (tied). Those differences are mapped; everything else must match (strict).
   */
  loadHfStateDict(stateDict: Map<string, Tensor>): void {
    if (!(stateDict instanceof Map)) throw new ArgumentError(`GPT2LMHeadModel.loadHfStateDict: expected a Map of tensors (torch.load's result), got ${typeof stateDict}`);
    const sd = new Map<string, Tensor>();
    for (const [k, v] of stateDict) {
      if (/(^|\.)attn\.(bias|masked_bias)$/.test(k)) continue;
      sd.set(k.startsWith('transformer.') || k === 'lm_head.weight' ? k : `transformer.${k}`, v);
    }
    if (!sd.has('lm_head.weight') && sd.has('transformer.wte.weight')) sd.set('lm_head.weight', sd.get('transformer.wte.weight')!);
    this.loadStateDict(sd, { strict: true });
  }

  /** Greedy or sampled continuation of inputIds (see generate.ts): prompt + new tokens, int64. */
  generate(inputIds: Tensor, opts: GenerateOpts = {}): Tensor { return generate(this, inputIds, opts); }

  /** Logits for inputIds after the cached positions, and the caches including them (for generation). */
  forwardWithPast(inputIds: Tensor, past: KVCache[] | null): { logits: Tensor; presents: KVCache[] } {
    const [h, presents] = this.transformer.call(inputIds, past);
    return { logits: this.lm_head.call(h), presents };
  }
}

/**
 * GPT2PreTrainedModel._init_weights over module.apply's order (children before parents): Embedding and Conv1D
 * N(0, range), Conv1D bias 0, LayerNorm weight 1 and bias 0; visiting a module with a direct child named c_proj
 * redraws that child's weight N(0, range / sqrt(2 nLayer)).
 */
function hfInitWeights(root: Module, c: GPT2Config): void {
  const visit = (m: Module) => {
    for (const ch of m.children()) visit(ch);
    if (m instanceof Embedding) init.normal_(m.weight, 0, c.initializerRange);
    else if (m instanceof Conv1D) { init.normal_(m.weight, 0, c.initializerRange); init.zeros_(m.bias); }
    else if (m instanceof LayerNorm) { init.zeros_(m.bias!); init.ones_(m.weight!); }
    const proj = m.namedChildren().find(([name]) => name === 'c_proj')?.[1];
    if (proj instanceof Conv1D) init.normal_(proj.weight, 0, c.initializerRange / Math.sqrt(2 * c.nLayer));
  };
  visit(root);
}
