/**
 * @file Containers that register what they hold, with PyTorch's keys: Sequential and ModuleList (`0`, `1`, ...),
 * ModuleDict (its keys), ParameterList (`0`, `1`, ...), ParameterDict (its keys). So `layers.0.weight` is the
 * state-dict key of the first layer's weight in `layers = new nn.ModuleList([...])`.
 */
import { ModuleError } from '../core/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';
import { Buffer, Parameter, describe } from './parameter.js';

function normIndex(op: string, i: number, n: number): number {
  if (!Number.isInteger(i)) throw new ModuleError(`${op}: index must be an integer, got ${i}`);
  const j = i < 0 ? i + n : i;
  if (j < 0 || j >= n) throw new ModuleError(`${op}: index ${i} is out of range (length ${n})`);
  return j;
}

function asModule(op: string, m: unknown): Module {
  if (!(m instanceof Module)) throw new ModuleError(`${op}: ${describe(m)} is not a Module subclass`);
  return m;
}

/** Renumber a map's entries 0..n-1 in order (after insert/delete in list containers). */
function renumber<V>(map: Map<string, V>, values: V[]): void {
  map.clear();
  values.forEach((v, i) => map.set(String(i), v));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || v instanceof Module || v instanceof Tensor) return false;
  const p: unknown = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

function entriesOf<V>(src: Record<string, V> | Iterable<[string, V]> | Map<string, V>): [string, V][] {
  if (src instanceof Map) return [...src];
  if (isRecord(src)) return Object.entries<V>(src);
  return [...(src)];
}

/** The type of `seq.at(i)`: the i-th child's class for a literal index into a tuple of children, else any child. */
export type SequentialAt<M extends readonly Module[], I extends number> =
  number extends I ? M[number] : `${I}` extends keyof M ? M[`${I}` & keyof M] : M[number];

/**
 * Modules called in order, each on the previous one's output. `new nn.Sequential(a, b)` or
 * `new nn.Sequential({conv: a, act: b})`. Typed by its children: `new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU()).at(0)`
 * is a `Linear`.
 */
export class Sequential<M extends Module[] = Module[]> extends Module {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'Sequential';
  constructor(...modules: M);
  constructor(modules: Record<string, Module> | Map<string, Module>);
  constructor(...modules: unknown[]) {
    super();
    if (modules.length === 1 && !(modules[0] instanceof Module) && (isRecord(modules[0]) || modules[0] instanceof Map)) {
      for (const [k, m] of entriesOf(modules[0] as Record<string, Module>)) this.registerModule(k, asModule(`Sequential: entry '${k}'`, m));
    } else {
      modules.forEach((m, i) => this.registerModule(String(i), asModule(`Sequential: argument ${i}`, m)));
    }
  }

  /** Typed Tensor -> Tensor (the usual chain); modules passing other values (tuples) still run: cast at the call. */
  forward(input: Tensor): Tensor {
    let x = input;
    for (const m of this._modules.values()) if (m) x = m.call(x) as Tensor;
    return x;
  }

  get length(): number { return this._modules.size; }
  /** The module at position i (negative counts from the end). */
  at<I extends number>(i: I): SequentialAt<M, I> { return [...this._modules.values()][normIndex('Sequential.at', i, this.length)] as SequentialAt<M, I>; }
  /** A new Sequential of modules [start, end), keeping their keys (as PyTorch's slicing). */
  slice(start = 0, end = this.length): Sequential<M[number][]> {
    return new Sequential(new Map([...this._modules].slice(start, end) as [string, Module][]));
  }
  /** Append a module under the next index; returns this. */
  append(module: Module): this { this.registerModule(String(this.length), asModule('Sequential.append', module)); return this; }
  extend(modules: Iterable<Module>): this { for (const m of modules) this.append(m); return this; }
  /** Insert at position i, renumbering the keys after it. */
  insert(i: number, module: Module): this {
    asModule('Sequential.insert', module);
    const vals = [...this._modules.values()];
    const j = i < 0 ? Math.max(0, i + vals.length) : Math.min(i, vals.length);
    vals.splice(j, 0, module);
    renumber(this._modules, vals);
    return this;
  }
  /** Remove and return the module at position i (keys after it are renumbered). */
  pop(i = -1): M[number] {
    const vals = [...this._modules.values()];
    const j = normIndex('Sequential.pop', i, vals.length);
    const [m] = vals.splice(j, 1);
    renumber(this._modules, vals);
    return m as M[number];
  }
  [Symbol.iterator](): Iterator<M[number]> { return ([...this._modules.values()] as M[number][])[Symbol.iterator](); }
}

/** A list of modules, registered under `0`, `1`, ...; not callable (iterate it in forward). */
export class ModuleList<M extends Module = Module> extends Module {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'ModuleList';
  constructor(modules: Iterable<M> = []) {
    super();
    for (const m of modules) this.append(m);
  }
  get length(): number { return this._modules.size; }
  at(i: number): M { return [...this._modules.values()][normIndex('ModuleList.at', i, this.length)] as M; }
  /** Replace the module at position i. */
  set(i: number, module: M): this { this.registerModule(String(normIndex('ModuleList.set', i, this.length)), asModule('ModuleList.set', module)); return this; }
  append(module: M): this { this.registerModule(String(this.length), asModule('ModuleList.append', module)); return this; }
  extend(modules: Iterable<M>): this { for (const m of modules) this.append(m); return this; }
  insert(i: number, module: M): this {
    asModule('ModuleList.insert', module);
    const vals = [...this._modules.values()];
    const j = i < 0 ? Math.max(0, i + vals.length) : Math.min(i, vals.length);
    vals.splice(j, 0, module);
    renumber(this._modules, vals);
    return this;
  }
  pop(i = -1): M {
    const vals = [...this._modules.values()];
    const [m] = vals.splice(normIndex('ModuleList.pop', i, vals.length), 1);
    renumber(this._modules, vals);
    return m as M;
  }
  [Symbol.iterator](): Iterator<M> { return ([...this._modules.values()] as M[])[Symbol.iterator](); }
}

/** Modules by name, in insertion order; not callable. Iterating yields the keys, as PyTorch's. */
export class ModuleDict<M extends Module = Module> extends Module {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'ModuleDict';
  constructor(modules: Record<string, M> | Iterable<[string, M]> = {}) {
    super();
    this.update(modules);
  }
  get length(): number { return this._modules.size; }
  get(key: string): M {
    const m = this._modules.get(key);
    if (!m) throw new ModuleError(`ModuleDict.get: no module under key '${key}' (keys: ${[...this._modules.keys()].join(', ') || 'none'})`);
    return m as M;
  }
  set(key: string, module: M): this { this.registerModule(key, asModule(`ModuleDict.set('${key}')`, module)); return this; }
  has(key: string): boolean { return this._modules.has(key); }
  /** Remove and return the module under key. */
  pop(key: string): M { const m = this.get(key); this._modules.delete(key); return m; }
  delete(key: string): boolean { return this._modules.delete(key); }
  clear(): void { this._modules.clear(); }
  update(modules: Record<string, M> | Iterable<[string, M]>): this {
    for (const [k, m] of entriesOf(modules)) this.set(k, m);
    return this;
  }
  keys(): string[] { return [...this._modules.keys()]; }
  values(): M[] { return [...this._modules.values()] as M[]; }
  items(): [string, M][] { return [...this._modules] as [string, M][]; }
  entries(): [string, M][] { return this.items(); }
  [Symbol.iterator](): Iterator<string> { return this.keys()[Symbol.iterator](); }
}

function asParameter(op: string, p: unknown): Parameter {
  if (p instanceof Parameter) return p;
  if (p instanceof Buffer) throw new ModuleError(`${op}: got an nn.Buffer; a ParameterList/ParameterDict holds Parameters (register buffers with registerBuffer)`);
  if (p instanceof Tensor) return new Parameter(p);
  throw new ModuleError(`${op}: expected an nn.Parameter (or a Tensor, which becomes one), got ${describe(p)}`);
}

/** torch.typename of a CPU tensor of each dtype (ParameterDict's repr prints it). */
const TYPENAME: Record<string, string> = {
  float32: 'FloatTensor', float64: 'DoubleTensor', float16: 'HalfTensor', bfloat16: 'BFloat16Tensor', int64: 'LongTensor',
  int32: 'IntTensor', int8: 'CharTensor', uint8: 'ByteTensor', bool: 'BoolTensor',
};

/** PyTorch 1.13's child line: ParameterList prints the dtype, ParameterDict the tensor type name. */
function paramRepr(k: string, p: Parameter | null, typename: boolean): string {
  if (!p) return `  (${k}): None`;
  const dev = p.device === 'cpu' ? '' : ` (${p.device})`;
  const type = typename ? TYPENAME[p.dtype] ?? p.dtype : p.dtype;
  return `  (${k}): Parameter containing: [torch.${type} of size ${p.shape.join('x')}${dev}]`;
}

/** Parameters registered under `0`, `1`, ...; plain Tensors are wrapped in nn.Parameter. */
export class ParameterList extends Module {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'ParameterList';
  constructor(params: Iterable<Parameter | Tensor> = []) {
    super();
    for (const p of params) this.append(p);
  }
  get length(): number { return this._parameters.size; }
  at(i: number): Parameter { return [...this._parameters.values()][normIndex('ParameterList.at', i, this.length)]!; }
  set(i: number, p: Parameter | Tensor): this { this.registerParameter(String(normIndex('ParameterList.set', i, this.length)), asParameter('ParameterList.set', p)); return this; }
  append(p: Parameter | Tensor): this { this.registerParameter(String(this.length), asParameter('ParameterList.append', p)); return this; }
  extend(ps: Iterable<Parameter | Tensor>): this { for (const p of ps) this.append(p); return this; }
  [Symbol.iterator](): Iterator<Parameter> { return ([...this._parameters.values()] as Parameter[])[Symbol.iterator](); }
  override extraRepr(): string { return [...this._parameters].map(([k, p]) => paramRepr(k, p, false)).join('\n'); }
}

/** Parameters by name, in insertion order; plain Tensors are wrapped in nn.Parameter. Iterating yields the keys. */
export class ParameterDict extends Module {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'ParameterDict';
  constructor(params: Record<string, Parameter | Tensor> | Iterable<[string, Parameter | Tensor]> = {}) {
    super();
    this.update(params);
  }
  get length(): number { return this._parameters.size; }
  get(key: string): Parameter {
    const p = this._parameters.get(key);
    if (!p) throw new ModuleError(`ParameterDict.get: no parameter under key '${key}' (keys: ${[...this._parameters.keys()].join(', ') || 'none'})`);
    return p;
  }
  set(key: string, p: Parameter | Tensor): this { this.registerParameter(key, asParameter(`ParameterDict.set('${key}')`, p)); return this; }
  has(key: string): boolean { return this._parameters.has(key); }
  pop(key: string): Parameter { const p = this.get(key); this._parameters.delete(key); return p; }
  delete(key: string): boolean { return this._parameters.delete(key); }
  clear(): void { this._parameters.clear(); }
  update(params: Record<string, Parameter | Tensor> | Iterable<[string, Parameter | Tensor]>): this {
    for (const [k, p] of entriesOf(params)) this.set(k, p);
    return this;
  }
  keys(): string[] { return [...this._parameters.keys()]; }
  values(): Parameter[] { return [...this._parameters.values()] as Parameter[]; }
  items(): [string, Parameter][] { return [...this._parameters] as [string, Parameter][]; }
  entries(): [string, Parameter][] { return this.items(); }
  [Symbol.iterator](): Iterator<string> { return this.keys()[Symbol.iterator](); }
  override extraRepr(): string { return [...this._parameters].map(([k, p]) => paramRepr(k, p, true)).join('\n'); }
}
