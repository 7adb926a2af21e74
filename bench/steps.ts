/**
 * @file The `steps` suite (issue 15's model rows): one training step (zeroGrad, forward, cross-entropy, backward,
 * optimizer step) of
 * - MLP 784-512-512-10, batch 128, SGD;
 * - small CNN: conv 3x3 3->32 (pad 1) + BatchNorm + ReLU + max-pool 2, conv 3x3 32->64 (pad 1) + BatchNorm + ReLU +
 *   max-pool 2, linear 4096->10; 32x32x3 input, batch 32, SGD momentum 0.9;
 * - Transformer LM: Embedding(1000, 128) + one TransformerEncoderLayer (d 128, 4 heads, feed-forward 512, dropout
 *   0.1, batch_first, causal mask) + Linear(128, 1000); sequence 64, batch 8, AdamW;
 * - LSTM LM: Embedding(1000, 64) + LSTM(64 -> 128, batch_first) + Linear(128, 1000); sequence 32, batch 16, Adam;
 * for torchlet (1 and 2 threads), PyTorch 1.13 and 2.6 (bench/peer.py builds the same models) at 1 and 2 threads and
 * tfjs-backend-wasm for the MLP (bench/train.ts's tfStep), in the same interleaved rounds. ms per step.
 */
import * as torch from '../src/index.js';
import { hardwareThreads } from '../src/backend/wasm/index.js';
import { fmt, ratio, timed, type BenchContext, type Contender, type Row, type SuiteResult } from './harness.js';
import { loadTf, useBackend } from './peers.js';
import { ratioTables, runCase, startPeers, torchletAt } from './peer.js';
import { mlpModel, tfStep } from './train.js';
import { setFusedKernels } from '../src/ops/fused.js';

const UNFUSED = 'torchlet, fused kernels off';

const { nn, optim } = torch;
const F = nn.functional;

function lossStep(params: torch.nn.Parameter[], opt: torch.optim.Optimizer, loss: () => torch.Tensor): () => void {
  void params;
  return () => { opt.zeroGrad(); loss().backward(); opt.step(); };
}

/** The four steps, built the same way bench/peer.py builds PyTorch's. */
export function makeSteps(): Record<'mlp' | 'cnn' | 'transformer' | 'lstm', () => void> {
  torch.manualSeed(0);
  const mlp = mlpModel();
  const mx = torch.randn([128, 784]), my = torch.randint(0, 10, [128], { dtype: 'int64' });
  const mlpStep = lossStep(mlp.parameters(), new optim.SGD(mlp.parameters(), { lr: 0.01 }), () => F.crossEntropy(mlp.call(mx) as torch.Tensor, my));

  const cnn = new nn.Sequential(
    new nn.Conv2d(3, 32, 3, { padding: 1 }), new nn.BatchNorm2d(32), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(32, 64, 3, { padding: 1 }), new nn.BatchNorm2d(64), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Flatten(), new nn.Linear(64 * 8 * 8, 10));
  const cx = torch.randn([32, 3, 32, 32]), cy = torch.randint(0, 10, [32], { dtype: 'int64' });
  const cnnStep = lossStep(cnn.parameters(), new optim.SGD(cnn.parameters(), { lr: 0.01, momentum: 0.9 }), () => F.crossEntropy(cnn.call(cx), cy));

  const V = 1000, D = 128, L = 64, B = 8;
  const emb = new nn.Embedding(V, D), layer = new nn.TransformerEncoderLayer(D, 4, { dimFeedforward: 512, batchFirst: true }), head = new nn.Linear(D, V);
  const tParams = [...emb.parameters(), ...layer.parameters(), ...head.parameters()];
  const mask = nn.Transformer.generateSquareSubsequentMask(L);
  const tx = torch.randint(0, V, [B, L], { dtype: 'int64' }), ty = torch.randint(0, V, [B, L], { dtype: 'int64' });
  const trStep = lossStep(tParams, new optim.AdamW(tParams, { lr: 1e-3 }),
    () => F.crossEntropy(head.call(layer.call(emb.call(tx), { srcMask: mask })).reshape(-1, V), ty.reshape(-1)));

  const LV = 1000, LB = 16, LL = 32;
  const lemb = new nn.Embedding(LV, 64), lstm = new nn.LSTM(64, 128, { batchFirst: true }), lhead = new nn.Linear(128, LV);
  const lParams = [...lemb.parameters(), ...lstm.parameters(), ...lhead.parameters()];
  const lx = torch.randint(0, LV, [LB, LL], { dtype: 'int64' }), ly = torch.randint(0, LV, [LB, LL], { dtype: 'int64' });
  const lstmStep = lossStep(lParams, new optim.Adam(lParams, { lr: 1e-3 }),
    () => F.crossEntropy(lhead.call((lstm.call(lemb.call(lx)) as [torch.Tensor, unknown])[0]).reshape(-1, LV), ly.reshape(-1)));
  return { mlp: mlpStep, cnn: cnnStep, transformer: trStep, lstm: lstmStep };
}

export const STEP_CASES: [keyof ReturnType<typeof makeSteps>, string][] = [
  ['mlp', 'MLP 784-512-512-10 b128 SGD'],
  ['cnn', 'CNN 2conv+BN+pool+fc 32x32x3 b32 SGD-m'],
  ['transformer', 'TransformerEncoderLayer LM d128 h4 L64 b8 AdamW'],
  ['lstm', 'Embedding+LSTM(64->128) LM L32 b16 Adam'],
];

export async function run(ctx: BenchContext): Promise<SuiteResult & { tables: string[] }> {
  const rows: Row[] = [], notes: string[] = [];
  const threadsList = [...new Set([1, Math.min(2, hardwareThreads())])];
  const only = process.env.TORCHLET_BENCH_STEPS?.split(',');
  const peers = await startPeers(threadsList, notes);
  let tf: Awaited<ReturnType<typeof loadTf>> | null = null;
  try {
    tf = await loadTf(); await useBackend(tf, 'wasm');
    const warn = console.warn; console.warn = () => {};
    try { await import('@tensorflow/tfjs'); } finally { console.warn = warn; } // registers the gradient functions
  } catch (e) { notes.push(`tfjs-backend-wasm rows missing: ${(e as Error).message}`); tf = null; }
  const prev = torch.getNumThreads();
  const steps = makeSteps();
  for (const [key, name] of STEP_CASES) {
    if (only && !only.includes(key)) continue;
    const cs: Contender[] = threadsList.map((t) => torchletAt(t, steps[key]));
    // The same step with src/ops/fused.ts turned off (op-by-op LSTM cells, softmax, layer norm, batch norm,
    // convolution), 1 thread.
    if (key === 'transformer' || key === 'lstm' || key === 'cnn') {
      cs.push(torchletAt(1, () => { const prev = setFusedKernels(false); try { steps[key](); } finally { setFusedKernels(prev); } }, UNFUSED));
    }
    let tfs: ReturnType<typeof tfStep> | null = null;
    if (tf && key === 'mlp') { tfs = tfStep(tf, 'mlp'); cs.push({ impl: 'tfjs-backend-wasm 4.22', threads: 1, run: timed(tfs.step) }); }
    await runCase('steps', { name, peerCase: key, unit: 'ms', contenders: cs }, peers, rows, ctx.log, { warmMs: ctx.quick ? 300 : 600, repMs: ctx.quick ? 120 : 250 });
    tfs?.dispose();
  }
  for (const p of peers) p.stop();
  torch.setNumThreads(prev);
  if (tf) await useBackend(tf, 'cpu');
  notes.push('ms per step, the median of 7 interleaved rounds (min–max); bench/peer.py builds the same models for PyTorch (torch.set_num_threads(T), OPENBLAS_NUM_THREADS=OMP_NUM_THREADS=T, OMP_WAIT_POLICY=PASSIVE so idle peer threads do not spin while others are timed).');
  notes.push('tfjs-backend-wasm: the MLP only (tf.train.sgd().minimize, reads the loss); it has no BatchNorm training, LSTM or Transformer layer to compare.');
  const secs = (r: Row) => String(r.detail?.secondsRounds ?? '').split(' ').map(Number);
  const gain = [...new Set(rows.filter((r) => r.impl === UNFUSED).map((r) => r.case))].map((c) => {
    const on = rows.find((r) => r.case === c && r.impl === 'torchlet' && r.threads === 1)!, off = rows.find((r) => r.case === c && r.impl === UNFUSED)!;
    const q = ratio(secs(off), secs(on));
    return `  ${c}: fused kernels ${fmt(q.median)}x faster (per round ${fmt(q.min)}–${fmt(q.max)}), 1 thread`;
  });
  return { suite: 'steps', rows, notes, tables: [ratioTables(rows), ...(gain.length ? [`speedup from src/ops/fused.ts (unfused time / fused time, same rounds):\n${gain.join('\n')}`] : [])] };
}
