/**
 * @file Fuzzing with fast-check (fixed seed, bounded runs): real fixture bytes (safetensors files, torch zips, and
 * the data.pkl pickles inside them, re-zipped so the pickle VM is reached) get bit flips, byte and 32-bit field
 * overwrites (including the zip end records and the safetensors header length) and truncation. Every outcome must
 * be a successful parse or a thrown Error with a message: never a hang, a non-Error throw, or a large allocation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  listZipEntries, parseSafetensors, readTorchZip, writeStoredZip, isRawTensor, type PyValue,
} from '../../src/io/codecs/index.js';
import { FIXTURES } from './expected.js';
import { deflatedZip, nestedMixedPickle, zipWithPickle } from './hostile.js';
import * as torch from '../../src/index.js';

type Mutation =
  | { kind: 'flip'; pos: number; bit: number }
  | { kind: 'byte'; pos: number; value: number }
  | { kind: 'u32'; pos: number; value: number; fromEnd: boolean }
  | { kind: 'u64head'; value: bigint }
  | { kind: 'truncate'; len: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), pos: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('byte' as const), pos: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({
    kind: fc.constant('u32' as const), pos: fc.nat(), fromEnd: fc.boolean(),
    value: fc.oneof(fc.constantFrom(0, 1, 0xffff, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff), fc.nat()),
  }),
  fc.record({ kind: fc.constant('u64head' as const), value: fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 0n, max: 4096n })) }),
  fc.record({ kind: fc.constant('truncate' as const), len: fc.nat() }),
);

function mutate(src: Uint8Array, muts: Mutation[]): Uint8Array {
  let b = src.slice();
  for (const m of muts) {
    if (b.length === 0) break;
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    switch (m.kind) {
      case 'flip': b[m.pos % b.length] ^= 1 << m.bit; break;
      case 'byte': b[m.pos % b.length] = m.value; break;
      case 'u32': {
        if (b.length < 4) break;
        const span = m.fromEnd ? Math.min(100, b.length - 3) : b.length - 3;
        const p = m.fromEnd ? b.length - 4 - (m.pos % span) : m.pos % span;
        dv.setUint32(p, m.value, true);
        break;
      }
      case 'u64head': if (b.length >= 8) dv.setBigUint64(0, m.value, true); break;
      case 'truncate': b = b.subarray(0, m.len % (b.length + 1)); break;
    }
  }
  return b;
}

/** Total bytes reachable from a value's storages (to catch outputs far larger than their input). */
function storageBytes(v: PyValue, seen = new Set<unknown>()): number {
  if (v === null || typeof v !== 'object' || seen.has(v)) return 0;
  seen.add(v);
  if (isRawTensor(v)) return seen.has(v.storage) ? 0 : (seen.add(v.storage), v.storage.bytes.length);
  if (v instanceof Uint8Array) return v.length;
  if (Array.isArray(v)) return v.reduce((a: number, x) => a + storageBytes(x, seen), 0);
  if (v instanceof Map) return [...v.values()].reduce((a: number, x) => a + storageBytes(x, seen), 0);
  if ('items' in v) return v.items.reduce((a: number, x) => a + storageBytes(x, seen), 0);
  return 0;
}

function outcome(run: () => unknown, inputSize: number): void {
  const before = process.memoryUsage().arrayBuffers;
  const t0 = performance.now();
  let result: unknown;
  try {
    result = run();
  } catch (e) {
    assert.ok(e instanceof Error, `threw a non-Error: ${String(e)}`);
    assert.ok(e.message.length > 0, 'error without a message');
    assert.doesNotMatch(e.message, /Maximum call stack|Invalid array length|out of memory/i, e.message);
    return;
  } finally {
    assert.ok(performance.now() - t0 < 2000, 'took over 2 s');
    assert.ok(process.memoryUsage().arrayBuffers - before < 64 * 1024 * 1024 + 16 * inputSize, 'retained a large allocation');
  }
  if (result && typeof result === 'object' && 'tensors' in (result)) return;
  assert.ok(storageBytes(result as PyValue) <= 2 * inputSize + 1024, 'output larger than the input allows');
}

const read = (f: string) => new Uint8Array(readFileSync(join(FIXTURES, f)));
const SAFETENSORS = ['dtypes.safetensors', 'model.safetensors'].map(read);
const STORED_ZIPS = ['dtypes.pt', 'views.pt', 'nested.pt', 'nested_p4.pt', 'optim_adam.pt', 'model.pt'].map(read);
/** The same checkpoints with every entry deflated, so mutations reach the inflater and its size checks. */
const DEFLATED_ZIPS = STORED_ZIPS.slice(0, 3).map((z) => deflatedZip(Object.fromEntries(
  listZipEntries(z).map((e) => [e.name, z.subarray(e.dataOffset, e.dataOffset + e.size)]))));
const ZIPS = [...STORED_ZIPS, ...DEFLATED_ZIPS];

/** A zip's entries, so a mutated data.pkl can be re-zipped with valid CRCs and reach the pickle VM. */
const ZIP_PARTS = STORED_ZIPS.map((z) => listZipEntries(z).map((e) => ({ name: e.name, data: z.subarray(e.dataOffset, e.dataOffset + e.size) })));

const RUNS = { seed: 20240601, numRuns: 300 };

test('fuzz: mutated safetensors parse or throw an Error', () => {
  fc.assert(fc.property(fc.constantFrom(...SAFETENSORS.keys()), fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (i, muts) => {
    const b = mutate(SAFETENSORS[i], muts);
    outcome(() => parseSafetensors(b, { name: 'fuzz.safetensors' }), b.length);
  }), RUNS);
});

test('fuzz: mutated torch zips (container level, CRC on and off) read or throw an Error', () => {
  fc.assert(fc.property(fc.constantFrom(...ZIPS.keys()), fc.array(mutationArb, { minLength: 1, maxLength: 4 }), fc.boolean(), (i, muts, crc) => {
    const b = mutate(ZIPS[i], muts);
    outcome(() => readTorchZip(b, { name: 'fuzz.pt', verifyCrc: crc }), b.length);
  }), RUNS);
});

test('fuzz: mutated data.pkl pickles, re-zipped, read or throw an Error', () => {
  fc.assert(fc.property(fc.constantFrom(...ZIP_PARTS.keys()), fc.array(mutationArb, { minLength: 1, maxLength: 6 }), (i, muts) => {
    const parts = ZIP_PARTS[i].map((p) => (p.name.endsWith('/data.pkl') ? { name: p.name, data: mutate(p.data, muts) } : p));
    const b = writeStoredZip(parts);
    outcome(() => readTorchZip(b, { name: 'fuzz.pt' }), b.length);
  }), RUNS);
});

test('fuzz: pickles nesting lists, tuples and dicts up to 3,000 deep load up to the limit and are refused beyond it', () => {
  const kind = fc.constantFrom('list' as const, 'tuple' as const, 'dict' as const);
  fc.assert(fc.property(fc.array(kind, { minLength: 1, maxLength: 3000 }), (kinds) => {
    const b = zipWithPickle(nestedMixedPickle(kinds));
    let v: unknown;
    try {
      v = torch.loadBytes(b, { name: 'nest.pt' });
    } catch (e) {
      assert.ok(kinds.length > 1000, `depth ${kinds.length} refused: ${String(e)}`);
      assert.match((e as Error).message, /^nest\.pt .*containers nested deeper than the limit of 1000 levels/);
      return;
    }
    assert.ok(kinds.length <= 1000 && v !== undefined, `depth ${kinds.length} loaded`);
  }), { seed: 20240602, numRuns: 60 });
});
