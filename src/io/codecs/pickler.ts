/**
 * @file A protocol-2 pickler that writes what torch.save writes for weights: dict/OrderedDict (with attrs via
 * BUILD), list, tuple, int, float, str, bytes, None, bool, torch globals and tensors as
 * `torch._utils._rebuild_tensor_v2` / `_rebuild_parameter` calls whose storages are persistent ids.
 * It uses only opcodes that torch 1.13's weights-only unpickler knows, except BINFLOAT for floats
 * (torch >= 2.0 reads it; 1.13's weights-only loader cannot read any float). Imports only src/core/dtype.ts.
 */
import { ByteWriter, utf8Encode } from './bytes.js';
import { OP } from './pickleOpcodes.js';
import { tensorBoundsProblem } from './rawTensor.js';
import {
  isPyFloat, isPyGlobal, isPyObject, isRawStorage, isRawTensor, isTuple, PyOrderedDict,
  type PyValue, type RawStorage, type RawTensor,
} from './types.js';

export interface PickleOptions {
  /** The persistent id of a storage (torch zips: ('storage', torch.<X>Storage, key, 'cpu', numel)). Required when the value holds tensors. */
  storageId?: (s: RawStorage) => PyValue;
}

const BATCH = 1000; // CPython's _BATCHSIZE

/** Pickle a value with protocol 2, as torch.save does. Throws TypeError for values it cannot represent. */
export function pickle(value: PyValue, opts: PickleOptions = {}): Uint8Array {
  const w = new ByteWriter(4096);
  const memo = new Map<unknown, number>(); // objects by identity, strings by value ('s:' prefix), globals ('g:')
  const inProgress = new Set<object>();
  let nextMemo = 0;

  const put = (key: unknown): void => {
    const i = nextMemo++;
    memo.set(key, i);
    if (i < 256) { w.byte(OP.BINPUT); w.byte(i); } else { w.byte(OP.LONG_BINPUT); w.u32(i); }
  };
  const get = (key: unknown): boolean => {
    const i = memo.get(key);
    if (i === undefined) return false;
    if (i < 256) { w.byte(OP.BINGET); w.byte(i); } else { w.byte(OP.LONG_BINGET); w.u32(i); }
    return true;
  };
  const saveInt = (v: number | bigint): void => {
    if (typeof v === 'number' && v >= 0 && v < 256) { w.byte(OP.BININT1); w.byte(v); return; }
    if (typeof v === 'number' && v >= 0 && v < 65536) { w.byte(OP.BININT2); w.u16(v); return; }
    if (typeof v === 'number' && v >= -0x80000000 && v <= 0x7fffffff) { w.byte(OP.BININT); w.i32(v); return; }
    // LONG1: little-endian two's complement, minimal length.
    let b = BigInt(v);
    const out: number[] = [];
    if (b !== 0n) {
      for (;;) {
        const byte = Number(b & 0xffn);
        out.push(byte);
        b >>= 8n; // arithmetic shift for negatives
        if ((b === 0n && !(byte & 0x80)) || (b === -1n && byte & 0x80)) break;
      }
    }
    if (out.length > 255) throw new TypeError(`pickle: integer ${v} is too large`);
    w.byte(OP.LONG1); w.byte(out.length);
    for (const x of out) w.byte(x);
  };
  const saveFloat = (v: number): void => { w.byte(OP.BINFLOAT); w.f64be(v); };
  const saveStr = (s: string): void => {
    if (get(`s:${s}`)) return;
    const b = utf8Encode(s);
    w.byte(OP.BINUNICODE); w.u32(b.length); w.bytes(b);
    put(`s:${s}`);
  };
  const saveGlobal = (module: string, name: string): void => {
    const key = `g:${module}\n${name}`;
    if (get(key)) return;
    w.byte(OP.GLOBAL); w.bytes(utf8Encode(`${module}\n${name}\n`));
    put(key);
  };
  /** Write a tuple; non-empty tuples are memoized under `key` (CPython never memoizes the empty tuple). */
  const saveTuple = (items: PyValue[], key: object): void => {
    if (items.length === 0) { w.byte(OP.EMPTY_TUPLE); return; }
    if (items.length <= 3) {
      for (const it of items) save(it);
      w.byte(OP.TUPLE1 + items.length - 1);
    } else {
      w.byte(OP.MARK);
      for (const it of items) save(it);
      w.byte(OP.TUPLE);
    }
    put(key);
  };
  const saveDictItems = (entries: [PyValue, PyValue][]): void => {
    for (let i = 0; i < entries.length; i += BATCH) {
      const batch = entries.slice(i, i + BATCH);
      if (batch.length === 1) {
        save(batch[0][0]); save(batch[0][1]); w.byte(OP.SETITEM);
      } else {
        w.byte(OP.MARK);
        for (const [k, v] of batch) { save(k); save(v); }
        w.byte(OP.SETITEMS);
      }
    }
  };
  const emptyOrderedDict = (): void => {
    saveGlobal('collections', 'OrderedDict');
    w.byte(OP.EMPTY_TUPLE); w.byte(OP.REDUCE);
    put({}); // a fresh object: never shared
  };
  const saveStorage = (s: RawStorage): void => {
    if (!opts.storageId) throw new TypeError('pickle: the value holds tensors or storages; pass storageId (or use writeTorchZip)');
    save(opts.storageId(s));
    w.byte(OP.BINPERSID);
  };
  const saveTensor = (t: RawTensor): void => {
    const problem = tensorBoundsProblem(t);
    if (problem) throw new RangeError(`pickle: tensor (${t.storage?.dtype} [${t.shape}]) does not fit its storage: ${problem}`);
    if (t.isParameter) {
      saveGlobal('torch._utils', '_rebuild_parameter');
      const data: RawTensor = { ...t, isParameter: false, requiresGrad: false };
      saveTensorCall(data);
      w.byte(t.requiresGrad === false ? OP.NEWFALSE : OP.NEWTRUE);
      emptyOrderedDict();
      w.byte(OP.TUPLE3);
      w.byte(OP.REDUCE);
      put(t);
      return;
    }
    saveTensorCall(t);
    put(t);
  };
  const saveTensorCall = (t: RawTensor): void => {
    saveGlobal('torch._utils', '_rebuild_tensor_v2');
    w.byte(OP.MARK);
    saveStorage(t.storage);
    saveInt(t.offset);
    saveTuple(t.shape, {});
    saveTuple(t.strides, {});
    w.byte(t.requiresGrad ? OP.NEWTRUE : OP.NEWFALSE);
    emptyOrderedDict();
    w.byte(OP.TUPLE);
    w.byte(OP.REDUCE);
  };

  function save(v: PyValue): void {
    if (v === null) { w.byte(OP.NONE); return; }
    if (v === true) { w.byte(OP.NEWTRUE); return; }
    if (v === false) { w.byte(OP.NEWFALSE); return; }
    if (typeof v === 'number') {
      if (Number.isSafeInteger(v) && !Object.is(v, -0)) saveInt(v);
      else saveFloat(v);
      return;
    }
    if (typeof v === 'bigint') { saveInt(v); return; }
    if (typeof v === 'string') { saveStr(v); return; }
    if (typeof v !== 'object') throw new TypeError(`pickle: cannot pickle a ${typeof v}`);
    if (get(v)) return;
    if (inProgress.has(v)) throw new TypeError('pickle: a tuple or object contains itself; Python cannot represent that either');
    if (v instanceof Uint8Array) {
      // Protocol 2 writes bytes as _codecs.encode(latin1 text, 'latin1'), as CPython does.
      saveGlobal('_codecs', 'encode');
      let s = '';
      for (let i = 0; i < v.length; i += 8192) s += String.fromCharCode(...v.subarray(i, i + 8192));
      const b = utf8Encode(s);
      w.byte(OP.BINUNICODE); w.u32(b.length); w.bytes(b);
      saveStr('latin1');
      w.byte(OP.TUPLE2); w.byte(OP.REDUCE);
      put(v);
      return;
    }
    if (Array.isArray(v)) {
      w.byte(OP.EMPTY_LIST); put(v);
      for (let i = 0; i < v.length; i += BATCH) {
        const batch = v.slice(i, i + BATCH);
        if (batch.length === 1) { save(batch[0]); w.byte(OP.APPEND); } else {
          w.byte(OP.MARK);
          for (const it of batch) save(it);
          w.byte(OP.APPENDS);
        }
      }
      return;
    }
    if (v instanceof PyOrderedDict) {
      saveGlobal('collections', 'OrderedDict');
      w.byte(OP.EMPTY_TUPLE); w.byte(OP.REDUCE); put(v);
      saveDictItems([...v.entries()] as [PyValue, PyValue][]);
      if (v.attrs && v.attrs.size) {
        save(new Map(v.attrs));
        w.byte(OP.BUILD);
      }
      return;
    }
    if (v instanceof Map) {
      w.byte(OP.EMPTY_DICT); put(v);
      saveDictItems([...v.entries()] as [PyValue, PyValue][]);
      return;
    }
    inProgress.add(v);
    try {
      if (isTuple(v)) {
        saveTuple(v.items, v);
      } else if (isPyFloat(v)) saveFloat(v.value);
      else if (isPyGlobal(v)) saveGlobal(v.module, v.name);
      else if (isPyObject(v)) {
        saveGlobal(v.type.module, v.type.name);
        saveTuple(v.args, {});
        w.byte(OP.REDUCE);
        put(v);
      } else if (isRawTensor(v)) saveTensor(v);
      else if (isRawStorage(v)) saveStorage(v);
      else throw new TypeError(`pickle: cannot pickle object of kind ${String((v as { kind?: unknown }).kind)}`);
    } finally {
      inProgress.delete(v);
    }
  }

  w.byte(OP.PROTO); w.byte(2);
  save(value);
  w.byte(OP.STOP);
  return w.finish();
}
