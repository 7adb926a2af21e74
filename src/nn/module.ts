/**
 * @file nn.Module: explicit registries of parameters, buffers and child modules, as PyTorch's, filled by plain
 * class fields and assignments. The constructor returns a Proxy whose `defineProperty`/`set` traps play the part
 * of PyTorch's `__setattr__` (TS class fields are [[Define]]d on the instance; assignments are [[Set]]s), and
 * whose `get` trap plays `__getattr__` (registered names are read from the registries). Unlike PyTorch, a raw
 * Tensor or a plain array/object of Modules/Parameters attached to a module is an error at the assignment.
 * Traversal order, state-dict keys and messages follow PyTorch.
 */
import type { DeviceType } from '../backend/backend.js';
import { isFloating, type DType, type DTypeName } from '../core/dtype.js';
import { checkOptions } from '../core/args.js';
import { ModuleError } from '../core/errors.js';
import { noGrad } from '../autograd/grad-mode.js';
import { Tensor } from '../tensor/tensor.js';
import { toDevice, toDtype } from '../ops/movement.js';
import { Buffer, Parameter, describe } from './parameter.js';
import { checkToEmpty, emptyOn } from './meta.js';
import { addTo, globalHooks, runRegistrationHooks } from './hook-registry.js';
import { MODULE, checkHiddenState, checkName, dropPlain, handler, hasPlainAttr, proxyOf } from './module-attrs.js';
import { checkMove, ownedTensors } from './module-moves.js';
import { addIndent, annotateForwardError, callStack } from './module-path.js';
import { IncompatibleKeys, loadStateDictInto, stateDictOf, type StateDict } from './state-dict.js';

export { IncompatibleKeys, type StateDict } from './state-dict.js';

export interface RemovableHandle { readonly id: number; remove(): void }

type ForwardOf<M> = M extends { forward(...args: infer A): infer R } ? [A, R] : [unknown[], unknown];
/** The argument list of a module's forward. */
export type ForwardArgs<M> = ForwardOf<M>[0];
/** The return type of a module's forward. */
export type ForwardReturn<M> = ForwardOf<M>[1];

export type ForwardPreHook<M extends Module = Module> = (module: M, args: unknown[]) => unknown[] | void;
export type ForwardHook<M extends Module = Module> = (module: M, args: unknown[], output: unknown) => unknown;

export interface NamedOptions { prefix?: string; recurse?: boolean; removeDuplicate?: boolean }


/** Modules whose plain fields were checked for hidden Modules/Parameters by a first call(). */
const checkedAtCall = new WeakSet<Module>();

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

  /** The brand module-attrs.ts recognises a module by (it cannot import this class). */
  get [MODULE](): true { return true; }

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
    return this.namedParameters(o).map(([, p]) => p);
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
      annotateForwardError(e, self);
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
    const { device, dtype } = checkMove(this, arg);
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

  /** Every parameter, gradient and buffer once each, in PyTorch's _apply order (nn/module-moves.ts). */
  _ownedTensors(): Tensor[] { return ownedTensors(this._self()); }

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
  _hasExtraState(): boolean { return this.getExtraState !== Module.prototype.getExtraState; }
  /** Whether this module's class overrides setExtraState (then loadStateDict expects `_extra_state`). */
  _overridesExtraState(): boolean { return this.setExtraState !== Module.prototype.setExtraState; }

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
   * reachable under several keys (weight tying) is the same object under each key. (nn/state-dict.ts)
   */
  stateDict(options: { prefix?: string; keepVars?: boolean; destination?: StateDict } = {}): StateDict { return stateDictOf(this, options); }

  /**
   * Copy a state dict into the module's parameters and buffers in place (no graph; values are cast to each
   * tensor's dtype and device). With `assign`, each parameter/buffer object adopts the checkpoint tensor's
   * storage instead (no copy; ties kept). Validates everything first: on any error nothing is modified and one
   * StateDictError lists every missing key, unexpected key (both only when strict) and size mismatch.
   */
  loadStateDict(stateDict: Map<string, unknown> | Record<string, unknown>, options: { strict?: boolean; assign?: boolean } = {}): IncompatibleKeys {
    return loadStateDictInto(this, stateDict, options);
  }

  // ---------------------------------------------------------------- printing

  /** Extra text inside this module's parentheses in toString(); layers override it (e.g. `in_features=4, ...`). */
  extraRepr(): string { return ''; }

  /** The printed class name, kept under a minifier: each torchlet class declares its own (user subclasses don't). */
  static readonly torchName: string = 'Module';
  /** The class name PyTorch prints: the class's own `torchName`, else its constructor's name (a user's subclass). */
  _getName(): string { const c = this.constructor; return Object.hasOwn(c, 'torchName') ? (c as typeof Module).torchName : c.name; }

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
