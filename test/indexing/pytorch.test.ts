/**
 * @file The indexing table against PyTorch (test/fixtures/indexing/indexing.json, scripts/fixtures/indexing.py):
 * x.index(...) output, shape and gradient, x.setIndex_(...) / x.indexPut_(...) results and gradients, and the
 * errors, on every device (webgpu: once with CPU index tensors, as PyTorch allows for CUDA tensors, and once
 * with the index tensors on the device, where out-of-range indices cannot raise and are not run). Live: the
 * same script under each installed PyTorch, compared with torchlet.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadFixture } from '../helpers/index.js';
import { deviceTests, testDevices } from '../helpers/devices.js';
import { pytorchVersions, requireOrSkip } from '../helpers/python.js';
import { checkGet, checkSet, hasIntTensor, type IndexingFixture } from './cases.js';

const fx = loadFixture<IndexingFixture>('indexing/indexing.json');

test('the table covers what issue 13 asks for', () => {
  const ids = fx.get.map((c) => c.id);
  assert.ok(fx.get.length >= 60, `${fx.get.length} getter cases`);
  for (const part of ['separated', 'mask', 'none', 'ellipsis', 'empty', 'err-neg-step', 'oob', 'two-adjacent', 'true', 'int32']) {
    assert.ok(ids.some((id) => id.includes(part)), `no case for ${part}`);
  }
  assert.ok(fx.get.filter((c) => c.error).length >= 15 && fx.set.length >= 15);
});

for (const dev of await testDevices()) {
  deviceTests(dev, 'indexing vs PyTorch', () => {
    for (const c of fx.get) test(`${dev.prefix}index ${c.id}`, () => checkGet(c, dev.name, 'cpu'));
    for (const c of fx.set) test(`${dev.prefix}${c.form} ${c.id}`, () => checkSet(c, dev.name, 'cpu'));
    if (dev.name === 'cpu') return;
    for (const c of fx.get) {
      if (!hasIntTensor(c.items) || (c.error && c.phrase === 'out of bounds')) continue;
      test(`${dev.prefix}index ${c.id} (index tensors on ${dev.name})`, () => checkGet(c, dev.name, dev.name));
    }
    for (const c of fx.set) {
      if (!hasIntTensor(c.items) || (c.error && c.phrase === 'out of bounds')) continue;
      test(`${dev.prefix}${c.form} ${c.id} (index tensors on ${dev.name})`, () => checkSet(c, dev.name, dev.name));
    }
  });
}

for (const py of pytorchVersions()) {
  test(`indexing table, live against ${py.label}`, async (t) => {
    if (requireOrSkip(t, py.skip)) return;
    const out = join(py.tmpdir(), 'indexing.json');
    const r = py.run(join(import.meta.dirname, '..', '..', 'scripts', 'fixtures', 'indexing.py'), [py.inner(out)]);
    assert.equal(r.status, 0, r.stderr);
    const live = JSON.parse(readFileSync(out, 'utf8')) as IndexingFixture;
    assert.equal(live.get.length, fx.get.length);
    for (const c of live.get) await checkGet(c, 'cpu');
    for (const c of live.set) await checkSet(c, 'cpu');
  });
}
