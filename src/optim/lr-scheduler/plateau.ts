/**
 * @file ReduceLROnPlateau: reduce the learning rate when a metric stops improving (torch.optim.lr_scheduler), with
 * PyTorch's state-dict keys.
 */
import { checkChoice, checkOptions, optBoolean, optNumber } from '../../core/args.js';
import type { Tensor } from '../../tensor/tensor.js';
import { OptimizerError, type Optimizer } from '../optimizer.js';
import { checkOptimizer, copy, groupLrs, perGroup, plain, type Json, type SchedulerStateDict } from './base.js';

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
  /** The single minLr given (PyTorch 2.x's default_min_lr), used for param groups added later; null when given per group. */
  defaultMinLr: number | null;
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
    const fn = 'ReduceLROnPlateau';
    const o = checkOptions<ReduceLROnPlateauOptions>(fn, opts, ['mode', 'factor', 'patience', 'threshold', 'thresholdMode', 'cooldown', 'minLr', 'eps', 'verbose']);
    const mode = checkChoice(fn, 'mode', o.mode ?? 'min', ['min', 'max'] as const);
    const thresholdMode = checkChoice(fn, 'thresholdMode', o.thresholdMode ?? 'rel', ['rel', 'abs'] as const);
    const factor = optNumber(fn, 'factor', o.factor, 0.1);
    const patience = optNumber(fn, 'patience', o.patience, 10, { integer: true, min: 0 });
    const threshold = optNumber(fn, 'threshold', o.threshold, 1e-4);
    const cooldown = optNumber(fn, 'cooldown', o.cooldown, 0, { integer: true, min: 0 });
    const eps = optNumber(fn, 'eps', o.eps, 1e-8);
    const verbose = optBoolean(fn, 'verbose', o.verbose, false);
    if (factor >= 1.0) throw new OptimizerError('ReduceLROnPlateau: Factor should be < 1.0.');
    this.factor = factor;
    this.optimizer = checkOptimizer(fn, optimizer);
    this.minLrs = perGroup(fn, 'minLr', optimizer, o.minLr ?? 0, { min: 0 });
    this.defaultMinLr = Array.isArray(o.minLr) ? null : (o.minLr ?? 0);
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
    if (this.optimizer.paramGroups.length !== this.minLrs.length) {
      if (this.defaultMinLr === null) {
        throw new OptimizerError(`ReduceLROnPlateau: the number of param groups (${this.optimizer.paramGroups.length}) no longer matches the ${this.minLrs.length} minLr values given; pass a single minLr, or one per param group after adding groups`);
      }
      this.minLrs = this.optimizer.paramGroups.map(() => this.defaultMinLr as number);
    }
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
    factor: 'factor', min_lrs: 'minLrs', default_min_lr: 'defaultMinLr', patience: 'patience', verbose: 'verbose', cooldown: 'cooldown', cooldown_counter: 'cooldownCounter',
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
