/** @file f32 GEMM throughput: torchlet wasm (plain/relaxed SIMD, 1/all threads), TS reference, tfjs-wasm, tfjs-cpu. */
import { gemmReference, type GemmArgs } from '../src/backend/cpu/gemm.js';
import { WasmEngine, variantSupported, hardwareThreads, type WasmVariant } from '../src/backend/wasm/index.js';
import { measure, type BenchContext, type Row, type SuiteResult } from './harness.js';
import { loadTf, useBackend } from './peers.js';

export const SHAPES: [number, number, number][] = [[128, 128, 128], [256, 256, 256], [512, 512, 512], [1024, 1024, 1024], [128, 784, 512]];
const label = ([m, k, n]: [number, number, number]) => (m === k && k === n ? `${m}²` : `${m}x${k}·${k}x${n}`);

function rand(n: number, seed: number): Float32Array {
  const a = new Float32Array(n); let s = seed;
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; a[i] = s / 2 ** 32 - 0.5; }
  return a;
}

export async function run(ctx: BenchContext): Promise<SuiteResult> {
  const rows: Row[] = [], notes: string[] = [];
  const all = hardwareThreads();
  const variants: WasmVariant[] = ['simd'];
  if (variantSupported('relaxed')) variants.push('relaxed');
  else notes.push('relaxed SIMD not available in this runtime');
  const engines: { name: string; e: WasmEngine; threads: number }[] = [];
  for (const v of variants) {
    for (const t of [...new Set([1, all])]) engines.push({ name: `torchlet wasm ${v === 'simd' ? 'SIMD128' : 'relaxed-SIMD'}`, e: new WasmEngine({ variant: v, threads: t }), threads: t });
  }
  const tf = await loadTf();
  const budget = ctx.quick ? 600 : 1200;

  for (const shape of SHAPES) {
    const [m, k, n] = shape, flops = 2 * m * n * k, name = label(shape);
    const A = rand(m * k, 1), B = rand(k * n, 2), C = new Float32Array(m * n);
    const g: GemmArgs<Float32Array> = { transA: false, transB: false, m, n, k, a: A, aOffset: 0, lda: k, b: B, bOffset: 0, ldb: n, c: C, cOffset: 0, ldc: n, batch: 1, strideA: 0, strideB: 0, strideC: 0 };
    const add = (impl: string, threads: number | string, t: { median: number; min: number; max: number; reps: number }, detail: Record<string, number | string> = {}) => {
      const r: Row = { suite: 'gemm', case: name, impl, threads, value: flops / t.median / 1e9, unit: 'GFLOPS', detail: { ...detail, minGF: +(flops / t.max / 1e9).toFixed(2), maxGF: +(flops / t.min / 1e9).toFixed(2), reps: t.reps } };
      rows.push(r);
      ctx.log(`  ${name.padEnd(16)} ${impl.padEnd(28)} x${threads}  ${r.value.toFixed(1)} GFLOPS`);
    };
    for (const { name: impl, e, threads } of engines) {
      if (threads > 1) { e.gemm(g); await new Promise((r) => setTimeout(r, 100)); } // let the workers start
      const t = measure(() => e.gemm(g), { budgetMs: budget });
      // Copy share: profile a few calls.
      e.profile = { calls: 0, copyInMs: 0, computeMs: 0, copyOutMs: 0 };
      for (let i = 0; i < 5; i++) e.gemm(g);
      const p = e.profile; e.profile = null;
      const copyPct = 100 * (p.copyInMs + p.copyOutMs) / (p.copyInMs + p.computeMs + p.copyOutMs);
      add(impl, threads, t, { copyPct: +copyPct.toFixed(1), computeOnlyGF: +(flops * p.calls / (p.computeMs / 1000) / 1e9).toFixed(1) });
    }
    add('TS reference (gemmReference)', 1, measure(() => gemmReference(g), { budgetMs: budget, warmMs: 50, repMs: 0, maxReps: 5 }));
    for (const backend of ['wasm', 'cpu'] as const) {
      await useBackend(tf, backend);
      const a = tf.tensor2d(A, [m, k]), b = tf.tensor2d(B, [k, n]);
      const t = measure(() => { const c = tf.matMul(a, b); c.dataSync(); c.dispose(); },
        backend === 'cpu' ? { budgetMs: budget, warmMs: 50, repMs: 0, maxReps: 5 } : { budgetMs: budget });
      a.dispose(); b.dispose();
      add(`tfjs-backend-${backend} 4.22`, 1, t);
    }
  }
  for (const { e } of engines) e.dispose();
  notes.push('torchlet wasm times include copying A and B into wasm memory and C out (copyPct); tfjs times include output allocation and dataSync().');
  notes.push('tfjs-backend-wasm runs on 1 thread in Node (its threaded build needs Emscripten pthreads, which Node worker_threads cannot start).');
  return { suite: 'gemm', rows, notes };
}
