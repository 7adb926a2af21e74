/**
 * @file The public API's promised types hold: tsc compiles test/types/api-types.ts (nn/optim as type namespaces,
 * nn.Sequential typed by its children, the comparisons' result types), including its `@ts-expect-error` lines, and
 * the port programs of test/ports (user code as PyTorch users write it) compile under strict mode.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

test('test/types/api-types.ts typechecks (nn.Linear as a type, seq.at(0) is a Linear, ...)', () => {
  const r = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'test/types/tsconfig.json'], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, `tsc failed:\n${r.stdout}${r.stderr}`);
});
