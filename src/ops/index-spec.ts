/**
 * @file Parsing of PyTorch-style index items (`x[...]` in Python) into a normalized list, shared by the getter
 * (`index`) and the setters (`setIndex_`, `indexPut_`). Spellings:
 *
 * - an integer (number or bigint): selects and drops the dim, as `x[1]`;
 * - a string in Python's slice syntax: `':'`, `'1:3'`, `'::2'`, `'-3:'`, `'1:-1:2'` (steps must be positive);
 * - `'...'`: Python's Ellipsis (at most one);
 * - `null`: a new axis of size 1, as PyTorch's `None`;
 * - `true` / `false`: PyTorch's `x[True]` / `x[False]` (a new axis of size 1 or 0);
 * - an int64/int32 Tensor, an array of integers (nested arrays allowed) or an Int32Array/BigInt64Array: one
 *   advanced (integer-array) index. An array is always an index, never a slice or a tuple of indices;
 * - a bool Tensor or an array of booleans: a mask over as many dims as it has (its nonzero positions).
 *
 * Everything else is an error that names the item and the spelling to use; the old torchlet spellings
 * (`[start, stop, step]` arrays holding null, `{ start, stop, step }` objects) show their string slice.
 */
import { ArgumentError, describeValue } from '../core/args.js';
import { isFloating } from '../core/dtype.js';
import { DTypeError, IndexError } from '../core/errors.js';
import { Tensor } from '../tensor/tensor.js';

/** A nested array of integers or of booleans: one advanced index (or mask). */
export type IndexArray = readonly (number | bigint | boolean | IndexArray)[];
/** One item of an index expression (one entry of Python's `x[a, b, c]`). */
export type IndexItem = number | bigint | boolean | string | null | Tensor | IndexArray | Int32Array | BigInt64Array;
/** @deprecated name kept for the public surface: one index item. */
export type IndexSpec = IndexItem;

export type Parsed =
  | { k: 'int'; v: number }
  | { k: 'slice'; start: number | null; stop: number | null; step: number }
  | { k: 'new' }
  | { k: 'ell' }
  /** an integer index: a Tensor (int64/int32, any device) or host values with their shape */
  | { k: 'tensor'; t: Tensor | null; host: Float64Array | null; shape: number[] }
  /** a boolean mask (0-dim for true/false) */
  | { k: 'mask'; t: Tensor | null; host: Uint8Array | null; shape: number[] };

const SLICE = /^\s*([+-]?\d+)?\s*:\s*([+-]?\d+)?\s*(?::\s*([+-]?\d+)?\s*)?$/;

const SPELLINGS = "integers, Python slice strings (':', '1:3', '::2', '-3:'), '...', null (a new axis), " +
  "int64/int32 tensors or arrays of integers (advanced indices) and bool tensors (masks)";

function sliceString(start: unknown, stop: unknown, step: unknown): string {
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- start/stop/step are whatever the user wrote (numbers, strings, any value); the hint prints them as String() does
  const s = (v: unknown) => (v === null || v === undefined ? '' : String(v));
  return `'${s(start)}:${s(stop)}${step === null || step === undefined || step === 1 ? '' : `:${s(step)}`}'`;
}

function parseSlice(fn: string, pos: number, s: string): Parsed {
  const trimmed = s.trim();
  if (trimmed === '...') return { k: 'ell' };
  const m = SLICE.exec(s);
  if (!m) {
    let hint = `use ${SPELLINGS}`;
    if (/^\s*[+-]?\d+\s*$/.test(s)) hint = `an integer index is a number: use ${Number(s)}, not the string`;
    else if (/^\s*(none|newaxis)\s*$/i.test(s)) hint = "a new axis is null (PyTorch's None)";
    else if (/^\s*(ellipsis|…)\s*$/i.test(s)) hint = "Python's Ellipsis is the string '...'";
    throw new ArgumentError(`${fn}: index ${pos} is the string ${describeValue(s)}, which is not a Python slice; ${hint}`);
  }
  const num = (v: string | undefined) => (v === undefined ? null : Number(v));
  const step = num(m[3]);
  if (step === 0) throw new ArgumentError(`${fn}: index ${pos} '${trimmed}': slice step cannot be zero`);
  if (step !== null && step < 0) {
    throw new ArgumentError(`${fn}: index ${pos} '${trimmed}': step must be greater than zero (PyTorch has no negative steps; reverse with an index tensor: x.index(torch.arange(n - 1, -1, -1)))`);
  }
  return { k: 'slice', start: num(m[1]), stop: num(m[2]), step: step ?? 1 };
}

/** Flatten a nested array of integers or booleans; throws on ragged, mixed or non-integer content. */
function parseArray(fn: string, pos: number, a: IndexArray): Parsed {
  const shape: number[] = [];
  const flat: number[] = [];
  let kind: 'int' | 'bool' | null = null;
  const bad = (why: string): never => { throw new ArgumentError(`${fn}: index ${pos} (an array) ${why}; an array is one advanced index: integers (nested arrays allowed) or booleans (a mask)`); };
  for (let v: unknown = a; Array.isArray(v); v = v[0]) shape.push(v.length);
  const walk = (v: unknown, d: number) => {
    if (d < shape.length) {
      if (!Array.isArray(v) || v.length !== shape[d]) bad(`is ragged (${Array.isArray(v) ? `a sub-array of length ${v.length}` : describeValue(v)} at depth ${d} where arrays of length ${shape[d]} were expected)`);
      for (const e of v as unknown[]) walk(e, d + 1);
      return;
    }
    if (Array.isArray(v)) bad(`is ragged (an array at depth ${d} where values were expected)`);
    let k: 'int' | 'bool';
    if (typeof v === 'boolean') { k = 'bool'; flat.push(v ? 1 : 0); }
    else if (typeof v === 'bigint') { k = 'int'; flat.push(Number(v)); }
    else if (typeof v === 'number' && Number.isInteger(v)) { k = 'int'; flat.push(v); }
    else if (v === null || v === undefined) {
      return bad(`holds ${describeValue(v)}: slices are strings now; for the old [start, stop, step] form write ${sliceString(a[0], a[1], a[2])}`);
    } else return bad(`holds ${describeValue(v)}, which is not an integer`);
    if (kind !== null && kind !== k) bad('mixes booleans and integers');
    kind = k;
  };
  walk(a, 0);
  if (kind === 'bool') return { k: 'mask', t: null, host: Uint8Array.from(flat), shape };
  return { k: 'tensor', t: null, host: Float64Array.from(flat), shape };
}

function parseTensor(fn: string, pos: number, t: Tensor): Parsed {
  if (t.dtype === 'bool') return { k: 'mask', t, host: null, shape: [...t.shape] };
  if (t.dtype === 'int64' || t.dtype === 'int32') return { k: 'tensor', t, host: null, shape: [...t.shape] };
  if (t.dtype === 'uint8') {
    throw new DTypeError(`${fn}: index ${pos} is a uint8 tensor; PyTorch reads a uint8 index as a (deprecated) boolean mask. ` +
      'Say which you mean: mask.bool() for a mask, idx.long() for indices');
  }
  if (isFloating(t.dtype)) {
    throw new DTypeError(`${fn}: index ${pos} is a ${t.dtype} tensor; tensors used as indices must be int64, int32 or bool. ` +
      "Make index tensors with { dtype: 'int64' } (torch.tensor([0, 2], { dtype: 'int64' })) or convert with .long()");
  }
  throw new DTypeError(`${fn}: index ${pos} is a ${t.dtype} tensor; tensors used as indices must be int64, int32 or bool; convert with .long()`);
}

/** Parse one index item (`pos` counts from 0 for messages). */
export function parseItem(fn: string, pos: number, v: unknown): Parsed {
  if (v === null) return { k: 'new' };
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new ArgumentError(`${fn}: index ${pos} is ${v}, which is not an integer; indices are integers, slices are strings such as '1:3'`);
    return { k: 'int', v };
  }
  if (typeof v === 'bigint') return { k: 'int', v: Number(v) };
  if (typeof v === 'boolean') return { k: 'mask', t: null, host: Uint8Array.of(v ? 1 : 0), shape: [] };
  if (typeof v === 'string') return parseSlice(fn, pos, v);
  if (v instanceof Tensor) return parseTensor(fn, pos, v);
  if (Array.isArray(v)) return parseArray(fn, pos, v as IndexArray);
  if (v instanceof Int32Array || v instanceof BigInt64Array) {
    return { k: 'tensor', t: null, host: Float64Array.from(v as ArrayLike<number | bigint>, Number), shape: [v.length] };
  }
  if (ArrayBuffer.isView(v)) {
    throw new ArgumentError(`${fn}: index ${pos} is ${describeValue(v)}; typed-array indices must be Int32Array or BigInt64Array (or use a tensor with { dtype: 'int64' })`);
  }
  if (v === undefined) throw new ArgumentError(`${fn}: index ${pos} is undefined; a whole dimension is ':', a new axis is null`);
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if ('start' in o || 'stop' in o || 'end' in o || 'step' in o) {
      throw new ArgumentError(`${fn}: index ${pos} is a slice object; slices are strings in Python's syntax: ${sliceString(o.start, o.stop ?? o.end, o.step)}`);
    }
  }
  throw new ArgumentError(`${fn}: index ${pos} is ${describeValue(v)}; an index item is one of ${SPELLINGS}`);
}

/** How many dims of the indexed tensor an item consumes. */
export function dimsConsumed(p: Parsed): number {
  switch (p.k) {
    case 'int': case 'slice': return 1;
    case 'tensor': return 1;
    case 'mask': return p.shape.length;
    default: return 0;
  }
}

/** Parse a whole index expression and check the ellipsis count and the number of indexed dims. */
export function parseIndex(fn: string, items: readonly unknown[], ndim: number): Parsed[] {
  const parsed = items.map((v, i) => parseItem(fn, i, v));
  const ells = parsed.filter((p) => p.k === 'ell').length;
  if (ells > 1) throw new IndexError(`${fn}: an index can only have a single ellipsis ('...'), got ${ells}`);
  const used = parsed.reduce((n, p) => n + dimsConsumed(p), 0);
  if (used > ndim) {
    if (ndim === 0) throw new IndexError(`${fn}: too many indices for tensor of dimension 0 (to read a 0-dim tensor's value use x.item())`);
    throw new IndexError(`${fn}: too many indices for tensor of dimension ${ndim} (the index uses ${used} dims)`);
  }
  return parsed;
}
