/**
 * @file Helpers shared by the layer modules: Python-style formatting for extraRepr() (so `String(model)` prints
 * what PyTorch prints) and the factory options every layer takes.
 */
import type { DeviceType } from '../../backend/backend.js';
import type { DTypeName } from '../../core/dtype.js';
import { ArgumentError, checkDevice, checkDtype, checkNumber, checkSpec, describeValue, type NumberRule, type Rule } from '../../core/args.js';

/** Factory options of every layer with parameters: where and in which dtype to create them. */
export interface FactoryKwargs { dtype?: DTypeName; device?: DeviceType }

/** Python's repr of a float: 0.1, 1e-05, 1.0. */
export function pyFloat(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return `${v}.0`;
  const a = Math.abs(v);
  if (a < 1e-4 || a >= 1e16) {
    const [m, e] = v.toExponential().split('e');
    const ex = Number(e);
    return `${m}e${ex < 0 ? '-' : '+'}${String(Math.abs(ex)).padStart(2, '0')}`;
  }
  return String(v);
}

/** Python's repr of an int-or-float parameter that PyTorch stores as given (ints print without .0). */
export function pyNum(v: number, isFloat: boolean): string { return isFloat ? pyFloat(v) : String(v); }

/** Python's repr of a tuple of ints: (3,), (3, 3). */
export function pyTuple(v: readonly number[]): string { return v.length === 1 ? `(${v[0]},)` : `(${v.join(', ')})`; }

/** A value as PyTorch stores it: an int stays an int, an array prints as a tuple. */
export function pyIntOrTuple(v: number | readonly number[]): string { return typeof v === 'number' ? String(v) : pyTuple(v); }

export function pyBool(v: boolean): string { return v ? 'True' : 'False'; }

export function pyOptional(v: unknown, fmt: (x: never) => string = String as (x: never) => string): string {
  return v === null || v === undefined ? 'None' : fmt(v as never);
}

/** Rules for the factory options every layer with parameters takes. */
const FACTORY_SPEC: Record<string, Rule> = {
  dtype: (fn, k, v) => { checkDtype(fn, k, v); },
  device: (fn, k, v) => { checkDevice(fn, k, v); },
};

/**
 * Checks a layer's options: unknown keys throw with did-you-mean, values must fit their rules; with `factory`,
 * `dtype` (a name or PyTorch alias, returned canonical) and `device` are accepted too.
 */
export function layerOpts<T extends object>(cls: string, opts: unknown, spec: Readonly<Record<string, Rule>>, factory = false): Partial<T> {
  const fn = `nn.${cls}`;
  const o = checkSpec<Record<string, unknown>>(fn, opts, factory ? { ...spec, ...FACTORY_SPEC } : spec);
  if (o.dtype !== undefined) o.dtype = checkDtype(fn, 'dtype', o.dtype);
  return o as Partial<T>;
}

/** A size argument of a layer: a non-negative integer (or positive with min 1). */
export function layerInt(cls: string, name: string, v: unknown, min = 0): number {
  return checkNumber(`nn.${cls}`, name, v, { integer: true, min });
}

/** A float argument of a layer. */
export function layerNum(cls: string, name: string, v: unknown, rule: NumberRule = {}): number {
  return checkNumber(`nn.${cls}`, name, v, rule);
}

/** Rules shared by many layers. */
export const R = {
  int: 'int' as Rule, num: 'number' as Rule, bool: 'bool' as Rule, tensorOrNull: { tensorOrNull: true } as Rule,
  prob: { number: { min: 0, max: 1 } } as Rule,
  intOrTuple: ((fn: string, k: string, v: unknown) => {
    if (typeof v === 'number') checkNumber(fn, k, v, { integer: true });
    else if (!Array.isArray(v) || v.some((x) => !Number.isInteger(x))) throw new ArgumentError(`${fn}: ${k} must be an integer or an array of integers, got ${describeValue(v)}`);
  }) as Rule,
  reduction: { oneOf: ['none', 'mean', 'sum'] } as Rule,
};
