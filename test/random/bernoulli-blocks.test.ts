/**
 * @file bernoulliScalar_ draws its mt19937 words inline, a block of pairs at a time: the same masks and the same
 * generator state as the per-element definition `gen.uniform53() < p` (PyTorch's non-MKL bernoulli_), wherever
 * a call starts and ends relative to the engine's 624-word twists (a pair may straddle one), for float32,
 * float64 and integer masks, with the kept value (dropout's scale) written directly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, bernoulliScalar_ } from '../../src/random/index.js';

function reference(g: Generator, n: number, p: number, value: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(g.uniform53() < p ? value : 0);
  return out;
}

test('bernoulliScalar_: same masks and state as uniform53() < p across twist boundaries', () => {
  const a = new Generator(7), b = new Generator(7);
  // sizes that put call boundaries and pair boundaries on every side of a twist (624 words = 312 pairs)
  const sizes = [0, 1, 311, 312, 313, 1, 623, 624, 625, 2, 5000, 3, 0, 1, 1, 311, 100003, 7];
  for (const [k, n] of sizes.entries()) {
    const p = [0.9, 0.5, 0.1, 0, 1][k % 5], value = k % 2 ? 1 : 1.1111111640930176;
    for (let w = 0; w < k % 3; w++) { a.random(); b.random(); } // odd word offsets: pairs straddling a twist
    const want = reference(a, n, p, value);
    const got = bernoulliScalar_(b, new Float32Array(n), p, value);
    assert.deepEqual(Array.from(got), want.map(Math.fround), `size ${n}, p ${p}`);
    assert.deepEqual(b.getState(), a.getState(), `state after size ${n}`);
  }
  const g64 = bernoulliScalar_(new Generator(3), new Float64Array(1001), 0.7, 1 / 0.7);
  assert.deepEqual(Array.from(g64), reference(new Generator(3), 1001, 0.7, 1 / 0.7));
  const i8 = bernoulliScalar_(new Generator(4), new Int8Array(999), 0.25);
  assert.deepEqual(Array.from(i8), reference(new Generator(4), 999, 0.25, 1));
  assert.throws(() => bernoulliScalar_(new Generator(1), new Float32Array(2), 1.5), /0 <= p <= 1/);
});
