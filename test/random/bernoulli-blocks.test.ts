/**
 * @file bernoulliScalar_ draws its mt19937 words inline, a block of pairs at a time: the same masks and the same
 * generator state as the per-element definition `gen.uniform53() < p` (PyTorch's non-MKL bernoulli_), wherever
 * a call starts and ends relative to the engine's 624-word twists (a pair may straddle one), for float32,
 * float64 and integer masks, with the kept value (dropout's scale) written directly. Both writers: the TypeScript
 * loop and the WebAssembly SIMD kernel (assembly/random.ts, installed by enableWasmKernels), here from 1 element on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, MT19937, bernoulliScalar_ } from '../../src/random/index.js';
import { bernoulliAccel, setBernoulliAccel, type BernoulliAccel } from '../../src/random/bernoulli.js';
import { randomModule, wasmBernoulli } from '../../src/backend/wasm/random.js';

function reference(g: Generator, n: number, p: number, value: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(g.uniform53() < p ? value : 0);
  return out;
}

const wasm = wasmBernoulli();
const writers: [string, BernoulliAccel | null][] = [['TypeScript', null], ['WebAssembly', wasm]];

/** Runs f with `a` installed from 1 element on, then puts back what was installed. */
function withWriter(a: BernoulliAccel | null, f: () => void): void {
  const prev = bernoulliAccel();
  setBernoulliAccel(a, 1);
  try { f(); } finally { setBernoulliAccel(prev); }
}

test('the WebAssembly mask module is built and compiles here (npm run build:wasm)', () => {
  assert.ok(wasm, 'src/backend/wasm/generated/kernels.ts lacks the `random` module or it does not compile');
});

for (const [name, writer] of writers) {
  test(`bernoulliScalar_ (${name}): same masks and state as uniform53() < p across twist boundaries`, { skip: name === 'WebAssembly' && !wasm }, () => {
    withWriter(writer, () => {
      const a = new Generator(7), b = new Generator(7);
      // sizes that put call boundaries and pair boundaries on every side of a twist (624 words = 312 pairs), and
      // (for the kernel) on every side of its 4-element blocks and its 8192-element staging chunks
      const sizes = [0, 1, 311, 312, 313, 1, 623, 624, 625, 2, 5000, 3, 0, 1, 1, 311, 100003, 7, 4, 5, 8191, 8192, 16385, 6];
      for (const [k, n] of sizes.entries()) {
        const p = [0.9, 0.5, 0.1, 0, 1][k % 5], value = k % 2 ? 1 : 1.1111111640930176;
        for (let w = 0; w < k % 3; w++) { a.random(); b.random(); } // odd word offsets: pairs straddling a twist
        const want = reference(a, n, p, value);
        const got = bernoulliScalar_(b, new Float32Array(n), p, value);
        assert.deepEqual(Array.from(got), want.map(Math.fround), `size ${n}, p ${p}`);
        assert.deepEqual(b.getState(), a.getState(), `state after size ${n}`);
      }
      // every alignment of a call's first word within a twist (0..623 words in), float64 and float32 masks in turn
      for (let off = 0; off < 624; off++) {
        const c = new Generator(11), d = new Generator(11);
        for (let w = 0; w < off; w++) { c.random(); d.random(); }
        const n = 3 + (off % 53), wide = off % 2 === 0; // up to 110 words: from off >= 514 the call crosses the twist
        const want = reference(c, n, 0.37, 1 / 0.63).map(wide ? Number : Math.fround);
        const got = bernoulliScalar_(d, wide ? new Float64Array(n) : new Float32Array(n), 0.37, 1 / 0.63);
        assert.deepEqual(Array.from(got), want, `offset ${off}`);
        assert.deepEqual(d.getState(), c.getState(), `state after offset ${off}`);
      }
      const g64 = bernoulliScalar_(new Generator(3), new Float64Array(1001), 0.7, 1 / 0.7);
      assert.deepEqual(Array.from(g64), reference(new Generator(3), 1001, 0.7, 1 / 0.7));
      const i8 = bernoulliScalar_(new Generator(4), new Int8Array(999), 0.25); // integer masks: always the loop
      assert.deepEqual(Array.from(i8), reference(new Generator(4), 999, 0.25, 1));
      assert.throws(() => bernoulliScalar_(new Generator(1), new Float32Array(2), 1.5), /0 <= p <= 1/);
    });
  });

  test(`bernoulliScalar_ (${name}): u53 < p * 2^53 is exact at the threshold`, { skip: name === 'WebAssembly' && !wasm }, () => {
    withWriter(writer, () => {
      // p = u / 2^53 for the u53 of element j: element j is dropped (u < u is false), and kept for p = (u + 1) / 2^53
      for (const j of [0, 5, 13, 63]) {
        const g = new Generator(5);
        let u = 0;
        for (let i = 0; i <= j; i++) u = g.uniform53() * 2 ** 53; // exact: uniform53 is u53 * 2^-53
        for (const [p, kept] of [[u / 2 ** 53, 0], [(u + 1) / 2 ** 53, 1]] as const) {
          const m = bernoulliScalar_(new Generator(5), new Float32Array(64), p);
          assert.equal(m[j], kept, `element ${j}, p = ${p}`);
          assert.deepEqual(Array.from(m), reference(new Generator(5), 64, p, 1));
        }
      }
    });
  });
}

test('WebAssembly twist: the 4-wide regeneration equals MT19937.twist on random states', { skip: !wasm }, () => {
  const mod = randomModule()!;
  const st = new Uint32Array(mod.memory.buffer, 256, 624);
  const eng = new MT19937(2024);
  for (let r = 0; r < 5; r++) {
    st.set(eng.state);
    mod.ex.mt_twist();
    eng.twist();
    assert.deepEqual(Array.from(st), Array.from(eng.state), `twist ${r}`);
  }
});
