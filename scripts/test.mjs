#!/usr/bin/env node
/**
 * `npm test`: runs the suites with Node's test runner (through tsx, spec reporter on stdout) and ends with a
 * summary table: suites (test files) run, tests passed, skipped (grouped by reason) and failed.
 *
 *   npm test                           every test/<area>/*.test.ts
 *   npm test -- test/ops test/io/x.test.ts   some folders or files
 *
 * In CI (CI=true) every requirement is mandatory: a suite whose tool or device is missing fails and names it
 * (test/helpers/python.ts `requireOrSkip`), and any skipped test makes this script exit non-zero.
 * The last line is `N passed, N failed, N skipped` (plus `# pass N` / `# fail N` lines before it) for CI tools.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(import.meta.url), '../..');
const IN_CI = process.env.CI === 'true';

function testFiles(args) {
  const out = [];
  const walk = (p, depth) => {
    const st = statSync(p);
    if (st.isFile()) { out.push(p); return; }
    for (const name of readdirSync(p).sort()) {
      const q = join(p, name);
      if (statSync(q).isDirectory()) { if (depth > 0) walk(q, depth - 1); } else if (name.endsWith('.test.ts')) out.push(q);
    }
  };
  if (args.length === 0) {
    const testDir = join(ROOT, 'test');
    for (const area of readdirSync(testDir).sort()) {
      const p = join(testDir, area);
      if (statSync(p).isDirectory()) walk(p, 0);
    }
  } else {
    for (const a of args) walk(resolve(a), 1);
  }
  return out;
}

const files = testFiles(process.argv.slice(2));
if (files.length === 0) { console.error('npm test: no test files found'); process.exit(1); }
const dir = mkdtempSync(join(tmpdir(), 'torchlet-test-'));
const summaryPath = join(dir, 'summary.json');
const child = spawn(process.execPath, [
  '--import', 'tsx', '--test',
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  `--test-reporter=${join(ROOT, 'scripts/test-summary-reporter.mjs')}`, `--test-reporter-destination=${summaryPath}`,
  ...files.map((f) => relative(ROOT, f)),
], { stdio: 'inherit', cwd: ROOT }); // the suites spawn commands relative to the repository root
const started = Date.now();
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
const code = await new Promise((res) => child.on('exit', (c, s) => res(c ?? (s ? 1 : 0))));

let summary;
try { summary = JSON.parse(readFileSync(summaryPath, 'utf8')); } catch (e) {
  console.error(`npm test: the test runner wrote no summary (${e.message}); exit code ${code}`);
  process.exit(code || 1);
} finally { rmSync(dir, { recursive: true, force: true }); }

// One row per area (test/<area>/), then the totals.
const rows = new Map();
const reasons = new Map();
const failures = [];
let suites = 0;
const total = { files: 0, passed: 0, skipped: 0, todo: 0, failed: 0 };
for (const [file, s] of Object.entries(summary.files)) {
  const rel = relative(ROOT, file);
  const area = rel.split('/').slice(0, 2).join('/');
  let r = rows.get(area);
  if (!r) rows.set(area, (r = { files: 0, passed: 0, skipped: 0, todo: 0, failed: 0 }));
  r.files++; suites++;
  for (const k of ['passed', 'skipped', 'todo', 'failed']) { r[k] += s[k]; total[k] += s[k]; }
  for (const [why, n] of Object.entries(s.skips)) reasons.set(why, (reasons.get(why) ?? 0) + n);
  for (const f of s.failures) failures.push(`${rel}: ${f}`);
}
total.files = suites;
const head = ['area', 'suites', 'passed', 'skipped', 'todo', 'failed'];
const body = [...[...rows.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([a, r]) => [a, r.files, r.passed, r.skipped, r.todo, r.failed]),
  ['total', total.files, total.passed, total.skipped, total.todo, total.failed]];
const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => String(r[i]).length)));
const line = (r) => r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
const elapsed = ((Date.now() - started) / 1000).toFixed(0);
console.log(`\n== test summary (${suites} suites, ${elapsed} s${IN_CI ? ', CI=true: skips are failures' : ''}) ==`);
console.log(line(head));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of body.slice(0, -1)) console.log(line(r));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
console.log(line(body.at(-1)));
if (reasons.size) {
  console.log('\nskipped, by reason:');
  for (const [why, n] of [...reasons.entries()].sort((a, b) => b[1] - a[1])) console.log(`  ${String(n).padStart(5)}  ${why}`);
}
if (failures.length) {
  console.log('\nfailed:');
  for (const f of failures) console.log(`  ${f}`);
}
let exit = code;
if (IN_CI && total.skipped > 0) {
  console.log(`\nCI=true: ${total.skipped} test(s) skipped; in CI every suite's requirement is mandatory, so a skip is a failure`);
  exit ||= 1;
}
if (total.passed + total.failed === 0) { console.log('\nno test ran'); exit ||= 1; }
if (code !== 0 && total.failed === 0) console.log(`\nthe test runner exited with code ${code}`);
console.log(`\n# pass ${total.passed}\n# skip ${total.skipped}\n# fail ${total.failed}`);
console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(exit);
