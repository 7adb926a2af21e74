/**
 * @file Adapters in PEFT's files. `adapter_model.safetensors` holds only the adapter's tensors under PEFT's keys:
 * the model's key with the adapter name taken out (`base_model.model.<path>.lora_A.weight`,
 * `...lora_embedding_A`, a modulesToSave copy as `base_model.model.<path>.<param>`, and biases when bias is 'all' or
 * 'lora_only'), header metadata {"format": "pt"} as PEFT writes it. `adapter_config.json` holds the LoraConfig
 * with PEFT's snake_case fields. Loading inserts the adapter name back (PEFT's set_peft_model_state_dict) and
 * refuses files that miss an adapter tensor or hold a tensor the model has no place for.
 */
import type { Tensor } from '../tensor/tensor.js';
import { saveBytes, loadBytes } from '../io/serialization.js';
import { SerializationError } from '../core/errors.js';
import { ArgumentError, checkOptions, describeValue } from '../core/args.js';
import type { Module } from '../nn/module.js';
import { LoraConfig } from './config.js';
import { checkAdapterName } from './model.js';
import type { PeftModel } from './peft-model.js';

export const ADAPTER_WEIGHTS_NAME = 'adapter_model.safetensors';
export const ADAPTER_CONFIG_NAME = 'adapter_config.json';

/** The adapter's tensors under PEFT's saved keys (PEFT's get_peft_model_state_dict). */
export function getPeftModelStateDict(model: PeftModel, adapterName = model.activeAdapter): Map<string, Tensor> {
  checkAdapterName('getPeftModelStateDict', adapterName);
  const config = model.peftConfig.get(adapterName);
  if (!config) throw new ArgumentError(`getPeftModelStateDict: no adapter named '${adapterName}' (adapters: ${[...model.peftConfig.keys()].join(', ')})`);
  const others = [...model.peftConfig.keys()].filter((n) => n !== adapterName);
  const sd = new Map([...model.stateDict()].filter(([k]) => !others.some((o) => k.includes(`.${o}.`) || k.endsWith(`.${o}`))));
  const wrappers = model.base_model.savedModules().map(([p]) => `base_model.model.${p}`);
  const out = new Map<string, Tensor>();
  for (const [k, v] of sd) {
    if (wrappers.some((w) => k.startsWith(`${w}.`))) continue;
    const isBias = k.endsWith('bias');
    if (k.includes('lora_')) out.set(k, v);
    else if (config.bias === 'all' && isBias) out.set(k, v);
    else if (config.bias === 'lora_only' && isBias && k.endsWith('.base_layer.bias')) out.set(k, v);
  }
  for (const w of wrappers) {
    const prefix = `${w}.modules_to_save.${adapterName}.`;
    for (const [k, v] of sd) if (k.startsWith(prefix)) out.set(`${w}.${k.slice(prefix.length)}`, v);
  }
  const renamed = new Map<string, Tensor>();
  for (const [k, v] of out) renamed.set(removeAdapterName(k, adapterName), v);
  return renamed;
}

function removeAdapterName(key: string, name: string): string {
  if (key.endsWith(`.${name}`)) return key.slice(0, -name.length - 1);
  const dot = key.lastIndexOf('.');
  const head = key.slice(0, dot), suffix = key.slice(dot + 1);
  return head.endsWith(`.${name}`) ? `${head.slice(0, -name.length - 1)}.${suffix}` : key;
}

/** Load PEFT-keyed adapter tensors into the adapter `adapterName` (PEFT's set_peft_model_state_dict, strict). */
export function setPeftModelStateDict(model: PeftModel, state: Map<string, Tensor>, adapterName = model.activeAdapter): void {
  if (!(state instanceof Map)) throw new ArgumentError(`setPeftModelStateDict: expected a Map of tensors, got ${describeValue(state)}`);
  const wrappers = model.base_model.savedModules().map(([p]) => `base_model.model.${p}`);
  const mapped = new Map<string, Tensor>();
  for (const [k, v] of state) {
    const w = wrappers.find((p) => k.startsWith(`${p}.`));
    if (w) { mapped.set(`${w}.modules_to_save.${adapterName}.${k.slice(w.length + 1)}`, v); continue; }
    mapped.set(k.includes('lora_') ? insertAdapterName(k, adapterName) : k, v);
  }
  const own = new Map(model.stateDict());
  const unexpected = [...mapped.keys()].filter((k) => !own.has(k));
  if (unexpected.length) {
    throw new SerializationError(`loading adapter '${adapterName}': ${unexpected.length} tensor(s) have no place in the model, e.g. ${unexpected.slice(0, 3).join(', ')} ` +
      '(was the adapter trained on another architecture, or with other targetModules?)');
  }
  const expected = getPeftModelStateDict(model, adapterName);
  const missing = [...expected.keys()].filter((k) => !state.has(k));
  if (missing.length) throw new SerializationError(`loading adapter '${adapterName}': the file lacks ${missing.length} adapter tensor(s), e.g. ${missing.slice(0, 3).join(', ')}`);
  model.loadStateDict(mapped, { strict: false });
}

function insertAdapterName(key: string, name: string): string {
  const i = key.lastIndexOf('lora_');
  const suffix = key.slice(i);
  const dot = suffix.indexOf('.');
  if (dot < 0) return `${key}.${name}`;                         // a Parameter: lora_embedding_A → lora_embedding_A.default
  if (suffix.slice(dot + 1).includes('.')) return key;          // a module whose name merely contains 'lora_'
  return `${key.slice(0, i)}${suffix.slice(0, dot)}.${name}${suffix.slice(dot)}`; // lora_A.weight → lora_A.default.weight
}

/** The two files of an adapter, in memory (for the browser: download them, or keep them in IndexedDB). */
export interface AdapterFiles { 'adapter_model.safetensors': Uint8Array; 'adapter_config.json': string }

export function adapterFiles(model: PeftModel, adapterName = model.activeAdapter): AdapterFiles {
  const sd = getPeftModelStateDict(model, adapterName);
  const config = model.peftConfig.get(adapterName)!;
  return {
    [ADAPTER_WEIGHTS_NAME]: saveBytes(sd, { format: 'safetensors', metadata: { format: 'pt' } }),
    [ADAPTER_CONFIG_NAME]: config.toJSONString(),
  };
}

export interface LoadAdapterOptions {
  /** The name the adapter gets in the model (default 'default'). */
  adapterName?: string;
  /** Keep the adapter trainable (default false: frozen, model in eval mode, as PEFT's from_pretrained). */
  isTrainable?: boolean;
}

export function loadOpts(fn: string, opts: unknown): { adapterName: string; isTrainable: boolean } {
  const o = checkOptions<LoadAdapterOptions>(fn, opts, ['adapterName', 'isTrainable']);
  const adapterName = checkAdapterName(fn, o.adapterName ?? 'default');
  if (o.isTrainable !== undefined && typeof o.isTrainable !== 'boolean') throw new ArgumentError(`${fn}: isTrainable must be true or false, got ${describeValue(o.isTrainable)}`);
  return { adapterName, isTrainable: o.isTrainable ?? false };
}

function parseFiles(fn: string, files: unknown): [LoraConfig, Map<string, Tensor>] {
  const f = files as Partial<Record<string, unknown>> | null;
  if (!f || typeof f !== 'object' || !(f[ADAPTER_WEIGHTS_NAME] instanceof Uint8Array) || f[ADAPTER_CONFIG_NAME] === undefined) {
    throw new ArgumentError(`${fn}: expected { '${ADAPTER_WEIGHTS_NAME}': Uint8Array, '${ADAPTER_CONFIG_NAME}': string } (what adapterFiles() returns), got ${describeValue(files)}`);
  }
  const config = LoraConfig.fromJSON(f[ADAPTER_CONFIG_NAME] as string | Record<string, unknown>);
  const sd = loadBytes(f[ADAPTER_WEIGHTS_NAME], { name: ADAPTER_WEIGHTS_NAME }) as Map<string, Tensor>;
  return [config, sd];
}

/**
 * Wrap `model` with the adapter in `files` (PEFT's PeftModel.from_pretrained, from bytes). `Peft` is the PeftModel
 * class, passed in by its static method (save.ts knows PeftModel as a type only: no import cycle).
 */
export function fromAdapterFiles(
  Peft: new (model: Module, config: LoraConfig, adapterName: string) => PeftModel, model: Module, files: AdapterFiles,
  opts: LoadAdapterOptions = {},
): PeftModel {
  const o = loadOpts('PeftModel.fromAdapterFiles', opts);
  const [config, sd] = parseFiles('PeftModel.fromAdapterFiles', files);
  const peft = new Peft(model, config.with({ inferenceMode: !o.isTrainable }), o.adapterName);
  setPeftModelStateDict(peft, sd, o.adapterName);
  if (!o.isTrainable) peft.eval();
  return peft;
}

/** Add the adapter in `files` to an existing PeftModel under a new name (PEFT's load_adapter). */
export function loadAdapterFiles(peft: PeftModel, files: AdapterFiles, opts: LoadAdapterOptions = {}): void {
  const o = loadOpts('PeftModel.loadAdapterFiles', opts);
  const [config, sd] = parseFiles('PeftModel.loadAdapterFiles', files);
  peft.addAdapter(o.adapterName, config.with({ inferenceMode: !o.isTrainable }));
  setPeftModelStateDict(peft, sd, o.adapterName);
}

// Node's file system, behind a computed specifier so browser bundles never pull it in.
const NODE_FS = 'node:fs';
const NODE_PATH = 'node:path';
/** The few node:fs / node:path functions used here (so no declaration of this module names Node's types). */
interface NodeFs {
  mkdirSync(p: string, o: { recursive: boolean }): unknown;
  writeFileSync(p: string, d: Uint8Array | string): void;
  readFileSync(p: string): Uint8Array;
  readFileSync(p: string, enc: 'utf8'): string;
  existsSync(p: string): boolean;
}
interface NodePath { join(...parts: string[]): string }
async function nodeFs(fn: string): Promise<[NodeFs, NodePath]> {
  if (!(globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node) {
    throw new SerializationError(`${fn}: folders need Node.js; in the browser use adapterFiles() / PeftModel.fromAdapterFiles(model, files)`);
  }
  return [await import(/* @vite-ignore */ NODE_FS) as NodeFs, await import(/* @vite-ignore */ NODE_PATH) as NodePath];
}

/** Write adapter_model.safetensors and adapter_config.json into `dir` (an adapter other than 'default' into dir/<name>/, as PEFT). */
export async function savePretrained(model: PeftModel, dir: string, opts: { adapterName?: string } = {}): Promise<string> {
  const o = checkOptions<{ adapterName: string }>('PeftModel.savePretrained', opts, ['adapterName']);
  if (typeof dir !== 'string' || dir === '') throw new ArgumentError(`PeftModel.savePretrained: dir must be a folder path, got ${describeValue(dir)}`);
  const name = checkAdapterName('PeftModel.savePretrained', o.adapterName ?? model.activeAdapter);
  const [fs, path] = await nodeFs('PeftModel.savePretrained');
  const out = name === 'default' ? dir : path.join(dir, name);
  fs.mkdirSync(out, { recursive: true });
  const files = adapterFiles(model, name);
  fs.writeFileSync(path.join(out, ADAPTER_WEIGHTS_NAME), files[ADAPTER_WEIGHTS_NAME]);
  fs.writeFileSync(path.join(out, ADAPTER_CONFIG_NAME), files[ADAPTER_CONFIG_NAME]);
  return out;
}

/** Read the two adapter files of a folder. */
export async function readAdapterFolder(fn: string, dir: string): Promise<AdapterFiles> {
  if (typeof dir !== 'string' || dir === '') throw new ArgumentError(`${fn}: dir must be a folder path, got ${describeValue(dir)}`);
  const [fs, path] = await nodeFs(fn);
  for (const f of [ADAPTER_WEIGHTS_NAME, ADAPTER_CONFIG_NAME]) {
    if (!fs.existsSync(path.join(dir, f))) throw new SerializationError(`${fn}: ${path.join(dir, f)} does not exist (a PEFT adapter folder holds ${ADAPTER_WEIGHTS_NAME} and ${ADAPTER_CONFIG_NAME}; adapter_model.bin is not read: convert it to safetensors)`);
  }
  return {
    [ADAPTER_WEIGHTS_NAME]: new Uint8Array(fs.readFileSync(path.join(dir, ADAPTER_WEIGHTS_NAME))),
    [ADAPTER_CONFIG_NAME]: fs.readFileSync(path.join(dir, ADAPTER_CONFIG_NAME), 'utf8'),
  };
}
