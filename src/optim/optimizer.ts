/**
 * @file The Optimizer base class (torch.optim.Optimizer): param groups with defaults filled, per-parameter
 * state, step(closure), zeroGrad, addParamGroup, and stateDict()/loadStateDict() in PyTorch's layout (state keyed
 * by parameter index, `param_groups` with snake_case option keys and `params` as indices), so a state dict saved
 * by PyTorch loads here and back. Updates run under noGrad with in-place tensor ops; raw storage is never touched.
 */
import { enableGrad, noGrad } from '../autograd/grad-mode.js';
import { TorchletError } from '../core/errors.js';
import { keepClassNames } from '../core/class-names.js';
import { ArgumentError, checkBoolean, checkNumber, checkOptions, describeValue } from '../core/args.js';
import { Tensor } from '../tensor/tensor.js';
import { tensor } from '../ops/creation.js';
import { addcdiv, addcmul as addcmulOp } from '../ops/elementwise.js';
import { assign } from '../ops/inplace.js';
import { keep } from '../backend/memory-scope.js';

/** A value of per-parameter optimizer state (PyTorch stores None for an absent momentum buffer). */
export type StateValue = Tensor | number | null;
/** One parameter's state, with PyTorch's keys (`exp_avg`, `exp_avg_sq`, `step`, `momentum_buffer`, ...). */
export type ParamState = Record<string, StateValue>;

/** A param group as stored: its parameters plus every option (camelCase), defaults filled. */
export interface ParamGroup {
  params: Tensor[];
  lr: number;
  [option: string]: unknown;
}

/** A param group as passed in: parameters and any per-group options (camelCase). */
export interface ParamGroupInput {
  params: Iterable<Tensor> | Tensor;
  [option: string]: unknown;
}

export type ParamsInput = Iterable<Tensor> | Iterable<ParamGroupInput>;

/** PyTorch's optimizer state dict: `{state: {index: {...}}, param_groups: [{lr, ..., params: [indices]}]}`. */
export interface OptimizerStateDict {
  state: Map<number, Record<string, StateValue>>;
  param_groups: Record<string, unknown>[];
}

export class OptimizerError extends TorchletError {}
keepClassNames({ OptimizerError });

const asRecord = (v: unknown): Record<string, unknown> => (v instanceof Map ? Object.fromEntries([...v].map(([k, x]) => [String(k), x])) : (v as Record<string, unknown>));

/**
 * `torch.load` returns Python dicts as Maps: accept `{state, param_groups}` either as an object or as the Map a
 * checkpoint file gives (groups and per-parameter state as Maps too).
 */
function normalizeLoaded(sd: unknown): { state: Map<unknown, Record<string, StateValue>> | Record<string, Record<string, StateValue>>; param_groups: Record<string, unknown>[] } {
  if (!(sd instanceof Map)) return sd as { state: Record<string, Record<string, StateValue>>; param_groups: Record<string, unknown>[] };
  const groups: unknown = sd.get('param_groups');
  const state: unknown = sd.get('state');
  const st = new Map<unknown, Record<string, StateValue>>();
  if (state instanceof Map) for (const [k, v] of state) st.set(k, asRecord(v) as Record<string, StateValue>);
  return { state: st, param_groups: Array.isArray(groups) ? groups.map(asRecord) : (groups as Record<string, unknown>[]) };
}

/** camelCase option name -> PyTorch's snake_case key in the state dict (weightDecay -> weight_decay). */
export function toSnake(k: string): string { return k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`); }
/** PyTorch's snake_case key -> camelCase option name (initial_lr -> initialLr). */
export function toCamel(k: string): string { return k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()); }

function isTensor(v: unknown): v is Tensor { return v instanceof Tensor; }

function cloneValue(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(cloneValue);
  return v;
}

export abstract class Optimizer {
  /** The defaults of every option (camelCase), filled into each param group that does not set them. */
  readonly defaults: Record<string, unknown>;
  paramGroups: ParamGroup[] = [];
  /** Per-parameter state, keyed by the parameter tensor itself. */
  state = new Map<Tensor, ParamState>();
  /** How many times step() ran (PyTorch's `_step_count`; read by LR schedulers). */
  stepCount = 0;

  constructor(params: ParamsInput, defaults: Record<string, unknown>) {
    this.defaults = defaults;
    if (params instanceof Tensor) {
      throw new OptimizerError(`${this.constructor.name}: params argument given to the optimizer should be an iterable of Tensors or param-group objects, but got a Tensor; wrap it: [t]`);
    }
    const list = [...(params as Iterable<Tensor | ParamGroupInput>)];
    if (list.length === 0) throw new OptimizerError(`${this.constructor.name}: optimizer got an empty parameter list; pass model.parameters() or a non-empty array of tensors`);
    const groups: ParamGroupInput[] = list[0] instanceof Tensor ? [{ params: list as Tensor[] }] : (list as ParamGroupInput[]);
    for (const g of groups) this.addParamGroup(g);
  }

  /** The update of one parameter with gradient `grad` (already not null), inside noGrad. */
  protected abstract updateParam(p: Tensor, grad: Tensor, state: ParamState, group: ParamGroup): void;

  /** Lazily create a parameter's state on its first step (empty state). */
  protected abstract initState(p: Tensor, group: ParamGroup): ParamState;

  /** Hook for optimizers whose state keeps a key PyTorch stores as a tensor (Adam's `step`). */
  protected normalizeLoadedState(_state: ParamState): void {}

  /** Range checks of one param group's options (defaults filled); each optimizer overrides it. */
  protected checkGroup(_group: ParamGroup): void {}

  /**
   * Add a param group; options it does not set take the optimizer's defaults. A group accepts exactly the
   * optimizer's options (PyTorch's, in camelCase), plus `initialLr` (set by LR schedulers).
   */
  addParamGroup(group: ParamGroupInput): void {
    if (group === null || typeof group !== 'object' || Array.isArray(group) || !('params' in group)) {
      throw new OptimizerError(`${this.constructor.name}.addParamGroup: param group must be an object with a 'params' entry, e.g. {params: [w, b], lr: 0.01}`);
    }
    checkOptimOptions(`${this.constructor.name}: param group`, group, this.defaults, ['params', 'initialLr']);
    const raw = group.params;
    if (raw instanceof Set) throw new OptimizerError('optimizer parameters need to be organized in ordered collections, but the ordering of tensors in sets will change between runs. Please use a list instead.');
    const params = raw instanceof Tensor ? [raw] : [...raw];
    for (const p of params) {
      if (!(p instanceof Tensor)) throw new OptimizerError(`optimizer can only optimize Tensors, but one of the params is ${p === null ? 'null' : typeof p}`);
      if (!p.isLeaf) throw new OptimizerError("can't optimize a non-leaf Tensor; optimize the leaf it was computed from, or detach() it and set requiresGrad");
      if ((p as { isUninitialized?: boolean }).isUninitialized === true) {
        throw new OptimizerError(`${this.constructor.name}: a parameter is uninitialized (a lazy module's, e.g. LazyLinear's weight): its shape is only known after the ` +
          'module\'s first call. Run one forward with a dummy batch before creating the optimizer (PyTorch only warns, and the optimizer state would not match the materialized parameter)');
      }
    }
    const filled: ParamGroup = { ...(group as object), params } as ParamGroup;
    for (const [k, v] of Object.entries(this.defaults)) {
      if (filled[k] === undefined) {
        if (v === REQUIRED) throw new OptimizerError(`parameter group didn't specify a value of required optimization parameter ${k}`);
        filled[k] = cloneValue(v);
      }
    }
    if (new Set(params).size !== params.length) {
      (globalThis as { process?: { emitWarning?(m: string): void } }).process?.emitWarning?.('optimizer contains a parameter group with duplicate parameters; in future, this will cause an error; see github.com/pytorch/pytorch/issues/40967 for more information');
    }
    this.checkGroup(filled);
    const existing = new Set(this.paramGroups.flatMap((g) => g.params));
    if (params.some((p) => existing.has(p))) throw new OptimizerError('some parameters appear in more than one parameter group');
    this.paramGroups.push(filled);
  }

  /** Clear gradients: set to null (default, as PyTorch 2) or zero them in place ({setToNone: false}). */
  zeroGrad(opts: { setToNone?: boolean } = {}): void {
    const { setToNone = true } = checkOptions<{ setToNone: boolean }>(`${this.constructor.name}.zeroGrad`, opts, ['setToNone']);
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        if (p.grad === null) continue;
        if (setToNone) { p.grad = null; continue; }
        if (p.grad.gradFn !== null) p.grad = p.grad.detach();
        else p.grad.requiresGrad_(false);
        noGrad(() => p.grad!.zero_());
      }
    }
  }

  /**
   * One optimization step. `closure` (optional) re-evaluates the model and returns the loss; it runs with grad
   * enabled and its result is returned. Parameters without a gradient or with requiresGrad false are skipped.
   */
  step(closure?: () => Tensor | number): Tensor | number | undefined {
    let loss: Tensor | number | undefined;
    if (closure) loss = enableGrad(closure);
    noGrad(() => {
      for (const group of this.paramGroups) {
        for (const p of group.params) {
          if (p.grad === null || !p.requiresGrad) continue;
          let st = this.state.get(p);
          if (st === undefined || Object.keys(st).length === 0) {
            st = this.initState(p, group);
            this.state.set(p, st);
          } else {
            this.followDevice(p, st);
          }
          this.updateParam(p, p.grad, st, group);
          keepState(st);
        }
      }
    });
    this.stepCount++;
    return loss;
  }

  /** State tensors live on their parameter's device: move any that do not (after model.to(device)). */
  protected followDevice(p: Tensor, st: ParamState): void {
    for (const [k, v] of Object.entries(st)) {
      if (k === 'step') continue;
      if (isTensor(v) && v.device !== p.device) st[k] = v.to(p.device);
    }
  }

  /** The optimizer's state in PyTorch's layout (state tensors by reference, as PyTorch). */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    let next = 0;
    const paramGroups = this.paramGroups.map((g) => {
      const packed: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(g)) if (k !== 'params') packed[toSnake(k)] = cloneValue(v);
      packed.params = g.params.map((p) => {
        if (!index.has(p)) index.set(p, next++);
        return index.get(p)!;
      });
      return packed;
    });
    const state = new Map<number, Record<string, StateValue>>();
    for (const [p, st] of this.state) {
      const i = index.get(p);
      if (i !== undefined) state.set(i, { ...st });
    }
    return { state, param_groups: paramGroups };
  }

  /**
   * Load a state dict (from stateDict() here or PyTorch's `optimizer.state_dict()`). State tensors are copied and
   * cast to their parameter's dtype and device (except `step`); group options replace the current ones.
   */
  loadStateDict(input: OptimizerStateDict | { state: Record<string, Record<string, StateValue>>; param_groups: Record<string, unknown>[] } | Map<unknown, unknown>): void {
    const sd = normalizeLoaded(input);
    const saved = sd.param_groups;
    if (!Array.isArray(saved) || saved.length !== this.paramGroups.length) {
      throw new OptimizerError(`loaded state dict has a different number of parameter groups (${Array.isArray(saved) ? saved.length : 'none'} saved, ${this.paramGroups.length} here); build the optimizer with the same groups before loading`);
    }
    saved.forEach((g, i) => {
      const n = (g.params as unknown[]).length;
      if (n !== this.paramGroups[i].params.length) {
        throw new OptimizerError(`loaded state dict contains a parameter group that doesn't match the size of optimizer's group (group ${i}: ${n} saved, ${this.paramGroups[i].params.length} here)`);
      }
    });
    const idMap = new Map<number, Tensor>();
    saved.forEach((g, i) => (g.params as number[]).forEach((id, j) => idMap.set(Number(id), this.paramGroups[i].params[j])));
    const entries: [number, Record<string, StateValue>][] = sd.state instanceof Map
      ? [...sd.state.entries()].map(([k, v]) => [Number(k), v])
      : Object.entries(sd.state).map(([k, v]) => [Number(k), v]);
    const state = new Map<Tensor, ParamState>();
    for (const [id, st] of entries) {
      const p = idMap.get(id);
      if (!p) continue;
      const copy: ParamState = {};
      for (const [k, v] of Object.entries(st)) {
        if (isTensor(v)) {
          let t = v.detach().clone();
          if (k !== 'step') {
            if (p.isFloatingPoint() && t.dtype !== p.dtype) t = t.to(p.dtype);
            if (t.device !== p.device) t = t.to(p.device);
          }
          copy[k] = t;
        } else {
          copy[k] = v;
        }
      }
      this.normalizeLoadedState(copy);
      keepState(copy);
      state.set(p, copy);
    }
    this.state = state;
    this.paramGroups = saved.map((g, i) => {
      const out: ParamGroup = { params: this.paramGroups[i].params, lr: 0 };
      for (const [k, v] of Object.entries(g)) if (k !== 'params') out[toCamel(k)] = cloneValue(v);
      for (const [k, v] of Object.entries(this.defaults)) if (out[k] === undefined) out[k] = cloneValue(v);
      return out;
    });
  }
}

/**
 * Optimizer state outlives the step that created it: exempt its tensors from an enclosing torch.webgpu.tidy()
 * scope (a training step wrapped in tidy would otherwise dispose exp_avg & co. created at the first step).
 */
function keepState(st: ParamState): void {
  for (const v of Object.values(st)) if (isTensor(v)) keep(v);
}

/** Marks an option without a default (PyTorch's `required`). */
export const REQUIRED = Symbol('required');

/**
 * Checks an optimizer's options (its constructor's, or a param group's) against its defaults: every key must be
 * one of the defaults' (did-you-mean for `weight_decay`, `momentm`, ...) or of `extra`, and each value must
 * have its default's type (a number, a boolean, `null`/boolean, a tuple of numbers). Returns the given options
 * (undefined dropped).
 */
export function checkOptimOptions(fn: string, opts: unknown, defaults: Record<string, unknown>, extra: readonly string[] = []): Record<string, unknown> {
  const o = checkOptions<Record<string, unknown>>(fn, opts, [...Object.keys(defaults), ...extra]);
  for (const [k, v] of Object.entries(o)) {
    if (extra.includes(k)) continue;
    const d = defaults[k];
    if (typeof d === 'number' || d === REQUIRED) checkNumber(fn, k, v, { infinite: true });
    else if (typeof d === 'boolean') checkBoolean(fn, k, v);
    else if (d === null) { if (v !== null && typeof v !== 'boolean') throw new ArgumentError(`${fn}: ${k} must be true, false or null, got ${describeValue(v)}`); }
    else if (Array.isArray(d)) {
      if (!Array.isArray(v) || v.length !== d.length) throw new ArgumentError(`${fn}: ${k} must be an array of ${d.length} numbers, e.g. [${d.join(', ')}], got ${describeValue(v)}`);
      v.forEach((x, i) => checkNumber(fn, `${k}[${i}]`, x));
    }
  }
  return o;
}

// ---- arithmetic helpers in PyTorch's CPU kernel order ----

/** self += value * t1 * t2 in place (the one addcmul: ops/elementwise.ts, PyTorch's kernel order). */
export function addcmulInto(self: Tensor, t1: Tensor, t2: Tensor, value = 1): Tensor {
  return assign(self, 'addcmul_', value === 1 ? addcmulOp(self, t1, t2) : addcmulOp(self, t1, t2, { value }));
}
/** self + value * t1 * t2 out of place (PyTorch's addcmul). */
export function addcmul(self: Tensor, t1: Tensor, t2: Tensor, value = 1): Tensor {
  return value === 1 ? addcmulOp(self, t1, t2) : addcmulOp(self, t1, t2, { value });
}
/** self += value * t1 / t2 in place (the one addcdiv: ops/elementwise.ts, PyTorch's kernel order). */
export function addcdivInto(self: Tensor, t1: Tensor, t2: Tensor, value = 1): Tensor {
  return assign(self, 'addcdiv_', value === 1 ? addcdiv(self, t1, t2) : addcdiv(self, t1, t2, { value }));
}

export function checkNonNegative(name: string, what: string, v: number): void {
  if (!(v >= 0)) throw new OptimizerError(`Invalid ${what}: ${v}; ${name} must be >= 0`);
}

/** A 0-dim float32 tensor holding a step count (PyTorch keeps Adam's and Adagrad's `step` as tensor(n.)). */
export function stepTensor(n: number): Tensor {
  return tensor(n, { dtype: 'float32' });
}

/** The step count of a state entry, whether stored as a tensor (PyTorch >= 1.12) or a number (older). */
export function stepValue(v: StateValue): number {
  return v instanceof Tensor ? v.item() : Number(v ?? 0);
}
