/**
 * @file nn.Module: explicit registries of parameters, buffers and child modules, as PyTorch's, filled by plain
 * class fields and assignments. The constructor returns a Proxy whose `defineProperty`/`set` traps play the part
 * of PyTorch's `__setattr__` (TS class fields are [[Define]]d on the instance; assignments are [[Set]]s), and
 * whose `get` trap plays `__getattr__` (registered names are read from the registries). Unlike PyTorch, a raw
 * Tensor or a plain array/object of Modules/Parameters attached to a module is an error at the assignment.
 * Traversal order, state-dict keys and messages follow PyTorch.
 */
import { isDeviceName } from '../core/devices.js';
import { readsSync, type DeviceType } from '../backend/backend.js';
import { isFloating, type DType, type DTypeName } from '../core/dtype.js';
import { checkDevice, checkDtype, checkOptions } from '../core/args.js';
import { ModuleError, StateDictError } from '../core/errors.js';
import { fmt, shapesEqual } from '../core/shape.js';
import { noGrad } from '../autograd/grad-mode.js';
import { Tensor } from '../tensor/tensor.js';
import { detach, toDevice, toDtype } from '../ops/movement.js';
import { copy_ } from '../ops/inplace.js';
import { Buffer, Parameter, describe } from './parameter.js';
import { checkToEmpty, emptyOn } from './meta.js';
import { addTo, globalHooks, runLoadPostHooks, runLoadPreHooks, runRegistrationHooks, runStateDictPostHooks, runStateDictPreHooks } from './hook-registry.js';

/** A state dict: PyTorch's keys in PyTorch's order. `_extra_state` entries hold whatever getExtraState returned. */
export type StateDict = Map<string, Tensor>;

export interface RemovableHandle { readonly id: number; remove(): void }

type ForwardOf<M> = M extends { forward(...args: infer A): infer R } ? [A, R] : [unknown[], unknown];
/** The argument list of a module's forward. */
export type ForwardArgs<M> = ForwardOf<M>[0];
/** The return type of a module's forward. */
export type ForwardReturn<M> = ForwardOf<M>[1];

export type ForwardPreHook<M extends Module = Module> = (module: M, args: unknown[]) => unknown[] | void;
export type ForwardHook<M extends Module = Module> = (module: M, args: unknown[], output: unknown) => unknown;

export interface NamedOptions { prefix?: string; recurse?: boolean; removeDuplicate?: boolean }

/** What loadStateDict returns: the keys that did not match (PyTorch's _IncompatibleKeys). */
export class IncompatibleKeys {
  constructor(readonly missingKeys: string[], readonly unexpectedKeys: string[]) {}
  toString(): string {
    if (!this.missingKeys.length && !this.unexpectedKeys.length) return '<All keys matched successfully>';
    return `IncompatibleKeys(missingKeys=${JSON.stringify(this.missingKeys)}, unexpectedKeys=${JSON.stringify(this.unexpectedKeys)})`;
  }
}


/** Modules whose call() is running, outermost first (for the module path in forward errors). */
const callStack: Module[] = [];
const annotated = new WeakSet<object>();

/** The proxy of each raw module object (methods may run with either as `this`). */
const proxyOf = new WeakMap<object, Module>();

function isContainerOfModuleState(v: unknown, depth = 0): boolean {
  if (depth > 2 || v === null || typeof v !== 'object') return false;
  const isState = (x: unknown) => x instanceof Module || x instanceof Parameter || x instanceof Buffer || isContainerOfModuleState(x, depth + 1);
  if (Array.isArray(v)) return v.some(isState);
  if (v instanceof Map) return [...v.values()].some(isState);
  if (v instanceof Set) return [...v].some(isState);
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) return Object.values(v).some(isState);
  return false;
}

/** The error for a plain Array/Map/Set/object holding Modules or Parameters (at assignment or found later). */
function containerError(where: string, value: unknown, later = false): ModuleError {
  const arr = Array.isArray(value) || value instanceof Set;
  const kind = Array.isArray(value) ? 'an Array' : value instanceof Map ? 'a Map' : value instanceof Set ? 'a Set' : 'a plain object';
  return new ModuleError(`${where} is ${kind} holding Modules or Parameters, which nn.Module does not see ` +
    `(they would not be trained, moved or saved): use ${arr
      ? 'nn.ModuleList([...]) or nn.Sequential(...) for Modules, nn.ParameterList([...]) for Parameters'
      : 'nn.ModuleDict({...}) for Modules, nn.ParameterDict({...}) for Parameters'}` +
    (later ? ' (it was filled after the assignment, e.g. this.layers = []; this.layers.push(new nn.Linear(...)))' : ''));
}

/** Modules whose plain fields were checked for hidden Modules/Parameters by a first call(). */
const checkedAtCall = new WeakSet<Module>();

/** Throws if a plain field of `m` (an Array/Map/Set/object filled after assignment) holds Modules or Parameters. */
function checkHiddenState(m: Module): void {
  for (const k of Object.keys(m)) {
    if (INTERNAL.has(k)) continue;
    const v = (m as unknown as Record<string, unknown>)[k];
    if (v !== null && typeof v === 'object' && !(v instanceof Tensor) && !(v instanceof Module) && isContainerOfModuleState(v)) {
      throw containerError(`${m._path()}.${k}`, v, true);
    }
  }
}

/** Whether `name` is visible on the module other than through the registries (own property or prototype). */
function hasPlainAttr(target: Module, name: string): boolean {
  if (Object.prototype.hasOwnProperty.call(target, name)) return (target as unknown as Record<string, unknown>)[name] !== undefined;
  return name in target;
}

function dropPlain(target: Module, name: string): void {
  if (Object.prototype.hasOwnProperty.call(target, name)) Reflect.deleteProperty(target, name);
}

/** PyTorch's `__setattr__` dispatch, with raw Tensors and plain containers of module state rejected. */
function setAttr(target: Module, name: string, value: unknown): void {
  const P = target._parameters, B = target._buffers, M = target._modules;
  const self = proxyOf.get(target) ?? target;
  const where = () => `${self._path()}.${name}`;
  if (value instanceof Parameter) {
    dropPlain(target, name); B.delete(name); M.delete(name); target._nonPersistentBuffers.delete(name);
    self.registerParameter(name, value);
    return;
  }
  if (P.has(name)) {
    if (value === undefined) return; // a field declaration without initializer keeps the slot
    if (value !== null) {
      throw new ModuleError(`${where()}: cannot assign ${describe(value)} as parameter '${name}' (nn.Parameter or null expected)` +
        (value instanceof Tensor ? `; wrap it: new nn.Parameter(t)` : ''));
    }
    P.set(name, null);
    return;
  }
  if (value instanceof Module) {
    dropPlain(target, name); P.delete(name); B.delete(name); target._nonPersistentBuffers.delete(name);
    self.registerModule(name, value);
    return;
  }
  if (M.has(name)) {
    if (value === undefined) return;
    if (value !== null) throw new ModuleError(`${where()}: cannot assign ${describe(value)} as child module '${name}' (nn.Module or null expected)`);
    M.set(name, null);
    return;
  }
  if (value instanceof Buffer) {
    dropPlain(target, name); M.delete(name);
    if (B.has(name)) { B.delete(name); target._nonPersistentBuffers.delete(name); }
    self.registerBuffer(name, value, { persistent: value.persistent });
    return;
  }
  if (B.has(name)) {
    if (value === undefined) return;
    if (value !== null && !(value instanceof Tensor)) {
      throw new ModuleError(`${where()}: cannot assign ${describe(value)} as buffer '${name}' (Tensor or null expected)`);
    }
    B.set(name, value);
    return;
  }
  if (value instanceof Tensor) {
    throw new ModuleError(`${where()} is a raw Tensor: wrap it in nn.Parameter(...) (trainable), nn.Buffer(...) (fixed, saved) ` +
      `or nn.Buffer(..., {persistent: false}) (fixed, not saved). To cache a tensor on purpose (e.g. the last hidden state ` +
      `in forward), keep it in a JavaScript private field (this.#${name} = t) or register a slot once with ` +
      `this.registerBuffer('${name}', null, { persistent: false }) and then assign this.${name} = t (moved with the module, not saved)`);
  }
  if (isContainerOfModuleState(value)) throw containerError(where(), value);
  if (value === undefined && !Object.prototype.hasOwnProperty.call(target, name)) return;
  Reflect.set(target, name, value);
}

function findSetter(target: object, name: string): boolean {
  for (let o: object | null = target; o; o = Object.getPrototypeOf(o) as object | null) {
    const d = Object.getOwnPropertyDescriptor(o, name);
    if (d) return d.set !== undefined || d.get !== undefined;
  }
  return false;
}

/** Module's own bookkeeping fields: assigned directly, never routed through setAttr. */
const INTERNAL = new Set(['_parameters', '_buffers', '_nonPersistentBuffers', '_modules', '_forwardPreHooks', '_forwardHooks', '_origin']);

const handler: ProxyHandler<Module> = {
  get(target, prop, receiver) {
    if (typeof prop === 'string' && !(prop in target)) {
      if (target._parameters.has(prop)) return target._parameters.get(prop);
      if (target._buffers.has(prop)) return target._buffers.get(prop);
      if (target._modules.has(prop)) return target._modules.get(prop);
    }
    return Reflect.get(target, prop, receiver) as unknown;
  },
  set(target, prop, value, receiver) {
    if (typeof prop === 'symbol' || INTERNAL.has(prop) || findSetter(target, prop)) return Reflect.set(target, prop, value, receiver);
    setAttr(target, prop, value);
    return true;
  },
  defineProperty(target, prop, desc) {
    if (typeof prop === 'string' && !INTERNAL.has(prop) && 'value' in desc && !findSetter(target, prop)) {
      setAttr(target, prop, desc.value);
      return true;
    }
    return Reflect.defineProperty(target, prop, desc);
  },
  deleteProperty(target, prop) {
    if (typeof prop === 'string') {
      if (target._parameters.delete(prop)) return true;
      if (target._buffers.delete(prop)) { target._nonPersistentBuffers.delete(prop); return true; }
      if (target._modules.delete(prop)) return true;
    }
    return Reflect.deleteProperty(target, prop);
  },
  has(target, prop) {
    if (prop in target) return true;
    return typeof prop === 'string' && (target._parameters.has(prop) || target._buffers.has(prop) || target._modules.has(prop));
  },
};

function checkName(self: Module, kind: 'parameter' | 'buffer' | 'module', name: unknown, op: string): asserts name is string {
  const where = `${self._path()}.${op}`;
  if (typeof name !== 'string') throw new ModuleError(`${where}: ${kind} name should be a string. Got ${describe(name)}`);
  if (kind === 'module') {
    // PyTorch checks existence before the characters for modules
    if (hasPlainAttr(self, name) && !self._modules.has(name)) throw new ModuleError(`${where}: attribute '${name}' already exists`);
    if (name.includes('.')) throw new ModuleError(`${where}: module name can't contain ".", got: ${name}`);
    if (name === '') throw new ModuleError(`${where}: module name can't be empty string ""`);
    return;
  }
  if (name.includes('.')) throw new ModuleError(`${where}: ${kind} name can't contain "." (got "${name}")`);
  if (name === '') throw new ModuleError(`${where}: ${kind} name can't be empty string ""`);
}

function tensorBytes(t: Tensor): number { return t.numel() * t.elementSize(); }

export class Module {
  /** Trainable tensors by name, in registration order (null keeps a slot, as PyTorch's `bias=None`). */
  _parameters = new Map<string, Parameter | null>();
  /** Buffers by name, in registration order. */
  _buffers = new Map<string, Tensor | null>();
  /** Names of buffers that stateDict() leaves out. */
  _nonPersistentBuffers = new Set<string>();
  /** Child modules by name, in registration order. */
  _modules = new Map<string, Module | null>();
  _forwardPreHooks = new Map<number, ForwardPreHook>();
  _forwardHooks = new Map<number, ForwardHook>();
  /** Where this module was first registered (for the module path in messages). */
  _origin: { parent: Module; name: string } | null = null;
  /** Training mode (train()/eval()); layers such as Dropout and BatchNorm read it. */
  training = true;

  constructor() {
    const proxy = new Proxy(this, handler);
    proxyOf.set(this, proxy);
    return proxy;
  }

  // ---------------------------------------------------------------- registration

  /** Register a Parameter (or a null slot) under `name`. */
  registerParameter(name: string, param: Parameter | null): void {
    checkName(this, 'parameter', name, 'registerParameter');
    const raw = this as Module;
    if (hasPlainAttr(raw, name) && !this._parameters.has(name)) {
      throw new ModuleError(`${this._path()}.registerParameter: attribute '${name}' already exists`);
    }
    if (param !== null && !(param instanceof Parameter)) {
      throw new ModuleError(`${this._path()}.registerParameter: cannot assign ${describe(param)} object to parameter '${name}' (nn.Parameter or null required)` +
        ((param as unknown) instanceof Tensor ? '; wrap it: new nn.Parameter(t)' : ''));
    }
    if (param !== null && param.gradFn !== null) {
      throw new ModuleError(`${this._path()}.registerParameter: Cannot assign non-leaf Tensor to parameter '${name}'. Model parameters must be created explicitly. ` +
        `To express '${name}' as a function of another Tensor, compute the value in the forward() method.`);
    }
    param = runRegistrationHooks<Parameter | null>(globalHooks.parameterRegistration, this._self(), name, param);
    dropPlain(this, name);
    this._parameters.set(name, param);
  }

  /**
   * Register a buffer: fixed state that moves with the module and, unless `persistent: false`, is saved by
   * stateDict(). Accepts a plain Tensor (or null to keep a slot); returns it. Read it back with getBuffer(name).
   */
  registerBuffer<T extends Tensor | null>(name: string, tensor: T, options: { persistent?: boolean } = {}): T {
    const opts = checkOptions<{ persistent: boolean }>(`${this._path()}.registerBuffer`, options, ['persistent']);
    checkName(this, 'buffer', name, 'registerBuffer');
    if (hasPlainAttr(this, name) && !this._buffers.has(name)) {
      throw new ModuleError(`${this._path()}.registerBuffer: attribute '${name}' already exists`);
    }
    if (tensor !== null && !(tensor instanceof Tensor)) {
      throw new ModuleError(`${this._path()}.registerBuffer: cannot assign ${describe(tensor)} object to buffer '${name}' (Tensor or null required)`);
    }
    tensor = runRegistrationHooks(globalHooks.bufferRegistration, this._self(), name, tensor) as T;
    dropPlain(this, name);
    this._buffers.set(name, tensor);
    const persistent = opts.persistent ?? (tensor instanceof Buffer ? tensor.persistent : true);
    if (persistent) this._nonPersistentBuffers.delete(name); else this._nonPersistentBuffers.add(name);
    return tensor;
  }

  /** Register a child module (or a null slot) under `name`. */
  registerModule(name: string, module: Module | null): void {
    if (module !== null && !(module instanceof Module)) {
      throw new ModuleError(`${this._path()}.registerModule: ${describe(module)} is not a Module subclass`);
    }
    checkName(this, 'module', name, 'registerModule');
    module = runRegistrationHooks(globalHooks.moduleRegistration, this._self(), name, module);
    dropPlain(this, name);
    this._modules.set(name, module);
    if (module && !module._origin && module !== this) module._origin = { parent: proxyOf.get(this) ?? this, name };
  }

  /** Alias of registerModule (PyTorch's add_module). */
  addModule(name: string, module: Module | null): void { this.registerModule(name, module); }

  // ---------------------------------------------------------------- lookup

  /** The child module at a dotted path ('' is this module). */
  getSubmodule(target: string): Module {
    if (target === '') return this;
    return target.split('.').reduce<Module>((mod, item) => {
      const child = mod._modules.get(item);
      if (child instanceof Module) return child;
      if (!(item in mod)) throw new ModuleError(`getSubmodule('${target}'): ${mod._getName()} has no attribute \`${item}\``);
      throw new ModuleError(`getSubmodule('${target}'): \`${item}\` is not an nn.Module`);
    }, this);
  }

  /** The Parameter at a dotted path such as 'encoder.fc.weight'. */
  getParameter(target: string): Parameter {
    const i = target.lastIndexOf('.');
    const mod = this.getSubmodule(i < 0 ? '' : target.slice(0, i));
    const name = target.slice(i + 1);
    if (!(name in mod)) throw new ModuleError(`getParameter('${target}'): ${mod._getName()} has no attribute \`${name}\``);
    const p = (mod as unknown as Record<string, unknown>)[name];
    if (!(p instanceof Parameter)) throw new ModuleError(`getParameter('${target}'): \`${name}\` is not an nn.Parameter`);
    return p;
  }

  /** The buffer at a dotted path such as 'bn.running_mean'. */
  getBuffer(target: string): Tensor {
    const i = target.lastIndexOf('.');
    const mod = this.getSubmodule(i < 0 ? '' : target.slice(0, i));
    const name = target.slice(i + 1);
    if (!(name in mod)) throw new ModuleError(`getBuffer('${target}'): ${mod._getName()} has no attribute \`${name}\``);
    const b = mod._buffers.get(name);
    if (!mod._buffers.has(name)) throw new ModuleError(`getBuffer('${target}'): \`${name}\` is not a buffer`);
    if (b == null) throw new ModuleError(`getBuffer('${target}'): buffer \`${name}\` is null`);
    return b;
  }

  // ---------------------------------------------------------------- traversal

  /** This module and all below it, pre-order, as [dotted name, module] ('' for this one); shared modules once. */
  namedModules(opts: { prefix?: string; removeDuplicate?: boolean; memo?: Set<Module> } = {}): [string, Module][] {
    const removeDuplicate = opts.removeDuplicate ?? true;
    const memo = opts.memo ?? new Set<Module>();
    const out: [string, Module][] = [];
    const visit = (m: Module, prefix: string) => {
      if (removeDuplicate) { if (memo.has(m)) return; memo.add(m); }
      out.push([prefix, m]);
      for (const [name, c] of m._modules) if (c) visit(c, prefix ? `${prefix}.${name}` : name);
    };
    visit(this._self(), opts.prefix ?? '');
    return out;
  }
  modules(): Module[] { return this.namedModules().map(([, m]) => m); }

  /** Direct children as [name, module], each module once. */
  namedChildren(): [string, Module][] {
    const memo = new Set<Module>();
    const out: [string, Module][] = [];
    for (const [name, m] of this._modules) if (m && !memo.has(m)) { memo.add(m); out.push([name, m]); }
    return out;
  }
  children(): Module[] { return this.namedChildren().map(([, m]) => m); }

  private _namedMembers<T extends Tensor>(get: (m: Module) => Iterable<[string, T | null]>, opts: NamedOptions): [string, T][] {
    const removeDuplicate = opts.removeDuplicate ?? true;
    const prefix = opts.prefix ?? '';
    const mods: [string, Module][] = opts.recurse ?? true ? this.namedModules({ prefix, removeDuplicate }) : [[prefix, this._self()]];
    const memo = new Set<Tensor>();
    const out: [string, T][] = [];
    for (const [mp, m] of mods) {
      for (const [k, v] of get(m)) {
        if (v == null) continue;
        if (removeDuplicate) { if (memo.has(v)) continue; memo.add(v); }
        out.push([mp ? `${mp}.${k}` : k, v]);
      }
    }
    return out;
  }

  /** [dotted name, Parameter] in PyTorch's order; a parameter shared by several modules appears once (first path). */
  namedParameters(opts: NamedOptions = {}): [string, Parameter][] {
    const o = checkOptions<NamedOptions>(`${this._path()}.namedParameters`, opts, ['prefix', 'recurse', 'removeDuplicate']);
    this._checkHidden();
    return this._namedMembers((m) => m._parameters, o);
  }
  parameters(opts: { recurse?: boolean } = {}): Parameter[] {
    const o = checkOptions<NamedOptions>(`${this._path()}.parameters`, opts, ['recurse']);
    this._checkHidden();
    return this._namedMembers((m) => m._parameters, o).map(([, p]) => p);
  }
  /** [dotted name, buffer] (persistent or not) in PyTorch's order. */
  namedBuffers(opts: NamedOptions = {}): [string, Tensor][] {
    const o = checkOptions<NamedOptions>(`${this._path()}.namedBuffers`, opts, ['prefix', 'recurse', 'removeDuplicate']);
    this._checkHidden();
    return this._namedMembers((m) => m._buffers, o);
  }
  buffers(opts: { recurse?: boolean } = {}): Tensor[] {
    const o = checkOptions<NamedOptions>(`${this._path()}.buffers`, opts, ['recurse']);
    return this.namedBuffers(o).map(([, b]) => b);
  }

  /** Throws if a plain field anywhere in the tree hides Modules or Parameters (filled after its assignment). */
  _checkHidden(): void {
    for (const [, m] of this.namedModules()) checkHiddenState(m);
  }

  // ---------------------------------------------------------------- forward

  /**
   * Run the module: forward pre-hooks, `forward(...args)`, forward hooks. An error thrown inside is rethrown
   * with the module path prefixed (`in Net.fc (Linear): ...`).
   */
  call(...args: ForwardArgs<this>): ForwardReturn<this> {
    const self = this._self();
    const fwd = (self as unknown as { forward?: (...a: unknown[]) => unknown }).forward;
    callStack.push(self);
    try {
      if (!checkedAtCall.has(self)) { checkHiddenState(self); checkedAtCall.add(self); }
      if (typeof fwd !== 'function') {
        throw new ModuleError(`${self._getName()} has no forward(): define forward(...) in the subclass (containers such as ModuleList and ModuleDict are not callable)`);
      }
      let a = args as unknown[];
      for (const hook of [...globalHooks.forwardPre.values(), ...self._forwardPreHooks.values()]) {
        const r = hook(self, a);
        if (r !== undefined) a = Array.isArray(r) ? r : [r];
      }
      let out = fwd.apply(self, a);
      for (const hook of [...globalHooks.forward.values(), ...self._forwardHooks.values()]) {
        const r = hook(self, a, out);
        if (r !== undefined) out = r;
      }
      return out;
    } catch (e) {
      if (e instanceof Error && !annotated.has(e)) {
        annotated.add(e);
        const path = callPath();
        const cls = self._getName();
        const prefix = path === cls ? `in ${cls}: ` : `in ${path} (${cls}): `;
        const old = e.message;
        e.message = prefix + old;
        if (typeof e.stack === 'string') e.stack = e.stack.replace(old, e.message);
      }
      throw e;
    } finally {
      callStack.pop();
    }
  }

  /** hook(module, args) runs before forward; returning an array replaces the arguments. */
  registerForwardPreHook(hook: ForwardPreHook<this>, opts: { prepend?: boolean } = {}): RemovableHandle {
    opts = checkOptions(`${this._path()}.registerForwardPreHook`, opts, ['prepend']);
    return addTo(this._forwardPreHooks, hook, opts.prepend);
  }
  /** hook(module, args, output) runs after forward; returning a value other than undefined replaces the output. */
  registerForwardHook(hook: ForwardHook<this>, opts: { prepend?: boolean } = {}): RemovableHandle {
    opts = checkOptions(`${this._path()}.registerForwardHook`, opts, ['prepend']);
    return addTo(this._forwardHooks, hook, opts.prepend);
  }

  // ---------------------------------------------------------------- modes and gradients

  /** Set training mode on this module and all below it; returns this. */
  train(mode = true): this {
    if (typeof mode !== 'boolean') throw new ModuleError(`${this._path()}.train: training mode is expected to be boolean, got ${describe(mode)}`);
    this.training = mode;
    for (const m of this.children()) m.train(mode);
    return this;
  }
  /** Evaluation mode (train(false)); returns this. */
  eval(): this { return this.train(false); }

  /** Freeze (false) or unfreeze (true) every parameter; returns this. */
  requiresGrad_(requiresGrad = true): this {
    if (typeof requiresGrad !== 'boolean') throw new ModuleError(`${this._path()}.requiresGrad_: expected true or false, got ${describe(requiresGrad)}`);
    for (const p of this.parameters()) p.requiresGrad_(requiresGrad);
    return this;
  }

  /** Reset the gradients of every parameter: to null (default), or to zeros in place. */
  zeroGrad(opts: { setToNone?: boolean } = {}): void {
    const setToNone = checkOptions<{ setToNone: boolean }>(`${this._path()}.zeroGrad`, opts, ['setToNone']).setToNone ?? true;
    for (const p of this.parameters()) {
      if (!p.grad) continue;
      if (setToNone) { p.grad = null; continue; }
      const g = p.grad;
      if (g.gradFn) { g.gradFn = null; g.setRequiresGradInternal(false); } else g.setRequiresGradInternal(false);
      noGrad(() => g.zero_());
    }
  }

  /** Call fn on every child (recursively), then on this module (post-order, as PyTorch); returns this. */
  apply(fn: (m: Module) => void): this {
    if (typeof fn !== 'function') throw new ModuleError(`${this._path()}.apply: expected a function (m) => void, got ${describe(fn)}`);
    for (const m of this.children()) m.apply(fn);
    fn(this._self());
    return this;
  }

  // ---------------------------------------------------------------- device and dtype

  /**
   * Move and/or cast parameters and buffers in place (their objects stay the same, so optimizers and weight
   * ties keep working); gradients follow. A dtype applies to floating-point tensors only: integer buffers keep
   * theirs. Returns this.
   */
  to(arg: DeviceType | DTypeName | { device?: DeviceType; dtype?: DTypeName; nonBlocking?: boolean }): this {
    this._checkHidden();
    let device: DeviceType | undefined, dtype: DType | undefined;
    const fn = `${this._path()}.to`;
    if (typeof arg === 'string') {
      if (isDeviceName(arg)) device = arg; else dtype = checkDtype(fn, 'the argument', arg);
    } else {
      const o = checkOptions<{ device: DeviceType; dtype: DTypeName }>(fn, arg, ['device', 'dtype', 'nonBlocking']);
      if (o.device !== undefined) device = checkDevice(fn, 'device', o.device);
      if (o.dtype !== undefined) dtype = checkDtype(fn, 'dtype', o.dtype);
    }
    if (dtype !== undefined && !isFloating(dtype)) {
      throw new ModuleError(`${this._path()}.to: nn.Module.to only accepts floating point dtypes, but got desired dtype=${dtype}; ` +
        'integer buffers keep their dtype on float casts, and parameters must stay floating point');
    }
    if (device !== undefined && device !== 'meta' && this._ownedTensors().some((t) => t.device === 'meta')) {
      throw new ModuleError(`${this._path()}.to('${device}'): Cannot copy out of meta tensor; no data! Please use nn.Module.toEmpty() instead of ` +
        'nn.Module.to() when moving module from meta to a different device (then load weights: loadStateDict(sd, { assign: true }), or initialize them)');
    }
    if (device !== undefined) {
      const from = this._ownedTensors().find((t) => t.device !== device && !readsSync(t.device));
      if (from) {
        throw new ModuleError(`${this._path()}.to('${device}'): its tensors are on ${from.device}, whose reads are asynchronous; ` +
          `use \`await model.toAsync('${device}')\``);
      }
    }
    return this._apply((t) => {
      let r = t;
      if (device !== undefined) r = toDevice(r, device);
      if (dtype !== undefined && isFloating(r.dtype)) r = toDtype(r, dtype);
      return r;
    });
  }
  /**
   * Give every parameter and buffer new, uninitialized storage on `device` (same objects, shapes and dtypes): the
   * way out of the meta device (PyTorch's to_empty). Values are whatever the device's fresh memory holds (zeros
   * here); load or initialize them next. Returns this.
   */
  toEmpty(opts: { device: DeviceType; recurse?: boolean }): this {
    const device = checkToEmpty(this, opts);
    return this._apply((t) => emptyOn(t, device));
  }
  float(): this { return this._castFloat('float32'); }
  double(): this { return this._castFloat('float64'); }
  half(): this { return this._castFloat('float16'); }
  bfloat16(): this { return this._castFloat('bfloat16'); }
  cpu(): this { return this.to('cpu'); }

  private _castFloat(dtype: DType): this { return this._apply((t) => (isFloating(t.dtype) ? toDtype(t, dtype) : t)); }

  /**
   * Replace the data of every parameter, gradient and buffer by fn(data), in place (same objects). Children
   * first, then parameters, then buffers, as PyTorch; a shared tensor is converted once.
   */
  _apply(fn: (t: Tensor) => Tensor): this {
    noGrad(() => {
      for (const t of this._ownedTensors()) {
        const r = fn(t);
        if (r !== t) t.setData_(r);
      }
    });
    return this;
  }

  /**
   * Every parameter, gradient and buffer, once each (shared tensors once), in PyTorch's _apply order: children
   * first, then parameters (each followed by its gradient), then buffers.
   */
  private _ownedTensors(): Tensor[] {
    const seen = new Set<Tensor>();
    const out: Tensor[] = [];
    const add = (t: Tensor) => { if (!seen.has(t)) { seen.add(t); out.push(t); } };
    const visit = (m: Module) => {
      for (const c of m.children()) visit(c);
      for (const p of m._parameters.values()) {
        if (!p) continue;
        add(p);
        if (p.grad) add(p.grad);
      }
      for (const b of m._buffers.values()) if (b) add(b);
    };
    visit(this._self());
    return out;
  }

  /**
   * Move to a device whose reads are asynchronous (e.g. back from 'webgpu' to 'cpu'): the same objects as
   * `to()`, with the copies awaited. `await model.toAsync('cpu')`.
   */
  async toAsync(device: DeviceType): Promise<this> {
    const tensors = this._ownedTensors();
    const moved = await Promise.all(tensors.map((t) => t.toAsync(device)));
    noGrad(() => tensors.forEach((t, i) => { if (moved[i] !== t) t.setData_(moved[i].detach()); }));
    return this;
  }

  // ---------------------------------------------------------------- state dicts

  /** Whether this module's class overrides getExtraState (then stateDict saves `_extra_state`). */
  private _hasExtraState(): boolean { return this.getExtraState !== Module.prototype.getExtraState; }

  /** Non-tensor state saved under `<prefix>_extra_state`; override together with setExtraState. */
  getExtraState(): unknown {
    throw new ModuleError(`${this._path()}.getExtraState: reached Module.getExtraState; override getExtraState() and setExtraState() together`);
  }
  /** Restore what getExtraState returned. */
  setExtraState(state: unknown): void {
    void state;
    throw new ModuleError(`${this._path()}.setExtraState: reached Module.setExtraState; override getExtraState() and setExtraState() together`);
  }

  /**
   * Parameters and persistent buffers under PyTorch's keys, in PyTorch's order. Values are detached tensors
   * sharing storage with the module (no copy); `keepVars: true` returns the Parameters themselves. A tensor
   * reachable under several keys (weight tying) is the same object under each key.
   */
  stateDict(options: { prefix?: string; keepVars?: boolean; destination?: StateDict } = {}): StateDict {
    const opts = checkOptions<{ prefix: string; keepVars: boolean; destination: StateDict }>(`${this._path()}.stateDict`, options, ['prefix', 'keepVars', 'destination']);
    this._checkHidden();
    const dest = opts.destination ?? new Map<string, Tensor>();
    const keepVars = opts.keepVars ?? false;
    const detached = new Map<Tensor, Tensor>();
    const value = (t: Tensor) => {
      if (keepVars) return t;
      let d = detached.get(t);
      if (!d) { d = detach(t); detached.set(t, d); }
      return d;
    };
    const visit = (m: Module, prefix: string) => {
      runStateDictPreHooks(m, prefix, keepVars);
      for (const [k, p] of m._parameters) if (p) dest.set(prefix + k, value(p));
      for (const [k, b] of m._buffers) if (b && !m._nonPersistentBuffers.has(k)) dest.set(prefix + k, value(b));
      if (m._hasExtraState()) dest.set(`${prefix}_extra_state`, m.getExtraState() as Tensor);
      for (const [k, c] of m._modules) if (c) visit(c, `${prefix}${k}.`);
      runStateDictPostHooks(m, dest, prefix);
    };
    visit(this._self(), opts.prefix ?? '');
    return dest;
  }

  /**
   * Copy a state dict into the module's parameters and buffers in place (no graph; values are cast to each
   * tensor's dtype and device). With `assign`, each parameter/buffer object adopts the checkpoint tensor's
   * storage instead (no copy; ties kept). Validates everything first: on any error nothing is modified and one
   * StateDictError lists every missing key, unexpected key (both only when strict) and size mismatch.
   */
  loadStateDict(stateDict: Map<string, unknown> | Record<string, unknown>, options: { strict?: boolean; assign?: boolean } = {}): IncompatibleKeys {
    const opts = checkOptions<{ strict: boolean; assign: boolean }>(`${this._path()}.loadStateDict`, options, ['strict', 'assign']);
    this._checkHidden();
    const strict = opts.strict ?? true;
    const assign = opts.assign ?? false;
    let sd: Map<string, unknown>;
    if (stateDict instanceof Map) sd = new Map(stateDict); // a shallow copy, as PyTorch (hooks may edit it)
    else if (stateDict !== null && typeof stateDict === 'object' && !Array.isArray(stateDict) && !(stateDict instanceof Tensor)) sd = new Map(Object.entries(stateDict));
    else throw new StateDictError(`loadStateDict: Expected state_dict to be dict-like (a Map or a plain object), got ${describe(stateDict)}.`);

    const missing: string[] = [], unexpected: string[] = [], errors: string[] = [];
    let mismatches = 0;
    const copies: { dst: Tensor; src: Tensor }[] = [];
    const extras: { m: Module; v: unknown }[] = [];
    const visit = (m: Module, prefix: string) => {
      runLoadPreHooks(m, sd, prefix, strict, missing, unexpected, errors);
      const local = new Map<string, Tensor>();
      for (const [k, p] of m._parameters) if (p) local.set(k, p);
      for (const [k, b] of m._buffers) if (b && !m._nonPersistentBuffers.has(k)) local.set(k, b);
      for (const [name, dst] of local) {
        const key = prefix + name;
        if (!sd.has(key)) { missing.push(key); continue; }
        const src = sd.get(key);
        if (!(src instanceof Tensor)) {
          errors.push(`While copying the parameter named "${key}", expected torch.Tensor or Tensor-like object from checkpoint but received ${describe(src)}`);
          continue;
        }
        const srcShape = dst.ndim === 0 && src.ndim === 1 && src.numel() === 1 ? [] : src.shape;
        if (!shapesEqual(srcShape, dst.shape)) {
          errors.push(`size mismatch for ${key}: copying a param with shape ${fmt(src.shape)} from checkpoint, the shape in current model is ${fmt(dst.shape)}.`);
          mismatches++;
          continue;
        }
        if (assign && dst instanceof Parameter && dst.requiresGrad && !isFloating(src.dtype)) {
          errors.push(`While assigning the parameter named "${key}": the checkpoint holds ${src.dtype}, and only Tensors of floating point dtype can require gradients; ` +
            'cast it in the state dict (.float()) or load without assign');
          continue;
        }
        if (!assign && dst.device === 'meta' && src.device !== 'meta') {
          errors.push(`While copying the parameter named "${key}": it is on meta, where copying values in is a no-op; load with { assign: true } or call toEmpty({ device }) first`);
          continue;
        }
        copies.push({ dst, src });
      }
      const extraKey = `${prefix}_extra_state`;
      if (m.setExtraState !== Module.prototype.setExtraState) {
        if (sd.has(extraKey)) extras.push({ m, v: sd.get(extraKey) }); else missing.push(extraKey);
      } else if (sd.has(extraKey)) unexpected.push(extraKey);
      for (const key of sd.keys()) {
        if (key.startsWith(prefix) && key !== extraKey) {
          const inputName = key.slice(prefix.length).split('.')[0];
          if (!m._modules.has(inputName) && !local.has(inputName)) unexpected.push(key);
        }
      }
      for (const [k, c] of m._modules) if (c) visit(c, `${prefix}${k}.`);
    };
    visit(this._self(), '');
    if (!errors.length) runLoadPostHooks(this._self(), new IncompatibleKeys(missing, unexpected)); // before the copy: all-or-nothing holds

    if (strict) {
      if (unexpected.length) errors.unshift(`Unexpected key(s) in state_dict: ${unexpected.map((k) => `"${k}"`).join(', ')}.`);
      if (missing.length) errors.unshift(`Missing key(s) in state_dict: ${missing.map((k) => `"${k}"`).join(', ')}.`);
    }
    if (errors.length) {
      const hints: string[] = [];
      if (strict && (missing.length || unexpected.length)) {
        const prefixed = unexpected.length > 0 && unexpected.every((k) => k.startsWith('module.'));
        hints.push(prefixed
          ? "the unexpected keys start with 'module.' (a DataParallel checkpoint): nn.utils.consumePrefixInStateDict(sd, 'module.') removes it"
          : 'use {strict: false} to load the matching keys and ignore missing/unexpected ones');
      }
      if (mismatches) {
        hints.push('a size mismatch means the checkpoint was made for a different configuration (sizes, vocabulary, number of classes): ' +
          'build the model with the checkpoint\'s sizes, or delete those keys from the state dict (and load with {strict: false}) to keep their fresh initialization');
      }
      const err = new StateDictError(`Error(s) in loading state_dict for ${this._getName()}:\n\t${errors.join('\n\t')}\n` +
        `Nothing was loaded.${hints.length ? ` ${hints.map((h) => h[0].toUpperCase() + h.slice(1)).join('. ')}.` : ''}`);
      Object.assign(err, { missingKeys: missing, unexpectedKeys: unexpected, errorMsgs: errors });
      throw err;
    }
    noGrad(() => {
      for (const { dst, src } of copies) {
        if (assign) {
          const s = src.ndim === 1 && dst.ndim === 0 ? src.reshape([]) : src;
          dst.setData_(s);
        } else copy_(dst, src.ndim === 1 && dst.ndim === 0 ? src.reshape([]) : src);
      }
    });
    for (const { m, v } of extras) m.setExtraState(v);
    return new IncompatibleKeys(missing, unexpected);
  }

  // ---------------------------------------------------------------- printing

  /** Extra text inside this module's parentheses in toString(); layers override it (e.g. `in_features=4, ...`). */
  extraRepr(): string { return ''; }

  /** The class name PyTorch prints. */
  _getName(): string { return this.constructor.name; }

  /** PyTorch's repr: `Net(\n  (fc1): Linear(in_features=4, out_features=8, bias=True)\n)`. */
  toString(): string {
    const extra = this.extraRepr();
    const extraLines = extra ? extra.split('\n') : [];
    const childLines: string[] = [];
    for (const [k, m] of this._modules) childLines.push(`(${k}): ${addIndent(m ? m.toString() : 'None', 2)}`);
    const lines = [...extraLines, ...childLines];
    let s = `${this._getName()}(`;
    if (lines.length) {
      if (extraLines.length === 1 && childLines.length === 0) s += extraLines[0];
      else s += `\n  ${lines.join('\n  ')}\n`;
    }
    return `${s})`;
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string { return this.toString(); }

  // ---------------------------------------------------------------- internals

  /** The proxy of this module (what users hold). */
  _self(): Module { return proxyOf.get(this) ?? this; }

  /** `Net.encoder.fc`: the class of the root this module was first registered under, then the names. */
  _path(): string {
    const parts: string[] = [];
    let m: Module = this._self();
    const seen = new Set<Module>();
    while (m._origin && !seen.has(m)) { seen.add(m); parts.unshift(m._origin.name); m = m._origin.parent; }
    return [m._getName(), ...parts].join('.');
  }
}

function addIndent(s: string, n: number): string {
  const lines = s.split('\n');
  if (lines.length === 1) return s;
  return [lines[0], ...lines.slice(1).map((l) => ' '.repeat(n) + l)].join('\n');
}

/** The dotted path of the innermost running module, from the outermost running one. */
function callPath(): string {
  const top = callStack[callStack.length - 1];
  let path = callStack[0]._getName();
  for (let i = 1; i < callStack.length; i++) {
    let name: string | null = null;
    for (const [k, c] of callStack[i - 1]._modules) if (c === callStack[i]) { name = k; break; }
    path = name === null ? callStack[i]._path() : `${path}.${name}`;
  }
  return callStack.length ? path : top._path();
}

/** Bytes of a tensor's elements (not of its whole storage). */
export function bytesOf(t: Tensor): number { return tensorBytes(t); }
