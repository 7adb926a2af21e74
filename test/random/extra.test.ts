/**
 * @file Ops checked against test/fixtures/rng/extra-vectors.json (torch 1.13.1, made by
 * scripts/fixtures/rng.py): random_() over each dtype's full range, wide and narrow
 * random_(from, to) per dtype, float64 exponential_/uniform_/normal_, bernoulli with float32 and
 * float64 probabilities, randperm(2000) and the non-contiguous (per-element) normal_ path.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DType } from '../../src/core/dtype.js';
import {
  Generator, type IntFillArray, bernoulliTensor_, exponential_, normal_, randint_, random_, randperm, uniform_,
} from '../../src/random/index.js';
import { FIXTURES, advanced, engineBytes, fromHex64, hex32, hex64 } from './vectors.js';

interface Extra {
  random_full: Record<string, string[]>;
  random_from_to: { low: string; high: string; dtype: string; values: string[]; state_head: string }[];
  misc: Record<string, string[] | string>;
}
const extra = JSON.parse(readFileSync(join(FIXTURES, 'extra-vectors.json'), 'utf8')) as Extra;

function arrayFor(d: string, n: number): IntFillArray {
  switch (d) {
    case 'int64': case 'float64': return new Float64Array(n);
    case 'float32': return new Float32Array(n);
    case 'int32': return new Int32Array(n);
    case 'int8': return new Int8Array(n);
    default: return new Uint8Array(n);
  }
}

/** Output as torch printed it: bit patterns for floats, integer strings otherwise. */
function show(d: string, a: IntFillArray): string[] {
  if (d === 'float32') return Array.from(a, hex32);
  if (d === 'float64') return Array.from(a, hex64);
  if (d === 'int64') return Array.from(a, (v) => BigInt(v).toString());
  return Array.from(a, String);
}

/** torch prints int64 exactly; a Float64Array holds the nearest double (documented). */
function int64AsStored(s: string): string {
  return BigInt(Number(BigInt(s))).toString();
}

test('random_() over the full range of every dtype', () => {
  const dtypes = Object.keys(extra.random_full);
  assert.deepEqual(dtypes.sort(), ['bool', 'float32', 'float64', 'int32', 'int64', 'int8', 'uint8']);
  for (const d of dtypes) {
    const g = new Generator(7);
    const out = random_(g, arrayFor(d, 40), d as DType);
    const want = d === 'int64' ? extra.random_full[d].map(int64AsStored) : extra.random_full[d];
    assert.deepEqual(show(d, out), want, d);
  }
  // the int64 values exceed 2^53: Float64Array holds the nearest double of each
  const big = extra.random_full.int64.filter((s) => BigInt(s) > 2n ** 53n);
  assert.ok(big.length > 30);
});

test('random_(from, to) per dtype, wide ranges (2 words) included', () => {
  assert.equal(extra.random_from_to.length, 9);
  for (const c of extra.random_from_to) {
    const g = new Generator(11);
    const out = randint_(g, arrayFor(c.dtype, 30), BigInt(c.low), BigInt(c.high), c.dtype as DType);
    const want = c.dtype === 'int64' ? c.values.map(int64AsStored) : c.values;
    assert.deepEqual(show(c.dtype, out), want, `${c.dtype} [${c.low}, ${c.high})`);
    assert.equal(Buffer.from(g.getState().subarray(0, 24)).toString('hex'), c.state_head, `${c.dtype} words`);
  }
});

test('random_(from, to) takes numbers as well as bigints; rejects empty ranges', () => {
  const a = randint_(new Generator(11), new Float32Array(30), -3, 2 ** 40);
  assert.deepEqual(Array.from(a, hex32), extra.random_from_to[0].values);
  assert.throws(() => randint_(new Generator(1), new Float64Array(3), 5, 5), RangeError);
  assert.throws(() => randint_(new Generator(1), new Float32Array(3), 0, 5, 'int64'), TypeError);
});

test('float64 uniform_(0.1, 0.2) and float32 uniform_(0.1, 0.2) bit-exact (FMA)', () => {
  assert.deepEqual(Array.from(uniform_(new Generator(3), new Float64Array(40), 0.1, 0.2), hex64), extra.misc['uniform_f64_0.1_0.2_n40']);
  assert.deepEqual(Array.from(uniform_(new Generator(3), new Float32Array(40), 0.1, 0.2), hex32), extra.misc['uniform_f32_0.1_0.2_n40']);
});

test('bernoulli with float32 and float64 probability tensors', () => {
  const p64 = Float64Array.from({ length: 33 }, (_, i) => i / 32);
  const p32 = Float32Array.from(p64);
  const a = bernoulliTensor_(new Generator(3), new Float64Array(33), p64);
  assert.deepEqual(Array.from(a, String), extra.misc.bernoulli_p_f64_linspace33);
  const b = bernoulliTensor_(new Generator(3), new Float32Array(33), p32);
  assert.deepEqual(Array.from(b, String), extra.misc.bernoulli_p_f32_linspace33);
});

test('randperm(2000)', () => {
  const g = new Generator(3);
  assert.deepEqual(Array.from(randperm(g, 2000), String), extra.misc.randperm_2000);
  assert.deepEqual(engineBytes(g), engineBytes(advanced(3, 1999)));
  assert.deepEqual(Array.from(randperm(new Generator(0), 5)), [4, 0, 1, 3, 2]);
  assert.equal(randperm(new Generator(0), 0).length, 0);
});

test('non-contiguous normal_ takes the per-element path in memory order', () => {
  const g = new Generator(5);
  const out = normal_(g, new Float32Array(20), 0.5, 2.0, { contiguous: false });
  assert.deepEqual(Array.from(out, hex32), extra.misc.normal_noncontig_f32_storage);
  assert.equal(Buffer.from(g.getState().subarray(0, 24)).toString('hex'), extra.misc.normal_noncontig_state_head);
});

/**
 * float64 exponential_ and normal_ go through double log (and sin/cos): glibc in torch, V8's
 * Math here, which can differ in the last bit. Asserted: within 2 ulps, equal after rounding
 * to float32, and most elements bit-exact. (float32 exponential_ is bit-exact in vectors.test.ts.)
 */
test('float64 exponential_(0.7) and normal_(-2, 3): within 2 ulps of torch', () => {
  // scale: the magnitude the rounding errors are relative to (|mean| + |value| for normal_)
  const cases: [string, Float64Array, number][] = [
    ['exponential_f64_l0.7_n50', exponential_(new Generator(3), new Float64Array(50), 0.7), 0],
    ['normal_f64_-2_3_n40', normal_(new Generator(3), new Float64Array(40), -2.0, 3.0), 2],
  ];
  for (const [key, got, scale] of cases) {
    const want = (extra.misc[key] as string[]).map(fromHex64);
    assert.equal(got.length, want.length);
    let exact = 0;
    for (let i = 0; i < want.length; i++) {
      const tol = 2 * Number.EPSILON * (Math.abs(want[i]) + scale);
      assert.ok(Math.abs(got[i] - want[i]) <= tol, `${key}[${i}]: ${got[i]} vs ${want[i]}`);
      assert.equal(Math.fround(got[i]), Math.fround(want[i]), `${key}[${i}] as float32`);
      if (got[i] === want[i]) exact++;
    }
    assert.ok(exact >= 0.8 * want.length, `${key}: ${exact}/${want.length} bit-exact`);
  }
});

test('erfinv float32 edge values and trunc_normal_ bounds', async () => {
  const { erfinv, truncNormal_, erf } = await import('../../src/random/index.js');
  assert.equal(erfinv(1), Infinity);
  assert.equal(erfinv(-1), -Infinity);
  assert.ok(Number.isNaN(erfinv(1.5)));
  assert.equal(erfinv(0), 0);
  // erfinv(erf(x)) ~ x in float32
  for (const x of [0.1, 0.5, 1.0, 1.5, 2.0, -0.75]) {
    assert.ok(Math.abs(erfinv(Math.fround(erf(x))) - x) < 1e-5 * Math.max(1, Math.abs(x)), `${x}`);
  }
  assert.equal(erf(0), 0);
  assert.equal(erf(-7), -1);
  assert.ok(Math.abs(erf(1) - 0.8427007929497149) <= 2 * Number.EPSILON);
  assert.ok(Math.abs(erf(2 / Math.SQRT2) - 0.9544997361036416) <= 2 * Number.EPSILON);
  // spec 5.7: std=1, a=-2, b=2 -> uniform_ bounds +-0x3f745a18; values stay within [a, b]
  const out = truncNormal_(new Generator(0), new Float32Array(1000), 0, 1, -2, 2);
  assert.ok(out.every((v) => v >= -2 && v <= 2));
  const u = uniform_(new Generator(0), new Float32Array(1), 2 * ((1 + erf(-2 / Math.SQRT2)) / 2) - 1, 2 * ((1 + erf(2 / Math.SQRT2)) / 2) - 1);
  assert.equal(out[0], Math.fround(Math.fround(erfinv(u[0]) * Math.fround(Math.SQRT2)) + 0));
  assert.equal(hex32(Math.fround(2 * ((1 + erf(2 / Math.SQRT2)) / 2) - 1)), '3f745a18');
});

test('argument checks', () => {
  assert.throws(() => bernoulliTensor_(new Generator(1), new Float32Array(3), new Float32Array(2)), RangeError);
  assert.throws(() => exponential_(new Generator(1), new Float32Array(3), -1), RangeError);
  assert.throws(() => randperm(new Generator(1), -1), RangeError);
  assert.throws(() => random_(new Generator(1), new Float32Array(3), 'int64'), TypeError);
});
