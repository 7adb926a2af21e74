/**
 * @file PeftModel: the wrapper `getPeftModel` returns (PEFT's PeftModel; its one child is `base_model`, a
 * LoraModel whose child `model` is the user's model), with PEFT's methods: printTrainableParameters,
 * merge / unmerge / mergeAndUnload, disableAdapter, addAdapter / setAdapter / deleteAdapter, and the adapter
 * files (save.ts): savePretrained / fromPretrained on Node, adapterFiles / fromAdapterFiles everywhere.
 */
import { Module } from '../nn/module.js';
import { ArgumentError, checkFunction, checkOptions } from '../core/args.js';
import { LoraConfig } from './config.js';
import { LoraLayer } from './layer.js';
import { LoraModel, ModulesToSaveWrapper, checkAdapterName } from './model.js';
import {
  adapterFiles, fromAdapterFiles, getPeftModelStateDict, loadAdapterFiles, loadOpts, readAdapterFolder, savePretrained,
  type AdapterFiles, type LoadAdapterOptions,
} from './save.js';
import type { Tensor } from '../tensor/tensor.js';

export class PeftModel extends Module {
  declare base_model: LoraModel;
  /** Each adapter's config, by adapter name. */
  readonly peftConfig = new Map<string, LoraConfig>();
  /** The adapter forward uses. */
  activeAdapter: string;

  constructor(model: Module, config: LoraConfig, adapterName = 'default') {
    super();
    if (!(model instanceof Module)) throw new ArgumentError(`getPeftModel: model must be an nn.Module, got ${typeof model}`);
    if (!(config instanceof LoraConfig)) throw new ArgumentError('getPeftModel: config must be a LoraConfig (new LoraConfig({ r, loraAlpha, targetModules, ... }))');
    checkAdapterName('getPeftModel', adapterName);
    if (model.namedModules().some(([, m]) => m instanceof LoraLayer || m instanceof PeftModel)) {
      throw new ArgumentError('getPeftModel: this model already holds LoRA layers; add another adapter with peftModel.addAdapter(name, config)');
    }
    this.base_model = new LoraModel(model);
    this.activeAdapter = adapterName;
    this.peftConfig.set(adapterName, config);
    this.base_model.injectAdapter(adapterName, config);
    this.base_model.markOnlyAdaptersAsTrainable(config);
    if (config.inferenceMode) this.freezeAdapter(adapterName);
  }

  /** Forward through the wrapped model (whose targeted layers now carry the adapters). */
  forward(...args: unknown[]): unknown { return this.base_model.call(...args); }

  /** The user's model, with the LoRA layers inside it (PEFT's get_base_model). */
  getBaseModel(): Module { return this.base_model.model; }

  /** The config of the active adapter. */
  get activePeftConfig(): LoraConfig { return this.peftConfig.get(this.activeAdapter)!; }

  /** [trainable parameters, all parameters], each tied tensor counted once (PEFT's get_nb_trainable_parameters). */
  getNbTrainableParameters(): [number, number] {
    let trainable = 0, all = 0;
    for (const p of this.parameters()) { all += p.numel(); if (p.requiresGrad) trainable += p.numel(); }
    return [trainable, all];
  }

  /** PEFT's line, e.g. "trainable params: 73,728 || all params: 124,513,536 || trainable%: 0.0592"; printed and returned. */
  printTrainableParameters(): string {
    const [t, a] = this.getNbTrainableParameters();
    const n = (x: number) => x.toLocaleString('en-US');
    const line = `trainable params: ${n(t)} || all params: ${n(a)} || trainable%: ${(a ? (100 * t) / a : 0).toFixed(4)}`;
    console.log(line);
    return line;
  }

  /** Add another adapter (wrapping its targets; layers already wrapped get a second A/B pair). It is not made active. */
  addAdapter(adapterName: string, config: LoraConfig): void {
    checkAdapterName('PeftModel.addAdapter', adapterName);
    if (!(config instanceof LoraConfig)) throw new ArgumentError('PeftModel.addAdapter: config must be a LoraConfig');
    if (this.peftConfig.has(adapterName)) throw new ArgumentError(`PeftModel.addAdapter: an adapter named '${adapterName}' exists already (deleteAdapter it first)`);
    this.peftConfig.set(adapterName, config);
    try {
      this.base_model.injectAdapter(adapterName, config, this.activeAdapter);
    } catch (e) { this.peftConfig.delete(adapterName); throw e; }
    // the new adapter trains only once it is set active: keep the active one as the trainable one
    this.setAdapter(this.activeAdapter);
    if (config.inferenceMode) this.freezeAdapter(adapterName);
  }

  /** Make `adapterName` the adapter forward uses and the one that trains (PEFT's set_adapter). */
  setAdapter(adapterName: string): void {
    checkAdapterName('PeftModel.setAdapter', adapterName);
    if (!this.peftConfig.has(adapterName)) throw new ArgumentError(`PeftModel.setAdapter: no adapter named '${adapterName}' (adapters: ${[...this.peftConfig.keys()].join(', ')})`);
    for (const [, l] of this.base_model.loraLayers()) {
      if (l.merged) throw new ArgumentError('PeftModel.setAdapter: an adapter is merged into the weights; unmerge() first');
      l.setAdapter(adapterName);
    }
    for (const [, w] of this.base_model.savedModules()) w.setAdapter(adapterName);
    this.activeAdapter = adapterName;
    this.base_model.markOnlyAdaptersAsTrainable(this.activePeftConfig);
    for (const [, l] of this.base_model.loraLayers()) l.setAdapter(adapterName);
  }

  /** Remove an adapter's tensors and config (not the active one). */
  deleteAdapter(adapterName: string): void {
    if (!this.peftConfig.has(adapterName)) throw new ArgumentError(`PeftModel.deleteAdapter: no adapter named '${adapterName}'`);
    if (adapterName === this.activeAdapter) throw new ArgumentError(`PeftModel.deleteAdapter: '${adapterName}' is the active adapter; setAdapter(another) first`);
    for (const [, l] of this.base_model.loraLayers()) l.deleteAdapter(adapterName);
    for (const [, w] of this.base_model.savedModules()) if (w.modules_to_save.has(adapterName)) w.modules_to_save.delete(adapterName);
    this.peftConfig.delete(adapterName);
  }

  /** Freeze an adapter's tensors (inference mode). */
  private freezeAdapter(adapterName: string): void {
    for (const [n, p] of this.namedParameters()) if (n.includes(`.${adapterName}.`) || n.endsWith(`.${adapterName}`)) p.requiresGrad_(false);
  }

  /** Add the active adapter's update into each wrapped layer's weight: forward then costs what the base model costs. */
  merge(opts: { adapterNames?: string[] } = {}): void {
    const o = checkOptions<{ adapterNames: string[] }>('PeftModel.merge', opts, ['adapterNames']);
    const names = o.adapterNames ?? [this.activeAdapter];
    for (const a of names) if (!this.peftConfig.has(a)) throw new ArgumentError(`PeftModel.merge: no adapter named '${a}'`);
    for (const [, l] of this.base_model.loraLayers()) l.merge(names);
  }

  /** Subtract the merged updates again (the weights come back within float32 rounding). */
  unmerge(): void { for (const [, l] of this.base_model.loraLayers()) l.unmerge(); }

  /**
   * Merge the active adapter into the weights and take the LoRA layers out: returns the user's model with each
   * wrapped layer replaced by its base layer (and each modulesToSave wrapper by its trained copy).
   */
  mergeAndUnload(): Module { return this.unload(true); }

  /** Take the LoRA layers out without merging: the user's model as it was. */
  unload(merge = false): Module {
    const root = this.base_model.model;
    for (const [path, l] of this.base_model.loraLayers()) {
      if (merge) l.merge([this.activeAdapter]);
      setChild(root, path, l.base_layer);
    }
    for (const [path, w] of this.base_model.savedModules()) setChild(root, path, merge ? w.activeModule() : w.original_module);
    return root;
  }

  /** The adapter's tensors under PEFT's saved keys (adapter name removed): what adapter_model.safetensors holds. */
  adapterStateDict(adapterName = this.activeAdapter): Map<string, Tensor> { return getPeftModelStateDict(this, adapterName); }

  /** adapter_model.safetensors (bytes) and adapter_config.json (text) in memory: the browser's savePretrained. */
  adapterFiles(adapterName = this.activeAdapter): AdapterFiles { return adapterFiles(this, adapterName); }

  /** Node: write adapter_model.safetensors and adapter_config.json into dir (dir/<name>/ for adapters other than 'default'); returns the folder. */
  async savePretrained(dir: string, opts: { adapterName?: string } = {}): Promise<string> { return savePretrained(this, dir, opts); }

  /** Add an adapter from its files in memory under opts.adapterName (PEFT's load_adapter). */
  loadAdapterFiles(files: AdapterFiles, opts: LoadAdapterOptions = {}): void { loadAdapterFiles(this, files, opts); }

  /** Node: add the adapter saved in dir under opts.adapterName (PEFT's load_adapter). */
  async loadAdapter(dir: string, opts: LoadAdapterOptions = {}): Promise<void> {
    loadOpts('PeftModel.loadAdapter', opts);
    loadAdapterFiles(this, await readAdapterFolder('PeftModel.loadAdapter', dir), opts);
  }

  /** Wrap `model` with the adapter in `files` (what adapterFiles() returned, or the two files read by the user). */
  static fromAdapterFiles(model: Module, files: AdapterFiles, opts: LoadAdapterOptions = {}): PeftModel { return fromAdapterFiles(PeftModel, model, files, opts); }

  /** Node: wrap `model` with the adapter saved in `dir` (PEFT's PeftModel.from_pretrained; frozen unless isTrainable). */
  static async fromPretrained(model: Module, dir: string, opts: LoadAdapterOptions = {}): Promise<PeftModel> {
    loadOpts('PeftModel.fromPretrained', opts);
    return fromAdapterFiles(PeftModel, model, await readAdapterFolder('PeftModel.fromPretrained', dir), opts);
  }

  /**
   * Run `fn` with every adapter switched off (the base model's output); adapters are back on afterwards, also when
   * fn throws. A merged adapter is unmerged first (as PEFT's disable_adapter).
   */
  disableAdapter<T>(fn: () => T): T {
    checkFunction('PeftModel.disableAdapter', 'fn', fn);
    const layers = [...this.base_model.loraLayers().map(([, l]) => l), ...this.base_model.savedModules().map(([, w]) => w)];
    for (const l of layers) {
      if (l instanceof LoraLayer && l.merged) l.unmerge();
      l.disableAdapters = true;
    }
    try {
      const r = fn();
      if (r instanceof Promise) throw new ArgumentError('PeftModel.disableAdapter: fn returned a Promise; pass a synchronous function (await inside it would run after the adapters are back on)');
      return r;
    } finally {
      for (const l of layers) l.disableAdapters = false;
    }
  }
}

function setChild(root: Module, path: string, m: Module): void {
  const parts = path.split('.');
  const parent = parts.length === 1 ? root : root.getSubmodule(parts.slice(0, -1).join('.'));
  parent.registerModule(parts[parts.length - 1], m);
}

export type { ModulesToSaveWrapper };
