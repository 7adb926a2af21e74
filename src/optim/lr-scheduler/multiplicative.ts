/**
 * @file The schedulers that multiply the learning rate by a factor per epoch: LambdaLR, MultiplicativeLR, StepLR,
 * MultiStepLR, ConstantLR, LinearLR, ExponentialLR and PolynomialLR (torch.optim.lr_scheduler), each in PyTorch's
 * chainable (recursive) form with its closed form for step(epoch).
 */
import { checkFunction, checkNumber } from '../../core/args.js';
import { OptimizerError, type Optimizer } from '../optimizer.js';
import { LRScheduler, bisectRight, groupLrs, need, schedulerOptions, type BaseSchedulerOptions, type Json, type SchedulerStateDict } from './base.js';

export type LrLambda = (epoch: number) => number;

function lambdas(fn: string, optimizer: Optimizer, lrLambda: unknown): LrLambda[] {
  if (lrLambda === undefined) throw new OptimizerError(`${fn}: option 'lrLambda' is required (a function of the epoch, or one per param group)`);
  const n = optimizer.paramGroups.length;
  if (Array.isArray(lrLambda)) {
    if (lrLambda.length !== n) throw new OptimizerError(`${fn}: Expected ${n} lr_lambdas, but got ${lrLambda.length}`);
    return lrLambda.map((f, i) => checkFunction<LrLambda>(fn, `lrLambda[${i}]`, f));
  }
  const f = checkFunction<LrLambda>(fn, 'lrLambda', lrLambda);
  return optimizer.paramGroups.map(() => f);
}

export interface LambdaLROptions extends BaseSchedulerOptions { lrLambda: LrLambda | LrLambda[] }

/** lr = base_lr * lrLambda(epoch); one function, or one per param group. */
export class LambdaLR extends LRScheduler {
  lrLambdas: LrLambda[];
  constructor(optimizer: Optimizer, opts: LambdaLROptions) {
    const o = schedulerOptions<LambdaLROptions>('LambdaLR', opts, ['lrLambda']);
    super(optimizer, o.lastEpoch, o.verbose);
    this.lrLambdas = lambdas('LambdaLR', optimizer, o.lrLambda);
    this.initialStep();
  }
  getLr(): number[] { return this.baseLrs.map((b, i) => b * this.lrLambdas[i](this.lastEpoch)); }
  /** Functions are not saved (PyTorch saves None for plain functions). */
  override stateDict(): SchedulerStateDict { return { ...super.stateDict(), lr_lambdas: this.lrLambdas.map(() => null) }; }
}

/** lr = previous lr * lrLambda(epoch) for epoch > 0. */
export class MultiplicativeLR extends LRScheduler {
  lrLambdas: LrLambda[];
  constructor(optimizer: Optimizer, opts: LambdaLROptions) {
    const o = schedulerOptions<LambdaLROptions>('MultiplicativeLR', opts, ['lrLambda']);
    super(optimizer, o.lastEpoch, o.verbose);
    this.lrLambdas = lambdas('MultiplicativeLR', optimizer, o.lrLambda);
    this.initialStep();
  }
  getLr(): number[] {
    if (this.lastEpoch > 0) return groupLrs(this.optimizer).map((lr, i) => lr * this.lrLambdas[i](this.lastEpoch));
    return groupLrs(this.optimizer);
  }
  override stateDict(): SchedulerStateDict { return { ...super.stateDict(), lr_lambdas: this.lrLambdas.map(() => null) }; }
}

export interface StepLROptions extends BaseSchedulerOptions { stepSize: number; gamma?: number }

/** Multiply the lr by gamma every stepSize epochs. */
export class StepLR extends LRScheduler {
  stepSize: number;
  gamma: number;
  constructor(optimizer: Optimizer, opts: StepLROptions) {
    const o = schedulerOptions<StepLROptions>('StepLR', opts, ['stepSize', 'gamma']);
    super(optimizer, o.lastEpoch, o.verbose);
    this.stepSize = need('StepLR', 'stepSize', o.stepSize, { integer: true, min: 1 });
    this.gamma = o.gamma === undefined ? 0.1 : checkNumber('StepLR', 'gamma', o.gamma);
    this.initialStep();
  }
  getLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return groupLrs(this.optimizer);
    return groupLrs(this.optimizer).map((lr) => lr * this.gamma);
  }
  protected override closedFormLr(): number[] { return this.baseLrs.map((b) => b * this.gamma ** Math.floor(this.lastEpoch / this.stepSize)); }
  protected override stateKeys(): Record<string, string> { return { step_size: 'stepSize', gamma: 'gamma', ...super.stateKeys() }; }
}

export interface MultiStepLROptions extends BaseSchedulerOptions { milestones: readonly number[]; gamma?: number }

/** Multiply the lr by gamma at each milestone (a milestone listed k times multiplies by gamma^k). */
export class MultiStepLR extends LRScheduler {
  /** Counter of milestones, as PyTorch's collections.Counter. */
  milestones: Map<number, number>;
  gamma: number;
  constructor(optimizer: Optimizer, opts: MultiStepLROptions) {
    const o = schedulerOptions<MultiStepLROptions>('MultiStepLR', opts, ['milestones', 'gamma']);
    super(optimizer, o.lastEpoch, o.verbose);
    if (!Array.isArray(o.milestones)) throw new OptimizerError(`MultiStepLR: option 'milestones' must be an array of epochs, got ${String(o.milestones)}`);
    this.milestones = new Map();
    for (const m of o.milestones as readonly number[]) { // Array.isArray above narrowed it to any[]
      checkNumber('MultiStepLR', 'milestones[]', m, { integer: true });
      this.milestones.set(m, (this.milestones.get(m) ?? 0) + 1);
    }
    this.gamma = o.gamma === undefined ? 0.1 : checkNumber('MultiStepLR', 'gamma', o.gamma);
    this.initialStep();
  }
  getLr(): number[] {
    const k = this.milestones.get(this.lastEpoch);
    if (k === undefined) return groupLrs(this.optimizer);
    return groupLrs(this.optimizer).map((lr) => lr * this.gamma ** k);
  }
  protected override closedFormLr(): number[] {
    const sorted = [...this.milestones].flatMap(([m, k]) => Array<number>(k).fill(m)).sort((a, b) => a - b);
    return this.baseLrs.map((b) => b * this.gamma ** bisectRight(sorted, this.lastEpoch));
  }
  protected override stateKeys(): Record<string, string> { return { milestones: 'milestones', gamma: 'gamma', ...super.stateKeys() }; }
  protected override saveValue(key: string, v: Json): Json {
    return key === 'milestones' ? Object.fromEntries(this.milestones) : super.saveValue(key, v);
  }
  protected override loadValue(key: string, v: Json): Json {
    if (key !== 'milestones') return v;
    const entries = v instanceof Map ? [...v] : Object.entries(v as object);
    return new Map(entries.map(([m, k]) => [Number(m), Number(k)]));
  }
}

export interface ConstantLROptions extends BaseSchedulerOptions { factor?: number; totalIters?: number }

/** Multiply the lr by `factor` until epoch totalIters, then restore it. */
export class ConstantLR extends LRScheduler {
  factor: number;
  totalIters: number;
  constructor(optimizer: Optimizer, opts: ConstantLROptions = {}) {
    const o = schedulerOptions<ConstantLROptions>('ConstantLR', opts, ['factor', 'totalIters']);
    const factor = o.factor === undefined ? 1 / 3 : checkNumber('ConstantLR', 'factor', o.factor);
    if (factor > 1 || factor < 0) throw new OptimizerError('ConstantLR: Constant multiplicative factor expected to be between 0 and 1.');
    super(optimizer, o.lastEpoch, o.verbose);
    this.factor = factor;
    this.totalIters = o.totalIters === undefined ? 5 : checkNumber('ConstantLR', 'totalIters', o.totalIters, { integer: true, min: 0 });
    this.initialStep();
  }
  getLr(): number[] {
    const e = this.lastEpoch;
    if (e === 0) return groupLrs(this.optimizer).map((lr) => lr * this.factor);
    if (e !== this.totalIters) return groupLrs(this.optimizer);
    return groupLrs(this.optimizer).map((lr) => lr * (1.0 / this.factor));
  }
  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * (this.factor + (this.lastEpoch >= this.totalIters ? 1 : 0) * (1 - this.factor)));
  }
  protected override stateKeys(): Record<string, string> { return { factor: 'factor', total_iters: 'totalIters', ...super.stateKeys() }; }
}

export interface LinearLROptions extends BaseSchedulerOptions { startFactor?: number; endFactor?: number; totalIters?: number }

/** Scale the lr by a factor moving linearly from startFactor to endFactor over totalIters epochs. */
export class LinearLR extends LRScheduler {
  startFactor: number;
  endFactor: number;
  totalIters: number;
  constructor(optimizer: Optimizer, opts: LinearLROptions = {}) {
    const o = schedulerOptions<LinearLROptions>('LinearLR', opts, ['startFactor', 'endFactor', 'totalIters']);
    const startFactor = o.startFactor === undefined ? 1 / 3 : checkNumber('LinearLR', 'startFactor', o.startFactor);
    const endFactor = o.endFactor === undefined ? 1 : checkNumber('LinearLR', 'endFactor', o.endFactor);
    if (startFactor > 1 || startFactor <= 0) throw new OptimizerError('LinearLR: Starting multiplicative factor expected to be greater than 0 and less or equal to 1.');
    if (endFactor > 1 || endFactor < 0) throw new OptimizerError('LinearLR: Ending multiplicative factor expected to be between 0 and 1.');
    super(optimizer, o.lastEpoch, o.verbose);
    this.startFactor = startFactor;
    this.endFactor = endFactor;
    this.totalIters = o.totalIters === undefined ? 5 : checkNumber('LinearLR', 'totalIters', o.totalIters, { integer: true, min: 1 });
    this.initialStep();
  }
  getLr(): number[] {
    const { startFactor: s, endFactor: f, totalIters: n, lastEpoch: e } = this;
    if (e === 0) return groupLrs(this.optimizer).map((lr) => lr * s);
    if (e > n) return groupLrs(this.optimizer);
    return groupLrs(this.optimizer).map((lr) => lr * (1 + (f - s) / (n * s + (e - 1) * (f - s))));
  }
  protected override closedFormLr(): number[] {
    const { startFactor: s, endFactor: f, totalIters: n, lastEpoch: e } = this;
    return this.baseLrs.map((b) => b * (s + (f - s) * Math.min(n, e) / n));
  }
  protected override stateKeys(): Record<string, string> { return { start_factor: 'startFactor', end_factor: 'endFactor', total_iters: 'totalIters', ...super.stateKeys() }; }
}

export interface ExponentialLROptions extends BaseSchedulerOptions { gamma: number }

/** Multiply the lr by gamma every epoch. */
export class ExponentialLR extends LRScheduler {
  gamma: number;
  constructor(optimizer: Optimizer, opts: ExponentialLROptions) {
    const o = schedulerOptions<ExponentialLROptions>('ExponentialLR', opts, ['gamma']);
    super(optimizer, o.lastEpoch, o.verbose);
    this.gamma = need('ExponentialLR', 'gamma', o.gamma);
    this.initialStep();
  }
  getLr(): number[] {
    if (this.lastEpoch === 0) return groupLrs(this.optimizer);
    return groupLrs(this.optimizer).map((lr) => lr * this.gamma);
  }
  protected override closedFormLr(): number[] { return this.baseLrs.map((b) => b * this.gamma ** this.lastEpoch); }
  protected override stateKeys(): Record<string, string> { return { gamma: 'gamma', ...super.stateKeys() }; }
}

export interface PolynomialLROptions extends BaseSchedulerOptions { totalIters?: number; power?: number }

/** Decay the lr as (1 - epoch / totalIters) ** power, reaching 0 at totalIters. */
export class PolynomialLR extends LRScheduler {
  totalIters: number;
  power: number;
  constructor(optimizer: Optimizer, opts: PolynomialLROptions = {}) {
    const o = schedulerOptions<PolynomialLROptions>('PolynomialLR', opts, ['totalIters', 'power']);
    super(optimizer, o.lastEpoch, o.verbose);
    this.totalIters = o.totalIters === undefined ? 5 : checkNumber('PolynomialLR', 'totalIters', o.totalIters, { integer: true, min: 1 });
    this.power = o.power === undefined ? 1 : checkNumber('PolynomialLR', 'power', o.power);
    this.initialStep();
  }
  getLr(): number[] {
    const { lastEpoch: e, totalIters: n } = this;
    if (e === 0 || e > n) return groupLrs(this.optimizer);
    const decay = ((1.0 - e / n) / (1.0 - (e - 1) / n)) ** this.power;
    return groupLrs(this.optimizer).map((lr) => lr * decay);
  }
  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * (1.0 - Math.min(this.totalIters, this.lastEpoch) / this.totalIters) ** this.power);
  }
  protected override stateKeys(): Record<string, string> { return { total_iters: 'totalIters', power: 'power', ...super.stateKeys() }; }
}
