/**
 * @file Test helper: encode codec values the way scripts/fixtures/io.py encodes Python values, and normalize the
 * JSON it writes (float reprs -> numbers), so both compare with assert.deepStrictEqual (NaN equal, -0 distinct).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import {
  isPyFloat, isPyGlobal, isPyObject, isRawStorage, isRawTensor, isTuple, PyOrderedDict,
  type PyValue, type RawStorage, type RawTensor,
} from '../../src/io/codecs/index.js';
import type { DType } from '../../src/core/dtype.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'io');
export const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 'fixtures', 'io.py');

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export function loadExpected(path = join(FIXTURES, 'expected.json')): Record<string, Json> {
  const j = JSON.parse(readFileSync(path, 'utf8')) as { files: Record<string, Json> };
  return j.files;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Decode one element of a dtype at a byte position (little-endian). */
export function element(dtype: DType, bytes: Uint8Array, at: number): number | string {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case 'float32': return v.getFloat32(at, true);
    case 'float64': return v.getFloat64(at, true);
    case 'float16': return halfToFloat(v.getUint16(at, true));
    case 'bfloat16': { const b = new DataView(new ArrayBuffer(4)); b.setUint16(0, v.getUint16(at, true)); return b.getFloat32(0); }
    case 'int64': { const x = v.getBigInt64(at, true); return x >= -(2n ** 53n) + 1n && x <= 2n ** 53n - 1n ? Number(x) : x.toString(); }
    case 'int32': return v.getInt32(at, true);
    case 'int8': return v.getInt8(at);
    case 'uint8': case 'bool': return v.getUint8(at);
  }
}

const SIZE: Record<DType, number> = { float32: 4, float64: 8, float16: 2, bfloat16: 2, int64: 8, int32: 4, int8: 1, uint8: 1, bool: 1 };

/** Elements of a strided view in row-major order. */
export function viewValues(t: RawTensor): (number | string)[] {
  const out: (number | string)[] = [];
  const n = t.shape.reduce((a, b) => a * b, 1);
  const idx = new Array<number>(t.shape.length).fill(0);
  for (let k = 0; k < n; k++) {
    let pos = t.offset;
    for (let d = 0; d < idx.length; d++) pos += idx[d] * t.strides[d];
    out.push(element(t.storage.dtype, t.storage.bytes, pos * SIZE[t.storage.dtype]));
    for (let d = idx.length - 1; d >= 0; d--) { if (++idx[d] < t.shape[d]) break; idx[d] = 0; }
  }
  return out;
}

export class Encoder {
  private ids = new Map<RawStorage, number>();
  private count = 0;
  storageId(s: RawStorage): number {
    if (s.bytes.length === 0) return this.count++;
    let id = this.ids.get(s);
    if (id === undefined) { id = this.count++; this.ids.set(s, id); }
    return id;
  }
  tensor(t: RawTensor): Json {
    return {
      dtype: t.storage.dtype, shape: t.shape, stride: t.strides, offset: t.offset, storage: this.storageId(t.storage),
      values: viewValues(t), requires_grad: t.requiresGrad === true, parameter: t.isParameter === true,
    };
  }
  enc(v: PyValue): Json {
    if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
    if (typeof v === 'number') return Number.isSafeInteger(v) && !Object.is(v, -0) ? v : { $float: v };
    if (typeof v === 'bigint') return { $int: v.toString() };
    if (v instanceof Uint8Array) return { $bytes: Buffer.from(v).toString('hex') };
    if (Array.isArray(v)) return v.map((x) => this.enc(x));
    if (v instanceof PyOrderedDict) {
      const out: { [k: string]: Json } = { $odict: [...v].map(([k, x]) => [this.enc(k), this.enc(x)]) };
      if (v.attrs?.size) out.attrs = Object.fromEntries([...v.attrs].map(([k, x]) => [k, this.enc(x)]));
      return out;
    }
    if (v instanceof Map) return { $dict: [...v].map(([k, x]) => [this.enc(k), this.enc(x)]) };
    if (isTuple(v)) return { $tuple: v.items.map((x) => this.enc(x)) };
    if (isPyFloat(v)) return { $float: v.value };
    if (isRawTensor(v)) return { $tensor: this.tensor(v) };
    if (isRawStorage(v) || isPyGlobal(v) || isPyObject(v)) throw new Error(`cannot encode ${v.kind}`);
    throw new Error('cannot encode value');
  }
}

export function encode(v: PyValue): Json {
  return new Encoder().enc(v);
}

function pyFloat(s: Json): number {
  if (typeof s !== 'string') return s as number;
  if (s === 'nan') return NaN;
  if (s === 'inf') return Infinity;
  if (s === '-inf') return -Infinity;
  return Number(s);
}
const FLOATS = new Set(['float32', 'float64', 'float16', 'bfloat16']);

/** Turn Python float reprs in expected JSON into numbers. */
export function normalize(j: Json): Json {
  if (Array.isArray(j)) return j.map(normalize);
  if (j === null || typeof j !== 'object') return j;
  if ('$float' in j) return { $float: pyFloat(j.$float) };
  if ('$tensor' in j) return { $tensor: normalizeTensor(j.$tensor as { [k: string]: Json }) };
  return Object.fromEntries(Object.entries(j).map(([k, x]) => [k, normalize(x)]));
}
export function normalizeTensor(t: { [k: string]: Json }): Json {
  const values = FLOATS.has(t.dtype as string) ? (t.values as Json[]).map(pyFloat) : t.values;
  return { ...t, values };
}

/** A float as text Python's float() parses back exactly ('nan', 'inf', '-0.0', shortest round-trip digits). */
export function pyNum(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (Object.is(x, -0)) return '-0.0';
  return String(x);
}

/** Encoded values -> the JSON spelling scripts/fixtures/io.py reads (floats as strings). */
export function toPythonJson(j: Json): Json {
  if (Array.isArray(j)) return j.map(toPythonJson);
  if (j === null || typeof j !== 'object') return j;
  if ('$float' in j) return { $float: pyNum(j.$float as number) };
  if ('$tensor' in j) {
    const t = j.$tensor as { [k: string]: Json };
    return { $tensor: { ...t, values: FLOATS.has(t.dtype as string) ? (t.values as number[]).map(pyNum) : t.values } };
  }
  return Object.fromEntries(Object.entries(j).map(([k, x]) => [k, toPythonJson(x)]));
}
