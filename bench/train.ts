/**
 * @file Training-step throughput: one step (zeroGrad, forward, cross-entropy, backward, SGD update) of an MLP
 * 784-512-512-10 at batch 128 and of a small CNN (conv 3x3 1->32, ReLU, conv 3x3 32->64, ReLU, max-pool 2,
 * linear 9216->10, 28x28x1 input, batch 64) for torchlet (1 thread and all threads), tfjs-backend-wasm (tf.variable
 * + tf.train.sgd().minimize) and PyTorch (a Python subprocess, when `import torch` works), plus the digits MLP step
 * that `npm start` (torchlet train) runs: 784-256-128-10 with dropout, batch 64, AdamW, batches from a shuffled
 * DataLoader over a TensorDataset. Per case every implementation runs in the same interleaved rounds
 * (harness.interleave); PyTorch runs as a persistent process per thread count that serves rounds over stdin.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { ChildLines } from './child-lines.js';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import * as torch from '../src/index.js';
import { DigitsMLP } from '../src/cli/models.js';
import { hardwareThreads } from '../src/backend/wasm/index.js';
import { interleave, timed, MIN_ROUNDS, type BenchContext, type Contender, type Row, type SuiteResult } from './harness.js';
import { loadTf, useBackend } from './peers.js';
import type { Rank, Scalar, Tensor as TfTensor, Tensor2D } from '@tensorflow/tfjs-core';

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
const [MLP, CNN] = CASES;

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
  const ds = new data.TensorDataset(torch.rand([n, 1, 28, 28]), torch.randint(0, 10, [n], { dtype: 'int64' }));
  const loader = new data.DataLoader(ds, { batchSize: 64, shuffle: true });
  const model = new DigitsMLP();
  model.train();
  const opt = new optim.AdamW(model.parameters(), { lr: 2e-3, weightDecay: 0.01 });
  const lossFn = new nn.CrossEntropyLoss();
  let it = loader[Symbol.iterator]() as Iterator<[torch.Tensor, torch.Tensor]>;
  return () => {
    let r = it.next();
    if (r.done) { it = loader[Symbol.iterator]() as Iterator<[torch.Tensor, torch.Tensor]>; r = it.next(); }
    const [x, y] = r.value as [torch.Tensor, torch.Tensor];
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
    x = tf.randomNormal([128, 784]); y = tf.oneHot(tf.randomUniform<Rank.R1>([128], 0, 10, 'int32'), 10);
    forward = () => {
      const h1 = tf.relu(tf.add(tf.matMul(x as import('@tensorflow/tfjs-core').Tensor2D, w1), b1)) as import('@tensorflow/tfjs-core').Tensor2D;
      const h2 = tf.relu(tf.add(tf.matMul(h1, w2), b2)) as import('@tensorflow/tfjs-core').Tensor2D;
      return tf.add<Tensor2D>(tf.matMul(h2, w3), b3);
    };
  } else {
    // NHWC, filters [h, w, in, out] (tfjs's layout)
    const k1 = v([3, 3, 1, 32], 9), c1 = v([32], 9), k2 = v([3, 3, 32, 64], 288), c2 = v([64], 288), w = v([9216, 10], 9216), b = v([10], 9216);
    x = tf.randomNormal([64, 28, 28, 1]); y = tf.oneHot(tf.randomUniform<Rank.R1>([64], 0, 10, 'int32'), 10);
    type T4 = import('@tensorflow/tfjs-core').Tensor4D;
    const conv2d = (inp: T4, k: T4): T4 => {
      if (conv === 'native') return tf.conv2d(inp, k, 1, 'valid');
      const [n, h, wd, c] = inp.shape, [kh, kw, , out] = k.shape, oh = h - kh + 1, ow = wd - kw + 1;
      const wins: T4[] = [];
      for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) wins.push(tf.slice(inp, [0, i, j, 0], [n, oh, ow, c]));
      const cols = tf.reshape<Rank.R2>(tf.concat(wins, 3), [n * oh * ow, kh * kw * c]);
      return tf.reshape<Rank.R4>(tf.matMul(cols, tf.reshape<Rank.R2>(k, [kh * kw * c, out])), [n, oh, ow, out]);
    };
    forward = () => {
      const h1 = tf.relu(tf.add(conv2d(x as T4, k1 as T4), c1));
      const h2 = tf.relu(tf.add(conv2d(h1 as T4, k2 as T4), c2));
      const p = tf.maxPool(h2 as import('@tensorflow/tfjs-core').Tensor4D, 2, 2, 'valid');
      return tf.add<Tensor2D>(tf.matMul(tf.reshape<Rank.R2>(p, [64, 9216]), w), b);
    };
  }
  const opt = tf.train.sgd(0.01);
  const step = () => {
    const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy<TfTensor, Scalar>(y, forward()), true, vars);
    loss!.dataSync();
    loss!.dispose();
  };
  return { step, dispose: () => { for (const t of [...vars, x, y]) t.dispose(); opt.dispose(); } };
}

/** A persistent PyTorch process that runs N steps per request (train_step.py serve), so it can take part in rounds. */
class PythonSteps {
  private child: ChildProcessWithoutNullStreams;
  private out: ChildLines;
  info: { torch: string; blas: string } | null = null;
  constructor(kind: 'mlp' | 'cnn', blasThreads: number) {
    const script = join(dirname(fileURLToPath(import.meta.url)), 'train_step.py');
    this.child = spawn('/usr/bin/python3', [script, kind, '1', 'serve'], {
      env: { ...process.env, OPENBLAS_NUM_THREADS: String(blasThreads), OMP_NUM_THREADS: '1' },
    });
    this.out = new ChildLines(this.child);
  }
  async start(): Promise<string | null> {
    const l = await this.out.next();
    if (!l) return 'python3 -c "import torch" failed or exited';
    this.info = JSON.parse(l) as { torch: string; blas: string };
    return null;
  }
  async run(calls: number): Promise<number> {
    this.child.stdin.write(`${calls}\n`);
    const l = await this.out.next();
    if (!l) throw new Error('the PyTorch step process exited');
    return (JSON.parse(l) as { s: number }).s;
  }
  stop(): void { this.child.stdin.end('\n'); }
}

export async function run(ctx: BenchContext): Promise<SuiteResult> {
  const rows: Row[] = [], notes: string[] = [];
  const all = hardwareThreads();
  const threadsList = [...new Set([1, all])];
  const prevThreads = torch.getNumThreads();
  // torchlet at a given thread count: setNumThreads stops extra workers when it lowers the count, so switching to
  // more threads is followed by an untimed step and a pause for the workers to start.
  const torchlet = (threads: number, step: () => void): Contender => ({
    impl: 'torchlet', threads, run: timed(step),
    prepare: async () => {
      if (torch.getNumThreads() === threads) return;
      torch.setNumThreads(threads);
      step();
      if (threads > 1) await new Promise((r) => setTimeout(r, 60));
    },
  });
  let tf: Tf | null = null;
  try {
    tf = await loadTf();
    const warn = console.warn; console.warn = () => {};
    try { await import('@tensorflow/tfjs'); } finally { console.warn = warn; } // registers the gradient functions
  } catch (e) {
    notes.push(`tfjs-backend-wasm rows missing: ${(e as Error).message}`);
  }

  for (const name of CASES) {
    const kind = name === MLP ? 'mlp' : name === CNN ? 'cnn' : null;
    const cs: Contender[] = [];
    torch.manualSeed(0);
    const step = kind === 'mlp'
      ? torchletSgdStep(mlpModel(), torch.randn([128, 784]), torch.randint(0, 10, [128], { dtype: 'int64' }))
      : kind === 'cnn'
        ? torchletSgdStep(cnnModel(), torch.randn([64, 1, 28, 28]), torch.randint(0, 10, [64], { dtype: 'int64' }))
        : digitsStep();
    for (const t of threadsList) cs.push(torchlet(t, step));
    let tfs: ReturnType<typeof tfStep> | null = null;
    if (kind && tf) {
      await useBackend(tf, 'wasm');
      tfs = tfStep(tf, kind, 'slices');
      cs.push({ impl: 'tfjs-backend-wasm 4.22', threads: 1, run: timed(tfs.step) });
    }
    const pys: PythonSteps[] = [];
    if (kind) {
      for (const blasThreads of threadsList) {
        const py = new PythonSteps(kind, blasThreads);
        const err = await py.start();
        if (err) { notes.push(`PyTorch rows missing: ${err}`); py.stop(); break; }
        pys.push(py);
        cs.push({ impl: `PyTorch ${py.info!.torch} + ${py.info!.blas}`, threads: blasThreads, run: (n) => py.run(n) });
      }
    }
    const res = await interleave(cs, { rounds: MIN_ROUNDS, warmMs: ctx.quick ? 300 : 800, repMs: ctx.quick ? 150 : 300 });
    res.forEach((t, i) => {
      const ms = (x: number) => x * 1000;
      rows.push({ suite: 'train', case: name, impl: cs[i].impl, threads: cs[i].threads, value: ms(t.median), unit: 'ms',
        min: ms(t.min), max: ms(t.max), rounds: t.rounds.map(ms),
        detail: { GFLOPS: +(FLOPS[name] / t.median / 1e9).toFixed(2), reps: t.reps, load: load1() } });
      ctx.log(`  ${name.padEnd(36)} ${cs[i].impl.padEnd(34)} x${cs[i].threads}  ${ms(t.median).toFixed(1)} ms/step (${ms(t.min).toFixed(1)}–${ms(t.max).toFixed(1)})  (load ${load1()})`);
    });
    tfs?.dispose();
    for (const py of pys) py.stop();
  }
  torch.setNumThreads(prevThreads);
  if (tf) await useBackend(tf, 'cpu');

  notes.push(`ms per step: the median of ${MIN_ROUNDS} interleaved rounds (torchlet, tfjs and PyTorch alternate, the order rotated each round), min–max in parentheses; GFLOPS = GEMM flops of the step / time (no first-layer input gradient).`);
  notes.push('tfjs-backend-wasm CNN: its conv layers are tf.slice x9 + concat + matMul (im2col in tfjs ops), because tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel (tf.conv2d cannot be trained on it).');
  notes.push('tfjs-backend-wasm runs on 1 thread in Node; its step includes reading the loss (dataSync). The digits row has no peer (tfjs has no AdamW).');
  notes.push('PyTorch: a persistent process per thread count, torch.set_num_threads(1), OpenBLAS threads from OPENBLAS_NUM_THREADS (Debian\'s build does not pass set_num_threads to OpenBLAS).');
  return { suite: 'train', rows, notes };
}

function load1(): string { return os.loadavg()[0].toFixed(2); }
