/**
 * @file Bit-exact agreement of nn.init's random initialisers with torch 1.13 (scripts/fixtures/init.py): every
 * element of uniform_, normal_, truncNormal_, xavier*, kaiming* over 6 shapes (incl. conv [16, 3, 3, 3], sizes
 * below 16 that take the per-element normal path, and sizes that are not multiples of 16), 3 seeds (one above
 * 2^32), the default generator and a Generator object, float32 and float64; plus the stream position after
 * each call, a mixed sequence on the default generator, sparse_ and the Linear(5, 3) example of the spec.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { empty, rand, Generator, manualSeed, defaultGenerator } from '../../src/index.js';
import * as init from '../../src/nn/init.js';
import { applyInit, hexes, sha256, vectors } from './fixtures.js';

const label = (c: { fn: string; kw: object; shape: number[]; seed: string; dtype: string }) =>
  `${c.fn}(${JSON.stringify(c.kw)}) ${JSON.stringify(c.shape)} ${c.dtype} seed ${c.seed}`;

const exactCases = vectors.random.filter((c) => !c.values);
const f64NormalCases = vectors.random.filter((c) => c.values);

/** Distance in ulps between two doubles of the same sign. */
function ulps(a: number, b: number): number {
  const v = new Float64Array([a, b]);
  const i = new BigInt64Array(v.buffer);
  return Number(i[0] > i[1] ? i[0] - i[1] : i[1] - i[0]);
}

test(`${exactCases.length} random init cases (all float32, float64 uniform-based): every bit, and the stream after`, () => {
  let checked = 0;
  for (const c of exactCases) {
    manualSeed(BigInt(c.seed));
    const t = applyInit(c.fn, empty(c.shape, { dtype: c.dtype }), c.kw);
    assert.deepEqual(hexes(t).slice(0, 8), c.head, label(c));
    assert.equal(sha256(t), c.sha256, label(c));
    assert.deepEqual(hexes(rand([3])), c.after, `stream position after ${label(c)}`);
    checked++;
  }
  assert.equal(checked, exactCases.length);
  assert.ok(exactCases.filter((c) => c.dtype === 'float32').length >= 300);
});

test(`${f64NormalCases.length} float64 normal-based cases: normal within 4 ulps, trunc_normal within 16 eps relative (glibc vs V8 double libm), stream exact`, () => {
  let total = 0, equal = 0, worst = 0;
  for (const c of f64NormalCases) {
    manualSeed(BigInt(c.seed));
    const t = applyInit(c.fn, empty(c.shape, { dtype: c.dtype }), c.kw);
    const got = t.dataSync() as Float64Array;
    const want = new Float64Array(BigUint64Array.from(c.values!, (h) => BigInt('0x' + h)).buffer);
    assert.equal(got.length, want.length);
    const kw = c.kw as { mean?: number; std?: number };
    const scale = Math.max(Math.abs(kw.mean ?? 0), kw.std ?? 1);
    for (let i = 0; i < got.length; i++) {
      const d = ulps(got[i], want[i]);
      if (c.fn === 'trunc_normal') {
        // erfinv in double: two Newton steps on erf(x) - y, whose last bits depend on the libm's erf/exp.
        const rel = Math.abs(got[i] - want[i]) / Math.max(Math.abs(want[i]), scale);
        assert.ok(rel <= 16 * 2 ** -52, `${label(c)} element ${i}: ${got[i]} vs ${want[i]} (relative ${rel})`);
      } else {
        assert.ok(d <= 4, `${label(c)} element ${i}: ${got[i]} vs ${want[i]} (${d} ulps)`);
      }
      worst = Math.max(worst, d);
      total++;
      if (d === 0) equal++;
    }
    assert.deepEqual(hexes(rand([3])), c.after, `stream position after ${label(c)}`);
  }
  // Most elements are bit-equal; the rest are a last-bit libm difference.
  assert.ok(equal / total > 0.3, `${equal}/${total} bit-equal`);
});

test('the same cases with a Generator object leave the default generator untouched', () => {
  for (const c of exactCases) {
    manualSeed(12345);
    const before = defaultGenerator.getState();
    const g = new Generator(BigInt(c.seed));
    const t = applyInit(c.fn, empty(c.shape, { dtype: c.dtype }), c.kw, g);
    assert.equal(sha256(t), c.sha256, label(c));
    assert.deepEqual(hexes(rand([3], { generator: g })), c.after, `generator position after ${label(c)}`);
    assert.deepEqual(defaultGenerator.getState(), before, `default generator moved by ${label(c)}`);
  }
});

test('a sequence on one stream: Linear(20, 7)-style init, odd normal_ (cached sample), normal_, truncNormal_', () => {
  const s = vectors.sequence;
  manualSeed(s.seed);
  const w = init.kaimingUniform_(empty([7, 20]), { a: Math.sqrt(5) });
  const bound = 1 / Math.sqrt(20);
  const b = init.uniform_(empty([7]), -bound, bound);
  const n5 = init.normal_(empty([5]), 0, 0.1);
  const n3 = init.normal_(empty([3]));
  const tn = init.truncNormal_(empty([4, 6]), 0, 0.02);
  assert.deepEqual(hexes(w), s.w);
  assert.deepEqual(hexes(b), s.b);
  assert.deepEqual(hexes(n5), s.n5);
  assert.deepEqual(hexes(n3), s.n3);
  assert.deepEqual(hexes(tn), s.tn);
});

test('spec section 7: seed 0, Linear(5, 3) weight and bias', () => {
  manualSeed(0);
  const w = init.kaimingUniform_(empty([3, 5]), { a: Math.sqrt(5) });
  const [fanIn] = init.calculateFanInAndFanOut(w);
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  const b = init.uniform_(empty([3]), -bound, bound);
  assert.deepEqual(hexes(w), vectors.linear53.weight);
  assert.deepEqual(hexes(b), vectors.linear53.bias);
  assert.deepEqual(Array.from(w.dataSync().slice(0, 3)), [-0.0033482078, 0.23990487, -0.36807698].map(Math.fround));
  assert.deepEqual(Array.from(b.dataSync()), [0.016566388, 0.17679927, 0.26833835].map(Math.fround));
});

test('sparse_: normal_ then one randperm per column, bit-exact, stream in sync', () => {
  for (const c of vectors.sparse) {
    manualSeed(c.seed);
    const t = init.sparse_(empty(c.shape), c.sparsity, { std: c.std });
    assert.deepEqual(hexes(t), c.value, `sparse_ ${JSON.stringify(c.shape)} ${c.sparsity}`);
    assert.deepEqual(hexes(rand([3])), c.after);
    const g = new Generator(c.seed);
    assert.deepEqual(hexes(init.sparse_(empty(c.shape), c.sparsity, { std: c.std, generator: g })), c.value);
  }
});
