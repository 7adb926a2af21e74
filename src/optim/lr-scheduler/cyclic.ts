/**
 * @file Cyclical schedules: OneCycleLR (the 1cycle policy) and CyclicLR (triangular, triangular2, exp_range or a
 * custom scale function), both cycling momentum (or Adam's beta1) inversely to the learning rate, as PyTorch's.
 */
import { checkBoolean, checkChoice, checkFunction, checkNumber } from '../../core/args.js';
import { OptimizerError, type Optimizer, type ParamGroup } from '../optimizer.js';
import {
  LRScheduler, checkOptimizer, perGroup, plain, schedulerOptions, need, type BaseSchedulerOptions, type Json, type SchedulerStateDict,
} from './base.js';

interface Phase { endStep: number; startLr: string; endLr: string; startMomentum: string; endMomentum: string }

export interface OneCycleLROptions extends BaseSchedulerOptions {
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
}

/** The 1cycle policy: lr rises from maxLr/divFactor to maxLr, then anneals to initial/finalDivFactor; momentum cycles inversely. */
export class OneCycleLR extends LRScheduler {
  totalSteps: number;
  annealStrategy: 'cos' | 'linear';
  cycleMomentum: boolean;
  useBeta1 = false;
  protected schedulePhases: Phase[];

  constructor(optimizer: Optimizer, opts: OneCycleLROptions) {
    const fn = 'OneCycleLR';
    const o = schedulerOptions<OneCycleLROptions>(fn, opts, ['maxLr', 'totalSteps', 'epochs', 'stepsPerEpoch', 'pctStart', 'annealStrategy',
      'cycleMomentum', 'baseMomentum', 'maxMomentum', 'divFactor', 'finalDivFactor', 'threePhase']);
    const { maxLr, totalSteps, epochs, stepsPerEpoch, baseMomentum = 0.85, maxMomentum = 0.95, lastEpoch, verbose } = o;
    const annealStrategy = o.annealStrategy ?? 'cos';
    const pctStart = o.pctStart === undefined ? 0.3 : checkNumber(fn, 'pctStart', o.pctStart);
    const cycleMomentum = o.cycleMomentum === undefined ? true : checkBoolean(fn, 'cycleMomentum', o.cycleMomentum);
    const divFactor = o.divFactor === undefined ? 25 : checkNumber(fn, 'divFactor', o.divFactor, { gt: 0 });
    const finalDivFactor = o.finalDivFactor === undefined ? 1e4 : checkNumber(fn, 'finalDivFactor', o.finalDivFactor, { gt: 0 });
    const threePhase = o.threePhase === undefined ? false : checkBoolean(fn, 'threePhase', o.threePhase);
    checkOptimizer(fn, optimizer);
    if (maxLr === undefined) throw new OptimizerError(`${fn}: option 'maxLr' is required`);
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
    const per = (name: string, v: number | number[]): number[] => perGroup(fn, name, optimizer, v);
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
  /** PyTorch 2.x saves the strategy as `_anneal_func_type` (1.13 pickles the function itself as `anneal_func`). */
  override stateDict(): SchedulerStateDict { return { ...super.stateDict(), _anneal_func_type: this.annealStrategy }; }
  override loadStateDict(input: SchedulerStateDict | Map<string, unknown>): void {
    const sd = plain(input) as SchedulerStateDict;
    super.loadStateDict(sd);
    const strategy = sd._anneal_func_type ?? sd.anneal_strategy;
    if (strategy === 'cos' || strategy === 'linear') this.annealStrategy = strategy;
  }
}

export type CyclicMode = 'triangular' | 'triangular2' | 'exp_range';

export interface CyclicLROptions extends BaseSchedulerOptions {
  baseLr: number | number[];
  maxLr: number | number[];
  stepSizeUp?: number;
  stepSizeDown?: number | null;
  mode?: CyclicMode;
  gamma?: number;
  scaleFn?: ((x: number) => number) | null;
  scaleMode?: 'cycle' | 'iterations';
  cycleMomentum?: boolean;
  baseMomentum?: number | number[];
  maxMomentum?: number | number[];
}

/**
 * Cyclical learning rate (Smith 2017): the lr goes from baseLr to maxLr over stepSizeUp iterations and back over
 * stepSizeDown, the amplitude scaled per cycle (triangular2: halved; exp_range: gamma**iteration) or by scaleFn.
 * step() after every batch. Momentum (or Adam's beta1) cycles between maxMomentum and baseMomentum.
 */
export class CyclicLR extends LRScheduler {
  maxLrs: number[];
  totalSize: number;
  stepRatio: number;
  mode: CyclicMode;
  gamma: number;
  scaleMode: 'cycle' | 'iterations';
  cycleMomentum: boolean;
  useBeta1 = false;
  baseMomentums: number[] = [];
  maxMomentums: number[] = [];
  private readonly scaleFnCustom: ((x: number) => number) | null;

  constructor(optimizer: Optimizer, opts: CyclicLROptions) {
    const fn = 'CyclicLR';
    const o = schedulerOptions<CyclicLROptions>(fn, opts, ['baseLr', 'maxLr', 'stepSizeUp', 'stepSizeDown', 'mode', 'gamma', 'scaleFn', 'scaleMode',
      'cycleMomentum', 'baseMomentum', 'maxMomentum']);
    checkOptimizer(fn, optimizer);
    if (o.baseLr === undefined) throw new OptimizerError(`${fn}: option 'baseLr' is required`);
    if (o.maxLr === undefined) throw new OptimizerError(`${fn}: option 'maxLr' is required`);
    const baseLrs = perGroup(fn, 'baseLr', optimizer, o.baseLr);
    if (o.lastEpoch === -1) optimizer.paramGroups.forEach((g, i) => { g.lr = baseLrs[i]; });
    const maxLrs = perGroup(fn, 'maxLr', optimizer, o.maxLr);
    const up = o.stepSizeUp === undefined ? 2000 : need(fn, 'stepSizeUp', o.stepSizeUp, { gt: 0 });
    const down = o.stepSizeDown === undefined || o.stepSizeDown === null ? up : need(fn, 'stepSizeDown', o.stepSizeDown, { min: 0 });
    const scaleFn = o.scaleFn === undefined || o.scaleFn === null ? null : checkFunction<(x: number) => number>(fn, 'scaleFn', o.scaleFn);
    const mode = scaleFn ? (o.mode ?? 'triangular') : checkChoice(fn, 'mode', o.mode ?? 'triangular', ['triangular', 'triangular2', 'exp_range'] as const);
    const cycleMomentum = o.cycleMomentum === undefined ? true : checkBoolean(fn, 'cycleMomentum', o.cycleMomentum);
    let useBeta1 = false, baseMs: number[] = [], maxMs: number[] = [];
    if (cycleMomentum) {
      if (!('momentum' in optimizer.defaults) && !('betas' in optimizer.defaults)) {
        throw new OptimizerError(`${fn}: optimizer must support momentum or beta1 with \`cycleMomentum\` option enabled (or pass cycleMomentum: false)`);
      }
      useBeta1 = 'betas' in optimizer.defaults;
      baseMs = perGroup(fn, 'baseMomentum', optimizer, o.baseMomentum ?? 0.8);
      maxMs = perGroup(fn, 'maxMomentum', optimizer, o.maxMomentum ?? 0.9);
      if (o.lastEpoch === -1) {
        optimizer.paramGroups.forEach((g, i) => {
          if (useBeta1) g.betas = [maxMs[i], ...(g.betas as number[]).slice(1)];
          else g.momentum = maxMs[i];
          g.maxMomentum = maxMs[i];
          g.baseMomentum = baseMs[i];
        });
      }
    }
    super(optimizer, o.lastEpoch, o.verbose);
    this.baseLrs = baseLrs;
    this.maxLrs = maxLrs;
    this.totalSize = up + down;
    this.stepRatio = up / this.totalSize;
    this.mode = mode;
    this.gamma = o.gamma === undefined ? 1 : checkNumber(fn, 'gamma', o.gamma);
    this.scaleFnCustom = scaleFn;
    this.scaleMode = scaleFn ? checkChoice(fn, 'scaleMode', o.scaleMode ?? 'cycle', ['cycle', 'iterations'] as const) : mode === 'exp_range' ? 'iterations' : 'cycle';
    this.cycleMomentum = cycleMomentum;
    this.useBeta1 = useBeta1;
    this.baseMomentums = baseMs;
    this.maxMomentums = maxMs;
    this.initialStep();
  }

  scaleFn(x: number): number {
    if (this.scaleFnCustom) return this.scaleFnCustom(x);
    if (this.mode === 'triangular') return 1.0;
    if (this.mode === 'triangular2') return 1 / (2.0 ** (x - 1));
    return this.gamma ** x;
  }

  getLr(): number[] {
    const cycle = Math.floor(1 + this.lastEpoch / this.totalSize);
    const x = 1.0 + this.lastEpoch / this.totalSize - cycle;
    const scaleFactor = x <= this.stepRatio ? x / this.stepRatio : (x - 1) / (this.stepRatio - 1);
    const s = this.scaleFn(this.scaleMode === 'cycle' ? cycle : this.lastEpoch);
    const lrs = this.baseLrs.map((b, i) => b + (this.maxLrs[i] - b) * scaleFactor * s);
    if (this.cycleMomentum) {
      this.optimizer.paramGroups.forEach((g: ParamGroup, i) => {
        const m = this.maxMomentums[i] - (this.maxMomentums[i] - this.baseMomentums[i]) * scaleFactor * s;
        if (this.useBeta1) g.betas = [m, ...(g.betas as number[]).slice(1)];
        else g.momentum = m;
      });
    }
    return lrs;
  }

  protected override stateKeys(): Record<string, string> {
    return {
      max_lrs: 'maxLrs', total_size: 'totalSize', step_ratio: 'stepRatio', mode: 'mode', gamma: 'gamma', scale_mode: 'scaleMode',
      cycle_momentum: 'cycleMomentum', base_momentums: 'baseMomentums', max_momentums: 'maxMomentums', use_beta1: 'useBeta1', ...super.stateKeys(),
    };
  }
  /** A custom scaleFn is not saved (PyTorch saves None for plain functions); PyTorch 1.13's `_scale_fn_ref` weakref is ignored. */
  override stateDict(): SchedulerStateDict { return { ...super.stateDict(), _scale_fn_custom: null }; }
}
