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
import { TorchletError } from './errors.js';

/** A wrong argument: wrong type, unknown option key, value out of range. */
export class ArgumentError extends TorchletError {}

/** A short, readable description of a value for error messages. */
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

function isTensorLike(v: object): boolean {
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
