/**
 * @file nn.init's records and report: which scheme last initialised each tensor (`initRecord`, kept by tensor and
 * by storage view, so the tensor an nn.Parameter wraps shares it) and `report(model)`, which compares the std each
 * scheme aims for with the std measured. The initialisers (init.ts) call `record`.
 */
import { noGrad } from '../autograd/grad-mode.js';
import { checkOptions } from '../core/args.js';
import { fmt, shapesEqual } from '../core/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';
import { originalRoles } from './utils/parametrize.js';

/** [fan_in, fan_out] of a weight shape [out, in, ...receptive field] (PyTorch's _calculate_fan_in_and_fan_out). */
export function fanPair(shape: readonly number[]): [number, number] {
  let receptive = 1;
  for (let i = 2; i < shape.length; i++) receptive *= shape[i];
  return [shape[1] * receptive, shape[0] * receptive];
}

/** What the last nn.init call on a tensor did: `report()` reads it. */
export interface InitRecord {
  /** The init function, in PyTorch's spelling ('kaiming_uniform_', 'xavier_normal_', ...). */
  scheme: string;
  /** The standard deviation the scheme aims for (of the distribution, or of the exact pattern for eye_/dirac_). */
  targetStd: number;
  /** Fans from calculateFanInAndFanOut, or null for tensors with fewer than 2 dims. */
  fanIn: number | null;
  fanOut: number | null;
  /** The arguments that determined targetStd, for display. */
  args: Record<string, number | string>;
}

// ---------------------------------------------------------------------------------------------------------
// records

interface StorageEntry { offset: number; shape: readonly number[]; rec: InitRecord }
const byTensor = new WeakMap<Tensor, InitRecord>();
// nn.Parameter(t) is a new Tensor object on t's storage: look records up by storage too.
const byStorage = new WeakMap<object, StorageEntry[]>();

export function record(t: Tensor, scheme: string, targetStd: number, args: Record<string, number | string> = {}): void {
  const fans = t.ndim >= 2 ? fanPair(t.shape) : null;
  const rec: InitRecord = { scheme, targetStd, fanIn: fans ? fans[0] : null, fanOut: fans ? fans[1] : null, args };
  byTensor.set(t, rec);
  const list = (byStorage.get(t.storage) ?? []).filter((e) => !(e.offset === t.offset && shapesEqual(e.shape, t.shape)));
  list.push({ offset: t.offset, shape: [...t.shape], rec });
  byStorage.set(t.storage, list);
}

/**
 * The record of the last nn.init function applied to `t` (or to a tensor sharing its storage, offset and shape,
 * such as the tensor an nn.Parameter wraps), or undefined.
 */
export function initRecord(t: Tensor): InitRecord | undefined {
  const direct = byTensor.get(t);
  if (direct) return direct;
  const e = byStorage.get(t.storage)?.find((x) => x.offset === t.offset && shapesEqual(x.shape, t.shape));
  return e?.rec;
}

// ---------------------------------------------------------------------------------------------------------
// report

/** Anything with PyTorch's `named_parameters()`: nn.Module, or a hand-made list. */
export interface HasNamedParameters {
  namedParameters(): Iterable<readonly [string, Tensor]>;
}

export interface InitReportRow {
  name: string;
  shape: number[];
  numel: number;
  fanIn: number | null;
  fanOut: number | null;
  /** The recorded scheme, or null when no nn.init function initialised this tensor. */
  scheme: string | null;
  targetStd: number | null;
  measuredStd: number;
  /** measuredStd / targetStd (null without a record or for a target of 0). */
  ratio: number | null;
  /** True when measured and target std differ by more than the tolerance (on a tensor large enough to tell). */
  flagged: boolean;
  note: string;
}

export interface ReportOptions {
  /** Relative difference |measured - target| / target that flags a row (default 0.2). */
  tolerance?: number;
  /**
   * Tensors with fewer elements are not flagged for a std difference (their sample std is too noisy: with 100
   * elements its relative standard error is ~7 %); the row gets a note instead. Default 100.
   */
  minNumel?: number;
}

function measuredStd(t: Tensor): number {
  if (t.numel() < 2) return 0;
  return noGrad(() => t.detach().double().std().item());
}

function fmtNum(v: number | null): string {
  if (v === null) return '-';
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e-3 && a < 1e4 ? v.toPrecision(4) : v.toExponential(3);
}

/** The result of report(): `rows` for code, `toString()` for people. */
export class InitReport {
  constructor(readonly rows: InitReportRow[], readonly tolerance: number) {}

  get flagged(): InitReportRow[] { return this.rows.filter((r) => r.flagged); }

  toString(): string {
    const head = ['parameter', 'shape', 'fan_in', 'fan_out', 'scheme', 'target std', 'measured std', 'ratio', 'note'];
    const body = this.rows.map((r) => [
      r.name, fmt(r.shape), r.fanIn === null ? '-' : String(r.fanIn), r.fanOut === null ? '-' : String(r.fanOut),
      r.scheme ?? '(unrecorded)', fmtNum(r.targetStd), fmtNum(r.measuredStd), r.ratio === null ? '-' : r.ratio.toFixed(3),
      r.flagged ? `!! ${r.note}` : r.note,
    ]);
    const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
    const right = new Set([2, 3, 5, 6, 7]);
    const line = (cells: string[]) => cells.map((c, i) => (right.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
    const n = this.flagged.length;
    return [
      line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line),
      n === 0 ? `all ${this.rows.length} parameters within ${Math.round(this.tolerance * 100)}% of their scheme's std (or unrecorded)`
        : `${n} of ${this.rows.length} parameters differ from their scheme's std by more than ${Math.round(this.tolerance * 100)}%`,
    ].join('\n');
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string { return this.toString(); }
}

/**
 * Per parameter of `model`: shape, fans, the scheme that last initialised it (via nn.init), the std that scheme
 * aims for and the std measured now, flagging differences above `tolerance` (an init overridden by mistake, a
 * copy from the wrong tensor, a scale applied twice).
 */
export function report(model: HasNamedParameters, options: ReportOptions = {}): InitReport {
  const opts = checkOptions<ReportOptions>('nn.init.report', options, ['tolerance', 'minNumel']);
  if (!model || typeof model.namedParameters !== 'function') {
    throw new TypeError('nn.init.report: expected a module (an object with namedParameters()), e.g. nn.init.report(model)');
  }
  const tolerance = opts.tolerance ?? 0.2;
  const minNumel = opts.minNumel ?? 100;
  const rows: InitReportRow[] = [];
  const roles = model instanceof Module ? originalRoles(model) : new Map<string, { role: string; setByRightInverse: boolean }>(); // parametrizations' originals
  for (const [name, p] of model.namedParameters()) {
    const role = roles.get(name);
    const rec = role?.setByRightInverse ? undefined : initRecord(p); // a rightInverse rewrote it: the record is stale
    const fans = p.ndim >= 2 ? fanPair(p.shape) : null;
    const measured = measuredStd(p);
    let ratio: number | null = null;
    let flagged = false;
    let note = '';
    if (!rec) {
      note = role?.setByRightInverse ? 'set by its parametrization\'s rightInverse' : 'not initialised by nn.init';
    } else if (rec.targetStd === 0) {
      flagged = measured > 0;
      note = flagged ? 'expected a constant tensor' : '';
    } else {
      ratio = measured / rec.targetStd;
      const off = Math.abs(ratio - 1) > tolerance;
      if (off && p.numel() >= minNumel) { flagged = true; note = `std off by ${Math.round(Math.abs(ratio - 1) * 100)}%`; }
      else if (off) note = `small sample (${p.numel()} elements)`;
    }
    if (role) note = note ? `${note}; ${role.role}` : role.role;
    rows.push({
      name, shape: [...p.shape], numel: p.numel(), fanIn: fans ? fans[0] : null, fanOut: fans ? fans[1] : null,
      scheme: rec ? rec.scheme : null, targetStd: rec ? rec.targetStd : null, measuredStd: measured, ratio, flagged, note,
    });
  }
  return new InitReport(rows, tolerance);
}
