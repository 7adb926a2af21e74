/**
 * @file Cosine schedules: CosineAnnealingLR (PyTorch's recursive get_lr, so values match PyTorch's chained
 * behaviour) and CosineAnnealingWarmRestarts (SGDR: restarts every T_i epochs, T_i growing by T_mult, fractional
 * epochs allowed in step(epoch)).
 */
import { checkNumber } from '../../core/args.js';
import { OptimizerError, type Optimizer } from '../optimizer.js';
import { LRScheduler, groupLrs, need, pyMod, schedulerOptions, type BaseSchedulerOptions } from './base.js';

export interface CosineAnnealingLROptions extends BaseSchedulerOptions { tMax: number; etaMin?: number }

/** Cosine annealing from the initial lr to etaMin over tMax epochs, in PyTorch's recursive form. */
export class CosineAnnealingLR extends LRScheduler {
  tMax: number;
  etaMin: number;
  constructor(optimizer: Optimizer, opts: CosineAnnealingLROptions) {
    const o = schedulerOptions<CosineAnnealingLROptions>('CosineAnnealingLR', opts, ['tMax', 'etaMin']);
    super(optimizer, o.lastEpoch, o.verbose);
    this.tMax = need('CosineAnnealingLR', 'tMax', o.tMax, { gt: 0 });
    this.etaMin = o.etaMin === undefined ? 0 : checkNumber('CosineAnnealingLR', 'etaMin', o.etaMin);
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

export interface CosineAnnealingWarmRestartsOptions extends BaseSchedulerOptions { t0: number; tMult?: number; etaMin?: number }

/**
 * SGDR: lr = etaMin + (base_lr - etaMin) * (1 + cos(pi * T_cur / T_i)) / 2, where T_cur counts epochs since the last
 * restart and T_i (the cycle length) starts at t0 and is multiplied by tMult at each restart. step() may be given a
 * fractional epoch (`sched.step(epoch + i / iters)`), as in PyTorch.
 */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  t0: number;
  tI: number;
  tMult: number;
  etaMin: number;
  tCur: number;
  constructor(optimizer: Optimizer, opts: CosineAnnealingWarmRestartsOptions) {
    const fn = 'CosineAnnealingWarmRestarts';
    const o = schedulerOptions<CosineAnnealingWarmRestartsOptions>(fn, opts, ['t0', 'tMult', 'etaMin']);
    const t0 = o.t0;
    if (typeof t0 !== 'number' || !Number.isInteger(t0) || t0 <= 0) throw new OptimizerError(`${fn}: Expected positive integer t0 (PyTorch's T_0), but got ${String(t0)}`);
    const tMult = o.tMult ?? 1;
    if (typeof tMult !== 'number' || !Number.isInteger(tMult) || tMult < 1) throw new OptimizerError(`${fn}: Expected integer tMult >= 1 (PyTorch's T_mult), but got ${String(tMult)}`);
    super(optimizer, o.lastEpoch, o.verbose);
    this.t0 = t0;
    this.tI = t0;
    this.tMult = tMult;
    this.etaMin = o.etaMin === undefined ? 0 : checkNumber(fn, 'etaMin', o.etaMin);
    this.tCur = o.lastEpoch;
    this.initialStep();
  }
  getLr(): number[] {
    return this.baseLrs.map((b) => this.etaMin + (b - this.etaMin) * (1 + Math.cos(Math.PI * this.tCur / this.tI)) / 2);
  }
  /** One epoch (or batch) forward, or jump to `epoch` (fractional allowed). PyTorch's step does not count `_step_count`. */
  override step(epoch?: number): void {
    if (epoch === undefined && this.lastEpoch < 0) epoch = 0;
    if (epoch === undefined) {
      epoch = this.lastEpoch + 1;
      this.tCur = this.tCur + 1;
      if (this.tCur >= this.tI) {
        this.tCur = this.tCur - this.tI;
        this.tI = this.tI * this.tMult;
      }
    } else {
      checkNumber('CosineAnnealingWarmRestarts.step', 'epoch', epoch);
      if (epoch < 0) throw new OptimizerError(`CosineAnnealingWarmRestarts.step: Expected non-negative epoch, but got ${epoch}`);
      if (epoch >= this.t0) {
        if (this.tMult === 1) {
          this.tCur = pyMod(epoch, this.t0);
        } else {
          const n = Math.trunc(Math.log(epoch / this.t0 * (this.tMult - 1) + 1) / Math.log(this.tMult));
          this.tCur = epoch - this.t0 * (this.tMult ** n - 1) / (this.tMult - 1);
          this.tI = this.t0 * this.tMult ** n;
        }
      } else {
        this.tI = this.t0;
        this.tCur = epoch;
      }
    }
    this.lastEpoch = Math.floor(epoch);
    const values = this.withinStep(() => this.getLr());
    this.setLrs(values, epoch);
  }
  protected override stateKeys(): Record<string, string> {
    return { T_0: 't0', T_i: 'tI', T_mult: 'tMult', eta_min: 'etaMin', T_cur: 'tCur', ...super.stateKeys() };
  }
}
