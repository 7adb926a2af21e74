/**
 * @file PEFT's LoRA layers: a wrapper around the original layer (`base_layer`, frozen) with per-adapter
 * `lora_A` / `lora_B` (ModuleDicts of Linear or Conv2d without bias; for an Embedding the ParameterDicts
 * `lora_embedding_A` / `lora_embedding_B`), `lora_dropout`, and `scaling` = loraAlpha / r. The module tree, the
 * parameter names and the order of the random draws are PEFT's (`peft.tuners.lora.layer`): creating
 * `lora_A` and `lora_B` draws their nn.Linear / nn.Conv2d default init, then `reset_lora_parameters` redraws A
 * (kaiming-uniform with a = √5, or N(0, 1/r) for 'gaussian') and zeroes B; for an Embedding both matrices are
 * drawn with randn, then A is zeroed and B redrawn N(0, 1). So a seed gives PEFT's initial adapter.
 */
import { Module } from '../nn/module.js';
import { Parameter } from '../nn/parameter.js';
import { ModuleDict, ParameterDict } from '../nn/containers.js';
import { Conv2d, Dropout, Embedding, Identity, Linear } from '../nn/modules/index.js';
import * as init from '../nn/init.js';
import * as F from '../nn/functional/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { noGrad } from '../autograd/grad-mode.js';
import { randn } from '../ops/creation.js';
import { ArgumentError } from '../core/args.js';
import { Conv1D } from '../text/gpt2.js';
import type { LoraConfig } from './config.js';

/** Names of the adapter-holding children of a LoRA layer (never targets themselves). */
export const ADAPTER_LAYER_NAMES = ['lora_A', 'lora_B', 'lora_embedding_A', 'lora_embedding_B'] as const;
export const LORA_INTERNAL_NAMES = new Set(['base_layer', 'lora_dropout', ...ADAPTER_LAYER_NAMES, 'lora_magnitude_vector']);

/** What every LoRA layer shares (PEFT's LoraLayer). */
export abstract class LoraLayer extends Module {
  declare base_layer: Module;
  declare lora_dropout: ModuleDict;
  declare lora_A: ModuleDict<Linear | Conv2d>;
  declare lora_B: ModuleDict<Linear | Conv2d>;
  declare lora_embedding_A: ParameterDict;
  declare lora_embedding_B: ParameterDict;
  declare lora_magnitude_vector: ModuleDict;
  /** Per adapter: rank, alpha and the factor the update is multiplied by. */
  readonly r = new Map<string, number>();
  readonly loraAlpha = new Map<string, number>();
  readonly scaling = new Map<string, number>();
  /** The adapters used in forward. */
  activeAdapters: string[] = ['default'];
  /** Adapters whose update is currently added into base_layer.weight. */
  mergedAdapters: string[] = [];
  /** True inside disableAdapter(): forward runs the base layer alone. */
  disableAdapters = false;
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(base: Module, inFeatures: number, outFeatures: number) {
    super();
    this.base_layer = base;
    this.lora_dropout = new ModuleDict();
    this.lora_A = new ModuleDict();
    this.lora_B = new ModuleDict();
    this.lora_embedding_A = new ParameterDict();
    this.lora_embedding_B = new ParameterDict();
    this.lora_magnitude_vector = new ModuleDict();
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
  }

  /** Adds (or replaces) the adapter `name` with the config's rank, alpha, dropout and init. */
  updateLayer(name: string, config: LoraConfig): void {
    this.r.set(name, config.r);
    this.loraAlpha.set(name, config.loraAlpha);
    this.lora_dropout.set(name, config.loraDropout > 0 ? new Dropout(config.loraDropout) : new Identity());
    this.createAdapter(name, config.r);
    this.scaling.set(name, config.scaling);
    if (config.initLoraWeights !== false) this.resetLoraParameters(name, config.initLoraWeights);
    this.setAdapter(this.activeAdapters);
  }

  protected abstract createAdapter(name: string, r: number): void;

  protected resetLoraParameters(name: string, how: true | 'gaussian'): void {
    if (this.lora_A.has(name)) {
      const A = this.lora_A.get(name).weight, B = this.lora_B.get(name).weight;
      if (how === true) init.kaimingUniform_(A, { a: Math.sqrt(5) });
      else init.normal_(A, { std: 1 / this.r.get(name)! });
      init.zeros_(B);
    }
    if (this.lora_embedding_A.has(name)) {
      init.zeros_(this.lora_embedding_A.get(name));
      init.normal_(this.lora_embedding_B.get(name));
    }
  }

  /** The adapter names this layer holds. */
  adapterNames(): string[] { return [...this.r.keys()]; }

  /** Make `names` the active adapters: only their parameters require grad (PEFT's set_adapter). */
  setAdapter(names: string | string[]): void {
    const list = typeof names === 'string' ? [names] : [...names];
    for (const dictName of ADAPTER_LAYER_NAMES) {
      const dict = this[dictName] as Module;
      for (const [k, v] of dictName.startsWith('lora_embedding') ? dict._parameters : dict._modules) {
        const on = list.includes(k);
        if (v instanceof Parameter) v.requiresGrad_(on);
        else if (v) v.requiresGrad_(on);
      }
    }
    this.activeAdapters = list;
  }

  /** Remove an adapter's tensors from this layer. */
  deleteAdapter(name: string): void {
    for (const d of [this.lora_A, this.lora_B, this.lora_dropout]) if (d.has(name)) d.delete(name);
    for (const d of [this.lora_embedding_A, this.lora_embedding_B]) if (d.has(name)) d.delete(name);
    this.r.delete(name); this.loraAlpha.delete(name); this.scaling.delete(name);
    this.activeAdapters = this.activeAdapters.filter((a) => a !== name);
  }

  /** The update an adapter adds to base_layer.weight (same shape as that weight). */
  abstract getDeltaWeight(name: string): Tensor;

  get merged(): boolean { return this.mergedAdapters.length > 0; }

  /** Add the active adapters' updates into base_layer.weight (PEFT's merge). */
  merge(adapterNames: string[] = this.activeAdapters): void {
    const w = (this.base_layer as unknown as { weight: Parameter }).weight;
    for (const a of adapterNames) {
      if (!this.r.has(a) || this.mergedAdapters.includes(a)) continue;
      noGrad(() => { w.add_(this.getDeltaWeight(a)); });
      this.mergedAdapters.push(a);
    }
  }

  /** Subtract the merged adapters' updates from base_layer.weight again (last merged first). */
  unmerge(): void {
    const w = (this.base_layer as unknown as { weight: Parameter }).weight;
    while (this.mergedAdapters.length) {
      const a = this.mergedAdapters.pop()!;
      if (this.r.has(a)) noGrad(() => { w.sub_(this.getDeltaWeight(a)); });
    }
  }

  /** The base layer's output, plus each active adapter's scaled low-rank update. */
  forward(x: Tensor): Tensor {
    const base = (this.base_layer as unknown as { call(x: Tensor): Tensor });
    if (this.disableAdapters) {
      if (this.merged) this.unmerge();
      return base.call(x);
    }
    if (this.merged) return base.call(x);
    let result = base.call(x);
    for (const a of this.activeAdapters) {
      if (!this.r.has(a)) continue;
      result = result.add(this.adapterOutput(a, x).mul(this.scaling.get(a)!));
    }
    return result;
  }

  protected abstract adapterOutput(name: string, x: Tensor): Tensor;

  override toString(): string { return `lora.${super.toString()}`; }
}

/** LoRA around nn.Linear, or GPT-2's Conv1D (weight stored [in, out]: fanInFanOut). */
export class LoraLinear extends LoraLayer {
  readonly fanInFanOut: boolean;
  constructor(base: Linear | Conv1D, adapterName: string, config: LoraConfig) {
    const conv1d = base instanceof Conv1D;
    const [inF, outF] = conv1d ? [base.weight.shape[0], base.weight.shape[1]] : [base.inFeatures, base.outFeatures];
    super(base, inF, outF);
    this.fanInFanOut = conv1d;
    this.updateLayer(adapterName, config);
  }
  protected createAdapter(name: string, r: number): void {
    const dev = { device: this.base_layer.parameters()[0]?.device };
    this.lora_A.set(name, new Linear(this.inFeatures, r, { bias: false, ...dev }));
    this.lora_B.set(name, new Linear(r, this.outFeatures, { bias: false, ...dev }));
  }
  getDeltaWeight(name: string): Tensor {
    const d = this.lora_B.get(name).weight.matmul(this.lora_A.get(name).weight);
    return (this.fanInFanOut ? d.transpose(0, 1) : d).mul(this.scaling.get(name)!);
  }
  protected adapterOutput(name: string, x: Tensor): Tensor {
    return this.lora_B.get(name).call(this.lora_A.get(name).call(this.lora_dropout.get(name).call(x) as Tensor));
  }
  override _getName(): string { return 'Linear'; }
}

/** LoRA around nn.Conv2d: A is a conv with the base's kernel, stride and padding; B a 1×1 conv. */
export class LoraConv2d extends LoraLayer {
  constructor(base: Conv2d, adapterName: string, config: LoraConfig) {
    if (base.groups !== 1 || base.dilation.some((d) => d !== 1)) {
      throw new ArgumentError(`getPeftModel: LoRA on a Conv2d with groups (${base.groups}) or dilation (${base.dilation.join(', ')}) other than 1 is not supported; leave it out of targetModules`);
    }
    super(base, base.inChannels, base.outChannels);
    this.updateLayer(adapterName, config);
  }
  protected createAdapter(name: string, r: number): void {
    const b = this.base_layer as Conv2d;
    const dev = b.weight.device;
    this.lora_A.set(name, new Conv2d(this.inFeatures, r, b.kernelSize, { stride: b.stride, padding: b.padding, bias: false, device: dev }));
    this.lora_B.set(name, new Conv2d(r, this.outFeatures, [1, 1], { stride: [1, 1], bias: false, device: dev }));
  }
  getDeltaWeight(name: string): Tensor {
    const A = this.lora_A.get(name).weight, B = this.lora_B.get(name).weight, s = this.scaling.get(name)!;
    if (A.shape[2] === 1 && A.shape[3] === 1) {
      return B.squeeze(3).squeeze(2).matmul(A.squeeze(3).squeeze(2)).unsqueeze(2).unsqueeze(3).mul(s);
    }
    return F.conv2d(A.permute([1, 0, 2, 3]), B).permute([1, 0, 2, 3]).mul(s);
  }
  protected adapterOutput(name: string, x: Tensor): Tensor {
    return this.lora_B.get(name).call(this.lora_A.get(name).call(this.lora_dropout.get(name).call(x) as Tensor));
  }
  override _getName(): string { return 'Conv2d'; }
}

/** LoRA around nn.Embedding: the input ids look up rows of Aᵀ ([numEmbeddings, r]), then @ Bᵀ (no dropout, as PEFT). */
export class LoraEmbedding extends LoraLayer {
  constructor(base: Embedding, adapterName: string, config: LoraConfig) {
    super(base, base.numEmbeddings, base.embeddingDim);
    this.updateLayer(adapterName, config);
  }
  protected createAdapter(name: string, r: number): void {
    const dev = (this.base_layer as Embedding).weight.device;
    this.lora_embedding_A.set(name, new Parameter(randn([r, this.inFeatures], { device: dev })));
    this.lora_embedding_B.set(name, new Parameter(randn([this.outFeatures, r], { device: dev })));
  }
  getDeltaWeight(name: string): Tensor {
    return this.lora_embedding_B.get(name).matmul(this.lora_embedding_A.get(name)).transpose(0, 1).mul(this.scaling.get(name)!);
  }
  protected adapterOutput(name: string, x: Tensor): Tensor {
    const b = this.base_layer as Embedding;
    const afterA = F.embedding(x, this.lora_embedding_A.get(name).transpose(0, 1), {
      paddingIdx: b.paddingIdx, maxNorm: b.maxNorm, normType: b.normType, scaleGradByFreq: b.scaleGradByFreq, sparse: b.sparse,
    });
    return afterA.matmul(this.lora_embedding_B.get(name).transpose(0, 1));
  }
  override _getName(): string { return 'Embedding'; }
}

/** The LoRA layer for a module, or null when LoRA has no layer for its type. */
export function createLoraLayer(target: Module, adapterName: string, config: LoraConfig): LoraLayer | null {
  if (target instanceof Linear || target instanceof Conv1D) return new LoraLinear(target, adapterName, config);
  if (target instanceof Embedding) return new LoraEmbedding(target, adapterName, config);
  if (target instanceof Conv2d) return new LoraConv2d(target, adapterName, config);
  return null;
}
