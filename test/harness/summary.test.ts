/**
 * `npm test`'s wrapper (scripts/test.mjs) and its reporter (scripts/test-summary-reporter.mjs) on small
 * synthetic suites: the summary table's counts, skips grouped by reason, tests registered through a helper
 * file credited to the suite that ran them, the plain closing lines, and the exit code: non-zero on a failure,
 * and under CI=true on any skip.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function run(files: Record<string, string>, ci: boolean): { code: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'torchlet-harness-'));
  try {
    for (const [name, src] of Object.entries(files)) writeFileSync(join(dir, name), src);
    const env: NodeJS.ProcessEnv = { ...process.env, CI: ci ? 'true' : 'false' };
    delete env.NODE_TEST_CONTEXT; // a test run of its own, not a subtest of this one
    const tests = Object.keys(files).filter((f) => f.endsWith('.test.mjs')).map((f) => join(dir, f));
    const r = spawnSync(process.execPath, ['scripts/test.mjs', ...tests], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, out: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const HELPER = `import { test } from 'node:test';\nexport const rows = (n, why) => { for (let i = 0; i < n; i++) test('row ' + i, (t) => { if (why) t.skip(why); }); };\n`;
const A = `import { test } from 'node:test';\nimport { rows } from './helper.mjs';\ntest('a passes', () => {});\nrows(3, 'no device here');\n`;
const B = `import { test, describe } from 'node:test';\nimport { rows } from './helper.mjs';\nrows(2, null);\ntest('b skips', (t) => { t.skip('tool missing'); });\ndescribe('group', () => { test('inner', () => {}); });\n`;

test('the table counts per suite, groups skips by reason and credits helper-registered tests to their suite', () => {
  const r = run({ 'helper.mjs': HELPER, 'a.test.mjs': A, 'b.test.mjs': B }, false);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /== test summary \(2 suites, /);
  assert.match(r.out, /^total\s+2\s+4\s+4\s+0\s+0$/m, r.out);
  assert.match(r.out, /^\s+3\s+no device here$/m);
  assert.match(r.out, /^\s+1\s+tool missing$/m);
  assert.match(r.out, /^# pass 4$/m);
  assert.match(r.out, /^# fail 0$/m);
  assert.match(r.out, /^4 passed, 0 failed, 4 skipped$/m);
});

test('a failing test, and a file that throws outside any test, fail the run and are listed', () => {
  const r = run({
    'c.test.mjs': `import { test } from 'node:test';\ntest('c fails', () => { throw new Error('no'); });\ntest('c passes', () => {});\n`,
    'd.test.mjs': `throw new Error('broken at load');\n`,
  }, false);
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /^total\s+2\s+1\s+0\s+0\s+2$/m, r.out);
  assert.match(r.out, /c\.test\.mjs: c fails$/m);
  assert.match(r.out, /d\.test\.mjs: \(the file itself, outside any test\)$/m);
  assert.match(r.out, /^1 passed, 2 failed, 0 skipped$/m);
});

test('under CI=true a skipped test fails the run; without CI the same run passes', () => {
  const files = { 'e.test.mjs': `import { test } from 'node:test';\ntest('e passes', () => {});\ntest('e skips', (t) => { t.skip('chromium not installed'); });\n` };
  const local = run(files, false);
  assert.equal(local.code, 0, local.out);
  const ci = run(files, true);
  assert.equal(ci.code, 1, ci.out);
  assert.match(ci.out, /CI=true: 1 test\(s\) skipped; in CI every suite's requirement is mandatory, so a skip is a failure/);
  assert.match(ci.out, /^\s+1\s+chromium not installed$/m);
});
