/**
 * @file LR schedulers vs PyTorch 1.13 (fixture test/fixtures/optim/schedulers.json): 30 steps of each scheduler on
 * an SGD with two param groups (lr 0.1 and 0.01, momentum 0.9); the lr of both groups after every step (and the
 * momentum OneCycleLR cycles) match PyTorch; PyTorch's scheduler + optimizer state dicts after 15 steps load here
 * and the remaining 15 steps match; stateDict() keys are PyTorch's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';
import { optim } from '../../src/index.js';
import { decode, fixture } from './helpers.js';
import { fileURLToPath } from 'node:url';
import { requireOrSkip, torch26 } from '../helpers/python.js';

const FIX = fixture('schedulers.json');
const F = FIX;
const S = optim.lrScheduler;
// float64 arithmetic in PyTorch's order; only libm cos/pow may differ in the last ulp
const REL = 1e-12;

type Sched = { step(m?: number | torch.Tensor): void; getLastLr(): number[]; stateDict(): Record<string, unknown>; loadStateDict(sd: Record<string, unknown>): void };

const MAKERS: Record<string, (o: optim.Optimizer) => Sched> = {
  StepLR: (o) => new S.StepLR(o, { stepSize: 7, gamma: 0.5 }),
  MultiStepLR: (o) => new S.MultiStepLR(o, { milestones: [5, 12, 12, 20], gamma: 0.3 }),
  ExponentialLR: (o) => new S.ExponentialLR(o, { gamma: 0.9 }),
  CosineAnnealingLR: (o) => new S.CosineAnnealingLR(o, { tMax: 10, etaMin: 0.001 }),
  LinearLR: (o) => new S.LinearLR(o, { startFactor: 0.25, endFactor: 1.0, totalIters: 8 }),
  LinearLR_down: (o) => new S.LinearLR(o, { startFactor: 1.0, endFactor: 0.1, totalIters: 12 }),
  OneCycleLR: (o) => new S.OneCycleLR(o, { maxLr: [0.5, 0.05], totalSteps: F.steps + 1 }),
  OneCycleLR_linear_3phase: (o) => new S.OneCycleLR(o, { maxLr: 1.0, totalSteps: F.steps + 1, pctStart: 0.25, annealStrategy: 'linear', threePhase: true, divFactor: 10, finalDivFactor: 100 }),
  LambdaLR: (o) => new S.LambdaLR(o, { lrLambda: (e) => 0.95 ** e }),
  SequentialLR: (o) => new S.SequentialLR(o, { schedulers: [new S.LinearLR(o, { startFactor: 0.1, totalIters: 5 }), new S.CosineAnnealingLR(o, { tMax: 25 })], milestones: [5] }),
  SequentialLR_3: (o) => new S.SequentialLR(o, {
    schedulers: [new S.ExponentialLR(o, { gamma: 0.8 }), new S.StepLR(o, { stepSize: 4, gamma: 0.5 }), new S.LambdaLR(o, { lrLambda: (e) => 1.0 / (e + 1) })],
    milestones: [6, 18],
  }),
  ReduceLROnPlateau: (o) => new S.ReduceLROnPlateau(o, { mode: 'min', factor: 0.5, patience: 2, cooldown: 1, threshold: 0.01, minLr: [0.0, 0.002] }),
  MultiplicativeLR: (o) => new S.MultiplicativeLR(o, { lrLambda: () => 0.95 }),
  ConstantLR: (o) => new S.ConstantLR(o, { factor: 0.5, totalIters: 4 }),
  PolynomialLR: (o) => new S.PolynomialLR(o, { totalIters: 20, power: 2.0 }),
  CosineAnnealingWarmRestarts: (o) => new S.CosineAnnealingWarmRestarts(o, { t0: 4, tMult: 2, etaMin: 0.001 }),
  CosineAnnealingWarmRestarts_7: (o) => new S.CosineAnnealingWarmRestarts(o, { t0: 7 }),
  CosineAnnealingWarmRestarts_frac: (o) => new S.CosineAnnealingWarmRestarts(o, { t0: 3, tMult: 2, etaMin: 0.0005 }),
  CyclicLR_triangular2: (o) => new S.CyclicLR(o, { baseLr: [0.01, 0.001], maxLr: [0.1, 0.01], stepSizeUp: 4, stepSizeDown: 6, mode: 'triangular2' }),
  CyclicLR_exp_range: (o) => new S.CyclicLR(o, { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 3, mode: 'exp_range', gamma: 0.9, baseMomentum: 0.7, maxMomentum: 0.95 }),
  CyclicLR_triangular: (o) => new S.CyclicLR(o, { baseLr: 0.02, maxLr: 0.2, stepSizeUp: 5, cycleMomentum: false }),
  ChainedScheduler: (o) => new S.ChainedScheduler([new S.ConstantLR(o, { factor: 0.1, totalIters: 3 }), new S.ExponentialLR(o, { gamma: 0.9 })]),
  SequentialLR_constant_poly: (o) => new S.SequentialLR(o, {
    schedulers: [new S.ConstantLR(o, { factor: 0.2, totalIters: 4 }), new S.PolynomialLR(o, { totalIters: 30, power: 1.5 })], milestones: [4],
  }),
  ReduceLROnPlateau_max_abs: (o) => new S.ReduceLROnPlateau(o, { mode: 'max', factor: 0.3, patience: 1, threshold: 0.05, thresholdMode: 'abs' }),
};

function makeOpt() {
  const p = torch.zeros([2]).requiresGrad_(true), q = torch.zeros([2]).requiresGrad_(true);
  const opt = new optim.SGD([{ params: [p], lr: 0.1 }, { params: [q], lr: 0.01 }], { lr: 0.1, momentum: 0.9 });
  return { p, q, opt };
}

const inexact: string[] = [];
function near(a: number[], b: number[], what: string): void {
  assert.equal(a.length, b.length, what);
  a.forEach((x, i) => { if (x !== b[i]) inexact.push(`${what}[${i}]: ${Math.abs(x - b[i]) / Math.abs(b[i])}`); });
  a.forEach((x, i) => assert.ok(Math.abs(x - b[i]) <= REL * Math.abs(b[i]) + 1e-300, `${what}[${i}]: ${x} vs PyTorch ${b[i]}`));
}

function run(name: string, sch: Sched, opt: optim.Optimizer, p: torch.Tensor, q: torch.Tensor, from: number, cfg: any, F: any = FIX): void {
  for (let i = from; i < F.steps; i++) {
    p.grad = torch.ones([2]); q.grad = torch.ones([2]);
    opt.step();
    if (name.startsWith('ReduceLROnPlateau')) sch.step(name.includes('max') ? -F.metrics[i] : F.metrics[i]);
    else if (name.endsWith('_frac')) sch.step((i + 1) * 0.37);
    else sch.step();
    near(sch.getLastLr(), cfg.lrs[i + 1], `${name} lr after step ${i + 1}`);
    near(opt.paramGroups.map((g) => g.momentum as number), cfg.momentums[i + 1], `${name} momentum after step ${i + 1}`);
  }
}

/** The learning rates (and momentums) of every config from step 0, and from PyTorch's state dicts after load_at steps. */
function checkConfig(cfg: any, F: any): void {
  const name = cfg.name as string;
  const { p, q, opt } = makeOpt();
  const sch = MAKERS[name](opt);
  near(opt.paramGroups.map((g) => g.lr), cfg.lrs[0], `${name} initial lr`);
  near(opt.paramGroups.map((g) => g.momentum as number), cfg.momentums[0], `${name} initial momentum`);
  run(name, sch, opt, p, q, 0, cfg, F);
}

function checkLoaded(cfg: any, F: any): void {
  const name = cfg.name as string;
  const { p, q, opt } = makeOpt();
  const sch = MAKERS[name](opt);
  const want = decode(cfg.snapshot.scheduler);
  // every key PyTorch saves (but functions: anneal_func; 1.13's weakref _scale_fn_ref; 2.x's _is_initial flag) is in ours
  const ours = sch.stateDict();
  for (const k of Object.keys(want)) if (!['anneal_func', '_scale_fn_ref', '_is_initial'].includes(k)) assert.ok(k in ours, `${name}: stateDict() lacks PyTorch's key ${k}`);
  opt.loadStateDict(decode(cfg.snapshot.optimizer));
  sch.loadStateDict(want);
  run(name, sch, opt, p, q, F.load_at, cfg, F);
}

for (const cfg of F.configs) {
  test(`${cfg.name}: learning rates of ${F.steps} steps match PyTorch`, () => checkConfig(cfg, F));
  test(`${cfg.name}: PyTorch's state dicts after ${F.load_at} steps load and the rest matches; keys are PyTorch's`, () => checkLoaded(cfg, F));
}

test('every scheduler matches live PyTorch 2.6 (sequences, and its state dicts loaded mid-way)', async (t) => {
  const py = torch26();
  if (requireOrSkip(t, py.skip)) return;
  const r = py.run(fileURLToPath(new URL('../../scripts/fixtures/optim.py', import.meta.url)), ['--schedulers-stdout'], { timeout: 300_000 });
  assert.equal(r.status, 0, r.stderr);
  const live = JSON.parse(r.stdout.split('\n').filter((l) => l.startsWith('{')).pop()!);
  assert.deepEqual(live.configs.map((c: any) => c.name), F.configs.map((c: any) => c.name));
  for (const cfg of live.configs) {
    await t.test(`${cfg.name} (torch ${py.version})`, () => { checkConfig(cfg, live); checkLoaded(cfg, live); });
  }
});

test('stateDict round trip: a fresh scheduler loaded from another continues identically', () => {
  const a = makeOpt(), b = makeOpt();
  const sa = new S.CosineAnnealingLR(a.opt, { tMax: 7, etaMin: 0.01 });
  for (let i = 0; i < 5; i++) { a.opt.step(); sa.step(); }
  const sb = new S.CosineAnnealingLR(b.opt, { tMax: 100 });
  b.opt.loadStateDict(a.opt.stateDict());
  sb.loadStateDict(sa.stateDict());
  assert.equal(sb.tMax, 7);
  for (let i = 0; i < 10; i++) { a.opt.step(); sa.step(); b.opt.step(); sb.step(); assert.deepEqual(sb.getLastLr(), sa.getLastLr()); }
});

test('schedulers reject bad arguments with PyTorch-like messages', () => {
  const { opt } = makeOpt();
  assert.throws(() => new S.LinearLR(opt, { startFactor: 2 }), /Starting multiplicative factor expected to be greater than 0/);
  assert.throws(() => new S.OneCycleLR(opt, { maxLr: 0.1 }), /totalSteps OR \(epochs AND stepsPerEpoch\)/);
  assert.throws(() => new S.ReduceLROnPlateau(opt, { factor: 1 }), /Factor should be < 1.0/);
  assert.throws(() => new S.StepLR({} as optim.Optimizer, { stepSize: 1 }), /is not an Optimizer/);
  const fresh = makeOpt();
  assert.throws(() => new S.StepLR(fresh.opt, { stepSize: 1, lastEpoch: 3 }), /initial_lr/);
  assert.throws(() => new S.SequentialLR(opt, { schedulers: [new S.StepLR(opt, { stepSize: 2 })], milestones: [3] }), /one more than the number of milestone points/);
});

test('how many learning rates are bit-exact (report)', (t) => {
  const by = new Map<string, number>(); for (const s of inexact) { const k = s.split(" ")[0]; by.set(k, (by.get(k) ?? 0) + 1); }
  t.diagnostic(`by scheduler: ${[...by].map(([k, n]) => `${k} ${n}`).join(", ")}`);
  t.diagnostic(`values differing from PyTorch's float64: ${inexact.length}${inexact.length ? ` (e.g. ${inexact.slice(0, 3).join('; ')})` : ''}`);
});

test('every scheduler rejects an unknown or misspelt option, naming the intended one', () => {
  const { opt } = makeOpt();
  const cases: [string, () => unknown, RegExp][] = [
    ['LambdaLR', () => new S.LambdaLR(opt, { lr_lambda: () => 1 } as never), /LambdaLR: unknown option 'lr_lambda' \(did you mean 'lrLambda'\?\)/],
    ['MultiplicativeLR', () => new S.MultiplicativeLR(opt, { lrLambda: () => 1, last_epoch: -1 } as never), /did you mean 'lastEpoch'/],
    ['StepLR', () => new S.StepLR(opt, { step_size: 3 } as never), /did you mean 'stepSize'/],
    ['MultiStepLR', () => new S.MultiStepLR(opt, { milestones: [1], gama: 0.1 } as never), /did you mean 'gamma'/],
    ['ConstantLR', () => new S.ConstantLR(opt, { total_iters: 3 } as never), /did you mean 'totalIters'/],
    ['LinearLR', () => new S.LinearLR(opt, { start_factor: 0.5 } as never), /did you mean 'startFactor'/],
    ['ExponentialLR', () => new S.ExponentialLR(opt, { gamma: 0.9, verbos: true } as never), /did you mean 'verbose'/],
    ['PolynomialLR', () => new S.PolynomialLR(opt, { powr: 2 } as never), /did you mean 'power'/],
    ['CosineAnnealingLR', () => new S.CosineAnnealingLR(opt, { T_max: 10 } as never), /did you mean 'tMax'/],
    ['CosineAnnealingWarmRestarts', () => new S.CosineAnnealingWarmRestarts(opt, { T_0: 10 } as never), /did you mean 't0'/],
    ['CyclicLR', () => new S.CyclicLR(opt, { baseLr: 0.1, maxLr: 1, step_size_up: 3 } as never), /did you mean 'stepSizeUp'/],
    ['OneCycleLR', () => new S.OneCycleLR(opt, { max_lr: 0.1, totalSteps: 10 } as never), /did you mean 'maxLr'/],
    ['SequentialLR', () => new S.SequentialLR(opt, { schedulers: [], milestone: [] } as never), /did you mean 'milestones'/],
    ['ReduceLROnPlateau', () => new S.ReduceLROnPlateau(opt, { min_lr: 0.01 } as never), /did you mean 'minLr'/],
  ];
  for (const [name, mk, re] of cases) assert.throws(mk, re, name);
  // undefined means "not given"; wrong types name the option
  assert.equal(new S.StepLR(makeOpt().opt, { stepSize: 2, gamma: undefined }).gamma, 0.1);
  assert.throws(() => new S.StepLR(makeOpt().opt, { stepSize: '2' as never }), /StepLR: stepSize must be an integer, got "2"/);
  assert.throws(() => new S.CosineAnnealingWarmRestarts(makeOpt().opt, { t0: 0 }), /positive integer t0/);
  assert.throws(() => new S.CosineAnnealingWarmRestarts(makeOpt().opt, { t0: 2, tMult: 1.5 }), /integer tMult >= 1/);
  assert.throws(() => new S.CyclicLR(makeOpt().opt, { baseLr: 0.1, maxLr: 1, mode: 'triangle' as never }), /mode must be one of 'triangular', 'triangular2', 'exp_range', got "triangle"/);
  assert.throws(() => new S.ReduceLROnPlateau(makeOpt().opt, { mode: 'mn' as never }), /did you mean 'min'/);
  assert.throws(() => new S.ChainedScheduler([]), /non-empty array of schedulers/);
  const o2 = makeOpt().opt;
  assert.throws(() => new S.ChainedScheduler([new S.StepLR(opt, { stepSize: 2 }), new S.StepLR(o2, { stepSize: 2 })]), /same optimizer/);
  assert.throws(() => new S.SequentialLR(opt, { schedulers: [new S.ReduceLROnPlateau(opt) as never], milestones: [] }), /ReduceLROnPlateau cannot be combined/);
  const adam = new optim.Adam([torch.zeros([2]).requiresGrad_(true)], { lr: 0.1 });
  const cyc = new S.CyclicLR(adam, { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 2 });
  adam.step(); cyc.step();
  const betas = adam.paramGroups[0].betas as number[];
  assert.ok(Math.abs(betas[0] - 0.85) < 1e-15 && betas[1] === 0.999, `CyclicLR cycles Adam's beta1 (PyTorch 2.x): ${betas}`);
});

test('CosineAnnealingWarmRestarts: PyTorch\'s docstring example (fractional epochs per batch) restarts at t0, then t0*tMult', () => {
  const { opt } = makeOpt();
  const s = new S.CosineAnnealingWarmRestarts(opt, { t0: 2, tMult: 2 });
  const lrs: number[] = [];
  const iters = 4;
  for (let epoch = 0; epoch < 6; epoch++) for (let i = 0; i < iters; i++) { opt.step(); s.step(epoch + i / iters); lrs.push(s.getLastLr()[0]); }
  // restarts (lr back to base) at epochs 0, 2 and 6 (2 + 2*2)
  assert.equal(lrs[0], 0.1); assert.equal(lrs[2 * iters], 0.1);
  assert.ok(lrs[6 * iters - 1] < lrs[2 * iters + 1]);
  assert.equal(s.tI, 4);
});

test('optim.lrScheduler has every class of PyTorch 2.6\'s torch.optim.lr_scheduler.__all__', () => {
  // chroot /var/cache/torchlet/torch2-root python3 -c "import torch.optim.lr_scheduler as s; print(s.__all__)"
  const all26 = ['LambdaLR', 'MultiplicativeLR', 'StepLR', 'MultiStepLR', 'ConstantLR', 'LinearLR', 'ExponentialLR', 'SequentialLR',
    'CosineAnnealingLR', 'ChainedScheduler', 'ReduceLROnPlateau', 'CyclicLR', 'CosineAnnealingWarmRestarts', 'OneCycleLR', 'PolynomialLR', 'LRScheduler'];
  for (const name of all26) assert.equal(typeof (S as Record<string, unknown>)[name], 'function', `optim.lrScheduler.${name}`);
});
