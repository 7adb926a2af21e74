import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { IN_CI, requireOrSkip } from '../helpers/python.js';
import { gemm, gemmF32Backend, gemmReference, foldBroadcastB, type GemmArgs } from '../../src/backend/cpu/gemm.js';
import { checkCase, checkBound, reference64, makeArgs, filled, type Case } from './gemm-bound.js';
import {
  WasmEngine, variantSupported, enableWasmKernels, disableWasmKernels, setNumThreads, getNumThreads, wasmEngine,
  PARALLEL_MIN_WORK, type WasmVariant,
} from '../../src/backend/wasm/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function check(engine: WasmEngine, c: Case, seed: number): void {
  checkCase((g) => engine.gemm(g), c, seed, `${engine.variant} x${engine.threads}`);
}

/** |C - S| <= K·eps32·(|A||B|)ij against the float64 reference, nothing outside C written (gemm-bound.ts). */
function assertClose(got: GemmArgs<Float32Array>, before: Float32Array, label: string): void {
  checkBound(got, reference64(got), before, label);
}

const shapes: Case[] = [
  { m: 1, k: 1, n: 1 },
  { m: 3, k: 5, n: 7 },
  { m: 37, k: 91, n: 53 },
  { m: 130, k: 300, n: 70 },
  { m: 97, k: 513, n: 1031 },
  { m: 37, k: 91, n: 53, batch: 3 },
  { m: 64, k: 300, n: 70, batch: 3, pad: 5, off: 11 },
  { m: 5, k: 0, n: 4 },
  { m: 1031, k: 9, n: 3, pad: 2, off: 1 },
];

const relaxedOk = variantSupported('relaxed');
const relaxedMissing = relaxedOk ? null : `relaxed SIMD unavailable: this runtime (Node ${process.version}) does not validate f32x4.relaxed_madd, even with --experimental-wasm-relaxed-simd`;
// outside CI the relaxed build's tests skip with the reason; in CI (CI=true) they run, and this test names the cause
test('relaxed SIMD is available in this runtime', (t) => { requireOrSkip(t, relaxedMissing); });

for (const variant of ['simd', 'relaxed'] as WasmVariant[]) {
  describe(`wasm GEMM, ${variant} build`, { skip: variant === 'relaxed' && relaxedMissing !== null && !IN_CI ? relaxedMissing : false }, () => {
    for (const threads of [1, 2]) {
      test(`${threads} thread(s): NN/TN/NT/TT on ragged, padded, offset and batched shapes`, () => {
        const engine = new WasmEngine({ variant, threads });
        try {
          shapes.forEach((c, i) => check(engine, c, 100 + i));
          if (threads > 1) assert.equal(engine.threads, 2);
        } finally { engine.dispose(); }
      });
    }

    test('unshared memory (single-threaded fallback) gives the same results', () => {
      const engine = new WasmEngine({ variant, shared: false, threads: 4 });
      try {
        assert.equal(engine.threads, 1);
        for (const c of shapes.slice(2, 6)) check(engine, c, 7);
      } finally { engine.dispose(); }
    });
  });
}

test('B read in place (few rows of C) and packed B: the same bits, every edge of the 6x8 tile, both builds', () => {
  // m = 1..7 and 16, 31, 32 cover the 6-row tile and its 4/2/1-row edge kernels; n = 5, 13, 40 a ragged last
  // sliver (packed even in place); k > 256 several k-blocks; batched, padded, offset and 2-thread (column split) runs
  const cases: Case[] = [1, 2, 3, 4, 5, 6, 7, 16, 31, 32].flatMap((m) => [
    { m, k: 37, n: 40 }, { m, k: 300, n: 13, pad: 3, off: 2 }, { m, k: 9, n: 5, batch: 3 },
  ]);
  cases.push({ m: 32, k: 64, n: 512 }, { m: 16, k: 128, n: 520, pad: 1 });
  for (const variant of ['simd', 'relaxed'] as WasmVariant[]) {
    if (!variantSupported(variant)) continue;
    for (const threads of [1, 2]) {
      const e = new WasmEngine({ variant, threads });
      try {
        cases.forEach((c, i) => {
          for (const [ta, tb] of [[false, false], [true, false], [false, true]] as const) {
            const label = `${variant} x${threads} ${JSON.stringify(c)} ${ta}${tb}`;
            const packed = makeArgs(c, ta, tb, 40 + i), inPlace = makeArgs(c, ta, tb, 40 + i), before = packed.c.slice();
            e.directBMaxM = 0; e.gemm(packed);
            e.directBMaxM = Infinity; e.directBMaxLdb = Infinity; e.gemm(inPlace);
            assertClose(inPlace, before, label);
            assert.deepEqual(inPlace.c, packed.c, label);
          }
        });
      } finally { e.dispose(); }
    }
  }
});

test('threaded run actually splits work across workers (batch, rows and column splits)', async () => {
  const engine = new WasmEngine({ variant: 'simd', threads: 2 });
  try {
    const big: Case = { m: 128, k: 96, n: 512 }; // column split
    assert.ok(big.m * big.n * big.k >= PARALLEL_MIN_WORK);
    check(engine, big, 1);
    // Give the worker time to start, then run again: results must be identical with the worker participating.
    for (let i = 0; i < 50 && engine.readyWorkers < 1; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(engine.readyWorkers, 1);
    check(engine, big, 2);
    check(engine, { m: 300, k: 100, n: 40 }, 3); // row split
    check(engine, { m: 40, k: 100, n: 40, batch: 9 }, 4); // batch split
    check(engine, { m: 97, k: 513, n: 1031 }, 5);
  } finally { engine.dispose(); }
});

test('broadcast operand (batch stride 0) and results identical across thread counts', () => {
  const e1 = new WasmEngine({ variant: 'simd', threads: 1 });
  const e2 = new WasmEngine({ variant: 'simd', threads: 2 });
  try {
    const mk = () => {
      const g = makeArgs({ m: 96, k: 80, n: 120, batch: 4 }, false, false, 9);
      g.strideB = 0; // every batch entry uses the same B
      return g;
    };
    const a = mk(), b = mk(), before = a.c.slice();
    e1.gemm(a); e2.gemm(b);
    assertClose(a, before, 'broadcast B');
    assert.deepEqual(a.c, b.c, 'chunking over threads must not change the arithmetic');
  } finally { e1.dispose(); e2.dispose(); }
});

test('a broadcast B folds the batch into the rows of one GEMM (foldBroadcastB): the same bits, wasm and reference', () => {
  const e = new WasmEngine({ variant: 'simd', threads: 1 });
  try {
    for (const c of [{ m: 7, k: 40, n: 33, batch: 3 }, { m: 16, k: 300, n: 24, batch: 5 }, { m: 1, k: 9, n: 8, batch: 4 }] as Case[]) {
      const mk = () => { const g = makeArgs(c, false, false, 21); g.strideB = 0; return g; };
      const folded = foldBroadcastB(mk());
      assert.equal(folded.batch, 1, 'folded');
      assert.equal(folded.m, c.m * c.batch!);
      const byEntry = mk(), before = byEntry.c.slice(), one = mk(), ref = mk(), refOne = mk();
      e.gemm(byEntry); e.gemm(foldBroadcastB(one));
      assertClose(byEntry, before, `${JSON.stringify(c)} per entry`);
      assert.deepEqual(one.c, byEntry.c, `wasm ${JSON.stringify(c)}`);
      gemmReference(ref); gemmReference(foldBroadcastB(refOne));
      assert.deepEqual(refOne.c, ref.c, `reference ${JSON.stringify(c)}`);
    }
    // not foldable: transposed A, padded batch stride of A or C, or a B that is not broadcast
    const t = makeArgs({ m: 4, k: 5, n: 6, batch: 2 }, true, false, 1); t.strideB = 0;
    assert.equal(foldBroadcastB(t), t);
    const p = makeArgs({ m: 4, k: 5, n: 6, batch: 2, pad: 1 }, false, false, 1); p.strideB = 0;
    assert.equal(foldBroadcastB(p), p);
    const nb = makeArgs({ m: 4, k: 5, n: 6, batch: 2 }, false, false, 1);
    assert.equal(foldBroadcastB(nb), nb);
  } finally { e.dispose(); }
});

test('sumsA (the rows of op(A) summed in float64 order, one rounding): wasm (transposed A in wasm, else JS) = reference', () => {
  const e = new WasmEngine({ variant: 'simd', threads: 1 });
  try {
    for (const c of [{ m: 7, k: 40, n: 33 }, { m: 130, k: 300, n: 9, pad: 3, off: 2 }, { m: 1, k: 5, n: 8 }] as Case[]) {
      for (const ta of [true, false]) {
        const w = makeArgs(c, ta, false, 31), r = makeArgs(c, ta, false, 31);
        w.sumsA = new Float32Array(c.m); r.sumsA = new Float32Array(c.m);
        e.gemm(w); gemmReference(r);
        const want = new Float32Array(c.m);
        for (let i = 0; i < c.m; i++) {
          let s = 0;
          for (let p = 0; p < c.k; p++) s += r.a[r.aOffset + (ta ? p * r.lda + i : i * r.lda + p)];
          want[i] = s;
        }
        assert.deepEqual(r.sumsA, want, `reference ${JSON.stringify(c)} ${ta}`);
        assert.deepEqual(w.sumsA, want, `wasm ${JSON.stringify(c)} ${ta}`);
      }
    }
  } finally { e.dispose(); }
});

test('bias epilogue: the same bits as the product followed by a separate add (wasm engine, reference, gemm())', () => {
  const e1 = new WasmEngine({ variant: 'simd', threads: 1 });
  try {
    const cases: Case[] = [{ m: 37, k: 91, n: 53 }, { m: 64, k: 300, n: 70, batch: 3, pad: 5, off: 11 }, { m: 5, k: 0, n: 4, pad: 1 }];
    for (const c of cases) {
      for (const [ta, tb] of [[false, false], [true, true]] as const) {
        for (const bs of [1, 3]) {
          const bias = filled(2 + c.n * bs, 99);
          const label = `${JSON.stringify(c)} ${ta}${tb} biasStride ${bs}`;
          const run = (f: (g: GemmArgs<Float32Array>) => void, withBias: boolean) => {
            const g = makeArgs(c, ta, tb, 5);
            if (withBias) Object.assign(g, { bias, biasOffset: 2, biasStride: bs });
            f(g);
            if (!withBias) {
              for (let bt = 0; bt < (c.batch ?? 1); bt++) {
                for (let i = 0; i < c.m; i++) {
                  const o = g.cOffset + bt * g.strideC + i * g.ldc;
                  for (let j = 0; j < c.n; j++) g.c[o + j] = g.c[o + j] + bias[2 + j * bs];
                }
              }
            }
            return g.c;
          };
          assert.deepEqual(run((g) => e1.gemm(g), true), run((g) => e1.gemm(g), false), `wasm ${label}`);
          assert.deepEqual(run(gemmReference, true), run(gemmReference, false), `reference ${label}`);
          assert.deepEqual(run(gemm, true), run(gemm, false), `gemm() ${label}`);
        }
      }
    }
  } finally { e1.dispose(); }
});

test('enableWasmKernels installs gemmWasm behind gemm(); setNumThreads/getNumThreads', () => {
  const v = enableWasmKernels();
  try {
    assert.ok(v === 'relaxed' || v === 'simd');
    assert.match(gemmF32Backend(), /^wasm /);
    setNumThreads(2);
    assert.equal(getNumThreads(), 2);
    assert.match(gemmF32Backend(), /2 threads/);
    const g = makeArgs({ m: 130, k: 300, n: 70 }, true, false, 3), before = g.c.slice();
    gemm(g);
    assertClose(g, before, 'gemm() through the installed backend');
    const sharedBefore = wasmEngine()!.shared;
    setNumThreads(1);
    assert.equal(getNumThreads(), 1);
    assert.ok(wasmEngine());
    // one thread runs on a plain (not shared) memory, a new engine; going back to 2 threads shares it again
    assert.equal(wasmEngine()!.shared, false);
    const g1 = makeArgs({ m: 130, k: 300, n: 70 }, false, true, 4), before1 = g1.c.slice();
    gemm(g1);
    assertClose(g1, before1, 'gemm() on the 1-thread engine');
    assert.match(gemmF32Backend(), /1 thread\b/);
    setNumThreads(2);
    assert.equal(wasmEngine()!.shared, sharedBefore);
    assert.equal(getNumThreads(), sharedBefore ? 2 : 1);
    setNumThreads(1);
    assert.throws(() => setNumThreads(0), RangeError);
  } finally {
    disableWasmKernels();
  }
  assert.match(gemmF32Backend(), /^reference/);
});

test('elementwise kernels: add, mul, relu, axpy, sum', () => {
  const e = new WasmEngine({ variant: 'simd', threads: 1 });
  try {
    const n = 1037;
    const x = filled(n, 1), y = filled(n, 2), out = new Float32Array(n);
    e.add(x, y, out);
    for (let i = 0; i < n; i++) assert.equal(out[i], Math.fround(x[i] + y[i]));
    e.relu(x, out);
    for (let i = 0; i < n; i++) assert.equal(out[i], x[i] < 0 ? 0 : x[i]);
    let s = 0; for (let i = 0; i < n; i++) s += x[i];
    assert.ok(Math.abs(e.sum(x) - s) < 1e-4);
    const base = e.reserve(2 * n + 16), f = e.view();
    f.set(x, base); f.set(y, base + n + 8);
    e.mulResident(base, base + n + 8, base, n);
    for (let i = 0; i < n; i++) assert.equal(f[base + i], Math.fround(x[i] * y[i]));
    f.set(x, base);
    e.axpyResident(0.5, base, base + n + 8, n);
    for (let i = 0; i < n; i++) assert.ok(Math.abs(f[base + n + 8 + i] - (0.5 * x[i] + y[i])) < 1e-6);
  } finally { e.dispose(); }
});

test('idle workers do not keep the process alive', () => {
  const script = `
    import { WasmEngine } from './src/backend/wasm/engine.ts';
    const e = new WasmEngine({ variant: 'simd', threads: 2 });
    const n = 256, a = new Float32Array(n * n).fill(1), c = new Float32Array(n * n);
    const g = { transA: false, transB: false, m: n, n, k: n, a, aOffset: 0, lda: n, b: a, bOffset: 0, ldb: n, c, cOffset: 0, ldc: n, batch: 1, strideA: 0, strideB: 0, strideC: 0 };
    e.gemm(g);
    await e.whenWorkersReady(30_000); // readiness, not a fixed delay: a loaded machine starts workers slowly
    e.gemm(g); console.log('done', c[0], e.readyWorkers);
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /done 256 1/);
});

test('committed generated kernels match a fresh AssemblyScript build', () => {
  const r = spawnSync(process.execPath, ['assembly/build.mjs', '--check'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr + r.stdout);
});

after(() => disableWasmKernels());
