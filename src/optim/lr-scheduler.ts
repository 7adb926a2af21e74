/**
 * @file torch.optim.lr_scheduler as `optim.lrScheduler`: StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR
 * (PyTorch's recursive get_lr, so values match PyTorch's chained behaviour), LinearLR, OneCycleLR, LambdaLR,
 * SequentialLR and ReduceLROnPlateau, each with step(), getLastLr() and stateDict()/loadStateDict() whose keys are
 * PyTorch's (`base_lrs`, `last_epoch`, `_step_count`, `_last_lr`, `T_max`, ...). Options are PyTorch's names in
 * camelCase. Arithmetic is float64 in PyTorch's order.
 */
import type { Tensor } from '../tensor/tensor.js';
import { Optimizer, OptimizerError, type ParamGroup } from './optimizer.js';

type Json = unknown;
export type SchedulerStateDict = Record<string, Json>;

/** What torch.load gives (dicts as Maps, possibly nested) -> plain objects, so a loaded file's state loads as is. */
function plain(v: Json): Json {
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), plain(x)]));
  if (Array.isArray(v)) return v.map(plain);
  return v;
}

function copy(v: Json): Json {
  if (Array.isArray(v)) return v.map(copy);
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [k, copy(x)]));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copy(x)]));
  return v;
}

function bisectRight(a: readonly number[], x: number): number {
  let lo = 0, hi = a.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (x < a[mid]) hi = mid; else lo = mid + 1; }
  return lo;
}

/** The base of epoch-driven schedulers (PyTorch's _LRScheduler). Subclasses set their fields, then call initialStep(). */
export abstract class LRScheduler {
  readonly optimizer: Optimizer;
  baseLrs: number[];
  lastEpoch: number;
  verbose: boolean;
  /** PyTorch's `_step_count`. */
  stepCount = 0;
  protected getLrCalledWithinStep = false;
  protected lastLr: number[] = [];

  constructor(optimizer: Optimizer, lastEpoch = -1, verbose = false) {
    if (!(optimizer instanceof Optimizer)) throw new OptimizerError(`${new.target.name}: ${describe(optimizer)} is not an Optimizer; pass the optimizer whose learning rate it drives`);
    this.optimizer = optimizer;
    if (lastEpoch === -1) {
      for (const g of optimizer.paramGroups) if (g.initialLr === undefined) g.initialLr = g.lr;
    } else {
      optimizer.paramGroups.forEach((g, i) => {
        if (g.initialLr === undefined) throw new OptimizerError(`${new.target.name}: param 'initial_lr' is not specified in param_groups[${i}] when resuming an optimizer; load the optimizer's state dict first or start with lastEpoch -1`);
      });
    }
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr as number);
    this.lastEpoch = lastEpoch;
    this.verbose = verbose;
  }

  /** The learning rates of the next step (PyTorch's get_lr; called inside step()). */
  abstract getLr(): number[];
  /** The closed form used when step(epoch) is given an epoch (where PyTorch has one). */
  protected closedFormLr?(): number[];

  initialStep(): void {
    this.optimizer.stepCount = 0;
    this.stepCount = 0;
    this.step();
  }

  step(epoch?: number): void {
    if (this.stepCount === 1 && this.optimizer.stepCount < 1) {
      (globalThis as { process?: { emitWarning?(m: string): void } }).process?.emitWarning?.('Detected call of `lr_scheduler.step()` before `optimizer.step()`. Call optimizer.step() before lrScheduler.step(); ' +
        'otherwise the first value of the learning rate schedule is skipped.');
    }
    this.stepCount++;
    this.getLrCalledWithinStep = true;
    let values: number[];
    try {
      if (epoch === undefined) {
        this.lastEpoch++;
        values = this.getLr();
      } else {
        this.lastEpoch = epoch;
        values = this.closedFormLr ? this.closedFormLr() : this.getLr();
      }
    } finally {
      this.getLrCalledWithinStep = false;
    }
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = values[i];
      if (this.verbose) printLr(i, values[i], epoch);
    });
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** The learning rates set by the last step(). */
  getLastLr(): number[] { return [...this.lastLr]; }

  /** PyTorch key -> this object's property, for stateDict()/loadStateDict(). */
  protected stateKeys(): Record<string, string> {
    return { base_lrs: 'baseLrs', last_epoch: 'lastEpoch', verbose: 'verbose', _step_count: 'stepCount', _get_lr_called_within_step: 'getLrCalledWithinStep', _last_lr: 'lastLr' };
  }

  /** Every field but the optimizer, with PyTorch's keys. */
  stateDict(): SchedulerStateDict {
    const self = this as unknown as Record<string, Json>;
    const out: SchedulerStateDict = {};
    for (const [py, prop] of Object.entries(this.stateKeys())) out[py] = this.saveValue(py, self[prop]);
    return out;
  }

  /** Restore fields from stateDict() here or PyTorch's `scheduler.state_dict()`; unknown keys are ignored. */
  loadStateDict(input: SchedulerStateDict | Map<string, unknown>): void {
    const sd = plain(input) as SchedulerStateDict;
    const self = this as unknown as Record<string, Json>;
    for (const [py, prop] of Object.entries(this.stateKeys())) if (py in sd) self[prop] = this.loadValue(py, copy(sd[py]));
  }

  protected saveValue(_key: string, v: Json): Json { return copy(v); }
  protected loadValue(_key: string, v: Json): Json { return v; }
}

function describe(v: unknown): string { return v === null ? 'null' : typeof v === 'object' ? (v.constructor?.name ?? 'object') : typeof v; }

function printLr(group: number, lr: number, epoch?: number): void {
  const e = epoch === undefined ? '' : `Epoch ${Number.isInteger(epoch) ? String(epoch).padStart(5, '0') : epoch.toFixed(2)}: a`;
  console.log(`${e || 'A'}djusting learning rate of group ${group} to ${lr.toExponential(4)}.`);
}

const groupLrs = (o: Optimizer): number[] => o.paramGroups.map((g) => g.lr);

// ---------------------------------------------------------------------------------------------------------------

export type LrLambda = (epoch: number) => number;

/** lr = base_lr * lrLambda(epoch); one function, or one per param group. */
export class LambdaLR extends LRScheduler {
  lrLambdas: LrLambda[];
  constructor(optimizer: Optimizer, { lrLambda, lastEpoch = -1, verbose = false }: { lrLambda: LrLambda | LrLambda[]; lastEpoch?: number; verbose?: boolean }) {
    super(optimizer, lastEpoch, verbose);
    if (Array.isArray(lrLambda)) {
      if (lrLambda.length !== optimizer.paramGroups.length) throw new OptimizerError(`LambdaLR: Expected ${optimizer.paramGroups.length} lr_lambdas, but got ${lrLambda.length}`);
      this.lrLambdas = [...lrLambda];
    } else {
      this.lrLambdas = optimizer.paramGroups.map(() => lrLambda);
    }
    this.initialStep();
  }
  getLr(): number[] { return this.baseLrs.map((b, i) => b * this.lrLambdas[i](this.lastEpoch)); }
  /** Functions are not saved (PyTorch saves None for plain functions). */
  override stateDict(): SchedulerStateDict { return { ...super.stateDict(), lr_lambdas: this.lrLambdas.map(() => null) }; }
}

/** Multiply the lr by gamma every stepSize epochs. */
export class StepLR extends LRScheduler {
  stepSize: number;
  gamma: number;
  constructor(optimizer: Optimizer, { stepSize, gamma = 0.1, lastEpoch = -1, verbose = false }: { stepSize: number; gamma?: number; lastEpoch?: number; verbose?: boolean }) {
    super(optimizer, lastEpoch, verbose);
    this.stepSize = stepSize;
    this.gamma = gamma;
    this.initialStep();
  }
  getLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return groupLrs(this.optimizer);
    return groupLrs(this.optimizer).map((lr) => lr * this.gamma);
  }
  protected override closedFormLr(): number[] { return this.baseLrs.map((b) => b * this.gamma ** Math.floor(this.lastEpoch / this.stepSize)); }
  protected override stateKeys(): Record<string, string> { return { step_size: 'stepSize', gamma: 'gamma', ...super.stateKeys() }; }
}

/** Multiply the lr by gamma at each milestone (a milestone listed k times multiplies by gamma^k). */
export class MultiStepLR extends LRScheduler {
  /** Counter of milestones, as PyTorch's collections.Counter. */
  milestones: Map<number, number>;
  gamma: number;
  constructor(optimizer: Optimizer, { milestones, gamma = 0.1, lastEpoch = -1, verbose = false }: { milestones: readonly number[]; gamma?: number; lastEpoch?: number; verbose?: boolean }) {
    super(optimizer, lastEpoch, verbose);
    this.milestones = new Map();
    for (const m of milestones) this.milestones.set(m, (this.milestones.get(m) ?? 0) + 1);
    this.gamma = gamma;
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

/** Multiply the lr by gamma every epoch. */
export class ExponentialLR extends LRScheduler {
  gamma: number;
  constructor(optimizer: Optimizer, { gamma, lastEpoch = -1, verbose = false }: { gamma: number; lastEpoch?: number; verbose?: boolean }) {
    super(optimizer, lastEpoch, verbose);
    this.gamma = gamma;
    this.initialStep();
  }
  getLr(): number[] {
    if (this.lastEpoch === 0) return groupLrs(this.optimizer);
    return groupLrs(this.optimizer).map((lr) => lr * this.gamma);
  }
  protected override closedFormLr(): number[] { return this.baseLrs.map((b) => b * this.gamma ** this.lastEpoch); }
  protected override stateKeys(): Record<string, string> { return { gamma: 'gamma', ...super.stateKeys() }; }
}

/** Cosine annealing from the initial lr to etaMin over tMax epochs, in PyTorch's recursive form. */
export class CosineAnnealingLR extends LRScheduler {
  tMax: number;
  etaMin: number;
  constructor(optimizer: Optimizer, { tMax, etaMin = 0, lastEpoch = -1, verbose = false }: { tMax: number; etaMin?: number; lastEpoch?: number; verbose?: boolean }) {
    super(optimizer, lastEpoch, verbose);
    this.tMax = tMax;
    this.etaMin = etaMin;
    this.initialStep();
  }
  getLr(): number[] {
    const { lastEpoch: e, tMax: T, etaMin } = this;
    const groups = this.optimizer.paramGroups;
    if (e === 0) return groupLrs(this.optimizer);
    if (this.stepCount === 1 && e > 0) {
      return this.baseLrs.map((b) => etaMin + (b - etaMin) * (1 + Math.cos(e * Math.PI / T)) / 2);
    }
    if (pyMod(e - 1 - T, 2 * T) === 0) {
      return groups.map((g, i) => g.lr + (this.baseLrs[i] - etaMin) * (1 - Math.cos(Math.PI / T)) / 2);
    }
    return groups.map((g) => (1 + Math.cos(Math.PI * e / T)) / (1 + Math.cos(Math.PI * (e - 1) / T)) * (g.lr - etaMin) + etaMin);
  }
  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => this.etaMin + (b - this.etaMin) * (1 + Math.cos(Math.PI * this.lastEpoch / this.tMax)) / 2);
  }
  protected override stateKeys(): Record<string, string> { return { T_max: 'tMax', eta_min: 'etaMin', ...super.stateKeys() }; }
}

function pyMod(a: number, b: number): number { return ((a % b) + b) % b; }

/** Scale the lr by a factor moving linearly from startFactor to endFactor over totalIters epochs. */
export class LinearLR extends LRScheduler {
  startFactor: number;
  endFactor: number;
  totalIters: number;
  constructor(optimizer: Optimizer, { startFactor = 1 / 3, endFactor = 1, totalIters = 5, lastEpoch = -1, verbose = false }:
    { startFactor?: number; endFactor?: number; totalIters?: number; lastEpoch?: number; verbose?: boolean } = {}) {
    if (startFactor > 1 || startFactor < 0) throw new OptimizerError('LinearLR: Starting multiplicative factor expected to be between 0 and 1.');
    if (endFactor > 1 || endFactor < 0) throw new OptimizerError('LinearLR: Ending multiplicative factor expected to be between 0 and 1.');
    super(optimizer, lastEpoch, verbose);
    this.startFactor = startFactor;
    this.endFactor = endFactor;
    this.totalIters = totalIters;
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

interface Phase { endStep: number; startLr: string; endLr: string; startMomentum: string; endMomentum: string }

export interface OneCycleLROptions {
  maxLr: number | number[];
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  pctStart?: number;
  annealStrategy?: 'cos' | 'linear';
  cycleMomentum?: boolean;
  baseMomentum?: number | number[];
  maxMomentum?: number | number[];
  divFactor?: number;
  finalDivFactor?: number;
  threePhase?: boolean;
  lastEpoch?: number;
  verbose?: boolean;
}

/** The 1cycle policy: lr rises from maxLr/divFactor to maxLr, then anneals to initial/finalDivFactor; momentum cycles inversely. */
export class OneCycleLR extends LRScheduler {
  totalSteps: number;
  annealStrategy: 'cos' | 'linear';
  cycleMomentum: boolean;
  useBeta1 = false;
  protected schedulePhases: Phase[];

  constructor(optimizer: Optimizer, opts: OneCycleLROptions) {
    const { maxLr, totalSteps, epochs, stepsPerEpoch, pctStart = 0.3, annealStrategy = 'cos', cycleMomentum = true, baseMomentum = 0.85,
      maxMomentum = 0.95, divFactor = 25, finalDivFactor = 1e4, threePhase = false, lastEpoch = -1, verbose = false } = opts;
    if (!(optimizer instanceof Optimizer)) throw new OptimizerError(`OneCycleLR: ${describe(optimizer)} is not an Optimizer`);
    let total: number;
    if (totalSteps === undefined && epochs === undefined && stepsPerEpoch === undefined) {
      throw new OptimizerError('OneCycleLR: You must define either totalSteps OR (epochs AND stepsPerEpoch)');
    } else if (totalSteps !== undefined) {
      if (!(totalSteps > 0) || !Number.isInteger(totalSteps)) throw new OptimizerError(`OneCycleLR: Expected positive integer totalSteps, but got ${totalSteps}`);
      total = totalSteps;
    } else {
      if (!(epochs! > 0) || !Number.isInteger(epochs)) throw new OptimizerError(`OneCycleLR: Expected positive integer epochs, but got ${epochs}`);
      if (!(stepsPerEpoch! > 0) || !Number.isInteger(stepsPerEpoch)) throw new OptimizerError(`OneCycleLR: Expected positive integer stepsPerEpoch, but got ${stepsPerEpoch}`);
      total = epochs! * stepsPerEpoch!;
    }
    const phases: Phase[] = threePhase ? [
      { endStep: pctStart * total - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' },
      { endStep: 2 * pctStart * total - 2, startLr: 'maxLr', endLr: 'initialLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
      { endStep: total - 1, startLr: 'initialLr', endLr: 'minLr', startMomentum: 'maxMomentum', endMomentum: 'maxMomentum' },
    ] : [
      { endStep: pctStart * total - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' },
      { endStep: total - 1, startLr: 'maxLr', endLr: 'minLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
    ];
    if (pctStart < 0 || pctStart > 1) throw new OptimizerError(`OneCycleLR: Expected float between 0 and 1 pctStart, but got ${pctStart}`);
    if (annealStrategy !== 'cos' && annealStrategy !== 'linear') throw new OptimizerError(`OneCycleLR: annealStrategy must by one of 'cos' or 'linear', instead got ${String(annealStrategy)}`);
    const per = (name: string, v: number | number[]): number[] => {
      if (Array.isArray(v)) {
        if (v.length !== optimizer.paramGroups.length) throw new OptimizerError(`OneCycleLR: expected ${optimizer.paramGroups.length} values for ${name}, got ${v.length}`);
        return v;
      }
      return optimizer.paramGroups.map(() => v);
    };
    const maxLrs = per('maxLr', maxLr);
    if (lastEpoch === -1) {
      optimizer.paramGroups.forEach((g, i) => {
        g.initialLr = maxLrs[i] / divFactor;
        g.maxLr = maxLrs[i];
        g.minLr = (g.initialLr as number) / finalDivFactor;
      });
    }
    let useBeta1 = false;
    if (cycleMomentum) {
      if (!('momentum' in optimizer.defaults) && !('betas' in optimizer.defaults)) {
        throw new OptimizerError('OneCycleLR: optimizer must support momentum with `cycleMomentum` option enabled');
      }
      useBeta1 = 'betas' in optimizer.defaults;
      const maxMs = per('maxMomentum', maxMomentum), baseMs = per('baseMomentum', baseMomentum);
      if (lastEpoch === -1) {
        optimizer.paramGroups.forEach((g, i) => {
          if (useBeta1) g.betas = [maxMs[i], ...(g.betas as number[]).slice(1)];
          else g.momentum = maxMs[i];
          g.maxMomentum = maxMs[i];
          g.baseMomentum = baseMs[i];
        });
      }
    }
    super(optimizer, lastEpoch, verbose);
    this.totalSteps = total;
    this.schedulePhases = phases;
    this.annealStrategy = annealStrategy;
    this.cycleMomentum = cycleMomentum;
    this.useBeta1 = useBeta1;
    this.initialStep();
  }

  private anneal(start: number, end: number, pct: number): number {
    if (this.annealStrategy === 'cos') {
      const cosOut = Math.cos(Math.PI * pct) + 1;
      return end + (start - end) / 2.0 * cosOut;
    }
    return (end - start) * pct + start;
  }

  getLr(): number[] {
    const stepNum = this.lastEpoch;
    if (stepNum > this.totalSteps) {
      throw new OptimizerError(`OneCycleLR: Tried to step ${stepNum + 1} times. The specified number of total steps is ${this.totalSteps}`);
    }
    return this.optimizer.paramGroups.map((g: ParamGroup) => {
      let startStep = 0;
      let lr = 0, momentum = 0;
      for (let i = 0; i < this.schedulePhases.length; i++) {
        const ph = this.schedulePhases[i];
        if (stepNum <= ph.endStep || i === this.schedulePhases.length - 1) {
          const pct = (stepNum - startStep) / (ph.endStep - startStep);
          lr = this.anneal(g[ph.startLr] as number, g[ph.endLr] as number, pct);
          if (this.cycleMomentum) momentum = this.anneal(g[ph.startMomentum] as number, g[ph.endMomentum] as number, pct);
          break;
        }
        startStep = ph.endStep;
      }
      if (this.cycleMomentum) {
        if (this.useBeta1) g.betas = [momentum, ...(g.betas as number[]).slice(1)];
        else g.momentum = momentum;
      }
      return lr;
    });
  }

  protected override stateKeys(): Record<string, string> {
    return { total_steps: 'totalSteps', _schedule_phases: 'schedulePhases', cycle_momentum: 'cycleMomentum', use_beta1: 'useBeta1', ...super.stateKeys() };
  }
  protected override saveValue(key: string, v: Json): Json {
    if (key !== '_schedule_phases') return super.saveValue(key, v);
    const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    return this.schedulePhases.map((p) => ({ end_step: p.endStep, start_lr: snake(p.startLr), end_lr: snake(p.endLr), start_momentum: snake(p.startMomentum), end_momentum: snake(p.endMomentum) }));
  }
  protected override loadValue(key: string, v: Json): Json {
    if (key !== '_schedule_phases') return v;
    const camel = (k: string) => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    return (v as Record<string, Json>[]).map((p) => ({
      endStep: Number(p.end_step), startLr: camel(String(p.start_lr)), endLr: camel(String(p.end_lr)),
      startMomentum: camel(String(p.start_momentum)), endMomentum: camel(String(p.end_momentum)),
    }));
  }
  override stateDict(): SchedulerStateDict { return { ...super.stateDict(), anneal_strategy: this.annealStrategy }; }
  override loadStateDict(input: SchedulerStateDict | Map<string, unknown>): void {
    const sd = plain(input) as SchedulerStateDict;
    super.loadStateDict(sd);
    if (sd.anneal_strategy === 'cos' || sd.anneal_strategy === 'linear') this.annealStrategy = sd.anneal_strategy;
  }
}

/** Run schedulers one after another: schedulers[i] drives epochs in [milestones[i-1], milestones[i]). */
export class SequentialLR {
  readonly optimizer: Optimizer;
  schedulers: LRScheduler[];
  milestones: number[];
  lastEpoch: number;
  protected lastLr: number[];

  constructor(optimizer: Optimizer, { schedulers, milestones, lastEpoch = -1 }: { schedulers: LRScheduler[]; milestones: number[]; lastEpoch?: number; verbose?: boolean }) {
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

export interface ReduceLROnPlateauOptions {
  mode?: 'min' | 'max';
  factor?: number;
  patience?: number;
  threshold?: number;
  thresholdMode?: 'rel' | 'abs';
  cooldown?: number;
  minLr?: number | number[];
  eps?: number;
  verbose?: boolean;
}

/** Reduce the lr by `factor` when a metric has stopped improving for `patience` epochs. */
export class ReduceLROnPlateau {
  readonly optimizer: Optimizer;
  factor: number;
  minLrs: number[];
  patience: number;
  verbose: boolean;
  cooldown: number;
  cooldownCounter = 0;
  mode: 'min' | 'max';
  threshold: number;
  thresholdMode: 'rel' | 'abs';
  best = Infinity;
  numBadEpochs = 0;
  modeWorse = Infinity;
  eps: number;
  lastEpoch = 0;
  protected lastLr: number[];

  constructor(optimizer: Optimizer, opts: ReduceLROnPlateauOptions = {}) {
    const { mode = 'min', factor = 0.1, patience = 10, threshold = 1e-4, thresholdMode = 'rel', cooldown = 0, minLr = 0, eps = 1e-8, verbose = false } = opts;
    if (factor >= 1.0) throw new OptimizerError('ReduceLROnPlateau: Factor should be < 1.0.');
    this.factor = factor;
    if (!(optimizer instanceof Optimizer)) throw new OptimizerError(`ReduceLROnPlateau: ${describe(optimizer)} is not an Optimizer`);
    this.optimizer = optimizer;
    if (Array.isArray(minLr)) {
      if (minLr.length !== optimizer.paramGroups.length) throw new OptimizerError(`ReduceLROnPlateau: expected ${optimizer.paramGroups.length} min_lrs, got ${minLr.length}`);
      this.minLrs = [...minLr];
    } else {
      this.minLrs = optimizer.paramGroups.map(() => minLr);
    }
    this.patience = patience;
    this.verbose = verbose;
    this.cooldown = cooldown;
    this.mode = mode;
    this.threshold = threshold;
    this.thresholdMode = thresholdMode;
    this.eps = eps;
    this.initIsBetter();
    this.reset();
    this.lastLr = groupLrs(optimizer);
  }

  private reset(): void { this.best = this.modeWorse; this.cooldownCounter = 0; this.numBadEpochs = 0; }

  private initIsBetter(): void {
    if (this.mode !== 'min' && this.mode !== 'max') throw new OptimizerError(`ReduceLROnPlateau: mode ${String(this.mode)} is unknown! Use 'min' or 'max'`);
    if (this.thresholdMode !== 'rel' && this.thresholdMode !== 'abs') throw new OptimizerError(`ReduceLROnPlateau: threshold mode ${String(this.thresholdMode)} is unknown! Use 'rel' or 'abs'`);
    this.modeWorse = this.mode === 'min' ? Infinity : -Infinity;
  }

  get inCooldown(): boolean { return this.cooldownCounter > 0; }

  isBetter(a: number, best: number): boolean {
    if (this.mode === 'min' && this.thresholdMode === 'rel') return a < best * (1 - this.threshold);
    if (this.mode === 'min' && this.thresholdMode === 'abs') return a < best - this.threshold;
    if (this.mode === 'max' && this.thresholdMode === 'rel') return a > best * (this.threshold + 1);
    return a > best + this.threshold;
  }

  /** Report the epoch's metric (a number or a one-element tensor). */
  step(metrics: number | Tensor, epoch?: number): void {
    const current = typeof metrics === 'number' ? metrics : metrics.item();
    this.lastEpoch = epoch ?? this.lastEpoch + 1;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.inCooldown) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this.reduceLr(this.lastEpoch);
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = groupLrs(this.optimizer);
  }

  private reduceLr(epoch: number): void {
    this.optimizer.paramGroups.forEach((g, i) => {
      const oldLr = g.lr;
      const newLr = Math.max(oldLr * this.factor, this.minLrs[i]);
      if (oldLr - newLr > this.eps) {
        g.lr = newLr;
        if (this.verbose) console.log(`Epoch ${String(epoch).padStart(5, '0')}: reducing learning rate of group ${i} to ${newLr.toExponential(4)}.`);
      }
    });
  }

  getLastLr(): number[] { return [...this.lastLr]; }

  private static readonly KEYS: Record<string, string> = {
    factor: 'factor', min_lrs: 'minLrs', patience: 'patience', verbose: 'verbose', cooldown: 'cooldown', cooldown_counter: 'cooldownCounter',
    mode: 'mode', threshold: 'threshold', threshold_mode: 'thresholdMode', best: 'best', num_bad_epochs: 'numBadEpochs',
    mode_worse: 'modeWorse', eps: 'eps', last_epoch: 'lastEpoch', _last_lr: 'lastLr',
  };

  stateDict(): SchedulerStateDict {
    const self = this as unknown as Record<string, Json>;
    return Object.fromEntries(Object.entries(ReduceLROnPlateau.KEYS).map(([py, prop]) => [py, copy(self[prop])]));
  }

  loadStateDict(input: SchedulerStateDict | Map<string, unknown>): void {
    const sd = plain(input) as SchedulerStateDict;
    const self = this as unknown as Record<string, Json>;
    for (const [py, prop] of Object.entries(ReduceLROnPlateau.KEYS)) if (py in sd) self[prop] = copy(sd[py]);
    this.initIsBetter();
  }
}
