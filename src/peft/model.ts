/**
 * @file `getPeftModel(model, config)`: PEFT's PeftModel → LoraModel → the user's model, so state-dict keys read
 * `base_model.model.<path>...` as in PEFT. Targets are found and wrapped in named-module order (PEFT's
 * inject_adapter), everything but the adapters is frozen (bias 'all' / 'lora_only' unfreeze biases),
 * modulesToSave get a trainable copy beside the frozen original (PEFT's ModulesToSaveWrapper).
 */
import { Module } from '../nn/module.js';
import { Parameter, Buffer } from '../nn/parameter.js';
import { ModuleDict } from '../nn/containers.js';
import { Linear } from '../nn/modules/index.js';
import { clone } from '../ops/movement.js';
import { noGrad } from '../autograd/grad-mode.js';
import { ArgumentError, checkString, describeValue } from '../core/args.js';
import { Conv1D, GPT2LMHeadModel } from '../text/gpt2.js';
import { LoraConfig } from './config.js';
import { LORA_INTERNAL_NAMES, LoraLayer, createLoraLayer } from './layer.js';

/** A trainable copy of a module beside its frozen original; forward runs the active adapter's copy. */
export class ModulesToSaveWrapper extends Module {
  declare original_module: Module;
  declare modules_to_save: ModuleDict;
  activeAdapter = 'default';
  disableAdapters = false;
  constructor(original: Module, adapterName: string) {
    super();
    this.original_module = original;
    this.modules_to_save = new ModuleDict();
    original.requiresGrad_(false);
    this.addAdapter(adapterName);
  }
  addAdapter(name: string): void {
    const copy = deepCopyModule(this.original_module);
    copy.requiresGrad_(true);
    this.modules_to_save.set(name, copy);
  }
  setAdapter(name: string): void {
    for (const [k, m] of this.modules_to_save.items()) m.requiresGrad_(k === name);
    this.activeAdapter = name;
  }
  /** The module forward runs: the active copy, or the original when adapters are disabled. */
  activeModule(): Module {
    return this.disableAdapters || !this.modules_to_save.has(this.activeAdapter) ? this.original_module : this.modules_to_save.get(this.activeAdapter);
  }
  forward(...args: unknown[]): unknown { return (this.activeModule() as unknown as { call(...a: unknown[]): unknown }).call(...args); }
}

/**
 * A copy of a module: same class (its constructor is not rerun), plain fields copied, parameters and buffers
 * cloned (same requiresGrad), children copied recursively. Ties inside the module stay ties in the copy.
 */
export function deepCopyModule<M extends Module>(m: M, memo = new Map<object, unknown>()): M {
  if (memo.has(m)) return memo.get(m) as M;
  const copy = Reflect.construct(Module, [], m.constructor) as M;
  memo.set(m, copy);
  const raw = copy as unknown as Record<string, unknown>;
  for (const k of Object.keys(m)) {
    if (k.startsWith('_')) continue;
    const v = (m as unknown as Record<string, unknown>)[k];
    raw[k] = Array.isArray(v) ? [...v as unknown[]] : v;
  }
  copy.training = m.training;
  const t = (x: Parameter) => {
    if (!memo.has(x)) memo.set(x, new Parameter(noGrad(() => clone(x)), x.requiresGrad));
    return memo.get(x) as Parameter;
  };
  for (const [k, p] of m._parameters) copy.registerParameter(k, p ? t(p) : null);
  for (const [k, b] of m._buffers) {
    if (b && !memo.has(b)) memo.set(b, noGrad(() => clone(b)));
    copy.registerBuffer(k, b ? memo.get(b) as Buffer : null, { persistent: !m._nonPersistentBuffers.has(k) });
  }
  for (const [k, c] of m._modules) copy.registerModule(k, c ? deepCopyModule(c, memo) : null);
  return copy;
}

/** PEFT's LoraModel: holds the user's model as `model` and injects the LoRA layers into it. */
export class LoraModel extends Module {
  declare model: Module;
  constructor(model: Module) {
    super();
    this.model = model;
  }
  forward(...args: unknown[]): unknown { return (this.model as unknown as { call(...a: unknown[]): unknown }).call(...args); }

  /** The LoRA layers with their paths (relative to `model`). */
  loraLayers(): [string, LoraLayer][] {
    return this.model.namedModules().filter((e): e is [string, LoraLayer] => e[1] instanceof LoraLayer);
  }
  /** The modulesToSave wrappers with their paths. */
  savedModules(): [string, ModulesToSaveWrapper][] {
    return this.model.namedModules().filter((e): e is [string, ModulesToSaveWrapper] => e[1] instanceof ModulesToSaveWrapper);
  }

  /** Wrap every target of `config` (or add the adapter to an existing LoRA layer); returns the paths wrapped. */
  injectAdapter(name: string, config: LoraConfig, active: string = name): string[] {
    const targets = resolveTargets(this.model, config);
    const hit: string[] = [];
    const warned = new Set<string>();
    const warnOnce = (msg: string) => { if (!warned.has(msg)) { warned.add(msg); console.warn(msg); } };
    for (const [path, mod] of this.model.namedModules()) {
      if (path === '' || isInternal(path) || !matches(path, targets)) continue;
      if (mod instanceof LoraLayer) { mod.updateLayer(name, config); hit.push(path); continue; }
      if (mod instanceof ModulesToSaveWrapper) continue;
      if (mod instanceof Linear && config.fanInFanOut) {
        warnOnce('getPeftModel: fanInFanOut is true but the target module is nn.Linear (weight [out, in]); using fanInFanOut = false for it, as PEFT does');
      } else if (mod instanceof Conv1D && !config.fanInFanOut) {
        warnOnce("getPeftModel: fanInFanOut is false but the target module is GPT-2's Conv1D (weight [in, out]); using fanInFanOut = true for it, as PEFT does");
        config.fanInFanOut = true;
      }
      const layer = createLoraLayer(mod, name, config);
      if (!layer) {
        throw new ArgumentError(`getPeftModel: target module '${path}' is a ${mod._getName()}, which LoRA does not support; supported: nn.Linear, nn.Embedding, nn.Conv2d and GPT-2's Conv1D (change targetModules)`);
      }
      layer.setAdapter(active);
      replaceModule(this.model, path, layer);
      hit.push(path);
    }
    if (hit.length === 0) {
      const names = this.model.namedModules().slice(1, 6).map(([p]) => `'${p}'`);
      throw new ArgumentError(`getPeftModel: target modules ${JSON.stringify(config.targetModules ?? targets)} not found in the base model; ` +
        (names.length ? `module names are e.g. ${names.join(', ')} (check targetModules)` : 'the model has no submodules (LoRA wraps layers inside a model, not the model itself: put it in an nn.Sequential)'));
    }
    for (const mName of config.modulesToSave ?? []) {
      let found = false;
      for (const [path, mod] of this.model.namedModules()) {
        if (path === '' || isInternal(path) || !(path === mName || path.endsWith(`.${mName}`))) continue;
        found = true;
        if (mod instanceof ModulesToSaveWrapper) { if (!mod.modules_to_save.has(name)) mod.addAdapter(name); continue; }
        const w = new ModulesToSaveWrapper(mod, name);
        w.activeAdapter = active;
        replaceModule(this.model, path, w);
      }
      if (!found) throw new ArgumentError(`getPeftModel: modulesToSave entry '${mName}' matches no module of the model`);
    }
    return hit;
  }

  /** PEFT's _mark_only_adapters_as_trainable for the active adapter, then its bias option. */
  markOnlyAdaptersAsTrainable(config: LoraConfig): void {
    for (const [n, p] of this.model.namedParameters()) if (!n.includes('lora_')) p.requiresGrad_(false);
    if (config.bias === 'all') {
      for (const [n, p] of this.model.namedParameters()) if (n.includes('bias')) p.requiresGrad_(true);
    } else if (config.bias === 'lora_only') {
      for (const [, l] of this.loraLayers()) {
        const b = (l.base_layer as unknown as { bias?: Parameter | null }).bias;
        if (b) b.requiresGrad_(true);
      }
    }
    for (const [, w] of this.savedModules()) w.setAdapter(w.activeAdapter);
  }
}

/** Whether a module path lies inside a LoRA layer's or a ModulesToSaveWrapper's own children. */
function isInternal(path: string): boolean {
  return path.split('.').some((s) => LORA_INTERNAL_NAMES.has(s) || s === 'original_module' || s === 'modules_to_save');
}

type Targets = { regex: RegExp } | { names: string[] };

function resolveTargets(model: Module, config: LoraConfig): Targets {
  const t = config.targetModules;
  if (t === null) {
    if (model instanceof GPT2LMHeadModel) return { names: ['c_attn'] }; // PEFT's default for model_type gpt2
    throw new ArgumentError('getPeftModel: targetModules is null and torchlet knows no default for this model; set LoraConfig({ targetModules: [...] }) to the names of the layers to adapt');
  }
  if (t === 'all-linear') {
    const out = model instanceof GPT2LMHeadModel || model._modules.get('lm_head') instanceof Linear ? 'lm_head' : null;
    const names = new Set<string>();
    for (const [path, m] of model.namedModules()) {
      if (path && (m instanceof Linear || m instanceof Conv1D) && !isInternal(path)) names.add(path.split('.').pop()!);
    }
    if (out) names.delete(out);
    return { names: [...names] };
  }
  if (typeof t === 'string') return { regex: new RegExp(`^(?:${t})$`) };
  return { names: t };
}

function matches(path: string, t: Targets): boolean {
  if ('regex' in t) return t.regex.test(path);
  return t.names.some((n) => path === n || path.endsWith(`.${n}`));
}

function replaceModule(root: Module, path: string, replacement: Module): void {
  const parts = path.split('.');
  const parent = parts.length === 1 ? root : root.getSubmodule(parts.slice(0, -1).join('.'));
  parent.registerModule(parts[parts.length - 1], replacement);
}

/** Checks an adapter name (a ModuleDict key: no dots). */
export function checkAdapterName(fn: string, name: unknown): string {
  checkString(fn, 'adapterName', name);
  if (name === '' || (name as string).includes('.')) throw new ArgumentError(`${fn}: adapterName must be a non-empty name without dots, got ${describeValue(name)}`);
  return name as string;
}
