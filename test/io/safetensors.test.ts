/**
 * @file safetensors: fixtures written from Python are parsed (values, dtypes, shapes, metadata, zero-copy data);
 * writeSafetensors -> parseSafetensors round trips in every dtype with 8-byte header padding; each validation
 * failure (header length, JSON, dtype, offsets, overlap, byte length) throws an error naming file and tensor.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CheckpointFormatError, contiguousRawTensor, parseSafetensors, writeSafetensors, type RawTensor,
} from '../../src/io/codecs/index.js';
import type { DType } from '../../src/core/dtype.js';
import { FIXTURES, loadExpected, normalizeTensor, viewValues, type Json } from './expected.js';

const expected = loadExpected();

for (const f of ['dtypes.safetensors', 'model.safetensors']) {
  test(`parses ${f} written by Python`, () => {
    const bytes = new Uint8Array(readFileSync(join(FIXTURES, f)));
    const file = parseSafetensors(bytes, { name: f });
    const exp = expected[f] as { tensors: [string, { [k: string]: Json }][]; metadata: Record<string, string> };
    assert.deepEqual(file.metadata, exp.metadata);
    assert.deepEqual([...file.tensors.keys()], exp.tensors.map(([k]) => k));
    for (const [k, t] of exp.tensors) {
      const got = file.tensors.get(k)!;
      assert.equal(got.data.buffer, bytes.buffer, 'zero-copy');
      const raw = contiguousRawTensor(got.dtype, got.shape, got.data);
      const want = normalizeTensor(t) as { dtype: string; shape: number[]; values: Json[] };
      assert.deepStrictEqual({ dtype: got.dtype, shape: got.shape, values: viewValues(raw) }, { dtype: want.dtype, shape: want.shape, values: want.values });
    }
  });
}

const ALL: DType[] = ['float64', 'float32', 'float16', 'bfloat16', 'int64', 'int32', 'int8', 'uint8', 'bool'];
const SIZES: Record<DType, number> = { float64: 8, float32: 4, float16: 2, bfloat16: 2, int64: 8, int32: 4, int8: 1, uint8: 1, bool: 1 };

test('write -> parse round trip in all dtypes, keys in the given order, header padded with spaces to 8 bytes', () => {
  const tensors = new Map<string, { dtype: DType; shape: number[]; data: Uint8Array }>();
  for (const [i, d] of ALL.entries()) {
    const shape = [2, i % 3 + 1];
    const data = Uint8Array.from({ length: 2 * (i % 3 + 1) * SIZES[d] }, (_, j) => (j * 7 + i) & (d === 'bool' ? 1 : 0xff));
    tensors.set(`z_${d}`, { dtype: d, shape, data });
  }
  tensors.set('10', { dtype: 'float32', shape: [], data: new Uint8Array(4) });
  tensors.set('empty', { dtype: 'int64', shape: [0, 5], data: new Uint8Array(0) });
  const bytes = writeSafetensors(tensors, { format: 'pt', note: 'ünï "quoted"' });
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  assert.equal(n % 8, 0);
  const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
  assert.match(header, /^\{"__metadata__":\{"format":"pt","note":"ünï \\"quoted\\""\},"z_float64":/);
  assert.match(header, / *$/);
  const back = parseSafetensors(bytes, { name: 'rt.safetensors' });
  assert.deepEqual([...back.tensors.keys()], [...tensors.keys()]);
  for (const [k, t] of tensors) assert.deepEqual(back.tensors.get(k), t);
  assert.deepEqual(back.metadata, { format: 'pt', note: 'ünï "quoted"' });
  // no metadata -> no __metadata__ key
  assert.doesNotMatch(new TextDecoder().decode(writeSafetensors([['a', tensors.get('10')!]])), /__metadata__/);
});

test('writeSafetensors gathers strided RawTensors and checks byte lengths', () => {
  const s = contiguousRawTensor('int32', [2, 3], Uint8Array.from(new Uint8Array(new Int32Array([1, 2, 3, 4, 5, 6]).buffer)));
  const tview: RawTensor = { ...s, shape: [3, 2], strides: [1, 3] };
  const file = parseSafetensors(writeSafetensors({ t: tview }));
  assert.deepEqual([...new Int32Array(file.tensors.get('t')!.data.slice().buffer)], [1, 4, 2, 5, 3, 6]);
  assert.throws(() => writeSafetensors({ bad: { dtype: 'float32', shape: [3], data: new Uint8Array(8) } }), /tensor "bad": float32 shape \[3\] needs 12 bytes, got 8/);
  assert.throws(() => writeSafetensors({ __metadata__: { dtype: 'float32', shape: [], data: new Uint8Array(4) } }), /reserved/);
});

function withHeader(header: object | string, data = new Uint8Array(0), lengthOverride?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, lengthOverride ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

test('validation errors name the file, the tensor and the problem', () => {
  const p = (b: Uint8Array) => () => parseSafetensors(b, { name: 'w.safetensors' });
  const err = (re: RegExp) => (e: Error) => {
    assert.ok(e instanceof CheckpointFormatError, String(e));
    assert.match(e.message, /^w\.safetensors: /);
    assert.match(e.message, re);
    return true;
  };
  assert.throws(p(new Uint8Array(3)), err(/too short \(3 bytes\)/));
  assert.throws(p(withHeader({}, undefined, 1000n)), err(/header length 1000 is larger than the file/));
  assert.throws(p(withHeader({}, undefined, 2n ** 40n)), err(/exceeds the limit of 100000000 bytes/));
  assert.throws(p(withHeader('{"a": ')), err(/not valid UTF-8 JSON/));
  assert.throws(p(withHeader('[1,2]')), err(/does not start with '\{'/));
  assert.throws(p(withHeader({ a: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8))), err(/tensor "a": unknown or unsupported dtype "C64"/));
  assert.throws(p(withHeader({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8))), err(/tensor "a": F32 shape \[3\] needs 12 bytes, but data_offsets \[0, 8\] span 8/));
  assert.throws(p(withHeader({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(8))), err(/tensor "a": data_offsets \[0, 16\] run past the end of the data \(8 bytes\)/));
  assert.throws(p(withHeader({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8))), err(/tensors "a" and "b" overlap/));
  assert.throws(p(withHeader({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8))), err(/gap in the data before tensor "a"/));
  assert.throws(p(withHeader({ a: { dtype: 'U8', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(2))), err(/trailing bytes/));
  assert.throws(p(withHeader({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 0] } })), err(/tensor "a" \(F32\): shape must be an array of non-negative integers/));
  assert.throws(p(withHeader({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } })), err(/data_offsets must be \[begin, end\]/));
  assert.throws(p(withHeader({ __metadata__: { n: 1 } })), err(/__metadata__\["n"\] must be a string/));
  assert.throws(p(withHeader({ a: 5 })), err(/tensor "a": header entry must be an object/));
  assert.throws(p(withHeader({ a: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 0] } })), err(/needs .* bytes/));
});
