/**
 * @file `LoraConfig`: PEFT's LoRA options in camelCase, checked, with PEFT's defaults, and its adapter_config.json
 * (PEFT's snake_case field names, written as PEFT writes them: sorted keys, two-space indent).
 */
import { ArgumentError, checkChoice, checkNumber, checkOptions, checkString, describeValue } from '../core/args.js';

export type LoraBias = 'none' | 'all' | 'lora_only';
export type InitLoraWeights = boolean | 'gaussian';

export interface LoraConfigOptions {
  /** LoRA rank (PEFT's default 8). */
  r?: number;
  /** Scaling numerator: the update is scaled by loraAlpha / r (default 8). */
  loraAlpha?: number;
  /** Dropout on the adapter's input (default 0: nn.Identity). */
  loraDropout?: number;
  /**
   * Which modules to wrap: names matched against the end of each module path (`'c_attn'` matches
   * `transformer.h.0.attn.c_attn`), a regular expression string matched against the whole path, or
   * 'all-linear' (every Linear / Conv1D except the output layer). Null: GPT-2's default (['c_attn']).
   */
  targetModules?: string | string[] | null;
  /** Which biases train: 'none' (default), 'all', or 'lora_only' (the biases of the wrapped layers). */
  bias?: LoraBias;
  /** True when the wrapped layer stores its weight [in, out] (GPT-2's Conv1D); PEFT sets it for Conv1D. */
  fanInFanOut?: boolean;
  /** true: kaiming-uniform A (a = √5), zero B; 'gaussian': A ~ N(0, 1/r), zero B; false: random A and B. */
  initLoraWeights?: InitLoraWeights;
  /** Modules trained in full beside the adapter (a copy is trained; the original is kept), e.g. ['lm_head']. */
  modulesToSave?: string[] | null;
  /** Rank-stabilized LoRA: scale by loraAlpha / √r instead of loraAlpha / r. */
  useRslora?: boolean;
  /** PEFT's task type ('CAUSAL_LM', 'SEQ_CLS', ...), recorded in adapter_config.json. */
  taskType?: string | null;
  /** Recorded in adapter_config.json (the Hub id or path of the base model). */
  baseModelNameOrPath?: string | null;
  /** Recorded in adapter_config.json; an adapter loaded with it set is frozen. */
  inferenceMode?: boolean;
}

const KEYS = ['r', 'loraAlpha', 'loraDropout', 'targetModules', 'bias', 'fanInFanOut', 'initLoraWeights', 'modulesToSave',
  'useRslora', 'taskType', 'baseModelNameOrPath', 'inferenceMode'] as const;

/** PEFT's LoraConfig: `new LoraConfig({ r: 8, loraAlpha: 16, targetModules: ['c_attn'], fanInFanOut: true })`. */
export class LoraConfig {
  readonly peftType = 'LORA' as const;
  r: number;
  loraAlpha: number;
  loraDropout: number;
  targetModules: string | string[] | null;
  bias: LoraBias;
  fanInFanOut: boolean;
  initLoraWeights: InitLoraWeights;
  modulesToSave: string[] | null;
  useRslora: boolean;
  taskType: string | null;
  baseModelNameOrPath: string | null;
  inferenceMode: boolean;

  constructor(options: LoraConfigOptions = {}) {
    const fn = 'LoraConfig';
    const o = checkOptions<LoraConfigOptions>(fn, options, KEYS);
    this.r = checkNumber(fn, 'r', o.r ?? 8, { integer: true, min: 1 });
    this.loraAlpha = checkNumber(fn, 'loraAlpha', o.loraAlpha ?? 8);
    this.loraDropout = checkNumber(fn, 'loraDropout', o.loraDropout ?? 0, { min: 0, max: 1 });
    this.targetModules = checkTargets(fn, 'targetModules', o.targetModules ?? null);
    this.bias = checkChoice(fn, 'bias', o.bias ?? 'none', ['none', 'all', 'lora_only'] as const);
    this.fanInFanOut = checkChoice(fn, 'fanInFanOut', o.fanInFanOut ?? false, [true, false]);
    this.initLoraWeights = checkChoice(fn, 'initLoraWeights', o.initLoraWeights ?? true, [true, false, 'gaussian'] as const);
    const mts = o.modulesToSave ?? null;
    if (mts !== null && (!Array.isArray(mts) || mts.some((m) => typeof m !== 'string' || m === ''))) {
      throw new ArgumentError(`${fn}: modulesToSave must be an array of module names like ['lm_head'] or null, got ${describeValue(mts)}`);
    }
    this.modulesToSave = mts === null ? null : [...mts];
    this.useRslora = checkChoice(fn, 'useRslora', o.useRslora ?? false, [true, false]);
    this.taskType = o.taskType == null ? null : checkString(fn, 'taskType', o.taskType);
    this.baseModelNameOrPath = o.baseModelNameOrPath == null ? null : checkString(fn, 'baseModelNameOrPath', o.baseModelNameOrPath);
    this.inferenceMode = checkChoice(fn, 'inferenceMode', o.inferenceMode ?? false, [true, false]);
  }

  /** loraAlpha / r (or loraAlpha / √r with useRslora). */
  get scaling(): number { return this.useRslora ? this.loraAlpha / Math.sqrt(this.r) : this.loraAlpha / this.r; }

  /** adapter_config.json's object, PEFT's field names (snake_case) and its defaults for the fields torchlet does not use. */
  toJSON(): Record<string, unknown> {
    const targets = this.targetModules === null || typeof this.targetModules === 'string' ? this.targetModules : [...this.targetModules].sort();
    const d: Record<string, unknown> = {
      alpha_pattern: {}, auto_mapping: null, base_model_name_or_path: this.baseModelNameOrPath, bias: this.bias,
      fan_in_fan_out: this.fanInFanOut, inference_mode: this.inferenceMode, init_lora_weights: this.initLoraWeights,
      layer_replication: null, layers_pattern: null, layers_to_transform: null, loftq_config: {}, lora_alpha: this.loraAlpha,
      lora_bias: false, lora_dropout: this.loraDropout, megatron_config: null, megatron_core: 'megatron.core',
      modules_to_save: this.modulesToSave, peft_type: 'LORA', r: this.r, rank_pattern: {}, revision: null,
      target_modules: targets, task_type: this.taskType, use_dora: false, use_rslora: this.useRslora,
    };
    return Object.fromEntries(Object.entries(d).sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  /** The text of adapter_config.json. */
  toJSONString(): string { return JSON.stringify(this.toJSON(), null, 2); }

  /** A LoraConfig from adapter_config.json's object (or text); fields for features torchlet lacks must hold their defaults. */
  static fromJSON(json: string | Record<string, unknown>): LoraConfig {
    const fn = 'LoraConfig.fromJSON';
    let d: unknown = json;
    if (typeof json === 'string') {
      try { d = JSON.parse(json); } catch (e) { throw new ArgumentError(`${fn}: adapter_config.json is not valid JSON (${(e as Error).message})`); }
    }
    if (d === null || typeof d !== 'object' || Array.isArray(d)) throw new ArgumentError(`${fn}: expected adapter_config.json's object, got ${describeValue(d)}`);
    const c = d as Record<string, unknown>;
    if (c.peft_type !== undefined && c.peft_type !== 'LORA') throw new ArgumentError(`${fn}: peft_type is ${describeValue(c.peft_type)}; torchlet/peft reads LoRA adapters ("LORA") only`);
    // features whose non-default values would change the result: refuse them rather than load a different adapter
    const unsupported: [string, (v: unknown) => boolean][] = [
      ['use_dora', (v) => v === true], ['lora_bias', (v) => v === true], ['layer_replication', (v) => v != null],
      ['layers_to_transform', (v) => v != null], ['rank_pattern', nonEmpty], ['alpha_pattern', nonEmpty],
      ['use_qalora', (v) => v === true], ['target_parameters', (v) => v != null && !(Array.isArray(v) && v.length === 0)],
      ['trainable_token_indices', (v) => v != null], ['exclude_modules', (v) => v != null && !(Array.isArray(v) && v.length === 0)],
    ];
    for (const [k, bad] of unsupported) {
      if (bad(c[k])) throw new ArgumentError(`${fn}: adapter_config.json sets ${k} = ${JSON.stringify(c[k])}, which torchlet/peft does not implement (plain LoRA only)`);
    }
    const init = c.init_lora_weights;
    if (init !== undefined && init !== true && init !== false && init !== 'gaussian') {
      // other schemes (pissa, olora, loftq, ...) only change the initial values, which the saved weights replace
      if (typeof init !== 'string') throw new ArgumentError(`${fn}: init_lora_weights ${describeValue(init)} is not understood`);
    }
    const pick = <T>(k: string): T | undefined => (c[k] === undefined ? undefined : c[k] as T);
    return new LoraConfig({
      r: pick('r'), loraAlpha: pick('lora_alpha'), loraDropout: pick('lora_dropout'), targetModules: pick('target_modules'),
      bias: pick('bias'), fanInFanOut: pick('fan_in_fan_out'),
      initLoraWeights: init === true || init === false || init === 'gaussian' ? init : undefined,
      modulesToSave: pick('modules_to_save'), useRslora: pick('use_rslora'), taskType: pick('task_type'),
      baseModelNameOrPath: pick('base_model_name_or_path'), inferenceMode: pick('inference_mode'),
    });
  }

  /** A copy with some options changed. */
  with(changes: LoraConfigOptions): LoraConfig {
    return new LoraConfig({ ...this.options(), ...checkOptions<LoraConfigOptions>('LoraConfig.with', changes, KEYS) });
  }

  /** The options this config was built from (camelCase). */
  options(): Required<LoraConfigOptions> {
    return {
      r: this.r, loraAlpha: this.loraAlpha, loraDropout: this.loraDropout,
      targetModules: Array.isArray(this.targetModules) ? [...this.targetModules] : this.targetModules,
      bias: this.bias, fanInFanOut: this.fanInFanOut, initLoraWeights: this.initLoraWeights,
      modulesToSave: this.modulesToSave && [...this.modulesToSave], useRslora: this.useRslora, taskType: this.taskType,
      baseModelNameOrPath: this.baseModelNameOrPath, inferenceMode: this.inferenceMode,
    };
  }
}

function nonEmpty(v: unknown): boolean { return v != null && typeof v === 'object' && Object.keys(v).length > 0; }

function checkTargets(fn: string, name: string, v: unknown): string | string[] | null {
  if (v === null) return null;
  if (typeof v === 'string') {
    if (v !== 'all-linear') {
      try { new RegExp(v); } catch (e) { throw new ArgumentError(`${fn}: ${name} '${v}' is a string, so it is a regular expression matched against whole module paths, and it does not compile: ${(e as Error).message}`); }
    }
    return v;
  }
  if (Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string' && s !== '')) return [...new Set(v as string[])];
  throw new ArgumentError(`${fn}: ${name} must be a list of module names like ['c_attn'] (matched at the end of module paths), a regular expression string, 'all-linear', or null; got ${describeValue(v)}`);
}
