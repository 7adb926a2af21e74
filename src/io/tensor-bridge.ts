/**
 * @file Between Tensors and the codecs' neutral values: Tensor <-> RawTensor (storage sharing kept both
 * ways: tensors that are views of one storage map to one RawStorage and back), and JS values <-> PyValue
 * for nested checkpoints (Map/object -> dict, array -> list, numbers, strings, null).
 */
import { getBackend, readViewSync, type Storage, type View } from '../backend/backend.js';
import { arrayFor, ITEM_SIZE, type DType, type TypedArray } from '../core/dtype.js';
import { SerializationError } from '../core/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { isRawStorage, isRawTensor, PyOrderedDict, type PyKey, type PyValue, type RawStorage, type RawTensor } from './codecs/index.js';

/** Little-endian bytes of a host array of `dtype` (int64 stored as float64 in torchlet -> real int64). */
export function hostToBytes(dtype: DType, data: TypedArray): Uint8Array {
  if (dtype === 'int64') {
    const b = new BigInt64Array(data.length);
    for (let i = 0; i < data.length; i++) b[i] = BigInt(Math.trunc(data[i]));
    return new Uint8Array(b.buffer);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
}

/**
 * Host array of `dtype` from little-endian bytes: a copy (aligned and owned), or, with `owned` (a fresh buffer
 * read for this storage alone), the same memory reinterpreted (int64 converted to float64 in place): no copy.
 */
export function bytesToHost(dtype: DType, bytes: Uint8Array, owned = false): TypedArray {
  const n = bytes.length / ITEM_SIZE[dtype];
  if (!Number.isInteger(n)) throw new SerializationError(`storage of dtype ${dtype} has ${bytes.length} bytes, not a multiple of ${ITEM_SIZE[dtype]}`);
  if (owned && bytes.byteOffset % ITEM_SIZE[dtype] === 0) {
    if (dtype === 'int64') {
      const b = new BigInt64Array(bytes.buffer, bytes.byteOffset, n);
      const f = new Float64Array(bytes.buffer, bytes.byteOffset, n);
      for (let i = 0; i < n; i++) f[i] = Number(b[i]);
      return f;
    }
    const Ctor = arrayFor(dtype, 0).constructor as new (b: ArrayBufferLike, o: number, n: number) => TypedArray;
    return new Ctor(bytes.buffer, bytes.byteOffset, n);
  }
  const copy = new Uint8Array(bytes); // a real copy (Node Buffers' slice() would alias)
  if (dtype === 'int64') {
    const b = new BigInt64Array(copy.buffer, 0, n);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = Number(b[i]);
    return out;
  }
  const out = arrayFor(dtype, n);
  new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(copy); // out may be a view into a shared slab
  return out;
}

/**
 * The one tensor-to-bytes path (torch.save zips and safetensors): the little-endian bytes of a view's elements
 * in row-major order, read synchronously; a device whose reads are asynchronous is refused with the fix
 * (torch.save(path) reads such tensors first, each storage once: see serialization.ts).
 */
export function viewBytes(v: View, what: string): Uint8Array {
  const raw = readViewSync(v);
  if (raw === undefined) throw new SerializationError(`${what} is on ${v.storage.device}: move it to the CPU first (model.to('cpu') or await t.toAsync('cpu')), or save with await torch.save(path)`);
  return hostToBytes(v.dtype, raw);
}

/** Tensors -> RawTensors, one RawStorage per distinct storage (so views stay views in the file). */
export class TensorEncoder {
  #storages = new Map<Storage, RawStorage>();
  encode(t: Tensor, isParameter = false): RawTensor {
    let rs = this.#storages.get(t.storage);
    if (!rs) {
      const whole: View = { storage: t.storage, dtype: t.dtype, shape: [t.storage.size], strides: [1], offset: 0 };
      rs = { kind: 'storage', dtype: t.dtype, bytes: viewBytes(whole, 'save: a tensor') };
      this.#storages.set(t.storage, rs);
    }
    return { kind: 'tensor', storage: rs, shape: [...t.shape], strides: [...t.strides], offset: t.offset, isParameter, requiresGrad: isParameter ? t.requiresGrad : false };
  }
}

/** RawTensors -> CPU Tensors, one storage per RawStorage (views share it). */
export class TensorDecoder {
  #storages = new Map<RawStorage, Storage>();
  decode(r: RawTensor): Tensor {
    let s = this.#storages.get(r.storage);
    if (!s) {
      s = getBackend('cpu').fromArray(r.storage.dtype, bytesToHost(r.storage.dtype, r.storage.bytes, r.storage.owned === true));
      this.#storages.set(r.storage, s);
    }
    return new Tensor(s, [...r.shape], [...r.strides], r.offset);
  }
}

/** A JS value -> PyValue: Map<string,Tensor> (state dict) -> OrderedDict, other Maps/objects -> dict. */
export function toPy(v: unknown, enc: TensorEncoder, path = 'value'): PyValue {
  if (v === null || v === undefined) return null;
  if (v instanceof Tensor) return enc.encode(v, (v as { isParameter?: boolean }).isParameter === true);
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'bigint') return v;
  if (Array.isArray(v)) return v.map((e, i) => toPy(e, enc, `${path}[${i}]`));
  if (v instanceof Map) {
    const allTensors = [...v.values()].every((e) => e instanceof Tensor);
    const out = allTensors && v.size > 0 ? new PyOrderedDict() : new Map<PyKey, PyValue>();
    for (const [k, e] of v) out.set(k as PyKey, toPy(e, enc, `${path}.${String(k)}`));
    return out;
  }
  if (typeof v === 'object') {
    const out = new Map<PyKey, PyValue>();
    for (const [k, e] of Object.entries(v as Record<string, unknown>)) if (e !== undefined) out.set(k, toPy(e, enc, `${path}.${k}`));
    return out;
  }
  throw new SerializationError(`cannot save ${path}: a ${typeof v} is not a tensor, number, string, boolean, null, array, Map or plain object`);
}

/**
 * PyValue -> JS: dicts become Maps (keys kept), tuples arrays, tensors CPU Tensors. A container met twice (shared,
 * or holding itself through the pickle memo) becomes one JS object met twice. The unpickler has already refused
 * values nested deeper than MAX_NESTING, so the recursion here is bounded.
 */
export function fromPy(v: PyValue, dec: TensorDecoder, seen = new Map<object, unknown>()): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof Uint8Array) return v;
  const prev = seen.get(v);
  if (prev !== undefined) return prev;
  if (Array.isArray(v) || (!(v instanceof Map) && !isRawTensor(v) && !isRawStorage(v) && v.kind === 'tuple')) {
    const items = Array.isArray(v) ? v : v.items;
    const out: unknown[] = [];
    seen.set(v, out);
    for (const e of items) out.push(fromPy(e, dec, seen));
    return out;
  }
  if (v instanceof Map) {
    const out = new Map<unknown, unknown>();
    seen.set(v, out);
    for (const [k, e] of v) out.set(k, fromPy(e, dec, seen));
    return out;
  }
  if (isRawTensor(v)) return dec.decode(v);
  if (isRawStorage(v)) return v;
  switch (v.kind) {
    case 'float': return v.value;
    case 'global': return `${v.module}.${v.name}`;
    case 'object': {
      const out = { type: `${v.type.module}.${v.type.name}`, args: [] as unknown[] };
      seen.set(v, out);
      for (const e of v.args) out.args.push(fromPy(e, dec, seen));
      return out;
    }
  }
  return v;
}
