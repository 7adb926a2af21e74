/**
 * @file Training-step throughput: one step (zeroGrad, forward, cross-entropy, backward, SGD update) of an MLP
 * 784-512-512-10 at batch 128 and of a small CNN (conv 3x3 1->32, ReLU, conv 3x3 32->64, ReLU, max-pool 2,
 * linear 9216->10, 28x28x1 input, batch 64) for torchlet (1 thread and all threads), tfjs-backend-wasm (tf.variable
 * + tf.train.sgd().minimize) and PyTorch (a Python subprocess, when `import torch` works), plus the digits MLP step
 * that `npm start` (torchlet train) runs: 784-256-128-10 with dropout, batch 64, AdamW, batches from a shuffled
 * DataLoader over a TensorDataset.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import * as torch from '../src/index.js';
import { DigitsMLP } from '../src/cli/models.js';
import { hardwareThreads } from '../src/backend/wasm/index.js';
import { type BenchContext, type Row, type SuiteResult } from './harness.js';
import { loadTf, useBackend } from './peers.js';

const { nn, optim, data } = torch;
const F = nn.functional;

/** GEMM flops per step (forward + weight grads + input grads except the first layer's, which nobody computes). */
const FLOPS: Record<string, number> = {
  'MLP 784-512-512-10 b128': 2 * 128 * (784 * 512 + 512 * 512 + 512 * 10) * 2 + 2 * 128 * (512 * 512 + 512 * 10),
  'CNN conv32-conv64-pool-fc b64': (() => {
    const c1 = 2 * 64 * 26 * 26 * 32 * 9, c2 = 2 * 64 * 24 * 24 * 64 * 32 * 9, fc = 2 * 64 * 9216 * 10;
    return 2 * c1 + 3 * c2 + 3 * fc;
  })(),
  'digits MLP 784-256-128-10 b64 AdamW': 2 * 64 * (784 * 256 + 256 * 128 + 128 * 10) * 2 + 2 * 64 * (256 * 128 + 128 * 10),
};
export const CASES = Object.keys(FLOPS);
const [MLP, CNN, DIGITS] = CASES;

export function mlpModel(): torch.nn.Module {
  return new nn.Sequential(new nn.Linear(784, 512), new nn.ReLU(), new nn.Linear(512, 512), new nn.ReLU(), new nn.Linear(512, 10));
}
export function cnnModel(): torch.nn.Module {
  return new nn.Sequential(new nn.Conv2d(1, 32, 3), new nn.ReLU(), new nn.Conv2d(32, 64, 3), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Flatten(), new nn.Linear(64 * 12 * 12, 10));
}

export function torchletSgdStep(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor): () => void {
  const opt = new optim.SGD(model.parameters(), { lr: 0.01 });
  return () => {
    opt.zeroGrad();
    const loss = F.crossEntropy(model.call(x) as torch.Tensor, y);
    loss.backward();
    opt.step();
  };
}

/** The step of `torchlet train --model mlp`: next batch from the loader, AdamW, the loss read back. */
export function digitsStep(): () => void {
  torch.manualSeed(0);
  const n = 64 * 100;
  const ds = new data.TensorDataset(torch.rand([n, 1, 28, 28]), torch.randint(0, 10, [n]));
  const loader = new data.DataLoader(ds, { batchSize: 64, shuffle: true });
  const model = new DigitsMLP();
  model.train();
  const opt = new optim.AdamW(model.parameters(), { lr: 2e-3, weightDecay: 0.01 });
  const lossFn = new nn.CrossEntropyLoss();
  let it = loader[Symbol.iterator]() as Iterator<[torch.Tensor, torch.Tensor]>;
  return () => {
    let r = it.next();
    if (r.done) { it = loader[Symbol.iterator]() as Iterator<[torch.Tensor, torch.Tensor]>; r = it.next(); }
    const [x, y] = r.value as [torch.Tensor, torch.Tensor]; // IteratorResult: value is any when done (it is not here)
    opt.zeroGrad();
    const loss = lossFn.call(model.call(x), y);
    loss.backward();
    opt.step();
    loss.item();
  };
}

type Tf = Awaited<ReturnType<typeof loadTf>>;

/**
 * The tfjs step. `conv: 'native'` uses tf.conv2d; tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel, so for it
 * `conv: 'slices'` builds the same convolution from kernels it has: the 9 shifted windows (tf.slice) concatenated
 * along channels ([N, OH, OW, 9*C], i.e. im2col) times the filter reshaped to [9*C, out] (XNNPACK's GEMM).
 */
export function tfStep(tf: Tf, kind: 'mlp' | 'cnn', conv: 'native' | 'slices' = 'native'): { step: () => void; dispose: () => void } {
  const vars: import('@tensorflow/tfjs-core').Variable[] = [];
  const v = (shape: number[], fanIn: number) => { const t = tf.variable(tf.randomUniform(shape, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn))); vars.push(t); return t; };
  let x: import('@tensorflow/tfjs-core').Tensor, y: import('@tensorflow/tfjs-core').Tensor;
  let forward: () => import('@tensorflow/tfjs-core').Tensor2D;
  if (kind === 'mlp') {
    const w1 = v([784, 512], 784), b1 = v([512], 784), w2 = v([512, 512], 512), b2 = v([512], 512), w3 = v([512, 10], 512), b3 = v([10], 512);
    x = tf.randomNormal([128, 784]); y = tf.oneHot(tf.randomUniform<import('@tensorflow/tfjs-core').Rank.R1>([128], 0, 10, 'int32'), 10);
    forward = () => {
      const h1 = tf.relu(tf.add(tf.matMul(x as import('@tensorflow/tfjs-core').Tensor2D, w1), b1)) as import('@tensorflow/tfjs-core').Tensor2D;
      const h2 = tf.relu(tf.add(tf.matMul(h1, w2), b2)) as import('@tensorflow/tfjs-core').Tensor2D;
      return tf.add<import('@tensorflow/tfjs-core').Tensor2D>(tf.matMul(h2, w3), b3);
    };
  } else {
    // NHWC, filters [h, w, in, out] (tfjs's layout)
    const k1 = v([3, 3, 1, 32], 9), c1 = v([32], 9), k2 = v([3, 3, 32, 64], 288), c2 = v([64], 288), w = v([9216, 10], 9216), b = v([10], 9216);
    x = tf.randomNormal([64, 28, 28, 1]); y = tf.oneHot(tf.randomUniform<import('@tensorflow/tfjs-core').Rank.R1>([64], 0, 10, 'int32'), 10);
    type T4 = import('@tensorflow/tfjs-core').Tensor4D;
    const conv2d = (inp: T4, k: T4): T4 => {
      if (conv === 'native') return tf.conv2d(inp, k, 1, 'valid');
      const [n, h, wd, c] = inp.shape, [kh, kw, , out] = k.shape, oh = h - kh + 1, ow = wd - kw + 1;
      const wins: T4[] = [];
      for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) wins.push(tf.slice(inp, [0, i, j, 0], [n, oh, ow, c]));
      const cols = tf.reshape<import('@tensorflow/tfjs-core').Rank.R2>(tf.concat(wins, 3), [n * oh * ow, kh * kw * c]);
      return tf.reshape<import('@tensorflow/tfjs-core').Rank.R4>(tf.matMul(cols, tf.reshape<import('@tensorflow/tfjs-core').Rank.R2>(k, [kh * kw * c, out])), [n, oh, ow, out]);
    };
    forward = () => {
      const h1 = tf.relu(tf.add(conv2d(x as T4, k1 as T4), c1));
      const h2 = tf.relu(tf.add(conv2d(h1 as T4, k2 as T4), c2));
      const p = tf.maxPool(h2 as import('@tensorflow/tfjs-core').Tensor4D, 2, 2, 'valid');
      return tf.add<import('@tensorflow/tfjs-core').Tensor2D>(tf.matMul(tf.reshape<import('@tensorflow/tfjs-core').Rank.R2>(p, [64, 9216]), w), b);
    };
  }
  const opt = tf.train.sgd(0.01);
  const step = () => {
    const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy<import('@tensorflow/tfjs-core').Tensor, import('@tensorflow/tfjs-core').Scalar>(y, forward()), true, vars);
    loss!.dataSync();
    loss!.dispose();
  };
  return { step, dispose: () => { for (const t of [...vars, x, y]) t.dispose(); opt.dispose(); } };
}

function runPython(kind: 'mlp' | 'cnn', blasThreads: number, budgetS: number): { median: number; min: number; max: number; reps: number; cpuMedian: number; torch: string; blas: string } | string {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'train_step.py');
  const r = spawnSync('/usr/bin/python3', [script, kind, '1', String(budgetS)], {
    encoding: 'utf8', timeout: 120_000,
    env: { ...process.env, OPENBLAS_NUM_THREADS: String(blasThreads), OMP_NUM_THREADS: '1' },
  });
  if (r.error) return `python3 not runnable (${r.error.message})`;
  if (r.status !== 0) return `python3 failed: ${(r.stderr || '').trim().split('\n').pop()}`;
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as { median_ms: number; min_ms: number; max_ms: number; reps: number; cpu_ms: number; torch: string; blas: string };
  return { median: j.median_ms / 1000, min: j.min_ms / 1000, max: j.max_ms / 1000, reps: j.reps, cpuMedian: j.cpu_ms / 1000, torch: j.torch, blas: j.blas };
}

export async function run(ctx: BenchContext): Promise<SuiteResult> {
  const rows: Row[] = [], notes: string[] = [];
  const all = hardwareThreads();
  const budget = ctx.quick ? 1500 : 4000;
  const opts = { warmMs: ctx.quick ? 400 : 1000, repMs: 150, minReps: 5, maxReps: 9, budgetMs: budget };
  const add = (name: string, impl: string, threads: number | string, t: { median: number; min: number; max: number; reps: number; cpuMedian?: number }, extra: Record<string, number | string> = {}) => {
    const ms = t.median * 1000;
    const gf = FLOPS[name] / t.median / 1e9;
    rows.push({ suite: 'train', case: name, impl, threads, value: ms, unit: 'ms', detail: { GFLOPS: +gf.toFixed(2), minMs: +(t.min * 1000).toFixed(2), maxMs: +(t.max * 1000).toFixed(2), reps: t.reps, ...(t.cpuMedian !== undefined ? { cpuMs: +(t.cpuMedian * 1000).toFixed(2) } : {}), load: load1(), ...extra } });
    ctx.log(`  ${name.padEnd(36)} ${impl.padEnd(28)} x${threads}  ${ms.toFixed(2)} ms/step  ${gf.toFixed(1)} GFLOPS${t.cpuMedian !== undefined ? `  cpu ${(t.cpuMedian * 1000).toFixed(1)} ms` : ''}  (load ${load1()})`);
  };

  // torchlet
  const prevThreads = torch.getNumThreads();
  for (const threads of [...new Set([1, all])]) {
    torch.setNumThreads(threads);
    torch.manualSeed(0);
    {
      const model = mlpModel();
      const step = torchletSgdStep(model, torch.randn([128, 784]), torch.randint(0, 10, [128]));
      add(MLP, 'torchlet', threads, measure(step, opts));
    }
    {
      const model = cnnModel();
      const step = torchletSgdStep(model, torch.randn([64, 1, 28, 28]), torch.randint(0, 10, [64]));
      add(CNN, 'torchlet', threads, measure(step, { ...opts, repMs: 300, minReps: 3, maxReps: 7 }));
    }
    add(DIGITS, 'torchlet', threads, measure(digitsStep(), opts));
  }
  torch.setNumThreads(prevThreads);

  // tfjs-backend-wasm (1 thread in Node)
  try {
    const tf = await loadTf();
    const warn = console.warn; console.warn = () => {};
    try { await import('@tensorflow/tfjs'); } finally { console.warn = warn; } // registers the gradient functions
    const slow = { ...opts, warmMs: 0, repMs: 0, minReps: 3, maxReps: 3 };
    await useBackend(tf, 'wasm');
    for (const [kind, name] of [['mlp', MLP], ['cnn', CNN]] as const) {
      const s = tfStep(tf, kind, 'slices');
      add(name, 'tfjs-backend-wasm 4.22', 1, measure(s.step, kind === 'cnn' ? slow : opts));
      s.dispose();
    }
    notes.push('tfjs-backend-wasm CNN: its conv layers are tf.slice x9 + concat + matMul (im2col in tfjs ops), because tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel (tf.conv2d cannot be trained on it).');
    await useBackend(tf, 'cpu');
  } catch (e) {
    notes.push(`tfjs-backend-wasm rows missing: ${(e as Error).message}`);
  }

  // PyTorch (when installed)
  for (const [kind, name] of [['mlp', MLP], ['cnn', CNN]] as const) {
    for (const blasThreads of [...new Set([1, all])]) {
      const r = runPython(kind, blasThreads, ctx.quick ? 2 : 4);
      if (typeof r === 'string') { notes.push(`PyTorch rows missing: ${r}`); break; }
      add(name, `PyTorch ${r.torch} + ${r.blas}`, blasThreads, r, { torchThreads: 1, blasThreads });
    }
  }

  notes.push('ms per step, median of repetitions after warm-up; GFLOPS = GEMM flops of the step / time (no first-layer input gradient).');
  notes.push('tfjs-backend-wasm runs on 1 thread in Node; its step includes reading the loss (dataSync). The digits row has no peer (tfjs has no AdamW).');
  notes.push('PyTorch: torch.set_num_threads(1), OpenBLAS threads from OPENBLAS_NUM_THREADS (Debian\'s build does not pass set_num_threads to OpenBLAS).');
  return { suite: 'train', rows, notes };
}

interface StepTiming { median: number; min: number; max: number; reps: number; cpuMedian: number }

/**
 * Like harness.measure, but also records process CPU time per step (all threads), because other processes share
 * this machine's cores: wall time grows with their load, CPU time much less.
 */
function measure(fn: () => void, o: { warmMs: number; repMs: number; minReps: number; maxReps: number; budgetMs: number }): StepTiming {
  const start = performance.now();
  let calls = 0;
  do { fn(); calls++; } while (calls < 3 || performance.now() - start < o.warmMs);
  const inner = Math.max(1, Math.round(o.repMs / ((performance.now() - start) / calls)));
  const wall: number[] = [], cpu: number[] = [];
  const t0 = performance.now();
  while (wall.length < o.maxReps && (wall.length < o.minReps || performance.now() - t0 < o.budgetMs)) {
    const c = process.cpuUsage(), s = performance.now();
    for (let i = 0; i < inner; i++) fn();
    wall.push((performance.now() - s) / inner / 1000);
    const d = process.cpuUsage(c);
    cpu.push((d.user + d.system) / 1e6 / inner);
  }
  wall.sort((a, b) => a - b); cpu.sort((a, b) => a - b);
  return { median: wall[wall.length >> 1], min: wall[0], max: wall[wall.length - 1], reps: wall.length, cpuMedian: cpu[cpu.length >> 1] };
}

function load1(): string { return os.loadavg()[0].toFixed(2); }
