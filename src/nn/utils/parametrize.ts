/**
 * @file `nn.utils.parametrize` (PyTorch 2.6's torch.nn.utils.parametrize): a module's tensor computed from other
 * tensors. registerParametrization(module, 'weight', P) moves the parameter (or buffer) into
 * `module.parametrizations.weight.original` (or `original0, original1, ...` when P.rightInverse returns several
 * tensors) and makes `module.weight` read P(original); several parametrizations stack in a ParametrizationList.
 * State-dict keys and the module tree are PyTorch's.
 *
 * How `module.weight` becomes computed without touching Module's attribute machinery: PyTorch injects a subclass
 * with a property; here the same property is an own accessor (non-enumerable, configurable) defined on the
 * module object. Module's Proxy already routes reads and writes of a name that has an accessor to it (the get
 * trap reads names `in target` with Reflect.get, the set trap calls setters), so module.ts needs no change.
 */
import { ModuleError } from '../../core/errors.js';
import { checkBoolean, checkFunction, checkOptions, checkString } from '../../core/args.js';
import { noGrad } from '../../autograd/grad-mode.js';
import { Tensor } from '../../tensor/tensor.js';
import { fmt, shapesEqual } from '../../core/shape.js';
import { Module } from '../module.js';
import { Buffer, Parameter, describe } from '../parameter.js';
import { ModuleDict, ModuleList } from '../containers.js';

/** Originals whose values a rightInverse wrote (an nn.init record on them no longer describes them). */
const setByRightInverse = new WeakSet<Tensor>();

/** Throw it from a parametrization's rightInverse to say "no inverse" (registration then keeps the tensor as is). */
export class NotImplementedError extends ModuleError {}

/** A parametrization: a Module whose forward maps the original tensor(s) to the tensor the module uses. */
export interface Parametrization extends Module {
  /** Optional: maps a value of the parametrized tensor back to the original(s) (one tensor, or several). */
  rightInverse?(value: Tensor): Tensor | Tensor[];
}

type AnyModule = Module & Record<string, unknown>;
/** The module as a plain record of optional attributes (for `delete`). */
const attrs = (m: Module) => m as unknown as Partial<Record<string, unknown>>;
const callP = (p: Module, ...args: Tensor[]): Tensor => (p as unknown as { call(...a: Tensor[]): Tensor }).call(...args);
const hasRightInverse = (p: Module): p is Parametrization & { rightInverse(v: Tensor): Tensor | Tensor[] } =>
  typeof (p as Parametrization).rightInverse === 'function';

function registerOriginal(owner: Module, name: string, t: Tensor): void {
  if (t instanceof Parameter) owner.registerParameter(name, t);
  else owner.registerBuffer(name, t);
}

/**
 * The parametrizations of one tensor, in order, plus its original(s): `original` (one tensor) or `original0`,
 * `original1`, ... (rightInverse returned several). Calling it computes the parametrized tensor.
 */
export class ParametrizationList extends ModuleList {
  /** Whether the originals are one tensor (`original`) or several (`original0`, ...). */
  isTensor: boolean;
  /** How many originals. */
  ntensors: number;
  /** Registered with unsafe: true (no shape/dtype checks). */
  unsafe: boolean;

  constructor(modules: Module[], original: Tensor, unsafe = false) {
    super(modules);
    this.unsafe = unsafe;
    const shape = [...original.shape], dtype = original.dtype;
    let next: Tensor | Tensor[] = original;
    noGrad(() => {
      for (const m of [...this].reverse()) {
        if (!hasRightInverse(m)) continue;
        try { next = m.rightInverse(next as Tensor); } catch (e) { if (!(e instanceof NotImplementedError)) throw e; }
      }
    });
    const value = next as Tensor | Tensor[];
    if (!(value instanceof Tensor) && !Array.isArray(value)) {
      throw new ModuleError(`registerParametrization: 'rightInverse' must return a Tensor or an Array of Tensors. Got ${describe(value)}`);
    }
    this.isTensor = value instanceof Tensor;
    this.ntensors = value instanceof Tensor ? 1 : value.length;
    if (value instanceof Tensor) {
      if (value.dtype !== dtype) {
        throw new ModuleError(`registerParametrization: When 'rightInverse' outputs one tensor, it may not change the dtype.\n` +
          `original.dtype: ${dtype}\nrightInverse(original).dtype: ${value.dtype}`);
      }
      if (value !== original) { noGrad(() => original.setData_(value)); setByRightInverse.add(original); } // PyTorch's original.set_(new)
      registerOriginal(this, 'original', original);
    } else {
      value.forEach((t, i) => {
        if (!(t instanceof Tensor)) throw new ModuleError(`registerParametrization: 'rightInverse' must return a Tensor or an Array of Tensors; element ${i} is ${describe(t)}`);
        const o = original instanceof Parameter ? new Parameter(t.detach(), original.requiresGrad) : new Buffer(t.detach());
        registerOriginal(this, `original${i}`, o);
      });
    }
    if (!unsafe) {
      const Z = this.call() as unknown;
      if (!(Z instanceof Tensor)) throw new ModuleError(`registerParametrization: A parametrization must return a tensor. Got ${describe(Z)}.`);
      if (Z.dtype !== dtype) {
        throw new ModuleError(`registerParametrization: Registering a parametrization may not change the dtype of the tensor, unless \`unsafe: true\` is passed.\n` +
          `unparametrized dtype: ${dtype}\nparametrized dtype: ${Z.dtype}`);
      }
      if (!shapesEqual(Z.shape, shape)) {
        throw new ModuleError(`registerParametrization: Registering a parametrization may not change the shape of the tensor, unless \`unsafe: true\` is passed.\n` +
          `unparametrized shape: ${fmt(shape)}\nparametrized shape: ${fmt(Z.shape)}`);
      }
    }
  }

  /** The originals in order (one or several). */
  originals(): Tensor[] {
    const own = this as unknown as Module;
    if (this.isTensor) return [(own._parameters.get('original') ?? own._buffers.get('original'))!];
    return Array.from({ length: this.ntensors }, (_, i) => (own._parameters.get(`original${i}`) ?? own._buffers.get(`original${i}`))!);
  }

  /** Write `value` into the originals through each parametrization's rightInverse, last first (no graph). */
  rightInverse(value: Tensor): void {
    noGrad(() => {
      let v: Tensor | Tensor[] = value;
      for (const m of [...this].reverse()) {
        if (!hasRightInverse(m)) throw new ModuleError(`parametrization ${m._getName()} does not implement rightInverse`);
        v = m.rightInverse(v as Tensor);
      }
      const originals = this.originals();
      if (this.isTensor) {
        if (!(v instanceof Tensor)) throw new ModuleError(`rightInverse: expected a Tensor, got ${describe(v)}`);
        if (v.dtype !== originals[0].dtype) {
          throw new ModuleError(`The tensor returned by rightInverse has dtype ${v.dtype} while \`original\` has dtype ${originals[0].dtype}`);
        }
        originals[0].setData_(v);
        setByRightInverse.add(originals[0]);
      } else {
        if (!Array.isArray(v)) throw new ModuleError(`rightInverse must return an Array of ${this.ntensors} Tensors, got ${describe(v)}`);
        if (v.length !== this.ntensors) throw new ModuleError(`rightInverse must return an Array of length ${this.ntensors}, got length ${v.length}`);
        v.forEach((t, i) => {
          if (t.dtype !== originals[i].dtype) throw new ModuleError(`Tensor ${i} returned by rightInverse has dtype ${t.dtype} while \`original${i}\` has dtype ${originals[i].dtype}`);
          originals[i].setData_(t);
        });
      }
    });
  }

  forward(): Tensor {
    const mods = [...this];
    let x = callP(mods[0], ...this.originals());
    for (let i = 1; i < mods.length; i++) x = callP(mods[i], x);
    return x;
  }

  override _getName(): string { return 'ParametrizationList'; }
}

// ---------------------------------------------------------------- caching

let cacheDepth = 0;
let cache = new WeakMap<Module, Map<string, Tensor>>();

/**
 * Run `fn` with parametrized tensors computed once and reused (PyTorch's `with parametrize.cached():`), e.g. a
 * recurrent layer reading a parametrized weight at every step. Nests; the cache is dropped when the outermost
 * call returns. Returns what fn returns.
 */
export function cached<T>(fn: () => T): T {
  checkFunction('nn.utils.parametrize.cached', 'fn', fn);
  cacheDepth++;
  try { return fn(); } finally { if (--cacheDepth === 0) cache = new WeakMap(); }
}

// ---------------------------------------------------------------- registration

function parametrizationsOf(module: Module): ModuleDict | null {
  const p = module._modules.get('parametrizations');
  return p instanceof ModuleDict ? p : null;
}

/** Whether `module` has parametrizations (on `tensorName` when given). */
export function isParametrized(module: Module, tensorName?: string): boolean {
  if (!(module instanceof Module)) throw new ModuleError(`nn.utils.parametrize.isParametrized: expected a Module, got ${describe(module)}`);
  if (tensorName !== undefined) checkString('nn.utils.parametrize.isParametrized', 'tensorName', tensorName);
  const p = parametrizationsOf(module);
  if (!p) return false;
  return tensorName === undefined ? p._modules.size > 0 : p.has(tensorName);
}

function listOf(module: Module, name: string): ParametrizationList {
  return parametrizationsOf(module)!.get(name) as ParametrizationList;
}

function getParametrized(module: Module, name: string): Tensor {
  const list = listOf(module, name);
  if (cacheDepth === 0) return list.call();
  let per = cache.get(module);
  if (!per) { per = new Map(); cache.set(module, per); }
  let t = per.get(name);
  if (!t) { t = list.call(); per.set(name, t); }
  return t;
}

function injectProperty(module: Module, name: string): void {
  // through the Proxy's defineProperty trap: an accessor descriptor goes to Reflect.defineProperty unchanged
  Object.defineProperty(module, name, {
    configurable: true, enumerable: false,
    get(this: Module) { return getParametrized(this, name); },
    set(this: Module, value: unknown) {
      if (!(value instanceof Tensor)) throw new ModuleError(`${this._path()}.${name} is parametrized: assign a Tensor (it goes through rightInverse), got ${describe(value)}`);
      listOf(this, name).rightInverse(value);
    },
  });
}

/** A module whose `N` is parametrized: read as a computed Tensor, and assignable with any Tensor (via rightInverse). */
export type Parametrized<M extends Module, N extends string> = Module & Omit<M, N> & { [K in N]: Tensor };

/** The class name before parametrization, per module (its `_getName` becomes `Parametrized<Name>`). */
const originalName = new WeakMap<Module, string>();

/**
 * Make `module[tensorName]` (a parameter or buffer) the output of `parametrization` (an nn.Module whose forward
 * takes the original tensor(s); an optional `rightInverse(value)` maps a value back, used at registration and on
 * `module[tensorName] = value`). A second registration on the same tensor stacks (applied after the first).
 * Unless `unsafe: true`, the parametrized tensor must keep its shape and dtype. Returns the module.
 */
export function registerParametrization<M extends Module, N extends string>(module: M, tensorName: N, parametrization: Module, options: { unsafe?: boolean } = {}): Parametrized<M, N> {
  const fn = 'nn.utils.parametrize.registerParametrization';
  if (!(module instanceof Module)) throw new ModuleError(`${fn}: expected a Module as the first argument, got ${describe(module)}`);
  checkString(fn, 'tensorName', tensorName);
  if (!(parametrization instanceof Module)) {
    throw new ModuleError(`${fn}: the parametrization must be an nn.Module with a forward(...) (got ${describe(parametrization)}); ` +
      'write class P extends nn.Module { forward(x) { ... } }');
  }
  const opts = checkOptions<{ unsafe: boolean }>(fn, options, ['unsafe']);
  const unsafe = opts.unsafe === undefined ? false : checkBoolean(fn, 'unsafe', opts.unsafe);
  parametrization.train(module.training);
  if (isParametrized(module, tensorName)) {
    if (!unsafe) {
      const Y = (module as unknown as AnyModule)[tensorName] as Tensor;
      const X = callP(parametrization, Y) as unknown;
      if (!(X instanceof Tensor)) throw new ModuleError(`${fn}: A parametrization must return a tensor. Got ${describe(X)}.`);
      if (X.dtype !== Y.dtype) throw new ModuleError(`${fn}: Registering a parametrization may not change the dtype of the tensor, unless \`unsafe: true\` is passed.\nunparametrized dtype: ${Y.dtype}\nparametrized dtype: ${X.dtype}`);
      if (!shapesEqual(X.shape, Y.shape)) throw new ModuleError(`${fn}: Registering a parametrization may not change the shape of the tensor, unless \`unsafe: true\` is passed.\nunparametrized shape: ${fmt(Y.shape)}\nparametrized shape: ${fmt(X.shape)}`);
      if (hasRightInverse(parametrization)) {
        let Z: unknown = null;
        try { Z = noGrad(() => parametrization.rightInverse(X)); } catch (e) { if (!(e instanceof NotImplementedError)) throw e; }
        if (Z !== null) {
          if (!(Z instanceof Tensor)) throw new ModuleError(`${fn}: parametrization.rightInverse must return a tensor. Got: ${describe(Z)}`);
          if (Z.dtype !== Y.dtype) throw new ModuleError(`${fn}: The tensor returned by parametrization.rightInverse must have the same dtype as ${tensorName}, unless \`unsafe: true\` is passed.`);
          if (!shapesEqual(Z.shape, Y.shape)) throw new ModuleError(`${fn}: The tensor returned by parametrization.rightInverse must have the same shape as ${tensorName}, unless \`unsafe: true\` is passed.`);
        }
      }
    }
    const list = listOf(module, tensorName);
    list.append(parametrization);
    list.unsafe ||= unsafe;
  } else if (module._parameters.get(tensorName) || module._buffers.get(tensorName)) {
    const original = (module._parameters.get(tensorName) ?? module._buffers.get(tensorName))!;
    const list = new ParametrizationList([parametrization], original, unsafe);
    delete (module as unknown as AnyModule)[tensorName];
    if (!isParametrized(module)) {
      const name = module._getName();
      originalName.set(module, name);
      (module as unknown as AnyModule)._getName = () => `Parametrized${name}`;
      (module as unknown as AnyModule).parametrizations = new ModuleDict();
    }
    injectProperty(module, tensorName);
    parametrizationsOf(module)!.set(tensorName, list);
  } else {
    throw new ModuleError(`${fn}: Module '${module._getName()}' does not have a parameter, a buffer, or a parametrized element with name '${tensorName}'`);
  }
  return module as unknown as Parametrized<M, N>;
}

/**
 * Undo registerParametrization on `tensorName`. With `leaveParametrized: true` (the default) the tensor keeps its
 * current parametrized value (the original Parameter object takes it, so optimizers keep working); with false it
 * goes back to the original. Returns the module.
 */
export function removeParametrizations<M extends Module>(module: M, tensorName: string, options: { leaveParametrized?: boolean } = {}): M {
  const fn = 'nn.utils.parametrize.removeParametrizations';
  const opts = checkOptions<{ leaveParametrized: boolean }>(fn, options, ['leaveParametrized']);
  const leave = opts.leaveParametrized === undefined ? true : checkBoolean(fn, 'leaveParametrized', opts.leaveParametrized);
  if (!isParametrized(module, tensorName)) throw new ModuleError(`${fn}: Module ${module._getName()} does not have a parametrization on ${tensorName}`);
  const list = listOf(module, tensorName);
  let original: Tensor;
  if (list.isTensor) {
    original = list.originals()[0];
    if (leave) {
      const t = noGrad(() => getParametrized(module, tensorName));
      noGrad(() => original.setData_(t.detach()));
    }
  } else {
    if (!leave) throw new ModuleError(`${fn}: Cannot leave unparametrized (\`leaveParametrized: false\`) a tensor that is parametrized in terms of a sequence of tensors.`);
    const t = noGrad(() => getParametrized(module, tensorName)).detach();
    const first = list.originals()[0];
    original = first instanceof Parameter ? new Parameter(t, first.requiresGrad) : t;
  }
  delete (module as unknown as AnyModule)[tensorName]; // the accessor
  const dict = parametrizationsOf(module)!;
  dict.delete(tensorName);
  registerOriginal(module, tensorName, original);
  if (!isParametrized(module)) {
    delete attrs(module).parametrizations;
    delete attrs(module)._getName;
    originalName.delete(module);
  }
  return module;
}

/** Per parametrized tensor of `model` (dotted name): its parametrization chain and its originals, for summaries. */
export interface ParametrizedTensorInfo {
  /** Dotted name of the computed tensor (`fc.weight`). */
  name: string;
  /** The parametrizations applied, in order (class names). */
  functions: string[];
  /** The originals: dotted state-dict names and the tensors. */
  originals: { name: string; tensor: Tensor }[];
}

/** Every parametrized tensor under `model`. */
export function parametrizedTensors(model: Module): ParametrizedTensorInfo[] {
  const out: ParametrizedTensorInfo[] = [];
  for (const [path, m] of model.namedModules()) {
    const dict = parametrizationsOf(m);
    if (!dict || !originalName.has(m)) continue;
    const pre = path ? `${path}.` : '';
    for (const [name, list] of dict.items()) {
      const pl = list as ParametrizationList;
      const names = pl.isTensor ? ['original'] : Array.from({ length: pl.ntensors }, (_, i) => `original${i}`);
      out.push({
        name: pre + name,
        functions: [...pl].map((p) => p._getName()),
        originals: pl.originals().map((t, i) => ({ name: `${pre}parametrizations.${name}.${names[i]}`, tensor: t })),
      });
    }
  }
  return out;
}

/**
 * For summaries: state-dict name of each original → its role (`original0 of fc.weight = _WeightNorm(original0,
 * original1)`) and whether a rightInverse wrote its values (then an nn.init record on it is stale).
 */
export function originalRoles(model: Module): Map<string, { role: string; setByRightInverse: boolean }> {
  const out = new Map<string, { role: string; setByRightInverse: boolean }>();
  for (const info of parametrizedTensors(model)) {
    const args = info.originals.map((o) => o.name.split('.').pop()!).join(', ');
    const chain = info.functions.reduce((inner, f) => `${f}(${inner})`, args);
    for (const o of info.originals) {
      out.set(o.name, { role: `${o.name.split('.').pop()} of ${info.name} = ${chain}`, setByRightInverse: setByRightInverse.has(o.tensor) });
    }
  }
  return out;
}

/**
 * The computed tensor's value without side effects: the parametrizations run in eval mode (spectral norm does not
 * iterate) and without a graph; their training flags are restored.
 */
export function peekParametrized(model: Module, dottedName: string): Tensor {
  const i = dottedName.lastIndexOf('.');
  const owner = i < 0 ? model : model.getSubmodule(dottedName.slice(0, i));
  const name = dottedName.slice(i + 1);
  const list = listOf(owner, name);
  const flags = [...list.modules()].map((m) => [m, m.training] as const);
  list.eval();
  try { return noGrad(() => list.call()); } finally { for (const [m, t] of flags) m.training = t; }
}
