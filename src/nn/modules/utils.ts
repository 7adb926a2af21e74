/**
 * @file Helpers shared by the layer modules: Python-style formatting for extraRepr() (so `String(model)` prints
 * what PyTorch prints) and the factory options every layer takes.
 */
import type { DeviceType } from '../../backend/backend.js';
import type { DType } from '../../core/dtype.js';

/** Factory options of every layer with parameters: where and in which dtype to create them. */
export interface FactoryKwargs { dtype?: DType; device?: DeviceType }

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
