/**
 * Printed class names survive a minifying bundler (issue 20: the explorer's minified bundle printed `Kr(...)` for
 * Linear): each torchlet module class declares its printed name (`static torchName`, read by Module._getName), errors, optimizers and
 * schedulers keep their names (src/core/class-names.ts); a user's subclass prints its own name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import * as torch from '../../src/index.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { nn } = torch;

test('a subclass of a torchlet layer prints its own class name; the layer its PyTorch name', () => {
  class MyLinear extends nn.Linear {}
  class Net extends nn.Module { fc = new MyLinear(2, 3); bn = new nn.BatchNorm1d(3); }
  assert.equal(String(new Net()), 'Net(\n  (fc): MyLinear(in_features=2, out_features=3, bias=True)\n'
    + '  (bn): BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n)');
  assert.equal(new nn.Linear(1, 1)._getName(), 'Linear');
  assert.equal(new nn.Sequential()._getName(), 'Sequential');
  assert.equal(new nn.LazyLinear(3)._getName(), 'LazyLinear');
});

test('names in a minified esbuild bundle: modules, errors, optimizers, schedulers', { timeout: 60_000 }, async () => {
  const code = `import * as torch from './src/index.ts';
    const out = [];
    const m = new torch.nn.Sequential(new torch.nn.Conv2d(1, 2, 3), new torch.nn.BatchNorm2d(2), new torch.nn.ReLU(), new torch.nn.Flatten(), new torch.nn.LazyLinear(3));
    out.push(String(m));
    try { new torch.optim.SGD([]); } catch (e) { out.push(e.name + ': ' + e.message); }
    try { m.x = torch.ones([2]); } catch (e) { out.push(e.name); }
    try { new torch.nn.Linear(-1, 1); } catch (e) { out.push(e.name); }
    out.push(new torch.optim.lrScheduler.StepLR(new torch.optim.SGD(m.getSubmodule('0').parameters(), { lr: 1 }), { stepSize: 1 }).constructor.name);
    export default out;`;
  const r = await build({
    stdin: { contents: code, resolveDir: ROOT, loader: 'ts', sourcefile: 'entry.ts' }, bundle: true, minify: true, format: 'esm',
    platform: 'node', write: false, external: ['webgpu'], logLevel: 'silent',
  });
  const js = r.outputFiles[0].text;
  assert.doesNotMatch(js, /class BatchNorm2d\b/, 'the bundle is minified');
  const dir = mkdtempSync(join(tmpdir(), 'torchlet-names-'));
  let out: string[];
  try {
    writeFileSync(join(dir, 'bundle.mjs'), js);
    out = (await import(pathToFileURL(join(dir, 'bundle.mjs')).href) as { default: string[] }).default;
  } finally { rmSync(dir, { recursive: true, force: true }); }
  assert.equal(out[0], 'Sequential(\n  (0): Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1))\n'
    + '  (1): BatchNorm2d(2, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n  (2): ReLU()\n'
    + '  (3): Flatten(start_dim=1, end_dim=-1)\n  (4): LazyLinear(in_features=0, out_features=3, bias=True)\n)');
  assert.match(out[1], /^OptimizerError: SGD: optimizer got an empty parameter list/);
  assert.equal(out[2], 'ModuleError');
  assert.match(out[3], /^(ModuleError|ArgumentError)$/);
  assert.equal(out[4], 'StepLR');
});
