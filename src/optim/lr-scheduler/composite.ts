/**
 * @file Schedulers made of schedulers: SequentialLR (one after another, switching at milestones) and
 * ChainedScheduler (all of them at every step, their factors multiplying), with PyTorch's state-dict layout
 * (`_schedulers` holds each one's state dict).
 */
import { checkNumber } from '../../core/args.js';
import { OptimizerError, type Optimizer } from '../optimizer.js';
import { LRScheduler, bisectRight, checkOptimizer, plain, schedulerOptions, type BaseSchedulerOptions, type SchedulerStateDict } from './base.js';

function schedulerList(fn: string, v: unknown): LRScheduler[] {
  if (!Array.isArray(v) || v.length === 0) throw new OptimizerError(`${fn}: expects a non-empty array of schedulers, got ${String(v)}`);
  (v as unknown[]).forEach((s, i) => {
    if (!(s instanceof LRScheduler)) {
      const name = (s as { constructor?: { name?: string } } | null | undefined)?.constructor?.name;
      throw new OptimizerError(`${fn}: schedulers[${i}] is ${name ?? String(s)}, not an epoch-driven LRScheduler${name === 'ReduceLROnPlateau' ? ' (ReduceLROnPlateau cannot be combined: it steps on a metric)' : ''}`);
    }
  });
  return v as LRScheduler[];
}

export interface SequentialLROptions extends BaseSchedulerOptions { schedulers: LRScheduler[]; milestones: number[] }

/** Run schedulers one after another: schedulers[i] drives epochs in [milestones[i-1], milestones[i]). */
export class SequentialLR {
  readonly optimizer: Optimizer;
  schedulers: LRScheduler[];
  milestones: number[];
  lastEpoch: number;
  protected lastLr: number[];

  constructor(optimizer: Optimizer, opts: SequentialLROptions) {
    const fn = 'SequentialLR';
    const o = schedulerOptions<SequentialLROptions>(fn, opts, ['schedulers', 'milestones']);
    checkOptimizer(fn, optimizer);
    const { lastEpoch } = o;
    const schedulers = schedulerList(fn, o.schedulers);
    if (!Array.isArray(o.milestones)) throw new OptimizerError(`${fn}: option 'milestones' must be an array of epochs, got ${String(o.milestones)}`);
    const milestones = o.milestones.map((m, i) => checkNumber(fn, `milestones[${i}]`, m, { integer: true }));
    schedulers.forEach((s, i) => {
      if (s.optimizer !== optimizer) throw new OptimizerError(`SequentialLR: Sequential Schedulers expects all schedulers to belong to the same optimizer, but got schedulers at index ${i} to be different than the optimizer passed in.`);
    });
    if (milestones.length !== schedulers.length - 1) {
      throw new OptimizerError(`SequentialLR: Sequential Schedulers expects number of schedulers provided to be one more than the number of milestone points, but got number of schedulers ${schedulers.length} and the number of milestones to be equal to ${milestones.length}`);
    }
    this.schedulers = schedulers;
    this.milestones = [...milestones];
    this.lastEpoch = lastEpoch + 1;
    this.optimizer = optimizer;
    for (const g of optimizer.paramGroups) g.lr = g.initialLr as number;
    for (const s of schedulers) s.lastEpoch -= 1;
    schedulers[0].initialStep();
    this.lastLr = schedulers[0].getLastLr();
  }

  step(): void {
    this.lastEpoch++;
    const idx = bisectRight(this.milestones, this.lastEpoch);
    const s = this.schedulers[idx];
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) s.step(0);
    else s.step();
    this.lastLr = s.getLastLr();
  }

  getLastLr(): number[] { return [...this.lastLr]; }

  stateDict(): SchedulerStateDict {
    return { _milestones: [...this.milestones], last_epoch: this.lastEpoch, _last_lr: [...this.lastLr], _schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  loadStateDict(input: SchedulerStateDict | Map<string, unknown>): void {
    const sd = plain(input) as SchedulerStateDict;
    if (Array.isArray(sd._milestones)) this.milestones = (sd._milestones as number[]).map(Number);
    if (typeof sd.last_epoch === 'number') this.lastEpoch = sd.last_epoch;
    if (Array.isArray(sd._last_lr)) this.lastLr = [...(sd._last_lr as number[])];
    const subs = sd._schedulers as SchedulerStateDict[] | undefined;
    subs?.forEach((s, i) => this.schedulers[i].loadStateDict(s));
  }
}

/**
 * Step every scheduler at each step() (their factors multiply): `new ChainedScheduler([warmup, decay])`. The
 * learning rate is what the last one leaves in the optimizer.
 */
export class ChainedScheduler {
  readonly optimizer: Optimizer;
  schedulers: LRScheduler[];
  protected lastLr: number[];

  constructor(schedulers: LRScheduler[], optimizer?: Optimizer) {
    const fn = 'ChainedScheduler';
    this.schedulers = schedulerList(fn, schedulers);
    this.optimizer = optimizer === undefined ? schedulers[0].optimizer : checkOptimizer(fn, optimizer);
    schedulers.forEach((s, i) => {
      if (s.optimizer !== this.optimizer) throw new OptimizerError(`${fn}: ChainedScheduler expects all schedulers to belong to the same optimizer, but got scheduler at index ${i} to be different than the optimizer passed in.`);
    });
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  step(): void {
    for (const s of this.schedulers) s.step();
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  getLastLr(): number[] { return [...this.lastLr]; }

  stateDict(): SchedulerStateDict {
    return { _last_lr: [...this.lastLr], _schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  loadStateDict(input: SchedulerStateDict | Map<string, unknown>): void {
    const sd = plain(input) as SchedulerStateDict;
    if (Array.isArray(sd._last_lr)) this.lastLr = [...(sd._last_lr as number[])];
    const subs = sd._schedulers as SchedulerStateDict[] | undefined;
    subs?.forEach((s, i) => this.schedulers[i].loadStateDict(s));
  }
}
