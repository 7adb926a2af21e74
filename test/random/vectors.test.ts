/**
 * @file Every case of the PyTorch 1.13.1 vector file (test/fixtures/rng/pytorch-rng-vectors.json),
 * replayed step by step and compared bit for bit, plus the generator's engine state after the
 * case (= the seed advanced by words_consumed words). Both profiles: x86-64-avx2 and x86-64-default.
 *
 * The 458 cases are counted honestly in their test names: 438 are "bit-exact" (every element, every step), 20 are
 * "tolerance" cases: 12 with a float64 randn step (within 2 ulps, see needsGlibcDouble) and 8 with orthogonal_
 * (LAPACK QR in PyTorch, Householder here: |diff| <= ORTHO_TOL, about 10x the 6e-7 reached).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, X86_AVX2, X86_DEFAULT, type Profile } from '../../src/random/index.js';
import { bernoulliAccel, setBernoulliAccel } from '../../src/random/bernoulli.js';
import { wasmBernoulli } from '../../src/backend/wasm/random.js';
import { type Case, type Step, Replayer, advanced, engineBytes, fromHex32, fromHex64, hex32, hex64, loadVectors } from './vectors.js';

const data = loadVectors();

/**
 * float64 steps whose every element goes through double log/sin/cos (randn on float64:
 * fill path for n >= 16, per-element path below). PyTorch calls glibc; torchlet uses V8's
 * Math.log/sin/cos, which differ in the last bit for a few percent of inputs, so these
 * elements can be 1-2 ulps off. What holds and is asserted: same element count, every
 * element within 2 ulps, identical after rounding to float32, most elements bit-exact, and
 * the generator state (words consumed) exact. Every other step, float64 included, is bit-exact.
 */
function needsGlibcDouble(st: Step): boolean {
  return st.dtype === 'float64' && st.op === 'randn';
}

function ulpDistance(a: number, b: number): number {
  const dv = new DataView(new ArrayBuffer(16));
  dv.setFloat64(0, a);
  dv.setFloat64(8, b);
  const ia = dv.getBigInt64(0), ib = dv.getBigInt64(8);
  const key = (i: bigint): bigint => (i < 0n ? -(i & 0x7fffffffffffffffn) : i);
  const d = key(ia) - key(ib);
  return Number(d < 0n ? -d : d);
}

export const stats = { exactElements: 0, nearElements: 0, orthoWorst: 0, exactCases: 0, toleranceCases: 0 };
const ORTHO_TOL = 6e-6;

/** Why a case is compared to a tolerance, or null when it is compared bit for bit. */
function toleranceReason(c: Case): string | null {
  if (c.steps.some((st) => st.exact === false)) return `orthogonal_ within ${ORTHO_TOL}`;
  if (c.steps.some(needsGlibcDouble)) return 'float64 randn within 2 ulps';
  return null;
}

function checkStep(c: Case, st: Step, got: Float32Array | Float64Array | number[]): void {
  const where = `${c.id} ${st.op}${st.dtype ? '/' + st.dtype : ''}`;
  if (st.exact === false) {
    // orthogonal_: LAPACK QR in PyTorch, Householder in double here; the spec's tolerance.
    const want = st.bits!.map(fromHex32);
    assert.equal(got.length, want.length, where);
    for (let i = 0; i < want.length; i++) {
      const d = Math.abs((got[i]) - want[i]);
      stats.orthoWorst = Math.max(stats.orthoWorst, d);
      assert.ok(d <= ORTHO_TOL, `${where} [${i}]: off by ${d}`);
    }
    return;
  }
  if (!st.bits) {
    assert.deepEqual(Array.from(got as ArrayLike<number>), st.values, where);
    return;
  }
  const f64 = st.dtype === 'float64';
  const have = Array.from(got as ArrayLike<number>, f64 ? hex64 : hex32);
  if (!needsGlibcDouble(st)) {
    assert.deepEqual(have, st.bits, where);
    stats.exactElements += have.length;
    return;
  }
  assert.equal(have.length, st.bits.length, where);
  let exact = 0;
  for (let i = 0; i < have.length; i++) {
    const w = fromHex64(st.bits[i]);
    const g = got[i];
    assert.ok(ulpDistance(g, w) <= 2, `${where} [${i}]: ${have[i]} vs ${st.bits[i]}`);
    assert.equal(Math.fround(g), Math.fround(w), `${where} [${i}] after rounding to float32`);
    if (have[i] === st.bits[i]) exact++;
  }
  stats.exactElements += exact;
  stats.nearElements += have.length - exact;
}

function runCases(list: Case[], profile: Profile): void {
  for (const c of list) {
    const why = toleranceReason(c);
    if (why) stats.toleranceCases++; else stats.exactCases++;
    test(`${why ? `tolerance (${why})` : 'bit-exact'}, ${profile.name}: ${c.id}`, () => {
      const g = new Generator(c.seed);
      const r = new Replayer(g, profile);
      for (const st of c.steps) checkStep(c, st, r.run(st));
      assert.deepEqual(engineBytes(g), engineBytes(advanced(c.seed, c.words_consumed)), `${c.id}: words consumed`);
    });
  }
}

test('vector file is the expected one', () => {
  assert.equal(data.meta.profile, 'x86-64-avx2');
  assert.equal(data.cases.length, 430);
  assert.equal(data.cases_x86_64_default.length, 28);
});

runCases(data.cases, X86_AVX2);
runCases(data.cases_x86_64_default, X86_DEFAULT);

test('summary: 438 cases bit-exact, 20 within a tolerance; randn float64 elements off by 1-2 ulps stay a small minority', (t) => {
  // runs after the cases above (node:test runs top-level tests in order)
  assert.deepEqual([stats.exactCases, stats.toleranceCases], [438, 20]);
  t.diagnostic(`orthogonal_ worst |diff| ${stats.orthoWorst.toExponential(2)}; float64 randn elements: ${stats.exactElements} exact, ${stats.nearElements} within 2 ulps`);
  assert.ok(stats.exactElements > 0);
  assert.ok(stats.nearElements < 0.01 * stats.exactElements, JSON.stringify(stats));
});

// The bernoulli_ and dropout_mask cases once more through the WebAssembly SIMD mask (assembly/random.ts, which
// enableWasmKernels installs), used here from 1 element on; the cases above ran the TypeScript loop.
const wasmMask = wasmBernoulli();
const maskCases = data.cases.filter((c) => c.steps.some((st) => st.op === 'bernoulli_' || st.op === 'dropout_mask'));
test(`bit-exact through the WebAssembly mask: the ${maskCases.length} bernoulli_ / dropout_mask cases`, { skip: !wasmMask }, () => {
  assert.ok(maskCases.length >= 40);
  const prev = bernoulliAccel();
  setBernoulliAccel(wasmMask, 1);
  try {
    for (const c of maskCases) {
      const g = new Generator(c.seed);
      const r = new Replayer(g, X86_AVX2);
      for (const st of c.steps) checkStep(c, st, r.run(st));
      assert.deepEqual(engineBytes(g), engineBytes(advanced(c.seed, c.words_consumed)), `${c.id}: words consumed`);
    }
  } finally {
    setBernoulliAccel(prev);
  }
});
