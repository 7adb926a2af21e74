/**
 * @file f32 GEMM throughput: torchlet wasm (plain/relaxed SIMD, 1/all threads), TS reference, tfjs-wasm, tfjs-cpu.
 * Per shape, every implementation runs in the same interleaved rounds (harness.interleave: at least 7, the order
 * rotated each round); a figure is the median round with its min–max.
 */
import { gemmReference, type GemmArgs } from '../src/backend/cpu/gemm.js';
import { WasmEngine, variantSupported, hardwareThreads, type WasmVariant } from '../src/backend/wasm/index.js';
import { interleave, timed, MIN_ROUNDS, type BenchContext, type Contender, type Row, type SuiteResult } from './harness.js';
import { loadTf, useBackend } from './peers.js';

export const SHAPES: [number, number, number][] = [[128, 128, 128], [256, 256, 256], [512, 512, 512], [1024, 1024, 1024], [128, 784, 512]];
const label = ([m, k, n]: [number, number, number]) => (m === k && k === n ? `${m}²` : `${m}x${k}·${k}x${n}`);
/** The scalar implementations (about 0.3 GFLOPS) take 7 s per 1024³ product: they skip shapes above this. */
const SLOW_MAX_FLOPS = 2 * 512 ** 3;

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
  const repMs = ctx.quick ? 60 : 150;

  for (const shape of SHAPES) {
    const [m, k, n] = shape, flops = 2 * m * n * k, name = label(shape);
    const A = rand(m * k, 1), B = rand(k * n, 2), C = new Float32Array(m * n);
    const g: GemmArgs<Float32Array> = { transA: false, transB: false, m, n, k, a: A, aOffset: 0, lda: k, b: B, bOffset: 0, ldb: n, c: C, cOffset: 0, ldc: n, batch: 1, strideA: 0, strideB: 0, strideC: 0 };
    const cs: Contender[] = [];
    for (const { name: impl, e, threads } of engines) {
      if (threads > 1) { e.gemm(g); await new Promise((r) => setTimeout(r, 100)); } // let the workers start
      cs.push({ impl, threads, run: timed(() => e.gemm(g)) });
    }
    const slow = flops <= SLOW_MAX_FLOPS;
    if (slow) cs.push({ impl: 'TS reference (gemmReference)', threads: 1, run: timed(() => gemmReference(g)) });
    for (const backend of ['wasm', 'cpu'] as const) {
      if (backend === 'cpu' && !slow) continue;
      const held: { a?: import('@tensorflow/tfjs-core').Tensor2D; b?: import('@tensorflow/tfjs-core').Tensor2D } = {};
      cs.push({
        impl: `tfjs-backend-${backend} 4.22`, threads: 1,
        prepare: async () => { // tensors made on the backend in use, so no data moves inside the timed calls
          await useBackend(tf, backend);
          held.a?.dispose(); held.b?.dispose();
          held.a = tf.tensor2d(A, [m, k]); held.b = tf.tensor2d(B, [k, n]);
        },
        run: timed(() => { const c = tf.matMul(held.a!, held.b!); c.dataSync(); c.dispose(); }),
      });
    }
    const res = await interleave(cs, { rounds: MIN_ROUNDS, warmMs: ctx.quick ? 100 : 250, repMs });
    res.forEach((t, i) => {
      const gf = (s: number) => flops / s / 1e9;
      const r: Row = { suite: 'gemm', case: name, impl: cs[i].impl, threads: cs[i].threads, value: gf(t.median), unit: 'GFLOPS',
        min: gf(t.max), max: gf(t.min), rounds: t.rounds.map(gf), detail: { reps: t.reps } };
      rows.push(r);
      ctx.log(`  ${name.padEnd(16)} ${cs[i].impl.padEnd(28)} x${cs[i].threads}  ${r.value.toFixed(1)} GFLOPS (${r.min!.toFixed(1)}–${r.max!.toFixed(1)})`);
    });
    for (const { name: impl, e, threads } of engines) {
      // Copy share: profile a few calls.
      e.profile = { calls: 0, copyInMs: 0, computeMs: 0, copyOutMs: 0 };
      for (let i = 0; i < 5; i++) e.gemm(g);
      const p = e.profile; e.profile = null;
      const row = rows.find((r) => r.case === name && r.impl === impl && r.threads === threads)!;
      row.detail = { ...row.detail, copyPct: +(100 * (p.copyInMs + p.copyOutMs) / (p.copyInMs + p.computeMs + p.copyOutMs)).toFixed(1) };
    }
  }
  for (const { e } of engines) e.dispose();
  await useBackend(tf, 'cpu');
  notes.push(`each figure: the median of ${MIN_ROUNDS} interleaved rounds (min–max in parentheses); the TS reference and tfjs-backend-cpu skip 1024² (7 s per product).`);
  notes.push('torchlet wasm times include copying A and B into wasm memory and C out (copyPct); tfjs times include output allocation and dataSync().');
  notes.push('tfjs-backend-wasm runs on 1 thread in Node (its threaded build needs Emscripten pthreads, which Node worker_threads cannot start).');
  return { suite: 'gemm', rows, notes };
}
