/**
 * @file The `ops` suite (issue 15's small-op rows): `a.add(b)` on 1,000 and 1,000,000 float32 elements, and
 * sigmoid, exp and GELU on 16x512, without autograd — torchlet at 1 and 2 threads, PyTorch 1.13 and 2.6 at 1 and 2
 * threads (bench/peer.py), TF.js's WASM backend where it has the op (add, sigmoid, exp; no GELU kernel), all in the
 * same interleaved rounds. µs per call; the ratio table is torchlet time / peer time.
 */
import * as torch from '../src/index.js';
import { hardwareThreads } from '../src/backend/wasm/index.js';
import { timed, type BenchContext, type Contender, type Row, type SuiteResult } from './harness.js';
import { loadTf, useBackend } from './peers.js';
import { ratioTables, runCase, startPeers, torchletAt, type CaseSpec } from './peer.js';

type TfT = import('@tensorflow/tfjs-core').Tensor;
type Tf = Awaited<ReturnType<typeof loadTf>>;

export async function run(ctx: BenchContext): Promise<SuiteResult & { tables: string[] }> {
  const rows: Row[] = [], notes: string[] = [];
  const threadsList = [...new Set([1, Math.min(2, hardwareThreads())])];
  const peers = await startPeers(threadsList, notes);
  let tf: Tf | null = null;
  try { tf = await loadTf(); await useBackend(tf, 'wasm'); } catch (e) { notes.push(`tfjs-backend-wasm rows missing: ${(e as Error).message}`); tf = null; }
  const prev = torch.getNumThreads();
  torch.manualSeed(0);
  const a1k = torch.randn([1000]), b1k = torch.randn([1000]);
  const a1m = torch.randn([1_000_000]), b1m = torch.randn([1_000_000]);
  const x = torch.randn([16, 512]);
  const F = torch.nn.functional;
  const cases: [string, string, () => unknown, ((tf: Tf) => () => void) | null][] = [
    ['add, 1,000 elements', 'add1k', () => a1k.add(b1k), (t) => { const a = t.randomNormal([1000]), b = t.randomNormal([1000]); return () => { t.add<TfT>(a, b).dispose(); }; }],
    ['sigmoid, 16x512', 'sigmoid', () => x.sigmoid(), (t) => { const a = t.randomNormal([16, 512]); return () => { t.sigmoid(a).dispose(); }; }],
    ['add, 1,000,000 elements', 'add1m', () => a1m.add(b1m), (t) => { const a = t.randomNormal([1_000_000]), b = t.randomNormal([1_000_000]); return () => { t.add<TfT>(a, b).dispose(); }; }],
    ['exp, 16x512', 'exp', () => x.exp(), (t) => { const a = t.randomNormal([16, 512]); return () => { t.exp(a).dispose(); }; }],
    ['GELU, 16x512', 'gelu', () => F.gelu(x), null],
  ];
  for (const [name, key, fn, tfMake] of cases) {
    const cs: Contender[] = threadsList.map((t) => torchletAt(t, () => { fn(); }));
    if (tf && tfMake) cs.push({ impl: 'tfjs-backend-wasm 4.22', threads: 1, run: timed(tfMake(tf)) });
    const spec: CaseSpec = { name, peerCase: key, unit: 'µs', contenders: cs };
    await runCase('ops', spec, peers, rows, ctx.log, { warmMs: ctx.quick ? 100 : 200, repMs: ctx.quick ? 40 : 80 });
  }
  for (const p of peers) p.stop();
  torch.setNumThreads(prev);
  if (tf) await useBackend(tf, 'cpu');
  notes.push('µs per call, the median of 7 interleaved rounds (min–max); no autograd (plain tensors); tfjs: the op plus dispose of its result (no dataSync), 1 thread.');
  notes.push('PyTorch: bench/peer.py, torch.set_num_threads(T) and OPENBLAS_NUM_THREADS=OMP_NUM_THREADS=T per process.');
  return { suite: 'ops', rows, notes, tables: [ratioTables(rows)] };
}
