/**
 * @file examples/train-loop.ts runs as a user would run it (`node --import tsx examples/train-loop.ts`, here as a
 * child process with --out in a temporary directory): it exits 0, prints a loss that falls (the mean of the last
 * printed running losses well under the first), a test accuracy per epoch that ends above chance by far, and
 * saves a state dict that torch.load reads back with the model's keys and shapes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '../../src/index.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

test('examples/train-loop.ts trains: falling loss, accuracy, a loadable checkpoint', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'torchlet-example-test-'));
  try {
    const out = join(dir, 'mlp.safetensors');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'examples/train-loop.ts', '--out', out], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, `exit ${r.status}\n${r.stderr}\n${r.stdout}`);

    const losses = [...r.stdout.matchAll(/^step\s+(\d+)\s+loss (\d+\.\d+)\s+lr (\S+)$/gm)].map((m) => Number(m[2]));
    assert.ok(losses.length >= 5, `expected at least 5 loss lines, got:\n${r.stdout}`);
    assert.ok(losses.every(Number.isFinite));
    const first = losses[0], last = losses.at(-1)!;
    assert.ok(first > 1.0, `the first running loss (${first}) starts near ln(10) = 2.3`);
    assert.ok(last < 0.5 * first, `the loss falls: ${losses.join(' -> ')}`);
    const half = Math.floor(losses.length / 2);
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    assert.ok(mean(losses.slice(half)) < mean(losses.slice(0, half)), `second half of the curve below the first: ${losses.join(' ')}`);

    const accs = [...r.stdout.matchAll(/^epoch (\d+): test loss (\d+\.\d+), test accuracy (\d+\.\d)%$/gm)].map((m) => Number(m[3]));
    assert.equal(accs.length, 2, `one evaluation line per epoch:\n${r.stdout}`);
    assert.ok(accs[1] > 80, `test accuracy ${accs[1]}% after 2 epochs`);
    assert.match(r.stdout, /^saved .*mlp\.safetensors$/m);

    const sd = await torch.load(out) as Map<string, torch.Tensor>;
    assert.deepEqual([...sd.entries()].map(([k, v]) => [k, [...v.shape]]), [
      ['fc1.weight', [64, 784]], ['fc1.bias', [64]], ['fc2.weight', [10, 64]], ['fc2.bias', [10]],
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
