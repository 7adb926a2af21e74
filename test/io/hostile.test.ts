/**
 * @file Hostile checkpoint files beyond malformed bytes: pickles that nest containers 300,000 deep (a few bytes per
 * level), containers that hold themselves, and zips whose deflated entries inflate past their declared size or
 * declare more than the file's size allows. Each must end in a CheckpointFormatError that names the file and the
 * limit, quickly and without a large allocation (never a RangeError from the stack or from memory).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CheckpointFormatError, readTorchZip, readZipEntries, MAX_NESTING, defaultMaxTotalBytes,
} from '../../src/io/codecs/index.js';
import * as torch from '../../src/index.js';
import { nestedListsPickle, nestedMixedPickle, zipWithPickle, deflatedZip, deflatedZeros, rawZip } from './hostile.js';
import { crc32 } from '../../src/io/codecs/bytes.js';

function bounded<T>(run: () => T): T {
  const before = process.memoryUsage().arrayBuffers, t0 = performance.now();
  try { return run(); } finally {
    assert.ok(performance.now() - t0 < 10_000, `took ${(performance.now() - t0).toFixed(0)} ms`);
    assert.ok(process.memoryUsage().arrayBuffers - before < 48 * 1024 * 1024, 'allocated more than 48 MiB');
  }
}

test(`a .pt whose pickle nests 300,000 lists: error naming the file and the nesting limit (${MAX_NESTING})`, async () => {
  const bytes = zipWithPickle(nestedListsPickle(300_000));
  const want = (e: unknown) => {
    assert.ok(e instanceof CheckpointFormatError, `got ${String(e)}`);
    assert.match(e.message, /^deep\.pt.*containers nested deeper than the limit of 1000 levels/);
    return true;
  };
  bounded(() => assert.throws(() => torch.loadBytes(bytes, { name: 'deep.pt' }), want));
  const dir = mkdtempSync(join(tmpdir(), 'torchlet-hostile-'));
  try {
    const f = join(dir, 'deep.pt');
    writeFileSync(f, bytes);
    await assert.rejects(torch.load(f), (e: Error) => e instanceof CheckpointFormatError && e.message.includes(f) && /limit of 1000 levels/.test(e.message));
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('nesting up to the limit loads (lists, tuples, dicts mixed); one level more is refused', () => {
  const kinds = (n: number) => Array.from({ length: n }, (_, i) => (['list', 'tuple', 'dict'] as const)[i % 3]);
  const ok = torch.loadBytes(zipWithPickle(nestedMixedPickle(kinds(MAX_NESTING))), { name: 'ok.pt' });
  let depth = 0;
  for (let v: unknown = ok; v !== null; depth++) v = Array.isArray(v) ? v[0] : (v as Map<unknown, unknown>).values().next().value;
  assert.equal(depth, MAX_NESTING);
  assert.throws(() => torch.loadBytes(zipWithPickle(nestedMixedPickle(kinds(MAX_NESTING + 1))), { name: 'deeper.pt' }),
    /deeper\.pt .*limit of 1000 levels/);
});

test('a list that holds itself (pickle memo) loads as a cyclic array, not a stack overflow', () => {
  // [1, <itself>]: EMPTY_LIST, MEMOIZE, BININT1 1, BINGET 0, APPENDS after MARK
  const pkl = new Uint8Array([0x80, 2, 0x5d, 0x94, 0x28, 0x4b, 1, 0x68, 0, 0x65, 0x2e]);
  const v = torch.loadBytes(zipWithPickle(pkl), { name: 'cycle.pt' }) as unknown[];
  assert.equal(v[0], 1);
  assert.equal(v[1], v);
});

const pkl = nestedListsPickle(1);
const pklEntry = { name: 'archive/data.pkl', method: 0 as const, data: pkl, size: pkl.length, crc: crc32(pkl) };

test('a deflated entry that inflates past its declared size stops at the limit (200 MiB of zeros declared as 1,000 bytes)', () => {
  const bomb = rawZip([pklEntry, { name: 'archive/data/0', method: 8, data: deflatedZeros(200), size: 1000, crc: 0 }]);
  assert.ok(bomb.length < 400_000, `bomb is ${bomb.length} bytes`);
  bounded(() => assert.throws(() => readTorchZip(bomb, { name: 'bomb.pt' }),
    /^CheckpointFormatError: bomb\.pt: zip entry "archive\/data\/0" inflates to more than its declared 1000 bytes \(stopped at \d+\)/));
});

test('declared sizes beyond the budget for the file size are refused before any allocation', () => {
  // 200 MiB declared truthfully by a ~200 KB file: over the budget of file size + max(64 MiB, 64x deflated bytes).
  const z = rawZip([pklEntry, { name: 'archive/data/0', method: 8, data: deflatedZeros(200), size: 200 << 20, crc: 0 }]);
  const limit = defaultMaxTotalBytes(z.length, z.length - pkl.length - 200);
  bounded(() => assert.throws(() => readTorchZip(z, { name: 'big.pt' }), (e: Error) =>
    e instanceof CheckpointFormatError && e.message.startsWith('big.pt: zip entries would take 209715') && /above the limit of 67\d{6} bytes/.test(e.message)));
  assert.ok(limit < 200 << 20);
  // The limit is an option: 4 MiB of zeros (a 4 KB file) read under a 3 MiB limit is refused, under 5 MiB it reads.
  const z4 = rawZip([{ name: 'x/zeros', method: 8, data: deflatedZeros(4), size: 4 << 20, crc: crc32(new Uint8Array(4 << 20)) }]);
  assert.throws(() => readZipEntries(z4, undefined, { name: 'z4.zip', maxTotalBytes: 3 << 20 }), /z4\.zip: zip entries would take 4194304 bytes once extracted, above the limit of 3145728 bytes \(maxTotalBytes\)/);
  assert.equal(readZipEntries(z4, undefined, { name: 'z4.zip', maxTotalBytes: 5 << 20 }).get('x/zeros')?.length, 4 << 20);
  assert.equal(readZipEntries(z4, undefined, { name: 'z4.zip' }).get('x/zeros')?.length, 4 << 20); // default: within 64 MiB
});

test('a deflated entry shorter than declared, or a truncated deflate stream, is refused naming the entry', () => {
  const data = new Uint8Array(5000).map((_, i) => (i * 7) & 255);
  const z = deflatedZip({ 'archive/data.pkl': nestedListsPickle(1), 'archive/data/0': data }, { entry: 'archive/data/0', size: 6000 });
  assert.throws(() => readTorchZip(z, { name: 'short.pt' }), /short\.pt: zip entry "archive\/data\/0" inflates to 5000 bytes but claims 6000/);
  // deflated, truthful: reads
  const good = deflatedZip({ 'x/a': data });
  assert.deepEqual(readZipEntries(good, undefined, { name: 'good.zip' }).get('x/a'), data);
});
