/**
 * @file The base of torch.optim.lr_scheduler's epoch-driven schedulers (PyTorch's LRScheduler) and the helpers
 * every scheduler family shares: options checking (unknown key -> did-you-mean), state-dict value conversion,
 * bisect. Arithmetic is float64 in PyTorch's order.
 */
import { checkBoolean, checkNumber, checkOptions, describeType, type NumberRule } from '../../core/args.js';
import { Optimizer, OptimizerError } from '../optimizer.js';

export type Json = unknown;
export type SchedulerStateDict = Record<string, Json>;

/** What torch.load gives (dicts as Maps, possibly nested) -> plain objects, so a loaded file's state loads as is. */
export function plain(v: Json): Json {
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), plain(x)]));
  if (Array.isArray(v)) return v.map(plain);
  return v;
}

export function copy(v: Json): Json {
  if (Array.isArray(v)) return v.map(copy);
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [k, copy(x)]));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copy(x)]));
  return v;
}

export function bisectRight(a: readonly number[], x: number): number {
  let lo = 0, hi = a.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (x < a[mid]) hi = mid; else lo = mid + 1; }
  return lo;
}

export function pyMod(a: number, b: number): number { return ((a % b) + b) % b; }

export const groupLrs = (o: Optimizer): number[] => o.paramGroups.map((g) => g.lr);

/** The options every epoch-driven scheduler takes. */
export interface BaseSchedulerOptions { lastEpoch?: number; verbose?: boolean }
const BASE_KEYS = ['lastEpoch', 'verbose'] as const;

/**
 * Checks a scheduler's options object (unknown key -> did-you-mean; undefined means "not given") and returns it
 * with `lastEpoch`/`verbose` checked. `keys` are the scheduler's own option names.
 */
export function schedulerOptions<T extends object>(fn: string, opts: unknown, keys: readonly string[]): Partial<T> & { lastEpoch: number; verbose: boolean } {
  const o = checkOptions<T & BaseSchedulerOptions>(fn, opts, [...keys, ...BASE_KEYS]) as Partial<T> & BaseSchedulerOptions;
  const lastEpoch = o.lastEpoch === undefined ? -1 : checkNumber(fn, 'lastEpoch', o.lastEpoch, { integer: true, min: -1 });
  const verbose = o.verbose === undefined ? false : checkBoolean(fn, 'verbose', o.verbose);
  return { ...o, lastEpoch, verbose };
}

/** A required number option. */
export function need(fn: string, name: string, v: unknown, rule: NumberRule = {}): number {
  if (v === undefined) throw new OptimizerError(`${fn}: option '${name}' is required`);
  return checkNumber(fn, name, v, rule);
}

/** A number or one number per param group (PyTorch's _format_param). */
export function perGroup(fn: string, name: string, optimizer: Optimizer, v: unknown, rule: NumberRule = {}): number[] {
  const n = optimizer.paramGroups.length;
  if (Array.isArray(v)) {
    if (v.length !== n) throw new OptimizerError(`${fn}: expected ${n} values for ${name} (one per param group), got ${v.length}`);
    return v.map((x, i) => checkNumber(fn, `${name}[${i}]`, x, rule));
  }
  const x = checkNumber(fn, name, v, rule);
  return optimizer.paramGroups.map(() => x);
}

export function checkOptimizer(fn: string, optimizer: unknown): Optimizer {
  if (!(optimizer instanceof Optimizer)) throw new OptimizerError(`${fn}: ${describeType(optimizer)} is not an Optimizer; pass the optimizer whose learning rate it drives`);
  return optimizer;
}

export function printLr(group: number, lr: number, epoch?: number): void {
  const e = epoch === undefined ? '' : `Epoch ${Number.isInteger(epoch) ? String(epoch).padStart(5, '0') : epoch.toFixed(2)}: a`;
  console.log(`${e || 'A'}djusting learning rate of group ${group} to ${lr.toExponential(4)}.`);
}

/** The base of epoch-driven schedulers (PyTorch's LRScheduler). Subclasses set their fields, then call initialStep(). */
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
    this.optimizer = checkOptimizer(new.target.name, optimizer);
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

  protected warnOrder(): void {
    if (this.stepCount === 1 && this.optimizer.stepCount < 1) {
      (globalThis as { process?: { emitWarning?(m: string): void } }).process?.emitWarning?.('Detected call of `lr_scheduler.step()` before `optimizer.step()`. Call optimizer.step() before lrScheduler.step(); ' +
        'otherwise the first value of the learning rate schedule is skipped.');
    }
  }

  step(epoch?: number): void {
    this.warnOrder();
    this.stepCount++;
    const values = this.withinStep(() => {
      if (epoch === undefined) {
        this.lastEpoch++;
        return this.getLr();
      }
      this.lastEpoch = checkNumber(`${this.constructor.name}.step`, 'epoch', epoch, { min: 0 });
      return this.closedFormLr ? this.closedFormLr() : this.getLr();
    });
    this.setLrs(values, epoch);
  }

  protected withinStep<T>(fn: () => T): T {
    this.getLrCalledWithinStep = true;
    try { return fn(); } finally { this.getLrCalledWithinStep = false; }
  }

  protected setLrs(values: number[], epoch?: number): void {
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
