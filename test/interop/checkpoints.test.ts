/**
 * @file Model-level checkpoint interop with PyTorch, both directions, on one architecture built alike in both
 * (scripts/fixtures/interop.py's Net): Conv2d + BatchNorm2d, Embedding, a 2-layer LSTM, Linear and a Linear head
 * whose weight is tied to the embedding's.
 *
 * PyTorch -> torchlet (committed fixtures in test/fixtures/interop/, so it runs without Python; with Python the
 * same checks also run on freshly generated files): the state dict saved by torch.save (.pt) and by a safetensors
 * writer loads strictly into torchlet's Net and gives PyTorch's eval outputs; float16/bfloat16/int64 tensors and
 * non-contiguous views of one storage keep dtype, values, strides, offset and sharing; an AdamW state dict saved by
 * PyTorch loads into torchlet's AdamW through torch.load and continues exactly as PyTorch did for 3 steps.
 *
 * torchlet -> PyTorch (needs /usr/bin/python3 with torch, else skipped with the reason): torchlet trains the net,
 * saves its state dict (.pt and .safetensors) and a checkpoint {model, optimizer, scheduler, epoch}; interop.py
 * --check loads them (torch.load(weights_only=True) for the tensor-only .pt, a small parser for .safetensors,
 * weights_only=False for the checkpoint: torch 1.13's weights-only unpickler cannot read Python floats), checks
 * keys/dtypes/values/tie, load_state_dict(strict) and torchlet's eval outputs, and one more AdamW +
 * CosineAnnealingLR step against torchlet's.
 *
 * Tolerance: float32, |diff| <= 1e-5 everywhere. Reached (torch 1.13 CPU, one thread): PyTorch -> torchlet eval
 * outputs 2.1e-7, losses of the 3 continued AdamW steps 3.6e-7, parameters after them 6.0e-8; torchlet -> PyTorch
 * eval outputs 3.6e-7, next-step loss 1.2e-7, parameters 3.0e-8, learning rate exact. The values printed by each
 * run are in the test diagnostics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { requireOrSkip } from '../helpers/python.js';

const { nn, optim } = torch;
const F = nn.functional;

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURES = join(ROOT, 'test/fixtures/interop');
const SCRIPT = join(ROOT, 'scripts/fixtures/interop.py');
const PY = process.env.TORCHLET_PYTHON ?? '/usr/bin/python3';
const probe = spawnSync(PY, ['-c', 'import torch, numpy; print(torch.__version__)'], { encoding: 'utf8' });
const skipReason = probe.status === 0 ? null
  : `python3-torch not installed: ${PY} -c "import torch" failed (${(probe.error?.message ?? probe.stderr ?? '').trim().split('\n').pop()}); apt-get install python3-torch to run the live interop checks`;

/** float32 tolerance of every comparison with PyTorch's numbers. */
const TOL = 1e-5;
const LR = 0.01, WD = 0.01;

class Net extends nn.Module {
  conv = new nn.Conv2d(1, 3, 3, { padding: 1 });
  bn = new nn.BatchNorm2d(3);
  emb = new nn.Embedding(12, 8);
  lstm = new nn.LSTM(8, 6, { numLayers: 2, batchFirst: true });
  fc = new nn.Linear(3 * 4 * 4 + 6, 8);
  head = new nn.Linear(8, 12, { bias: false });
  constructor() {
    super();
    this.head.weight = this.emb.weight; // tied, as PyTorch's `self.head.weight = self.emb.weight`
  }
  forward(img: Tensor, tokens: Tensor): Tensor {
    // ReLU before BatchNorm, as interop.py (a conv bias right in front of BatchNorm gets a pure-rounding-noise
    // gradient, which Adam turns into O(lr) steps that no two implementations share)
    const a = this.bn.call(F.relu(this.conv.call(img))).flatten(1);
    const [out] = this.lstm.call(this.emb.call(tokens));
    const z = torch.tanh(this.fc.call(torch.cat([a, out.select(1, -1)], 1)));
    return this.head.call(z);
  }
}

interface TensorInfo { dtype: string; shape: number[] }
interface Expected {
  model_keys: string[];
  model: Record<string, TensorInfo>;
  param_names: string[];
  extra: Record<string, TensorInfo & { stride: number[]; offset: number; contiguous: boolean; values: number[] }>;
  adamw: { lr: number; weight_decay: number };
}

function maxAbsDiff(a: Tensor, b: Tensor): number {
  assert.deepEqual([...a.shape], [...b.shape]);
  if (a.numel() === 0) return 0;
  return a.to('float64').sub(b.to('float64')).abs().max().item();
}

function asMap(v: unknown, what: string): Map<string, unknown> {
  assert.ok(v instanceof Map, `${what}: expected a Map, got ${typeof v}`);
  return v as Map<string, unknown>;
}

function trainStep(net: Net, opt: torch.optim.Optimizer, img: Tensor, tokens: Tensor, target: Tensor): number {
  opt.zeroGrad();
  const loss = F.crossEntropy(net.call(img, tokens), target);
  loss.backward();
  opt.step();
  return loss.item();
}

/** All PyTorch -> torchlet checks on a directory written by interop.py; returns the largest differences. */
async function checkPyToTs(dir: string): Promise<Record<string, number>> {
  const exp = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected;
  const io = asMap(await torch.load(join(dir, 'io.safetensors')), 'io') as Map<string, Tensor>;
  const report: Record<string, number> = {};

  for (const file of ['model.pt', 'model.safetensors']) {
    const sd = asMap(await torch.load(join(dir, file)), file) as Map<string, Tensor>;
    if (file.endsWith('.pt')) assert.deepEqual([...sd.keys()], exp.model_keys, `${file}: keys in PyTorch's order`);
    else assert.deepEqual([...sd.keys()].sort(), [...exp.model_keys].sort(), `${file}: keys`);
    for (const [k, info] of Object.entries(exp.model)) {
      assert.equal(sd.get(k)!.dtype, info.dtype, `${file}: ${k} dtype`);
      assert.deepEqual([...sd.get(k)!.shape], info.shape, `${file}: ${k} shape`);
    }
    if (file.endsWith('.pt')) assert.equal(sd.get('head.weight')!.storage, sd.get('emb.weight')!.storage, 'tied weights share one storage in model.pt');
    assert.equal(sd.get('bn.num_batches_tracked')!.item(), 2);

    const net = new Net();
    const res = net.loadStateDict(sd); // strict
    assert.deepEqual([res.missingKeys, res.unexpectedKeys], [[], []]);
    assert.equal(net.head.weight, net.emb.weight, 'tie kept after loading');
    for (const [k, t] of net.stateDict()) assert.equal(maxAbsDiff(t, sd.get(k)!), 0, `${file}: ${k} copied exactly`);
    const out = torch.noGrad(() => net.eval().call(io.get('eval/img')!, io.get('eval/tokens')!));
    const d = maxAbsDiff(out, io.get('eval/out')!);
    assert.ok(d <= TOL, `${file}: eval outputs differ from PyTorch's by ${d}`);
    report[`eval_out_${file}`] = d;
  }

  // float16 / bfloat16 / int64, and views of one storage with their strides and offsets
  const extra = asMap(await torch.load(join(dir, 'extra.pt')), 'extra.pt') as Map<string, Tensor>;
  assert.deepEqual([...extra.keys()], Object.keys(exp.extra));
  for (const [k, e] of Object.entries(exp.extra)) {
    const t = extra.get(k)!;
    assert.equal(t.dtype, e.dtype, `${k} dtype`);
    assert.deepEqual([[...t.shape], t.stride(), t.storageOffset(), t.isContiguous()], [e.shape, e.stride, e.offset, e.contiguous], `${k} layout`);
    const values = Array.from(t.isFloatingPoint() ? t.to('float64').dataSync() : t.dataSync());
    assert.deepEqual(values, e.values, `${k} values`);
  }
  assert.equal(extra.get('base_t')!.storage, extra.get('base')!.storage, 'base_t is a view of base');
  assert.equal(extra.get('base_slice')!.storage, extra.get('base')!.storage, 'base_slice is a view of base');

  // PyTorch's AdamW state dict continues in torchlet as in PyTorch (3 steps)
  const net = new Net();
  net.loadStateDict(await torch.load(join(dir, 'model.pt')) as Map<string, Tensor>);
  const names = [...net.namedParameters()].map(([n]) => n);
  assert.deepEqual(names, exp.param_names, 'parameter order = optimizer indices');
  const opt = new optim.AdamW(net.parameters(), { lr: 0.5, weightDecay: 0.5 }); // options come from the state dict
  opt.loadStateDict(await torch.load(join(dir, 'optimizer.pt')) as never);
  assert.equal(opt.paramGroups[0].lr, exp.adamw.lr);
  assert.equal(opt.paramGroups[0].weightDecay, exp.adamw.weight_decay);
  assert.equal((opt.state.get(net.conv.weight)!.step as Tensor).item(), 2);
  net.train();
  const [img, tokens, target] = ['train/img', 'train/tokens', 'train/target'].map((k) => io.get(k)!);
  const losses = io.get('losses')!.dataSync();
  let worstParam = 0, worstLoss = 0;
  for (let k = 1; k <= 3; k++) {
    const loss = trainStep(net, opt, img, tokens, target);
    worstLoss = Math.max(worstLoss, Math.abs(loss - losses[k - 1]));
    for (const [n, p] of net.namedParameters()) worstParam = Math.max(worstParam, maxAbsDiff(p.detach(), io.get(`step${k}/${n}`)!));
    worstParam = Math.max(worstParam, maxAbsDiff(net.bn.running_mean as Tensor, io.get(`step${k}/bn.running_mean`)!));
  }
  assert.ok(worstLoss <= TOL, `losses of the continued steps differ from PyTorch's by ${worstLoss}`);
  assert.ok(worstParam <= TOL, `parameters after the continued steps differ from PyTorch's by ${worstParam}`);
  report.continued_loss = worstLoss;
  report.continued_params = worstParam;
  return report;
}

function python(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(PY, [SCRIPT, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? (r.error?.message ?? '') };
}

test('PyTorch -> torchlet: committed fixtures (state dict .pt/.safetensors, dtypes and views, AdamW state)', async (t) => {
  const r = await checkPyToTs(FIXTURES);
  t.diagnostic(JSON.stringify(r));
});

test('PyTorch -> torchlet: files freshly written by the installed PyTorch', async (t) => {
  if (requireOrSkip(t, skipReason)) return;
  const dir = mkdtempSync(join(tmpdir(), 'torchlet-ckpt-py-'));
  try {
    const r = python(['--out', dir]);
    assert.equal(r.status, 0, r.stderr);
    t.diagnostic(JSON.stringify(await checkPyToTs(dir)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('torchlet -> PyTorch: state dict (.pt, .safetensors) and training checkpoint load in PyTorch', async (t) => {
  if (requireOrSkip(t, skipReason)) return;
  const dir = mkdtempSync(join(tmpdir(), 'torchlet-ckpt-ts-'));
  try {
    torch.manualSeed(0);
    const net = new Net();
    const g = new torch.Generator().manualSeed(99);
    const img = torch.randn([6, 1, 4, 4], { generator: g });
    const tokens = torch.randint(0, 12, [6, 5], { generator: g });
    const target = torch.randint(0, 12, [6], { generator: g });
    const opt = new optim.AdamW(net.parameters(), { lr: LR, weightDecay: WD });
    const tMax = 10, epochs = 3;
    const sched = new optim.lrScheduler.CosineAnnealingLR(opt, { tMax });
    net.train();
    for (let e = 0; e < epochs; e++) { trainStep(net, opt, img, tokens, target); sched.step(); }

    const sd = net.stateDict();
    await torch.save(sd, join(dir, 'ts_model.pt'));
    await torch.save(sd, join(dir, 'ts_model.safetensors'), { metadata: { format: 'pt' } });
    await torch.save({ model: sd, optimizer: opt.stateDict(), scheduler: sched.stateDict(), epoch: epochs }, join(dir, 'ts_checkpoint.pt'));

    const evalImg = torch.randn([3, 1, 4, 4], { generator: g });
    const evalTokens = torch.randint(0, 12, [3, 5], { generator: g });
    const io = new Map<string, Tensor>([
      ['eval/img', evalImg], ['eval/tokens', evalTokens],
      ['eval/out', torch.noGrad(() => net.eval().call(evalImg, evalTokens))],
      ['train/img', img], ['train/tokens', tokens], ['train/target', target],
      ['meta/epoch', torch.tensor(epochs, { dtype: 'int64' })], ['meta/t_max', torch.tensor(tMax, { dtype: 'int64' })],
      ['meta/num_batches_tracked', (net.bn.num_batches_tracked as Tensor).clone()],
    ]);
    // one more step after the checkpoint: PyTorch, resumed from it, must land on the same parameters
    net.train();
    io.set('next/loss', torch.tensor(trainStep(net, opt, img, tokens, target)));
    sched.step();
    io.set('next/lr', torch.tensor(opt.paramGroups[0].lr, { dtype: 'float64' }));
    for (const [n, p] of net.namedParameters()) io.set(`next/${n}`, p.detach().clone());
    await torch.save(io, join(dir, 'ts_io.safetensors'));

    const r = python(['--check', dir]);
    assert.equal(r.status, 0, `interop.py --check failed:\n${r.stderr}\n${r.stdout}`);
    const report = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
    assert.equal(report.ok, true);
    t.diagnostic(JSON.stringify(report));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
