import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { IN_CI, requireOrSkip } from '../helpers/python.js';
import { gemmReference, gemm, gemmF32Backend, type GemmArgs } from '../../src/backend/cpu/gemm.js';
import {
  WasmEngine, variantSupported, enableWasmKernels, disableWasmKernels, setNumThreads, getNumThreads, wasmEngine,
  PARALLEL_MIN_WORK, type WasmVariant,
} from '../../src/backend/wasm/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

// Deterministic inputs (LCG), values in [-1, 1).
function filled(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; a[i] = s / 2 ** 31 - 1; }
  return a;
}

interface Case { m: number; k: number; n: number; batch?: number; pad?: number; off?: number }

/** Build GemmArgs with padded leading dims, offsets and (for batch > 1) padded batch strides. */
function makeArgs(c: Case, transA: boolean, transB: boolean, seed: number): GemmArgs<Float32Array> {
  const { m, k, n } = c, batch = c.batch ?? 1, pad = c.pad ?? 0, off = c.off ?? 0;
  const lda = (transA ? m : k) + pad, ldb = (transB ? k : n) + pad, ldc = n + pad;
  const aRows = transA ? k : m, bRows = transB ? n : k;
  const strideA = aRows * lda + 3 * (pad > 0 ? 1 : 0), strideB = bRows * ldb, strideC = m * ldc + pad;
  return {
    transA, transB, m, n, k,
    a: filled(off + batch * strideA, seed), aOffset: off, lda,
    b: filled(off + 1 + batch * strideB, seed + 7), bOffset: off + 1, ldb,
    c: filled(off + 2 + batch * strideC, seed + 13), cOffset: off + 2, ldc,
    batch, strideA, strideB, strideC,
  };
}

/** |C - ref| <= k * 2^-22 * (|A||B|)_ij-style bound: tol per entry from the row/column magnitudes. */
function assertClose(got: GemmArgs<Float32Array>, ref: GemmArgs<Float32Array>, label: string): void {
  const { m, n, k } = got;
  const tol = Math.max(1, k) * 2 ** -21 * Math.max(1, k); // |a|,|b| <= 1, so sum |a||b| <= k
  for (let bt = 0; bt < got.batch; bt++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        const o = got.cOffset + bt * got.strideC + i * got.ldc + j;
        const d = Math.abs(got.c[o] - ref.c[o]);
        if (!(d <= tol)) assert.fail(`${label}: C[${bt}][${i}][${j}] = ${got.c[o]}, reference ${ref.c[o]} (tol ${tol})`);
      }
    }
  }
  // Everything outside the written C entries (padding, offsets) is untouched.
  for (let x = 0; x < got.c.length; x++) {
    const rel = x - got.cOffset;
    const bt = Math.floor(rel / got.strideC), within = rel - bt * got.strideC;
    const i = Math.floor(within / got.ldc), j = within - i * got.ldc;
    const inside = rel >= 0 && bt < got.batch && i < m && j < n;
    if (!inside && got.c[x] !== ref.c[x]) assert.fail(`${label}: element ${x} outside C was modified`);
  }
}

function check(engine: WasmEngine, c: Case, seed: number): void {
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      const got = makeArgs(c, transA, transB, seed);
      const ref = makeArgs(c, transA, transB, seed);
      engine.gemm(got);
      gemmReference(ref);
      assertClose(got, ref, `${engine.variant} x${engine.threads} ${c.m}x${c.k}x${c.n} b${c.batch ?? 1} pad${c.pad ?? 0} tA=${transA} tB=${transB}`);
    }
  }
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
    const a = mk(), b = mk(), r = mk();
    e1.gemm(a); e2.gemm(b); gemmReference(r);
    assertClose(a, r, 'broadcast B');
    assert.deepEqual(a.c, b.c, 'chunking over threads must not change the arithmetic');
  } finally { e1.dispose(); e2.dispose(); }
});

test('enableWasmKernels installs gemmWasm behind gemm(); setNumThreads/getNumThreads', () => {
  const v = enableWasmKernels();
  try {
    assert.ok(v === 'relaxed' || v === 'simd');
    assert.match(gemmF32Backend(), /^wasm /);
    setNumThreads(2);
    assert.equal(getNumThreads(), 2);
    assert.match(gemmF32Backend(), /2 threads/);
    const g = makeArgs({ m: 130, k: 300, n: 70 }, true, false, 3), r = makeArgs({ m: 130, k: 300, n: 70 }, true, false, 3);
    gemm(g); gemmReference(r);
    assertClose(g, r, 'gemm() through the installed backend');
    setNumThreads(1);
    assert.equal(getNumThreads(), 1);
    assert.ok(wasmEngine());
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
    setTimeout(() => { e.gemm(g); console.log('done', c[0], e.readyWorkers); }, 300);
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
