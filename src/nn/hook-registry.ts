/**
 * @file Where the hooks around module state live: the per-module state-dict hooks (kept beside the module in a
 * WeakMap, so nn.Module's own fields stay as they are) and the global hooks (PyTorch's
 * `nn.modules.module.register_module_*`). module.ts calls the `run*` functions at the points PyTorch calls its
 * hooks; nn/state-hooks.ts adds the registering methods to Module and the global registration functions.
 * Imports Module as a type only (module.ts imports this file).
 */
import type { Tensor } from '../tensor/tensor.js';
import type { Module, IncompatibleKeys, RemovableHandle, ForwardHook, ForwardPreHook } from './module.js';

export type StateDictPreHook = (module: Module, prefix: string, keepVars: boolean) => void;
export type StateDictPostHook = (module: Module, stateDict: Map<string, Tensor>, prefix: string, localMetadata: Record<string, unknown>) => void;
export type LoadStateDictPreHook = (module: Module, stateDict: Map<string, unknown>, prefix: string, localMetadata: Record<string, unknown>,
  strict: boolean, missingKeys: string[], unexpectedKeys: string[], errorMsgs: string[]) => void;
export type LoadStateDictPostHook = (module: Module, incompatibleKeys: IncompatibleKeys) => void;
export type ParameterRegistrationHook = (module: Module, name: string, param: Tensor | null) => Tensor | null | void;
export type BufferRegistrationHook = (module: Module, name: string, buffer: Tensor | null) => Tensor | null | void;
export type ModuleRegistrationHook = (module: Module, name: string, submodule: Module | null) => Module | null | void;

export interface StateHooks {
  stateDictPre: Map<number, StateDictPreHook>;
  stateDictPost: Map<number, StateDictPostHook>;
  loadPre: Map<number, LoadStateDictPreHook>;
  loadPost: Map<number, LoadStateDictPostHook>;
}

const perModule = new WeakMap<object, StateHooks>();
let nextId = 1_000_000;

/** The state hooks of a module (created on first use). */
export function stateHooksOf(m: Module): StateHooks {
  const key = m._self();
  let h = perModule.get(key);
  if (!h) { h = { stateDictPre: new Map(), stateDictPost: new Map(), loadPre: new Map(), loadPost: new Map() }; perModule.set(key, h); }
  return h;
}

/** Add a hook to an ordered map; `prepend` puts it first. Returns a handle whose remove() drops it. */
export function addTo<H>(map: Map<number, H>, hook: H, prepend = false): RemovableHandle {
  const id = nextId++;
  if (prepend) {
    const rest = [...map];
    map.clear();
    map.set(id, hook);
    for (const [k, v] of rest) map.set(k, v);
  } else map.set(id, hook);
  return { id, remove: () => { map.delete(id); } };
}

export const globalHooks = {
  forwardPre: new Map<number, ForwardPreHook>(),
  forward: new Map<number, ForwardHook>(),
  parameterRegistration: new Map<number, ParameterRegistrationHook>(),
  bufferRegistration: new Map<number, BufferRegistrationHook>(),
  moduleRegistration: new Map<number, ModuleRegistrationHook>(),
};

export function runStateDictPreHooks(m: Module, prefix: string, keepVars: boolean): void {
  const h = perModule.get(m._self());
  if (h) for (const hook of [...h.stateDictPre.values()]) hook(m, prefix, keepVars);
}
export function runStateDictPostHooks(m: Module, dest: Map<string, Tensor>, prefix: string): void {
  const h = perModule.get(m._self());
  if (h) for (const hook of [...h.stateDictPost.values()]) hook(m, dest, prefix, {});
}
export function runLoadPreHooks(m: Module, sd: Map<string, unknown>, prefix: string, strict: boolean, missing: string[], unexpected: string[], errors: string[]): void {
  const h = perModule.get(m._self());
  if (h) for (const hook of [...h.loadPre.values()]) hook(m, sd, prefix, {}, strict, missing, unexpected, errors);
}
/** Post hooks of every module of the tree (children first), with the keys that did not match. */
export function runLoadPostHooks(root: Module, keys: IncompatibleKeys): void {
  const visit = (m: Module) => {
    for (const c of m._modules.values()) if (c) visit(c);
    const h = perModule.get(m._self());
    if (h) for (const hook of [...h.loadPost.values()]) hook(m, keys);
  };
  visit(root);
}

/** Global registration hooks: each may return a replacement value. */
export function runRegistrationHooks<T>(map: Map<number, (m: Module, name: string, v: T) => T | void>, m: Module, name: string, v: T): T {
  for (const hook of [...map.values()]) { const r = hook(m, name, v); if (r !== undefined) v = r; }
  return v;
}
