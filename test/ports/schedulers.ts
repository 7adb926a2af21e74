/**
 * @file Port 8 — learning-rate schedules chained as the torch.optim docs do it, side by side with
 * scripts/ports/schedulers.py: warmup then warm restarts (SequentialLR), then ReduceLROnPlateau.
 */
import * as torch from '../../src/index.js';
import { nn, optim } from '../../src/index.js';
import { report, type PortResult } from './report.js';

const { lrScheduler } = optim;

export function main(): PortResult {
  torch.manualSeed(0);

  const model = new nn.Sequential(new nn.Linear(8, 16), new nn.Tanh(), new nn.Linear(16, 1));
  const X = torch.randn([48, 8]), Xv = torch.randn([16, 8]);
  const Y = X.sum(1, { keepdim: true }).sin(), Yv = Xv.sum(1, { keepdim: true }).sin();
  const lossFn = new nn.MSELoss();

  const optimizer = new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
  const warmup = new lrScheduler.LinearLR(optimizer, { startFactor: 0.1, totalIters: 4 });
  const restarts = new lrScheduler.CosineAnnealingWarmRestarts(optimizer, { t0: 5, tMult: 2, etaMin: 0.001 });
  const scheduler = new lrScheduler.SequentialLR(optimizer, { schedulers: [warmup, restarts], milestones: [4] });

  const losses: number[] = [], lrs: number[] = [];
  for (let epoch = 0; epoch < 4; epoch++) {
    for (let i = 0; i < 48; i += 8) {
      optimizer.zeroGrad();
      const loss = lossFn.call(model.call(X.slice(0, i, i + 8)), Y.slice(0, i, i + 8));
      loss.backward();
      optimizer.step();
      scheduler.step();
      losses.push(loss.item());
      lrs.push(scheduler.getLastLr()[0]);
    }
  }

  const plateau = new lrScheduler.ReduceLROnPlateau(optimizer, { mode: 'min', factor: 0.5, patience: 1 });
  const valLosses: number[] = [];
  for (let epoch = 0; epoch < 6; epoch++) {
    optimizer.zeroGrad();
    const loss = lossFn.call(model.call(X), Y);
    loss.backward();
    optimizer.step();
    losses.push(loss.item());
    const valLoss = torch.noGrad(() => lossFn.call(model.call(Xv), Yv).item());
    valLosses.push(valLoss);
    plateau.step(valLoss);
    lrs.push(optimizer.paramGroups[0].lr);
  }
  return report(losses, model.stateDict(), { lrs, val: valLosses });
}
