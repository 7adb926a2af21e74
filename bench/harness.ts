/**
 * @file Shared benchmark helpers: timing with warm-up and medians, machine description, table printing.
 * A bench suite is a module exporting `run(ctx): Promise<SuiteResult>`; bench/run.ts lists the suites, so a
 * training-step suite (MLP, CNN) is one more file plus one line there.
 */
import os from 'node:os';
import { readFileSync } from 'node:fs';

export interface Measurement {
  /** Median seconds per call and the spread over repetitions. */
  median: number; min: number; max: number; reps: number;
}

export interface Row {
  suite: string;
  case: string;           // e.g. "512x512x512"
  impl: string;           // e.g. "torchlet wasm relaxed"
  threads: number | string;
  value: number;          // in `unit` (the median over the rounds)
  unit: string;           // "GFLOPS", "GB/s", "ms"
  /** The smallest and largest round, in `unit`, and every round in round order (interleaved suites). */
  min?: number; max?: number; rounds?: number[];
  detail?: Record<string, number | string>;
}

export interface SuiteResult { suite: string; rows: Row[]; notes: string[] }
export interface BenchContext { quick: boolean; log: (s: string) => void }

/**
 * Time fn: warm up (V8 and wasm tier-up: several calls, at least warmMs), then repetitions of at least repMs each
 * (one or more calls), at least minReps and at most maxReps, stopping after budgetMs. Returns seconds per call.
 */
export function measure(fn: () => void, opts: { warmMs?: number; repMs?: number; minReps?: number; maxReps?: number; budgetMs?: number } = {}): Measurement {
  const warmMs = opts.warmMs ?? 150, repMs = opts.repMs ?? 60, minReps = opts.minReps ?? 3, maxReps = opts.maxReps ?? 7;
  const budgetMs = opts.budgetMs ?? 2500;
  const start = performance.now();
  let calls = 0;
  do { fn(); calls++; } while (calls < 3 && performance.now() - start < warmMs * 4 || performance.now() - start < warmMs);
  const perCall = (performance.now() - start) / calls;
  const inner = Math.max(1, Math.round(repMs / Math.max(perCall, 1e-3)));
  const samples: number[] = [];
  const t0 = performance.now();
  while (samples.length < maxReps && (samples.length < minReps || performance.now() - t0 < budgetMs)) {
    const s = performance.now();
    for (let i = 0; i < inner; i++) fn();
    samples.push((performance.now() - s) / inner / 1000);
  }
  samples.sort((a, b) => a - b);
  return { median: samples[samples.length >> 1], min: samples[0], max: samples[samples.length - 1], reps: samples.length };
}

export function machine(): Record<string, string | number> {
  let model = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) model = m[1];
  } catch { /* not Linux */ }
  return {
    cpu: model, cores: os.availableParallelism(), node: process.version, v8: process.versions.v8,
    platform: `${os.platform()} ${os.arch()}`, loadavg: os.loadavg().map((x) => x.toFixed(2)).join(' '),
  };
}

export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => typeof c === 'number' ? fmt(c) : c))];
  const w = headers.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  const line = (r: (string | number)[]) => '| ' + r.map((c, i) => String(c ?? '').padEnd(w[i])).join(' | ') + ' |';
  return [line(cells[0]), '|' + w.map((x) => '-'.repeat(x + 2)).join('|') + '|', ...cells.slice(1).map(line)].join('\n');
}

export function fmt(x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

/** At least this many interleaved rounds per figure (the README's figures are medians over them). */
export const MIN_ROUNDS = 7;
/** A comparison whose per-round ratio spreads more than this ((max - min) / median) is marked noisy. */
export const NOISY_SPREAD = 0.2;

/**
 * One implementation in an interleaved comparison. `run(calls)` performs `calls` calls and returns seconds per
 * call (measured by the caller's own clock: in-process code times itself, a Python server reports its own wall
 * time). `prepare` runs untimed before each of its rounds (switch a backend, a thread count).
 */
export interface Contender {
  impl: string;
  threads: number | string;
  run: (calls: number) => number | Promise<number>;
  prepare?: () => void | Promise<void>;
}

export interface Interleaved extends Measurement {
  /** Seconds per call in each round, in round order (index r is round r for every contender). */
  rounds: number[];
}

/** A synchronous function as a contender's run(). */
export function timed(fn: () => void): (calls: number) => number {
  return (calls) => {
    const s = performance.now();
    for (let i = 0; i < calls; i++) fn();
    return (performance.now() - s) / calls / 1000;
  };
}

/**
 * Interleaved timing: each contender is warmed up (at least warmMs and 2 calls) and gets a call count per round
 * that lasts about repMs; then `rounds` rounds run every contender once, in an order rotated each round, so slow
 * drifts of the machine's load hit all contenders alike. Returns per-contender medians, min, max and the rounds.
 */
export async function interleave(cs: Contender[], opts: { rounds?: number; warmMs?: number; repMs?: number } = {}): Promise<Interleaved[]> {
  const rounds = Math.max(MIN_ROUNDS, opts.rounds ?? MIN_ROUNDS), warmMs = opts.warmMs ?? 200, repMs = opts.repMs ?? 100;
  const inner: number[] = [];
  for (const c of cs) {
    await c.prepare?.();
    const start = performance.now();
    let calls = 0, spent = 0;
    do { spent += await c.run(1); calls++; } while (calls < 2 || performance.now() - start < warmMs);
    inner.push(Math.max(1, Math.round(repMs / 1000 / (spent / calls))));
  }
  const samples: number[][] = cs.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let j = 0; j < cs.length; j++) {
      const i = (j + r) % cs.length;
      await cs[i].prepare?.();
      samples[i].push(await cs[i].run(inner[i]));
    }
  }
  return samples.map((s) => {
    const sorted = [...s].sort((a, b) => a - b);
    return { median: sorted[sorted.length >> 1], min: sorted[0], max: sorted[sorted.length - 1], reps: s.length, rounds: s };
  });
}

/** Ratio of two contenders round by round (num[r] / den[r]): median, min, max, and whether it is noisy. */
export function ratio(num: number[], den: number[]): { median: number; min: number; max: number; noisy: boolean } {
  const q = num.map((x, r) => x / den[r]).sort((a, b) => a - b);
  const median = q[q.length >> 1], min = q[0], max = q[q.length - 1];
  return { median, min, max, noisy: (max - min) / median > NOISY_SPREAD };
}

/** "12.3 (11.8–13.0)": a median with its min–max. */
export function withRange(median: number, min: number, max: number): string {
  return `${fmt(median)} (${fmt(min)}–${fmt(max)})`;
}
