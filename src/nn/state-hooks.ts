/**
 * @file Hooks around module state, with PyTorch 2.5's public names: the Module methods
 * registerStateDictPreHook / registerStateDictPostHook / registerLoadStateDictPreHook /
 * registerLoadStateDictPostHook (added to Module's prototype here), and the global hooks of
 * `nn.modules.module`: registerModuleForwardPreHook / registerModuleForwardHook and the parameter, buffer and
 * module registration hooks. Every registration returns a handle whose remove() drops the hook.
 */
import { checkFunction, checkOptions, optBoolean } from '../core/args.js';
import { Module, type ForwardHook, type ForwardPreHook, type RemovableHandle } from './module.js';
import {
  addTo, globalHooks, stateHooksOf,
  type BufferRegistrationHook, type LoadStateDictPostHook, type LoadStateDictPreHook, type ModuleRegistrationHook,
  type ParameterRegistrationHook, type StateDictPostHook, type StateDictPreHook,
} from './hook-registry.js';

export type {
  StateDictPreHook, StateDictPostHook, LoadStateDictPreHook, LoadStateDictPostHook,
  ParameterRegistrationHook, BufferRegistrationHook, ModuleRegistrationHook,
} from './hook-registry.js';

declare module './module.js' {
  interface Module {
    /** hook(module, prefix, keepVars) runs before this module's entries are added to a state dict. */
    registerStateDictPreHook(hook: StateDictPreHook): RemovableHandle;
    /** hook(module, stateDict, prefix, localMetadata) runs after this module and its children are in the state dict; edit it in place. */
    registerStateDictPostHook(hook: StateDictPostHook): RemovableHandle;
    /**
     * hook(module, stateDict, prefix, localMetadata, strict, missingKeys, unexpectedKeys, errorMsgs) runs before
     * this module's keys are checked; `stateDict` is loadStateDict's own copy and may be edited (rename keys).
     */
    registerLoadStateDictPreHook(hook: LoadStateDictPreHook): RemovableHandle;
    /**
     * hook(module, incompatibleKeys) runs once the keys are checked, children first; removing entries from
     * incompatibleKeys.missingKeys / unexpectedKeys forgives them in strict mode. It runs before any tensor is
     * written, so a load that fails still changes nothing.
     */
    registerLoadStateDictPostHook(hook: LoadStateDictPostHook): RemovableHandle;
  }
}

function hookArg<F>(fn: string, hook: unknown): F { return checkFunction<never>(fn, 'hook', hook); }

Module.prototype.registerStateDictPreHook = function (this: Module, hook: StateDictPreHook) {
  return addTo(stateHooksOf(this).stateDictPre, hookArg<StateDictPreHook>(`${this._path()}.registerStateDictPreHook`, hook));
};
Module.prototype.registerStateDictPostHook = function (this: Module, hook: StateDictPostHook) {
  return addTo(stateHooksOf(this).stateDictPost, hookArg<StateDictPostHook>(`${this._path()}.registerStateDictPostHook`, hook));
};
Module.prototype.registerLoadStateDictPreHook = function (this: Module, hook: LoadStateDictPreHook) {
  return addTo(stateHooksOf(this).loadPre, hookArg<LoadStateDictPreHook>(`${this._path()}.registerLoadStateDictPreHook`, hook));
};
Module.prototype.registerLoadStateDictPostHook = function (this: Module, hook: LoadStateDictPostHook) {
  return addTo(stateHooksOf(this).loadPost, hookArg<LoadStateDictPostHook>(`${this._path()}.registerLoadStateDictPostHook`, hook));
};

function globalOpts(fn: string, opts: unknown): boolean {
  const o = checkOptions<{ prepend: boolean }>(fn, opts, ['prepend']);
  return optBoolean(fn, 'prepend', o.prepend, false);
}

/** A forward pre-hook for every module (runs before each module's own pre-hooks). */
export function registerModuleForwardPreHook(hook: ForwardPreHook, opts: { prepend?: boolean } = {}): RemovableHandle {
  const fn = 'nn.modules.module.registerModuleForwardPreHook';
  return addTo(globalHooks.forwardPre, hookArg<ForwardPreHook>(fn, hook), globalOpts(fn, opts));
}
/** A forward hook for every module (runs before each module's own forward hooks). */
export function registerModuleForwardHook(hook: ForwardHook, opts: { prepend?: boolean } = {}): RemovableHandle {
  const fn = 'nn.modules.module.registerModuleForwardHook';
  return addTo(globalHooks.forward, hookArg<ForwardHook>(fn, hook), globalOpts(fn, opts));
}
/** hook(module, name, param) on every registerParameter (and Parameter assignment); a returned value replaces param. */
export function registerModuleParameterRegistrationHook(hook: ParameterRegistrationHook): RemovableHandle {
  return addTo(globalHooks.parameterRegistration, hookArg<ParameterRegistrationHook>('nn.modules.module.registerModuleParameterRegistrationHook', hook));
}
/** hook(module, name, buffer) on every registerBuffer (and Buffer assignment); a returned value replaces buffer. */
export function registerModuleBufferRegistrationHook(hook: BufferRegistrationHook): RemovableHandle {
  return addTo(globalHooks.bufferRegistration, hookArg<BufferRegistrationHook>('nn.modules.module.registerModuleBufferRegistrationHook', hook));
}
/** hook(module, name, submodule) on every registerModule (and Module assignment); a returned value replaces it. */
export function registerModuleModuleRegistrationHook(hook: ModuleRegistrationHook): RemovableHandle {
  return addTo(globalHooks.moduleRegistration, hookArg<ModuleRegistrationHook>('nn.modules.module.registerModuleModuleRegistrationHook', hook));
}
