/**
 * @file The `matmul` suite (issue 15's GEMM rows): float32 torch.matmul of 512³, 128x784·784x512 (the MLP's first
 * layer), and the skinny shapes of recurrent and attention layers (16x128·128x512: an LSTM step's gates at batch 16;
 * 32 batches of 64x32·32x64: attention scores at 8 sequences x 4 heads) — torchlet at 1 and 2 threads (through the
 * op layer, as a model calls it), PyTorch 1.13 and 2.6 at 1 and 2 threads, TF.js's WASM backend, in the same
 * interleaved rounds. Before and after the rounds, the 128-bit FMA peak of one core (bench/fma-peak.ts) is measured,
 * and every GEMM figure is printed as a fraction of threads x peak.
 */
import * as torch from '../src/index.js';
import { hardwareThreads } from '../src/backend/wasm/index.js';
import { gemmF32Backend } from '../src/backend/cpu/gemm.js';
import { table, fmt, ratio, timed, type BenchContext, type Contender, type Row, type SuiteResult } from './harness.js';
import { loadTf, useBackend } from './peers.js';
import { ratioTables, runCase, startPeers, torchletAt } from './peer.js';
import { fmaLoop, fmaPeak } from './fma-peak.js';
import { gemm, type GemmArgs } from '../src/backend/cpu/gemm.js';

export const PEAK_IMPL = '128-bit FMA loop (1 core)';

/** [m, k, n, batch] */
export const MATMUL_SHAPES: [number, number, number, number][] = [[512, 512, 512, 1], [128, 784, 512, 1], [16, 128, 512, 1], [64, 32, 64, 32]];
const label = ([m, k, n, b]: number[]) => (b > 1 ? `${b}x ${m}x${k}·${k}x${n}` : m === k && k === n ? `${m}³` : `${m}x${k}·${k}x${n}`);

export async function run(ctx: BenchContext): Promise<SuiteResult & { tables: string[] }> {
  const rows: Row[] = [], notes: string[] = [];
  const threadsList = [...new Set([1, Math.min(2, hardwareThreads())])];
  const before = fmaPeak();
  ctx.log(`  128-bit FMA peak, one core: ${fmt(before.gflops)} GFLOPS (${fmt(before.min)}–${fmt(before.max)}; ${before.instr})`);
  const peers = await startPeers(threadsList, notes);
  let tf: Awaited<ReturnType<typeof loadTf>> | null = null;
  try { tf = await loadTf(); await useBackend(tf, 'wasm'); } catch (e) { notes.push(`tfjs-backend-wasm rows missing: ${(e as Error).message}`); tf = null; }
  const prev = torch.getNumThreads();
  torch.manualSeed(0);
  for (const shape of MATMUL_SHAPES) {
    const [m, k, n, b] = shape;
    const A = torch.randn(b > 1 ? [b, m, k] : [m, k]), B = torch.randn(b > 1 ? [b, k, n] : [k, n]);
    const cs: Contender[] = threadsList.map((t) => torchletAt(t, () => { torch.matmul(A, B); }));
    // The GEMM kernel alone (copies into and out of wasm memory included, no op layer), and the peak loop as one
    // more contender, so that every round has its own peak (the load of a shared machine moves both alike).
    const c = new Float32Array(b * m * n);
    const g: GemmArgs<Float32Array> = { transA: false, transB: false, m, n, k, a: A.contiguous().dataSync() as Float32Array, aOffset: 0, lda: k,
      b: B.contiguous().dataSync() as Float32Array, bOffset: 0, ldb: n, c, cOffset: 0, ldc: n, batch: b, strideA: m * k, strideB: k * n, strideC: m * n };
    for (const t of threadsList) cs.push(torchletAt(t, () => gemm(g), 'torchlet GEMM kernel'));
    const loop = fmaLoop(), iters = Math.round(2 * m * n * k * b / loop.flopsPerIter);
    cs.push({ impl: PEAK_IMPL, threads: 1, run: (calls) => { let s = 0; for (let i = 0; i < calls; i++) s += loop.run(iters); return s / calls; } });
    if (tf) {
      const ta = tf.randomNormal(b > 1 ? [b, m, k] : [m, k]), tb = tf.randomNormal(b > 1 ? [b, k, n] : [k, n]);
      const t = tf;
      cs.push({ impl: 'tfjs-backend-wasm 4.22', threads: 1, run: timed(() => { (t.matMul(ta, tb) as { dispose(): void }).dispose(); }) });
    }
    await runCase('matmul', { name: label(shape), peerCase: `gemm:${m},${k},${n}${b > 1 ? `,${b}` : ''}`, unit: 'GFLOPS', flops: 2 * m * n * k * b, contenders: cs },
      peers, rows, ctx.log, { warmMs: ctx.quick ? 100 : 250, repMs: ctx.quick ? 50 : 120 });
  }
  for (const p of peers) p.stop();
  torch.setNumThreads(prev);
  if (tf) await useBackend(tf, 'cpu');
  const after = fmaPeak();
  ctx.log(`  128-bit FMA peak after the rounds: ${fmt(after.gflops)} GFLOPS (${fmt(after.min)}–${fmt(after.max)})`);
  const peak = Math.max(before.gflops, after.gflops);
  const cases = [...new Set(rows.map((r) => r.case))];
  const impls = [...new Set(rows.filter((r) => r.impl !== PEAK_IMPL).map((r) => `${r.impl}|${r.threads}`))];
  // Per round: GFLOPS / (threads x the peak loop's GFLOPS in the same round); median and min–max over the rounds.
  for (const r of rows) {
    const p = rows.find((x) => x.case === r.case && x.impl === PEAK_IMPL);
    if (!p || r === p) continue;
    const q = ratio(r.rounds!, p.rounds!.map((x) => x * Number(r.threads)));
    r.detail = { ...r.detail, peakFraction: +q.median.toFixed(3), peakFractionMin: +q.min.toFixed(3), peakFractionMax: +q.max.toFixed(3) };
  }
  const frac = table(['implementation', 'threads', ...cases], impls.map((key) => {
    const [impl, th] = key.split('|');
    return [impl, th, ...cases.map((c) => {
      const d = rows.find((x) => x.case === c && `${x.impl}|${x.threads}` === key)?.detail;
      return d?.peakFraction !== undefined ? `${(100 * Number(d.peakFraction)).toFixed(0)} % (${(100 * Number(d.peakFractionMin)).toFixed(0)}–${(100 * Number(d.peakFractionMax)).toFixed(0)})` : 'n/a';
    })];
  }));
  notes.push(`128-bit FMA peak of one core: ${fmt(before.gflops)} GFLOPS before the rounds, ${fmt(after.gflops)} after (${before.instr}, 12 accumulators, bench/fma-peak.ts); the fractions divide each round by the peak loop's GFLOPS in the same round (a contender of its own) times the thread count.`);
  notes.push('PyTorch above 100 %: its native kernels use 256-bit (AVX2) or 512-bit FMAs, which WebAssembly cannot express.');
  notes.push(`torchlet: torch.matmul through the op layer (allocation of the result and the copies into and out of wasm memory included); its GEMM: ${gemmF32Backend()}.`);
  notes.push('GFLOPS = 2·m·n·k·batch / median round time; PyTorch: torch.mm / torch.bmm in bench/peer.py; tfjs: tf.matMul + dispose, 1 thread.');
  return { suite: 'matmul', rows, notes, tables: [`GEMM as a fraction of threads x the 128-bit FMA peak measured in the same round (median round; ${fmt(peak)} GFLOPS per core before/after the rounds):\n${frac}`, ratioTables(rows)] };
}
