/**
 * @file `npm run bench`: runs every suite in one process, prints tables with ratios to each peer, writes
 * bench/results.json. `npm run bench -- --quick` shortens repetitions; `--only gemm` runs one suite.
 * Suites: gemm, elementwise, train (MLP / CNN / digits training steps), webgpu (GEMM and training steps on the WebGPU
 * device), browser (the same work in headless Chromium and in Node), models
 * (ResNet-18, ViT-B/16, GPT-2 generation vs PyTorch 2.6 and 1.13), and issue 15's table against PyTorch 1.13 and 2.6
 * at 1 and 2 threads: ops (small elementwise ops), matmul (GEMM shapes as a fraction of the measured 128-bit FMA
 * peak), steps (MLP, CNN, Transformer-layer and LSTM training steps), threads (the GEMM kernel at 1 and 2 threads,
 * each in a child process of its own: this file runs as that child when given --gemm-threads-child). To add one, add a file exporting
 * `run(ctx): Promise<SuiteResult>` and list it in SUITES.
 * The gemm and train suites time every implementation in the same interleaved rounds (at least 7); a figure is the
 * median round with its min–max, a ratio is the median of the per-round ratios, marked "noisy" when those spread
 * more than 20 %. `--record` also writes everything printed to bench/results/<date>.txt (the README quotes one).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { machine, table, fmt, ratio, withRange, NOISY_SPREAD, type Row, type SuiteResult } from './harness.js';

const SUITES: Record<string, () => Promise<{ run: (ctx: { quick: boolean; log: (s: string) => void }) => Promise<SuiteResult> }>> = {
  gemm: () => import('./gemm.js'),
  elementwise: () => import('./elementwise.js'),
  train: () => import('./train.js'),
  webgpu: () => import('./webgpu.js'),
  browser: () => import('./browser.js'),
  models: () => import('./models.js'),
  argcheck: () => import('./argcheck.js'),
  ops: () => import('./ops.js'),
  matmul: () => import('./matmul.js'),
  steps: () => import('./steps.js'),
  threads: () => import('./threads.js'),
};

const args = process.argv.slice(2);
if (args[0] === '--gemm-threads-child') {
  (await import('./threads.js')).child(args);
  process.exit(0);
}
const quick = args.includes('--quick');
const onlyIdx = args.indexOf('--only');
const only = onlyIdx >= 0 ? args[onlyIdx + 1]?.split(',') : null;

const record = args.includes('--record');
const printed: string[] = [];
if (record) {
  const log = console.log.bind(console);
  console.log = (...xs: unknown[]) => { printed.push(xs.map(String).join(' ')); log(...xs); };
}
const started = Date.now();
const before = machine();
console.log(`torchlet bench - ${before.cpu}, ${before.cores} cores, Node ${before.node}, load ${before.loadavg}`);
const results: SuiteResult[] = [];
for (const [name, load] of Object.entries(SUITES)) {
  if (only && !only.includes(name)) continue;
  console.log(`\n[${name}]`);
  const mod = await load();
  results.push(await mod.run({ quick, log: (s) => console.log(s) }));
}

const PEERS = ['tfjs-backend-wasm 4.22', 'tfjs-backend-cpu 4.22', 'TS reference (gemmReference)'];
for (const r of results) {
  console.log(`\n## ${r.suite}\n`);
  const cases = [...new Set(r.rows.map((x) => x.case))];
  const impls = [...new Set(r.rows.map((x) => `${x.impl}|${x.threads}`))];
  const unitOf = (c: string) => r.rows.find((x) => x.case === c)?.unit ?? '';
  console.log(table(['implementation', 'threads', ...cases.map((c) => `${c} ${unitOf(c)}`)], impls.map((key) => {
    const [impl, threads] = key.split('|');
    return [impl, threads, ...cases.map((c) => {
      const row = r.rows.find((x) => x.case === c && `${x.impl}|${x.threads}` === key);
      if (!row) return 'n/a';
      return row.min !== undefined && row.max !== undefined ? withRange(row.value, row.min, row.max) : row.value;
    })];
  })));
  /** Per-round ratio of two rows of one case ("3.1x (2.9–3.3)", "noisy" beyond NOISY_SPREAD); fallback: medians. */
  const cmp = (a: Row | undefined, b: Row | undefined, invert: boolean): string => {
    if (!a || !b) return 'n/a';
    if (a.rounds && b.rounds && a.rounds.length === b.rounds.length) {
      const q = invert ? ratio(b.rounds, a.rounds) : ratio(a.rounds, b.rounds);
      return `${fmt(q.median)}x (${fmt(q.min)}–${fmt(q.max)})${q.noisy ? ' noisy' : ''}`;
    }
    return `${fmt(invert ? b.value / a.value : a.value / b.value)}x`;
  };
  if (r.suite === 'gemm') {
    const ours = impls.filter((k) => k.startsWith('torchlet'));
    for (const peer of PEERS) {
      console.log(`\nratio to ${peer} (per round; "noisy": rounds spread over ${NOISY_SPREAD * 100} %):`);
      console.log(table(['implementation', 'threads', ...cases], ours.map((key) => {
        const [impl, threads] = key.split('|');
        return [impl, threads, ...cases.map((c) => cmp(
          r.rows.find((x) => x.case === c && `${x.impl}|${x.threads}` === key),
          r.rows.find((x) => x.case === c && x.impl === peer), false))];
      })));
    }
    console.log('\ncopy share of wasm GEMM calls (copy in + out, % of call time):');
    console.log(table(['implementation', 'threads', ...cases], ours.map((key) => {
      const [impl, threads] = key.split('|');
      return [impl, threads, ...cases.map((c) => `${r.rows.find((x) => x.case === c && `${x.impl}|${x.threads}` === key)?.detail?.copyPct ?? 'n/a'}%`)];
    })));
  }
  if (r.suite === 'train') {
    // ms per step: a ratio > 1 means torchlet is faster than the peer
    const ours = impls.filter((k) => k.startsWith('torchlet'));
    const peers = [...new Set(r.rows.filter((x) => !x.impl.startsWith('torchlet')).map((x) => `${x.impl}|${x.threads}`))];
    console.log(`\nspeedup of torchlet (peer ms / torchlet ms, per round; "noisy": rounds spread over ${NOISY_SPREAD * 100} %; below 1 torchlet is slower):`);
    console.log(table(['implementation', 'threads', 'vs', ...cases], ours.flatMap((key) => peers.map((pk) => {
      const [impl, threads] = key.split('|');
      const [pimpl, pthreads] = pk.split('|');
      return [impl, threads, `${pimpl} x${pthreads}`, ...cases.map((c) => cmp(
        r.rows.find((x) => x.case === c && `${x.impl}|${x.threads}` === key),
        r.rows.find((x) => x.case === c && `${x.impl}|${x.threads}` === pk), true))];
    }))));
    console.log('\neffective GFLOPS (GEMM flops of the step / step time):');
    console.log(table(['implementation', 'threads', ...cases], impls.map((key) => {
      const [impl, threads] = key.split('|');
      return [impl, threads, ...cases.map((c) => r.rows.find((x) => x.case === c && `${x.impl}|${x.threads}` === key)?.detail?.GFLOPS ?? 'n/a')];
    })));
  }
  if (r.suite === 'models') {
    const { ratios } = await import('./models.js');
    const rs = ratios(r.rows);
    const peers = [...new Set(rs.flatMap((x) => Object.keys(x.ratios)))];
    console.log('\ntorchlet speed / PyTorch speed (> 1: torchlet is faster):');
    console.log(table(['case', ...peers], rs.map((x) => [x.case, ...peers.map((p) => (x.ratios[p] ? `${fmt(x.ratios[p])}x` : 'n/a'))])));
  }
  for (const t of (r as SuiteResult & { tables?: string[] }).tables ?? []) console.log(`\n${t}`);
  for (const n of r.notes) console.log(`note: ${n}`);
}

const after = machine();
const command = 'npm run bench' + (args.length ? ' -- ' + args.join(' ') : '');
const date = new Date().toISOString();
const file = join(dirname(fileURLToPath(import.meta.url)), 'results.json');
// With --only, keep the other suites' earlier results (each suite records the command, date and machine it ran on).
let kept: (SuiteResult & { command?: string; date?: string; machine?: unknown })[] = [];
if (only && existsSync(file)) {
  try {
    const prev = JSON.parse(readFileSync(file, 'utf8')) as { command?: string; date?: string; machine?: unknown; suites?: (SuiteResult & { command?: string; date?: string; machine?: unknown })[] };
    kept = (prev.suites ?? []).filter((s) => !results.some((r) => r.suite === s.suite))
      .map((s) => ({ command: s.command ?? prev.command, date: s.date ?? prev.date, machine: s.machine ?? prev.machine, ...s }));
  } catch { /* unreadable: start over */ }
}
const out = {
  command, date, seconds: Math.round((Date.now() - started) / 1000),
  machine: { ...before, loadavgBefore: before.loadavg, loadavgAfter: after.loadavg },
  suites: [...kept, ...results.map((r) => ({ command, date, machine: { ...before, loadavgAfter: after.loadavg }, ...r }))],
};
writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
console.log(`\nload before ${before.loadavg}, after ${after.loadavg}; ${out.seconds} s; wrote ${file}`);
if (record) {
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(dir, { recursive: true });
  const txt = join(dir, `${date.slice(0, 16).replace(':', '')}Z.txt`);
  writeFileSync(txt, `$ ${command}\n${date}\n${printed.join('\n')}\n`);
  console.log(`raw output: ${txt}`);
}
export type { Row };
