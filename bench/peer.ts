/**
 * @file Shared driver of the ops, matmul and steps suites (issue 15's table): every case runs for torchlet (1 and 2
 * threads), PyTorch 1.13 (/usr/bin/python3) and PyTorch 2.6 (the chroot of scripts/torch2-env.sh), each at 1 and 2
 * threads, and TF.js's WASM backend where it has the op, in the same interleaved rounds (harness.interleave).
 * PyTorch runs as persistent bench/peer.py processes (one per installation and thread count) that serve rounds
 * over stdin and time themselves. The ratio tables are torchlet time / peer time at the same thread count, per round
 * (the issue's "ratio" column: above 1 torchlet is slower).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { ChildLines } from './child-lines.js';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '../src/index.js';
import { interleave, ratio, table, fmt, MIN_ROUNDS, type Contender, type Row } from './harness.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const TORCH2_ROOT = process.env.TORCHLET_TORCH2_ROOT ?? '/var/cache/torchlet/torch2-root';

/** One bench/peer.py process. */
export class PeerProcess {
  private child: ChildProcessWithoutNullStreams;
  private out: ChildLines;
  private stderr = '';
  info: { torch: string; blas: string; threads: number } | null = null;
  constructor(readonly which: '1.13' | '2.6', readonly threads: number) {
    const env = { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads), OMP_WAIT_POLICY: 'PASSIVE', PYTHONDONTWRITEBYTECODE: '1' };
    if (which === '1.13') {
      this.child = spawn('/usr/bin/python3', [join(HERE, 'peer.py'), String(threads)], { env });
    } else {
      const dir = join(TORCH2_ROOT, 'x', 'bench-peer');
      mkdirSync(dir, { recursive: true });
      copyFileSync(join(HERE, 'peer.py'), join(dir, 'peer.py'));
      if (!existsSync(join(TORCH2_ROOT, 'proc', 'self'))) spawn('mount', ['-t', 'proc', 'proc', join(TORCH2_ROOT, 'proc')]);
      this.child = spawn('chroot', [TORCH2_ROOT, 'python3', '/x/bench-peer/peer.py', String(threads)], { env });
    }
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (d: string) => { this.stderr = (this.stderr + d).slice(-2000); });
    this.out = new ChildLines(this.child);
  }
  /** Null when ready, else why not. */
  async start(): Promise<string | null> {
    const l = await this.out.next();
    if (!l) return `PyTorch ${this.which} did not start: ${this.stderr.trim().split('\n').pop() ?? ''}`;
    this.info = JSON.parse(l) as { torch: string; blas: string; threads: number };
    return null;
  }
  get label(): string { return `PyTorch ${this.info?.torch ?? this.which}`; }
  async run(kase: string, calls: number): Promise<number> {
    this.child.stdin.write(`${kase} ${calls}\n`);
    const l = await this.out.next();
    if (!l) throw new Error(`${this.label} exited: ${this.stderr.trim().split('\n').pop() ?? ''}`);
    const r = JSON.parse(l) as { s?: number; error?: string };
    if (r.error !== undefined) throw new Error(`${this.label}: ${r.error}`);
    return r.s!;
  }
  stop(): void { try { this.child.stdin.end('\n'); } catch { /* gone */ } }
}

/** Start every peer process (both installations, 1 and 2 threads); failures become notes. */
export async function startPeers(threadsList: number[], notes: string[]): Promise<PeerProcess[]> {
  const peers: PeerProcess[] = [];
  for (const which of ['1.13', '2.6'] as const) {
    for (const t of threadsList) {
      const p = new PeerProcess(which, t);
      const err = await p.start();
      if (err) { notes.push(err); p.stop(); break; }
      peers.push(p);
    }
  }
  return peers;
}

/** A torchlet contender at a thread count (setNumThreads before its rounds; workers warmed after a raise). */
export function torchletAt(threads: number, fn: () => void, impl = 'torchlet'): Contender {
  return {
    impl, threads, run: (calls) => { const s = performance.now(); for (let i = 0; i < calls; i++) fn(); return (performance.now() - s) / calls / 1000; },
    prepare: async () => {
      if (torch.getNumThreads() === threads) return;
      torch.setNumThreads(threads);
      fn();
      if (threads > 1) await new Promise((r) => setTimeout(r, 50));
    },
  };
}

export interface CaseSpec {
  name: string;
  /** Case key of bench/peer.py (null: no PyTorch row). */
  peerCase: string | null;
  /** Display unit: 'µs' or 'ms' per call, or 'GFLOPS' with flops per call. */
  unit: 'µs' | 'ms' | 'GFLOPS';
  flops?: number;
  contenders: Contender[];
}

/** Run one case for its contenders plus every peer; push rows (value in unit, rounds in unit). */
export async function runCase(suite: string, spec: CaseSpec, peers: PeerProcess[], rows: Row[], log: (s: string) => void, opts: { warmMs: number; repMs: number }): Promise<void> {
  const cs = [...spec.contenders];
  if (spec.peerCase) for (const p of peers) cs.push({ impl: p.label, threads: p.threads, run: (n) => p.run(spec.peerCase!, n) });
  const res = await interleave(cs, { rounds: MIN_ROUNDS, warmMs: opts.warmMs, repMs: opts.repMs });
  const conv = (s: number) => spec.unit === 'GFLOPS' ? spec.flops! / s / 1e9 : spec.unit === 'ms' ? s * 1e3 : s * 1e6;
  res.forEach((t, i) => {
    const lo = conv(t.min), hi = conv(t.max);
    const r: Row = { suite, case: spec.name, impl: cs[i].impl, threads: cs[i].threads, value: conv(t.median), unit: spec.unit,
      min: Math.min(lo, hi), max: Math.max(lo, hi), rounds: t.rounds.map(conv), detail: { reps: t.reps, load: os.loadavg()[0].toFixed(2), secondsRounds: t.rounds.map((x) => +x.toExponential(4)).join(' ') } };
    rows.push(r);
    log(`  ${spec.name.padEnd(34)} ${cs[i].impl.padEnd(28)} x${cs[i].threads}  ${fmt(r.value)} ${spec.unit} (${fmt(r.min!)}–${fmt(r.max!)})`);
  });
}

/** Seconds per call of a row, round by round. */
function secs(r: Row): number[] { return String(r.detail?.secondsRounds ?? '').split(' ').map(Number); }

/**
 * The ratio table: per case, torchlet's time / each peer's time at the same thread count (per-round median and
 * min–max; above 1 torchlet is slower), plus torchlet 2 threads / 1 thread speedup.
 */
export function ratioTables(rows: Row[]): string {
  const cases = [...new Set(rows.map((r) => r.case))];
  const peerImpls = [...new Set(rows.filter((r) => !r.impl.startsWith('torchlet') && !r.impl.includes('FMA loop')).map((r) => r.impl))];
  const threadsList = [...new Set(rows.filter((r) => r.impl === 'torchlet').map((r) => r.threads))];
  const headers = ['case', ...threadsList.flatMap((t) => peerImpls.map((p) => `vs ${p} x${t}`)), 'torchlet x2 / x1 speed'];
  const body = cases.map((c) => {
    const ours = (t: number | string) => rows.find((r) => r.case === c && r.impl === 'torchlet' && r.threads === t);
    const cells = threadsList.flatMap((t) => peerImpls.map((p) => {
      const a = ours(t), b = rows.find((r) => r.case === c && r.impl === p && (r.threads === t || p.startsWith('tfjs')));
      if (!a || !b) return 'n/a';
      const q = ratio(secs(a), secs(b));
      return `${fmt(q.median)}x (${fmt(q.min)}–${fmt(q.max)})${q.noisy ? ' noisy' : ''}`;
    }));
    const one = ours(1), two = ours(2);
    let sp = 'n/a';
    if (one && two) { const q = ratio(secs(one), secs(two)); sp = `${fmt(q.median)}x (${fmt(q.min)}–${fmt(q.max)})`; }
    return [c, ...cells, sp];
  });
  return 'torchlet time / peer time, per round (median, min–max; above 1 torchlet is slower; tfjs runs on 1 thread):\n' + table(headers, body);
}
