/**
 * @file Run-time argument checks for every public function, constructor and options object.
 * TypeScript's types do not reach JavaScript callers, `any` or JSON, so each public entry point checks what
 * it is given and throws an {@link ArgumentError} that names the function, the argument, what was expected and
 * the fix. Imports only errors.
 *
 * Conventions:
 * - `undefined` in an options object means "not given" (the default applies), everywhere.
 * - An unknown key throws, naming the key and the closest known key (snake_case → camelCase, typos).
 */
import { DEVICE_NAMES, isDeviceName, type DeviceName } from './devices.js';
import { TorchletError } from './errors.js';
import { keepClassNames } from './class-names.js';
import { dtypeFromName, dtypeNameHelp, type DType } from './dtype.js';

/** A wrong argument: wrong type, unknown option key, value out of range. */
export class ArgumentError extends TorchletError {}
keepClassNames({ ArgumentError });

/** A short, readable description of a value for error messages. */
/**
 * The kind of a JS value, for "got X" in error messages: 'null', 'undefined', 'an Array', a class name
 * (`Tensor (float32 [2, 3] on cpu)` for tensors, recognised by their dtype/shape/device), or typeof. The one
 * copy (nn and optim re-use it); describeValue below shows the value itself.
 */
export function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return 'an Array';
  if (typeof v === 'object') {
    const t = v as { dtype?: unknown; shape?: unknown; device?: unknown };
    const name = v.constructor?.name ?? 'Object';
    if (typeof t.dtype === 'string' && Array.isArray(t.shape) && typeof t.device === 'string') return `${name} (${t.dtype} ${JSON.stringify(t.shape)} on ${t.device})`;
    return name;
  }
  return typeof v;
}

export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'function') return `a function${v.name ? ` (${v.name})` : ''}`;
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  const ctor = (v as { constructor?: { name?: string } }).constructor?.name;
  return ctor && ctor !== 'Object' ? `a ${ctor}` : 'an object';
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0];
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j];
      dp[j] = Math.min(dp[j] + 1, dp[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length];
}

/** snake_case → camelCase (`weight_decay` → `weightDecay`). */
export function camelCase(key: string): string {
  return key.replace(/_+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** The known key a misspelt one most likely meant, or undefined. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const camel = camelCase(key);
  const lower = camel.toLowerCase();
  for (const k of known) if (k === camel || k.toLowerCase() === lower) return k;
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(lower, k.toLowerCase());
    if (d < bestD) { bestD = d; best = k; }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(key.length / 4)) ? best : undefined;
}

/**
 * Checks an options object: it must be undefined/null or a plain object whose keys are all in `known`.
 * Returns a copy without the keys whose value is `undefined`, so `{ ...defaults, ...checked }` keeps defaults.
 */
export function checkOptions<T extends object>(fn: string, opts: unknown, known: readonly string[], what = 'options'): Partial<T> {
  if (opts === undefined || opts === null) return {};
  if (typeof opts !== 'object' || Array.isArray(opts) || isTensorLike(opts)) {
    throw new ArgumentError(`${fn}: ${what} must be an object like { ${known.slice(0, 3).map((k) => `${k}: …`).join(', ')} }, got ${describeValue(opts)}`);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(opts)) {
    if (!known.includes(k)) {
      const guess = closestKey(k, known);
      throw new ArgumentError(`${fn}: unknown option '${k}'${guess ? ` (did you mean '${guess}'?)` : ''}; known options: ${known.join(', ')}`);
    }
    if (v !== undefined) out[k] = v;
  }
  return out as Partial<T>;
}

export function isTensorLike(v: object): boolean {
  return 'shape' in v && 'dtype' in v && 'device' in v;
}

export interface NumberRule {
  integer?: boolean;
  /** Inclusive lower bound. */
  min?: number;
  /** Inclusive upper bound. */
  max?: number;
  /** Exclusive lower bound. */
  gt?: number;
  /** Allow ±Infinity (NaN is never allowed). */
  infinite?: boolean;
}

/** A JavaScript number (not NaN; finite unless `infinite`), optionally an integer within bounds. */
export function checkNumber(fn: string, name: string, v: unknown, rule: NumberRule = {}): number {
  if (typeof v !== 'number' || Number.isNaN(v)) {
    throw new ArgumentError(`${fn}: ${name} must be ${rule.integer ? 'an integer' : 'a number'}, got ${describeValue(v)}`);
  }
  if (!rule.infinite && !Number.isFinite(v)) throw new ArgumentError(`${fn}: ${name} must be finite, got ${v}`);
  if (rule.integer && !Number.isInteger(v)) throw new ArgumentError(`${fn}: ${name} must be an integer, got ${v}`);
  if (rule.min !== undefined && v < rule.min) throw new ArgumentError(`${fn}: ${name} must be >= ${rule.min}, got ${v}`);
  if (rule.max !== undefined && v > rule.max) throw new ArgumentError(`${fn}: ${name} must be <= ${rule.max}, got ${v}`);
  if (rule.gt !== undefined && !(v > rule.gt)) throw new ArgumentError(`${fn}: ${name} must be > ${rule.gt}, got ${v}`);
  return v;
}

/** Like {@link checkNumber}, but `undefined` gives `dflt`. */
export function optNumber(fn: string, name: string, v: unknown, dflt: number, rule: NumberRule = {}): number {
  return v === undefined ? dflt : checkNumber(fn, name, v, rule);
}

export function checkBoolean(fn: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new ArgumentError(`${fn}: ${name} must be true or false, got ${describeValue(v)}`);
  return v;
}

export function optBoolean(fn: string, name: string, v: unknown, dflt: boolean): boolean {
  return v === undefined ? dflt : checkBoolean(fn, name, v);
}

/** One of a fixed set of strings (or other primitives). */
export function checkChoice<T extends string | number | boolean | null>(fn: string, name: string, v: unknown, choices: readonly T[]): T {
  if (!choices.includes(v as T)) {
    const list = choices.map((c) => (typeof c === 'string' ? `'${c}'` : String(c))).join(', ');
    const guess = typeof v === 'string' ? closestKey(v, choices.filter((c): c is T & string => typeof c === 'string')) : undefined;
    throw new ArgumentError(`${fn}: ${name} must be one of ${list}, got ${describeValue(v)}${guess ? ` (did you mean '${guess}'?)` : ''}`);
  }
  return v as T;
}

export function checkString(fn: string, name: string, v: unknown): string {
  if (typeof v !== 'string') throw new ArgumentError(`${fn}: ${name} must be a string, got ${describeValue(v)}`);
  return v;
}

export function checkFunction<F extends (...a: never[]) => unknown>(fn: string, name: string, v: unknown): F {
  if (typeof v !== 'function') throw new ArgumentError(`${fn}: ${name} must be a function, got ${describeValue(v)}`);
  return v as F;
}

/** An integer or an array of `n` integers (kernel sizes, strides, paddings); returns the array. */
export function checkIntTuple(fn: string, name: string, v: unknown, n: number, rule: NumberRule = {}): number[] {
  const arr = typeof v === 'number' ? Array<number>(n).fill(v) : v;
  if (!Array.isArray(arr) || arr.length !== n) {
    throw new ArgumentError(`${fn}: ${name} must be an integer or an array of ${n} integers, got ${describeValue(v)}`);
  }
  return arr.map((x, i) => checkNumber(fn, `${name}[${i}]`, x, { ...rule, integer: true }));
}

/** A shape: an array of non-negative integers. */
export function checkShape(fn: string, name: string, v: unknown): number[] {
  if (!Array.isArray(v)) throw new ArgumentError(`${fn}: ${name} must be an array of sizes like [2, 3], got ${describeValue(v)}`);
  return v.map((x, i) => checkNumber(fn, `${name}[${i}]`, x, { integer: true, min: 0 }));
}

/** A dtype name or PyTorch alias (`'float'`, `'double'`, `'long'`, `'torch.float32'`) → the canonical dtype. */
export function checkDtype(fn: string, name: string, v: unknown): DType {
  const d = typeof v === 'string' ? dtypeFromName(v) : undefined;
  if (d === undefined) throw new ArgumentError(`${fn}: ${name} ${describeValue(v)} is not a dtype: ${dtypeNameHelp(v)}`);
  return d;
}

/** Like {@link checkDtype}; `undefined` gives `undefined` (the caller's default applies). */
export function optDtype(fn: string, name: string, v: unknown): DType | undefined {
  return v === undefined ? undefined : checkDtype(fn, name, v);
}

/** A device name. */
export function checkDevice(fn: string, name: string, v: unknown): DeviceName {
  if (!isDeviceName(v)) {
    throw new ArgumentError(`${fn}: ${name} must be one of ${DEVICE_NAMES.map((d) => `'${d}'`).join(', ')}, got ${describeValue(v)}${v === 'cuda' || v === 'mps' ? " (torchlet's GPU device is 'webgpu')" : ''}`);
  }
  return v;
}

interface TensorShape { dtype: string; shape: readonly number[]; device: string }

/** A Tensor (duck-typed here: core does not import the tensor layer). */
export function checkTensor(fn: string, name: string, v: unknown): TensorShape {
  if (typeof v !== 'object' || v === null || !isTensorLike(v)) throw new ArgumentError(`${fn}: ${name} must be a Tensor, got ${describeValue(v)}`);
  return v as TensorShape;
}

const INTEGER_DTYPES = ['int64', 'int32', 'uint8', 'int8'];
/** How to make an integer tensor, for errors about floating index/target tensors. */
export const INT64_HINT = "JavaScript numbers make float32 tensors, so create it with torch.tensor([...], { dtype: 'int64' }) " +
  '(or bigints: torch.tensor([0n, 2n])), or convert with .long()';
/**
 * An integer tensor (class indices, token ids, gather/scatter indices). A floating tensor is an error that
 * shows how to make an integer one: JavaScript numbers give float32 tensors.
 */
export function checkIndexTensor(fn: string, name: string, v: unknown, what = 'indices'): TensorShape {
  const t = checkTensor(fn, name, v);
  if (!INTEGER_DTYPES.includes(t.dtype)) {
    throw new ArgumentError(`${fn}: ${name} must be an integer tensor of ${what} (int64), got ${t.dtype}; ${INT64_HINT}`);
  }
  return t;
}

/** A plain options object (not an array, not a Tensor, not null). */
export function isOptionsObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || ArrayBuffer.isView(v) || isTensorLike(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * PyTorch's call forms for a function with positional-or-keyword numbers: `f(t, 0, 0.02)`,
 * `f(t, { mean: 0, std: 0.02 })` and `f(t, 0, { std: 0.02, generator })` give the same arguments.
 * `args` are the arguments after the fixed ones; a trailing plain object holds keyword arguments, which may name
 * any of `positional` (not given positionally) or `keywordOnly`. Returns the arguments given (undefined = default).
 */
export function callArgs(fn: string, args: readonly unknown[], positional: readonly string[], keywordOnly: readonly string[] = []): Record<string, unknown> {
  let n = args.length;
  while (n > 0 && args[n - 1] === undefined) n--;
  let kw: unknown;
  if (n > 0 && isOptionsObject(args[n - 1])) { kw = args[n - 1]; n--; }
  if (n > positional.length) {
    throw new ArgumentError(`${fn}: takes at most ${positional.length} positional argument${positional.length === 1 ? '' : 's'} (${positional.join(', ')})` +
      ` then an options object, got ${n}`);
  }
  const out: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) {
    const v = args[i];
    if (v !== undefined && typeof v === 'object' && v !== null && !Array.isArray(v)) {
      throw new ArgumentError(`${fn}: options must be the last argument; got ${describeValue(v)} as ${positional[i]}`);
    }
    if (v !== undefined) out[positional[i]] = v;
  }
  const o = checkOptions<Record<string, unknown>>(fn, kw, [...positional, ...keywordOnly]);
  for (const [k, v] of Object.entries(o)) {
    if (k in out) throw new ArgumentError(`${fn}: got multiple values for argument '${k}' (positionally and in the options object)`);
    out[k] = v;
  }
  return out;
}

/** A rule for one option in {@link checkSpec}. */
export type Rule =
  | 'number' | 'int' | 'bool' | 'string' | 'tensor' | 'function' | 'any'
  | { number: NumberRule; nullable?: boolean }
  | { oneOf: readonly (string | number | boolean | null)[] }
  | { tensorOrNull: true }
  | { intTuple: number; nullable?: boolean; rule?: NumberRule }
  | ((fn: string, name: string, v: unknown) => void);

/**
 * Checks an options object against a table of rules: unknown keys throw (did-you-mean), each given value must
 * fit its rule, `undefined` means not given. Returns the given options.
 */
export function checkSpec<T extends object>(fn: string, opts: unknown, spec: Readonly<Record<string, Rule>>): Partial<T> {
  const o = checkOptions<Record<string, unknown>>(fn, opts, Object.keys(spec));
  for (const [k, v] of Object.entries(o)) checkRule(fn, k, v, spec[k]);
  if (typeof o.dtype === 'string') o.dtype = checkDtype(fn, 'dtype', o.dtype); // PyTorch's aliases → canonical
  return o as Partial<T>;
}

/** Checks one value against a {@link Rule}. */
export function checkRule(fn: string, k: string, v: unknown, r: Rule): void {
  if (r === 'any') return;
  if (r === 'number') checkNumber(fn, k, v, { infinite: true });
  else if (r === 'int') checkNumber(fn, k, v, { integer: true });
  else if (r === 'bool') checkBoolean(fn, k, v);
  else if (r === 'string') checkString(fn, k, v);
  else if (r === 'function') checkFunction(fn, k, v);
  else if (r === 'tensor') checkTensor(fn, k, v);
  else if (typeof r === 'function') r(fn, k, v);
  else if ('number' in r) { if (!(r.nullable && v === null)) checkNumber(fn, k, v, r.number); }
  else if ('oneOf' in r) checkChoice(fn, k, v, r.oneOf);
  else if ('tensorOrNull' in r) { if (v !== null) checkTensor(fn, k, v); }
  else if ('intTuple' in r) { if (!(r.nullable && v === null)) checkIntTuple(fn, k, v, r.intTuple, r.rule); }
}

/** For functions and constructors that take no arguments (or no more than they use). */
export function checkNoArgs(fn: string, rest: readonly unknown[]): void {
  if (rest.some((v) => v !== undefined && !(isOptionsObject(v) && Object.keys(v).length === 0))) {
    throw new ArgumentError(`${fn}: takes no ${rest.length === 1 && isOptionsObject(rest[0]) ? 'options' : 'more arguments'}, got ${rest.map(describeValue).join(', ')}`);
  }
}
