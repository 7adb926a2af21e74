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
  value: number;          // in `unit`
  unit: string;           // "GFLOPS", "GB/s", "ms"
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
