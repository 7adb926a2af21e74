/**
 * @file torch.save zip checkpoints: every fixture written by real PyTorch (scripts/fixtures/io.py) is read and
 * compared with expected.json (values, dtypes, shapes, strides, offsets, storage sharing, parameters, Python
 * types); write -> read round trips; malicious, legacy and hostile zips are refused with clear errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CheckpointFormatError, contiguousRawTensor, isRawTensor, listZipEntries, PyOrderedDict, readTorchZip, tuple,
  pyFloat, writeStoredZip, writeTorchZip, type PyKey, type PyValue, type RawStorage, type RawTensor, type TorchZipRecords,
} from '../../src/io/codecs/index.js';
import { encode, FIXTURES, loadExpected, normalize } from './expected.js';

const expected = loadExpected();
const ptFixtures = Object.keys(expected).filter((f) => f.endsWith('.pt') && !('$error' in (expected[f] as object)));

for (const f of ptFixtures) {
  test(`reads ${f} exactly as torch.save wrote it`, () => {
    const v = readTorchZip(readFileSync(join(FIXTURES, f)), { name: f, preserveFloatType: true });
    assert.deepStrictEqual(encode(v), normalize(expected[f]));
  });
  test(`round-trips ${f} through writeTorchZip`, () => {
    const v = readTorchZip(readFileSync(join(FIXTURES, f)), { name: f, preserveFloatType: true });
    const bytes = writeTorchZip(v);
    const back = readTorchZip(bytes, { name: `rt_${f}`, preserveFloatType: true });
    assert.deepStrictEqual(encode(back), normalize(expected[f]));
  });
}

test('views keep sharing one RawStorage, strides and offsets', () => {
  const v = readTorchZip(readFileSync(join(FIXTURES, 'views.pt')), { name: 'views.pt' }) as Map<string, RawTensor>;
  const base = v.get('base')!;
  const t = v.get('transposed')!;
  const row = v.get('row_slice')!;
  assert.equal(t.storage, base.storage);
  assert.equal(row.storage, base.storage);
  assert.deepEqual(t.strides, [1, 6]);
  assert.equal(row.offset, 6);
  assert.equal(v.get('expanded')!.strides[0], 0);
  const back = readTorchZip(writeTorchZip(v)) as Map<string, RawTensor>;
  assert.equal(back.get('transposed')!.storage, back.get('base')!.storage);
  assert.notEqual(back.get('own')!.storage, back.get('base')!.storage);
});

test('state dict is an OrderedDict with _metadata attrs; parameters and requires_grad survive', () => {
  const model = readTorchZip(readFileSync(join(FIXTURES, 'model.pt'))) as PyOrderedDict;
  assert.ok(model instanceof PyOrderedDict);
  assert.ok(model.attrs?.get('_metadata') instanceof PyOrderedDict);
  const nested = readTorchZip(readFileSync(join(FIXTURES, 'nested.pt'))) as Map<PyKey, PyValue>;
  const p = nested.get('param') as RawTensor;
  assert.equal(p.isParameter, true);
  assert.equal(p.requiresGrad, true);
  assert.equal((nested.get('frozen_param') as RawTensor).requiresGrad, false);
  assert.equal(nested.get(7), 'int key');
  const twice = nested.get('same_tensor_twice') as RawTensor[];
  assert.equal(twice[0], twice[1]);
  // without preserveFloatType, Python floats are plain numbers
  assert.deepEqual((nested.get('floats') as number[]).slice(0, 2), [0.5, 1]);
});

test('writeTorchZip layout: archive/data.pkl first, byteorder, data/<key>, version; 64-byte aligned data', () => {
  const s: RawStorage = { kind: 'storage', dtype: 'float32', bytes: new Uint8Array(4 * 6) };
  const a: RawTensor = { kind: 'tensor', storage: s, shape: [2, 3], strides: [3, 1], offset: 0 };
  const b: RawTensor = { kind: 'tensor', storage: s, shape: [3, 2], strides: [1, 3], offset: 0 };
  const c = contiguousRawTensor('int64', [2], new Uint8Array(16));
  const sd = new PyOrderedDict([['a', a], ['b', b], ['c', c]] as [string, PyValue][]);
  const bytes = writeTorchZip(sd, { archiveName: 'ckpt' });
  const names = listZipEntries(bytes).map((e) => e.name);
  assert.deepEqual(names, ['ckpt/data.pkl', 'ckpt/byteorder', 'ckpt/data/0', 'ckpt/data/1', 'ckpt/version']);
  for (const e of listZipEntries(bytes)) {
    assert.equal(e.method, 0);
    assert.equal(e.dataOffset % 64, 0, `${e.name} aligned`);
  }
  const back = readTorchZip(bytes) as Map<string, RawTensor>;
  assert.equal(back.get('a')!.storage, back.get('b')!.storage);
});

test('writes ints, floats, bigints, bytes, tuples, nested containers and cycles in lists', () => {
  const list: PyValue[] = [1, 2.5, pyFloat(3), -0, 2n ** 80n, -(2n ** 63n), new Uint8Array([0, 200, 255]), tuple(1, tuple()), null, true];
  const d = new Map<PyKey, PyValue>([['x', list], [3, 'three'], [tuple(1, 2) as never, 'tuple key']] as never);
  const back = readTorchZip(writeTorchZip(d), { preserveFloatType: true }) as Map<PyKey, PyValue>;
  assert.deepEqual(encode(back.get('x')!), encode(list));
  assert.equal(back.get(3), 'three');
  const cyc: PyValue[] = [1];
  cyc.push(cyc);
  const rc = readTorchZip(writeTorchZip(cyc)) as PyValue[];
  assert.equal(rc[1], rc);
});

test('refuses the malicious pickle (os.system via __reduce__), naming the global', () => {
  assert.throws(() => readTorchZip(readFileSync(join(FIXTURES, 'malicious.pt')), { name: 'malicious.pt' }), (e: Error) => {
    assert.ok(e instanceof CheckpointFormatError);
    assert.match(e.message, /malicious\.pt/);
    assert.match(e.message, /posix\.system/);
    assert.match(e.message, /weights-only/);
    return true;
  });
});

test('legacy (pre-1.6) and non-checkpoint files get clear errors', () => {
  assert.throws(() => readTorchZip(readFileSync(join(FIXTURES, 'legacy.pt')), { name: 'legacy.pt' }), /legacy.pt: .*legacy \(pre-1\.6, non-zip\)/);
  assert.throws(() => readTorchZip(new TextEncoder().encode('hello world'), { name: 'x.pt' }), /x\.pt: not a torch\.save zip/);
  assert.throws(() => readTorchZip(readFileSync(join(FIXTURES, 'model.safetensors')), { name: 'm.pt' }), /not a torch\.save zip/);
  const ts = writeStoredZip([{ name: 'm/constants.pkl', data: new Uint8Array(1) }, { name: 'm/code/x.py', data: new Uint8Array(1) }]);
  assert.throws(() => readTorchZip(ts, { name: 'script.pt' }), /TorchScript/);
});

test('hostile zips: sizes beyond the file, missing records, storage size mismatch, CRC errors', () => {
  const good = readFileSync(join(FIXTURES, 'dtypes.pt'));
  const entries = listZipEntries(good);
  // central directory: claim a huge compressed size for the first entry
  const cd = good.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), good.length);
  void cd;
  const firstCd = good.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  const big = Buffer.from(good);
  big.writeUInt32LE(0x7ffffff0, firstCd + 20);
  big.writeUInt32LE(0x7ffffff0, firstCd + 24);
  assert.throws(() => readTorchZip(big, { name: 'big.pt' }), /big\.pt: zip entry ".*" claims \d+ bytes .* beyond the end of the file/);
  // truncated file
  assert.throws(() => readTorchZip(good.subarray(0, good.length - 30), { name: 'cut.pt' }), /cut\.pt: /);
  // flip a byte inside a storage: CRC catches it
  const data0 = entries.find((e) => e.name.endsWith('/data/0'))!;
  const flipped = Buffer.from(good);
  flipped[data0.dataOffset] ^= 0xff;
  assert.throws(() => readTorchZip(flipped, { name: 'crc.pt' }), /crc\.pt: zip entry "dtypes\/data\/0" fails its CRC-32 check/);
  // a storage record with the wrong size
  const t = contiguousRawTensor('float32', [2], new Uint8Array(8));
  const zip = writeTorchZip(new Map([['w', t]]));
  const files = listZipEntries(zip);
  const rebuilt = writeStoredZip(files.map((e) => ({ name: e.name, data: e.name.endsWith('data/0') ? new Uint8Array(4) : zip.subarray(e.dataOffset, e.dataOffset + e.size) })));
  assert.throws(() => readTorchZip(rebuilt, { name: 'short.pt' }), /short\.pt: storage "0": float32 x 2 elements needs 8 bytes but "archive\/data\/0" holds 4/);
  const missing = writeStoredZip(files.filter((e) => !e.name.endsWith('data/0')).map((e) => ({ name: e.name, data: zip.subarray(e.dataOffset, e.dataOffset + e.size) })));
  assert.throws(() => readTorchZip(missing, { name: 'miss.pt' }), /miss\.pt: storage "0" .* "archive\/data\/0" is missing/);
});

test('writeTorchZip rejects views that do not fit their storage', () => {
  const s: RawStorage = { kind: 'storage', dtype: 'float32', bytes: new Uint8Array(8) };
  const bad: RawTensor = { kind: 'tensor', storage: s, shape: [3], strides: [1], offset: 0 };
  assert.throws(() => writeTorchZip(new Map([['w', bad]])), /reach element 2, but the float32 storage holds 2 elements/);
  assert.ok(isRawTensor(bad));
});

test('the records torch 2.6 writes are read and checked: version, byteorder, .data/serialization_id; nothing unknown', () => {
  const f = join(FIXTURES, '..', 'interop', 'torch26', 'model.pt');
  let rec: TorchZipRecords | undefined;
  readTorchZip(readFileSync(f), { name: 'model.pt', onRecords: (r) => { rec = r; } });
  assert.ok(rec);
  assert.equal(rec.version, 3);
  assert.equal(rec.byteorder, 'little');
  assert.match(rec.serializationId ?? '', /^\d{20,64}$/);
  assert.deepEqual(rec.unknownRecords, []);
  // torch 1.13's files have no serialization id
  let old: TorchZipRecords | undefined;
  readTorchZip(readFileSync(join(FIXTURES, 'model.pt')), { onRecords: (r) => { old = r; } });
  assert.equal(old?.serializationId, undefined);
  assert.equal(old?.version, 3);
});

test('records with values PyTorch never writes are refused, naming the file and the record', () => {
  const base = writeTorchZip(new Map([['w', contiguousRawTensor('float32', [1], new Uint8Array(4))]]));
  const parts = listZipEntries(base).map((e) => ({ name: e.name, data: base.subarray(e.dataOffset, e.dataOffset + e.size) }));
  const withRecord = (name: string, text: string) => writeStoredZip([
    ...parts.filter((p) => p.name !== `archive/${name}`), { name: `archive/${name}`, data: new TextEncoder().encode(text) }]);
  assert.throws(() => readTorchZip(withRecord('version', '11\n'), { name: 'v.pt' }), /^CheckpointFormatError: v\.pt: archive\/version is "11": torchlet reads file format versions 1 to 10/);
  assert.throws(() => readTorchZip(withRecord('.format_version', '2'), { name: 'f.pt' }), /f\.pt: archive\/\.format_version is "2": torchlet knows storage layout format 1 only/);
  assert.throws(() => readTorchZip(withRecord('.data/serialization_id', 'abc'), { name: 's.pt' }), /s\.pt: archive\/\.data\/serialization_id is "abc"/);
  assert.throws(() => readTorchZip(withRecord('byteorder', 'middle'), { name: 'b.pt' }), /b\.pt: unknown byteorder "middle"/);
  // later PyTorch records with their known values read; an unknown record is listed, not loaded
  let rec: TorchZipRecords | undefined;
  const later = writeStoredZip([...parts, { name: 'archive/.format_version', data: new TextEncoder().encode('1') },
    { name: 'archive/.storage_alignment', data: new TextEncoder().encode('64') }, { name: 'archive/extra/thing', data: new Uint8Array(3) }]);
  readTorchZip(later, { onRecords: (r) => { rec = r; } });
  assert.deepEqual([rec?.formatVersion, rec?.storageAlignment, rec?.unknownRecords], [1, 64, ['archive/extra/thing']]);
});
