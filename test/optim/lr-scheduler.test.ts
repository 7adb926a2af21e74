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

const F = fixture('schedulers.json');
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
  ReduceLROnPlateau_max_abs: (o) => new S.ReduceLROnPlateau(o, { mode: 'max', factor: 0.3, patience: 1, threshold: 0.05, thresholdMode: 'abs' }),
};

function makeOpt() {
  const p = torch.zeros([2]).requiresGrad_(true), q = torch.zeros([2]).requiresGrad_(true);
  const opt = new optim.SGD([{ params: [p], lr: 0.1 }, { params: [q], lr: 0.01 }], { lr: 0.1, momentum: 0.9 });
  return { p, q, opt };
}

function near(a: number[], b: number[], what: string): void {
  assert.equal(a.length, b.length, what);
  a.forEach((x, i) => assert.ok(Math.abs(x - b[i]) <= REL * Math.abs(b[i]) + 1e-300, `${what}[${i}]: ${x} vs PyTorch ${b[i]}`));
}

function run(name: string, sch: Sched, opt: optim.Optimizer, p: torch.Tensor, q: torch.Tensor, from: number, cfg: any): void {
  for (let i = from; i < F.steps; i++) {
    p.grad = torch.ones([2]); q.grad = torch.ones([2]);
    opt.step();
    if (name.startsWith('ReduceLROnPlateau')) sch.step(name.includes('max') ? -F.metrics[i] : F.metrics[i]);
    else sch.step();
    near(sch.getLastLr(), cfg.lrs[i + 1], `${name} lr after step ${i + 1}`);
    near(opt.paramGroups.map((g) => g.momentum as number), cfg.momentums[i + 1], `${name} momentum after step ${i + 1}`);
  }
}

for (const cfg of F.configs) {
  const name = cfg.name as string;
  test(`${name}: learning rates of ${F.steps} steps match PyTorch`, () => {
    const { p, q, opt } = makeOpt();
    const sch = MAKERS[name](opt);
    near(opt.paramGroups.map((g) => g.lr), cfg.lrs[0], `${name} initial lr`);
    near(opt.paramGroups.map((g) => g.momentum as number), cfg.momentums[0], `${name} initial momentum`);
    run(name, sch, opt, p, q, 0, cfg);
  });

  test(`${name}: PyTorch's state dicts after ${F.load_at} steps load and the rest matches; keys are PyTorch's`, () => {
    const { p, q, opt } = makeOpt();
    const sch = MAKERS[name](opt);
    const want = decode(cfg.snapshot.scheduler);
    // every key PyTorch saves (but functions: anneal_func) is in ours
    const ours = sch.stateDict();
    for (const k of Object.keys(want)) if (k !== 'anneal_func') assert.ok(k in ours, `${name}: stateDict() lacks PyTorch's key ${k}`);
    opt.loadStateDict(decode(cfg.snapshot.optimizer));
    sch.loadStateDict(want);
    run(name, sch, opt, p, q, F.load_at, cfg);
  });
}

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
  assert.throws(() => new S.LinearLR(opt, { startFactor: 2 }), /Starting multiplicative factor expected to be between 0 and 1/);
  assert.throws(() => new S.OneCycleLR(opt, { maxLr: 0.1 }), /totalSteps OR \(epochs AND stepsPerEpoch\)/);
  assert.throws(() => new S.ReduceLROnPlateau(opt, { factor: 1 }), /Factor should be < 1.0/);
  assert.throws(() => new S.StepLR({} as optim.Optimizer, { stepSize: 1 }), /is not an Optimizer/);
  const fresh = makeOpt();
  assert.throws(() => new S.StepLR(fresh.opt, { stepSize: 1, lastEpoch: 3 }), /initial_lr/);
  assert.throws(() => new S.SequentialLR(opt, { schedulers: [new S.StepLR(opt, { stepSize: 2 })], milestones: [3] }), /one more than the number of milestone points/);
});
