/**
 * @file Generator: mt19937 words, uniform primitives, seeding (64-bit, above 2^32, negative),
 * the default generator, and state save/restore (torch.get_rng_state layout, mid-stream round
 * trip, cached normal, legacy 5048-byte blobs, checks), against values from torch 1.13.1.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_SEED, Generator, RNG_STATE_SIZE, defaultGenerator, initialSeed, manualSeed, normal_,
  randint_, seed, uniform_,
} from '../../src/random/index.js';
import { getRngState, setRngState, tensor } from '../../src/index.js';
import { fromHex64, hex32, hex64 } from './vectors.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES } from './vectors.js';

interface Extra {
  seeds: { seed: string; initial_seed: string; rand5: string[]; randn20: string[]; randint: string[] }[];
  state: { seed: string; after_randn3: string; after_randn3_randn1: string; randn5_f64_from_after_randn3: string[] };
  legacy: { seed: number; normal_x: number; normal_rho: number; randn3_f64: string[] };
}
const extra = JSON.parse(readFileSync(join(FIXTURES, 'extra-vectors.json'), 'utf8')) as Extra;
const fromHexBytes = (h: string): Uint8Array => Uint8Array.from(h.match(/../g)!.map((x) => parseInt(x, 16)));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('mt19937 words and uniform primitives for seed 0 (spec 4.3)', () => {
  const g = new Generator(0);
  assert.deepEqual([g.random(), g.random(), g.random(), g.random()], [0x8c7f0aac, 0x97c4aa2f, 0xb716a675, 0xd821ccc0]);
  g.manualSeed(0);
  assert.equal(hex32(g.uniform24()), hex32(0.4962566));
  g.manualSeed(0);
  assert.equal(g.uniform53(), 0.9700530018065531);
  g.manualSeed(0);
  assert.equal(g.random64(), (0x8c7f0aacn << 32n) | 0x97c4aa2fn);
});

test('mt19937 matches std::mt19937 (seed 5489: 10000th output is 4123659995)', () => {
  const g = new Generator(5489);
  let v = 0;
  for (let i = 0; i < 10000; i++) v = g.random();
  assert.equal(v, 4123659995);
});

test('default generator starts from PyTorch default seed 67280421310721', () => {
  assert.equal(DEFAULT_SEED, 67280421310721n);
  assert.equal(new Generator().initialSeed(), 67280421310721n);
  const fresh = new Generator(67280421310721);
  const torchRec = extra.seeds.find((s) => s.seed === '67280421310721')!;
  assert.deepEqual(Array.from(uniform_(fresh, new Float32Array(5)), hex32), torchRec.rand5);
});

test('seeds above 2^32, near 2^64 and negative match torch (values and initial_seed)', () => {
  assert.ok(extra.seeds.length >= 6);
  for (const rec of extra.seeds) {
    const s = BigInt(rec.seed);
    for (const seedArg of [s, ...(Number.isSafeInteger(Number(s)) ? [Number(s)] : [])]) {
      const g = new Generator(seedArg);
      assert.equal(g.initialSeed().toString(), rec.initial_seed, rec.seed);
      assert.deepEqual(Array.from(uniform_(g, new Float32Array(5)), hex32), rec.rand5, rec.seed);
      assert.deepEqual(Array.from(normal_(g, new Float32Array(20)), hex32), rec.randn20, rec.seed);
      assert.deepEqual(Array.from(randint_(g, new Float64Array(6), 0, 100, 'int64'), String), rec.randint, rec.seed);
    }
  }
  // only the low 32 bits reach the engine, but initialSeed keeps all 64
  const a = new Generator(2n ** 32n + 17n), b = new Generator(17);
  assert.equal(a.random(), b.random());
  assert.equal(a.initialSeed(), 2n ** 32n + 17n);
});

test('seed range and type checks like torch.manual_seed', () => {
  assert.throws(() => new Generator(2n ** 64n), RangeError);
  assert.throws(() => new Generator(-(2n ** 63n) - 1n), RangeError);
  assert.throws(() => new Generator(1.5), TypeError);
  assert.equal(new Generator(-(2n ** 63n)).initialSeed(), 2n ** 63n);
  assert.equal(new Generator(-1).initialSeed(), 2n ** 64n - 1n);
});

test('module-level default generator functions', () => {
  const saved = getRngState();
  try {
    assert.equal(manualSeed(42), defaultGenerator);
    assert.equal(initialSeed(), 42n);
    const s = getRngState();
    assert.equal(s.dtype, 'uint8'); // a uint8 Tensor, as torch.get_rng_state()
    assert.deepEqual(s.shape, [RNG_STATE_SIZE]);
    const x = uniform_(defaultGenerator, new Float64Array(7));
    setRngState(s);
    assert.deepEqual(uniform_(defaultGenerator, new Float64Array(7)), x);
    defaultGenerator.setState(tensor(s.dataSync(), { dtype: 'uint8' })); // Generator.setState takes the Tensor too
    assert.deepEqual(uniform_(defaultGenerator, new Float64Array(7)), x);
    assert.throws(() => setRngState(tensor([1, 2])), /uint8 Tensor/);
    const r = seed();
    assert.equal(typeof r, 'bigint');
    assert.equal(initialSeed(), r);
    assert.ok(r >= 0n && r < 2n ** 64n);
  } finally {
    setRngState(saved);
  }
});

test('getState is byte-identical to torch.get_rng_state, with and without a cached normal', () => {
  const g = new Generator(BigInt(extra.state.seed));
  normal_(g, new Float32Array(3)); // per-element path: leaves a cached double normal
  assert.notEqual(g.nextDoubleNormalSample, null);
  assert.equal(toHex(g.getState()), extra.state.after_randn3);
  normal_(g, new Float32Array(1)); // uses the cache
  assert.equal(g.nextDoubleNormalSample, null);
  assert.equal(toHex(g.getState()), extra.state.after_randn3_randn1);
});

test('setState accepts a state saved by torch and continues its stream', () => {
  const g = new Generator(0);
  g.setState(fromHexBytes(extra.state.after_randn3));
  assert.equal(g.initialSeed(), BigInt(extra.state.seed));
  const got = normal_(g, new Float64Array(5));
  // element 0 is the cached sample saved in the blob (exact); the others use fresh draws through
  // double log/sin/cos (glibc in torch, V8 Math here): asserted within 2 ulps.
  assert.equal(hex64(got[0]), extra.state.randn5_f64_from_after_randn3[0]);
  for (let i = 1; i < 5; i++) {
    const w = fromHex64(extra.state.randn5_f64_from_after_randn3[i]);
    assert.ok(Math.abs(got[i] - w) <= 2 * Number.EPSILON * Math.abs(w), `${i}`);
    assert.equal(Math.fround(got[i]), Math.fround(w));
  }
});

test('mid-stream getState/setState round trip equals the uninterrupted stream (every op, cache included)', () => {
  const seqs: ((g: Generator) => number[])[] = [
    (g) => [...uniform_(g, new Float32Array(5), -1, 2)],
    (g) => [...normal_(g, new Float64Array(3), 1, 0.5)], // leaves a cached normal
    (g) => [...uniform_(g, new Float64Array(4), 0.1, 0.2)],
    (g) => [...normal_(g, new Float32Array(33))],
    (g) => [...normal_(g, new Float32Array(1))], // consumes the cached one
    (g) => [...randint_(g, new Float64Array(700), -3, 2 ** 40)], // crosses a twist
    (g) => [...normal_(g, new Float32Array(5))],
  ];
  const full = new Generator(2n ** 40n + 99n);
  const ref = seqs.flatMap((f) => f(full));
  for (let cut = 0; cut <= seqs.length; cut++) {
    // run `cut` ops, save the state, restore it into another generator, run the rest there
    const src = new Generator(2n ** 40n + 99n);
    const b = new Generator(7);
    const out: number[] = [];
    for (let i = 0; i < cut; i++) out.push(...seqs[i](src));
    b.setState(src.getState());
    for (let i = cut; i < seqs.length; i++) out.push(...seqs[i](b));
    assert.deepEqual(out, ref, `cut at ${cut}`);
    assert.deepEqual(b.getState(), full.getState(), `final state, cut at ${cut}`);
  }
  // round trip of the raw bytes, including a cached float normal (unused by CPU kernels)
  const g = new Generator(5);
  normal_(g, new Float32Array(1));
  g.nextFloatNormalSample = Math.fround(0.25);
  const h = new Generator();
  h.setState(g.getState());
  assert.deepEqual(h.getState(), g.getState());
  assert.equal(h.nextFloatNormalSample, 0.25);
  assert.equal(h.nextDoubleNormalSample, g.nextDoubleNormalSample);
  assert.deepEqual(g.clone().getState(), g.getState());
});

test('manualSeed clears the cached normal', () => {
  const g = new Generator(3);
  normal_(g, new Float32Array(1));
  assert.notEqual(g.nextDoubleNormalSample, null);
  g.manualSeed(3);
  assert.equal(g.nextDoubleNormalSample, null);
  assert.deepEqual(g.getState(), new Generator(3).getState());
});

test('legacy 5048-byte state: cached sample = rho * sin(2 pi normal_x), as torch', () => {
  const g = new Generator(extra.legacy.seed);
  const blob = g.getState().slice(0, 5048);
  const dv = new DataView(blob.buffer);
  dv.setFloat64(5016, extra.legacy.normal_x, true);
  dv.setFloat64(5032, extra.legacy.normal_rho, true);
  dv.setInt32(5040, 1, true);
  const h = new Generator();
  h.setState(blob);
  const got = normal_(h, new Float64Array(3));
  const want = extra.legacy.randn3_f64.map(fromHex64);
  // element 0 goes through glibc sin in torch (Math.sin here): within 1 ulp; the rest through log/sin/cos
  for (let i = 0; i < 3; i++) {
    assert.ok(Math.abs(got[i] - want[i]) <= 2 * Number.EPSILON * Math.abs(want[i]), `${i}: ${got[i]} vs ${want[i]}`);
    assert.equal(Math.fround(got[i]), Math.fround(want[i]));
  }
});

test('setState rejects bad sizes and invalid engine fields like torch', () => {
  const g = new Generator(1);
  assert.throws(() => g.setState(new Uint8Array(100)), RangeError);
  const s = g.getState();
  const bad = (off: number, v: number): Uint8Array => {
    const c = s.slice();
    new DataView(c.buffer).setInt32(off, v, true);
    return c;
  };
  assert.throws(() => g.setState(bad(8, 0)), RangeError); // left = 0
  assert.throws(() => g.setState(bad(8, 625)), RangeError); // left > 624
  assert.throws(() => g.setState(bad(16, 700)), RangeError); // next > 624
  assert.throws(() => g.setState(bad(12, 0)), RangeError); // not seeded
  assert.deepEqual(g.getState(), s); // unchanged after failed sets
});
