/**
 * @file nn.Module's attribute machinery: the Proxy whose `defineProperty`/`set` traps play PyTorch's
 * `__setattr__` (`setAttr`: Parameters, Buffers and Modules go to the registries, a raw Tensor or a plain
 * container of module state is an error with the fix) and whose `get` trap plays `__getattr__`; the name checks
 * of the register* methods; and the typed empty slots (`bias = nn.optionalParameter()`). Knows Module only as a
 * type (a module is recognised by its MODULE brand), so module.ts imports this file and not the other way.
 */
import type { Module } from './module.js';
import type { Tensor as TensorT } from '../tensor/tensor.js';
import { Tensor } from '../tensor/tensor.js';
import { checkOptions } from '../core/args.js';
import { ModuleError } from '../core/errors.js';
import { Buffer, Parameter, describe } from './parameter.js';

/** The brand every Module carries (a prototype getter of Module): `isModule` without importing the class. */
export const MODULE: unique symbol = Symbol('torchlet.nn.Module');
export function isModule(v: unknown): v is Module {
  return typeof v === 'object' && v !== null && (v as { [MODULE]?: unknown })[MODULE] === true;
}

/** An empty registered slot, made by optionalParameter/optionalBuffer/optionalModule (what `bias=None` is in PyTorch). */
class Slot {
  constructor(readonly kind: 'parameter' | 'buffer' | 'module', readonly persistent = true) {}
}

/**
 * A field initializer that registers an empty parameter slot (PyTorch's `self.bias = None` after
 * `register_parameter('bias', None)`): `bias = nn.optionalParameter();` types the field `Parameter | null`, keeps
 * its place in the registration order and is assignable later (`this.bias = new nn.Parameter(t)` or null).
 */
export function optionalParameter(): Parameter | null {
  if (arguments.length) throw new ModuleError('nn.optionalParameter: takes no arguments; assign the Parameter itself (this.bias = new nn.Parameter(t)) for a filled slot');
  return new Slot('parameter') as unknown as Parameter | null;
}

/** An empty buffer slot (`mask = nn.optionalBuffer({ persistent: false })`): typed `Tensor | null`, assignable later. */
export function optionalBuffer(options: { persistent?: boolean } = {}): TensorT | null {
  const o = checkOptions<{ persistent: boolean }>('nn.optionalBuffer', options, ['persistent']);
  if (o.persistent !== undefined && typeof o.persistent !== 'boolean') throw new ModuleError(`nn.optionalBuffer: persistent must be true or false, got ${describe(o.persistent)}`);
  return new Slot('buffer', o.persistent ?? true) as unknown as TensorT | null;
}

/** An empty child-module slot (`norm = nn.optionalModule<nn.LayerNorm>()`): typed `M | null`, assignable later. */
export function optionalModule<M extends Module = Module>(): M | null {
  if (arguments.length) throw new ModuleError('nn.optionalModule: takes no arguments; assign the module itself for a filled slot');
  return new Slot('module') as unknown as M | null;
}

/** The proxy of each raw module object (methods may run with either as `this`). */
export const proxyOf = new WeakMap<object, Module>();

function isContainerOfModuleState(v: unknown, depth = 0): boolean {
  if (depth > 2 || v === null || typeof v !== 'object') return false;
  const isState = (x: unknown) => isModule(x) || x instanceof Parameter || x instanceof Buffer || isContainerOfModuleState(x, depth + 1);
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

/** Throws if a plain field of `m` (an Array/Map/Set/object filled after assignment) holds Modules or Parameters. */
export function checkHiddenState(m: Module): void {
  for (const k of Object.keys(m)) {
    if (INTERNAL.has(k)) continue;
    const v = (m as unknown as Record<string, unknown>)[k];
    if (v !== null && typeof v === 'object' && !(v instanceof Tensor) && !isModule(v) && isContainerOfModuleState(v)) {
      throw containerError(`${m._path()}.${k}`, v, true);
    }
  }
}

/** Whether `name` is visible on the module other than through the registries (own property or prototype). */
export function hasPlainAttr(target: Module, name: string): boolean {
  if (Object.prototype.hasOwnProperty.call(target, name)) return (target as unknown as Record<string, unknown>)[name] !== undefined;
  return name in target;
}

export function dropPlain(target: Module, name: string): void {
  if (Object.prototype.hasOwnProperty.call(target, name)) Reflect.deleteProperty(target, name);
}

/** PyTorch's `__setattr__` dispatch, with raw Tensors and plain containers of module state rejected. */
export function setAttr(target: Module, name: string, value: unknown): void {
  const P = target._parameters, B = target._buffers, M = target._modules;
  const self = proxyOf.get(target) ?? target;
  const where = () => `${self._path()}.${name}`;
  if (value instanceof Slot) {
    dropPlain(target, name);
    if (value.kind === 'parameter') self.registerParameter(name, null);
    else if (value.kind === 'module') self.registerModule(name, null);
    else self.registerBuffer(name, null, { persistent: value.persistent });
    return;
  }
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
  if (isModule(value)) {
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
export const INTERNAL = new Set(['_parameters', '_buffers', '_nonPersistentBuffers', '_modules', '_forwardPreHooks', '_forwardHooks', '_origin']);

export const handler: ProxyHandler<Module> = {
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

export function checkName(self: Module, kind: 'parameter' | 'buffer' | 'module', name: unknown, op: string): asserts name is string {
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
