/**
 * @file The neutral value model shared by the checkpoint codecs: raw storages and strided tensors
 * (bytes only, no Tensor class) and the Python values a weights-only pickle can hold.
 * Imports only src/core/dtype.ts.
 */
import type { DType } from '../../core/dtype.js';

/**
 * A flat buffer of elements of one dtype, little-endian, as PyTorch stores it (`archive/data/<key>`).
 * Tensors that are views of one PyTorch storage share one RawStorage object (same identity).
 */
export interface RawStorage {
  kind: 'storage';
  dtype: DType;
  /** Little-endian element bytes; length is a multiple of the dtype's item size. May be a subarray of a file. */
  bytes: Uint8Array;
  /** The record key inside a torch zip (`data/<key>`), when read from or written to one. */
  key?: string;
  /** The location tag torch recorded (e.g. 'cpu', 'cuda:0'); the bytes are always on the host here. */
  location?: string;
  /** The bytes are a fresh buffer of their own (read from a file piece by piece): a decoder may adopt it without copying. */
  owned?: boolean;
}

/**
 * A strided view of a storage, as `torch._utils._rebuild_tensor_v2` describes it.
 * Element (i0, i1, ...) lives at storage element `offset + sum(ik * strides[k])`.
 */
export interface RawTensor {
  kind: 'tensor';
  storage: RawStorage;
  shape: number[];
  strides: number[];
  /** Storage offset in elements (not bytes). */
  offset: number;
  requiresGrad?: boolean;
  /** True when the value was (or should be saved as) a `torch.nn.Parameter`. */
  isParameter?: boolean;
}

/** A Python tuple. */
export interface PyTuple {
  kind: 'tuple';
  items: PyValue[];
}

/** A Python float whose float-ness must survive (e.g. `1.0` vs `1`). Plain JS numbers are written as int when integral. */
export interface PyFloat {
  kind: 'float';
  value: number;
}

/** A reference to an allow-listed Python global used as a value, e.g. `torch.float32` (module 'torch', name 'float32'). */
export interface PyGlobal {
  kind: 'global';
  module: string;
  name: string;
}

/**
 * An allow-listed Python object the codecs do not model further, kept as `type(*args)`,
 * e.g. `torch.device('cuda', 0)` or `set([1, 2])`. Written back as GLOBAL + args + REDUCE.
 */
export interface PyObject {
  kind: 'object';
  type: PyGlobal;
  args: PyValue[];
}

/** Keys a Python dict may have here (tuples compare by identity in a JS Map). */
export type PyKey = string | number | bigint | boolean | null | PyTuple;

/**
 * A Python `collections.OrderedDict`. A plain `Map` is a Python `dict`; both keep insertion order.
 * `attrs` holds the instance `__dict__` (a PyTorch state dict carries `_metadata` there, with module versions).
 */
export class PyOrderedDict extends Map<PyKey, PyValue> {
  declare attrs?: Map<string, PyValue>;
}

/**
 * Any value a weights-only checkpoint holds.
 * - `number`: Python int (safe integers) or float; `bigint`: Python int beyond 2^53.
 * - `Uint8Array`: Python `bytes`.
 * - `PyValue[]`: Python list. `Map`: dict; `PyOrderedDict`: OrderedDict.
 */
export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyValue[]
  | PyTuple
  | PyFloat
  | PyGlobal
  | PyObject
  | Map<PyKey, PyValue>
  | RawTensor
  | RawStorage;

export function tuple(...items: PyValue[]): PyTuple {
  return { kind: 'tuple', items };
}
export function pyFloat(value: number): PyFloat {
  return { kind: 'float', value };
}
export function pyGlobal(module: string, name: string): PyGlobal {
  return { kind: 'global', module, name };
}

function kindOf(v: unknown): string | undefined {
  return typeof v === 'object' && v !== null && !(v instanceof Map) && !Array.isArray(v) && !(v instanceof Uint8Array)
    ? (v as { kind?: string }).kind
    : undefined;
}
export function isRawTensor(v: unknown): v is RawTensor {
  return kindOf(v) === 'tensor';
}
export function isRawStorage(v: unknown): v is RawStorage {
  return kindOf(v) === 'storage';
}
export function isTuple(v: unknown): v is PyTuple {
  return kindOf(v) === 'tuple';
}
export function isPyFloat(v: unknown): v is PyFloat {
  return kindOf(v) === 'float';
}
export function isPyGlobal(v: unknown): v is PyGlobal {
  return kindOf(v) === 'global';
}
export function isPyObject(v: unknown): v is PyObject {
  return kindOf(v) === 'object';
}
