/**
 * @file Default initialization, bit for bit: `manualSeed(s); new nn.X(...)` gives PyTorch's state dict for the
 * same seed (test/fixtures/layers/init.json, float32 bytes): same keys in the same order, same shapes, same bits,
 * and the same repr.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';
import { fromFixture, layersFixture, type FT } from './fixtures.js';
import { build } from './build.js';

interface Case { name: string; cls: string; args: unknown[]; kwargs: Record<string, unknown>; seed: number; state: Record<string, FT>; repr: string }

const { cases } = layersFixture<{ cases: Case[] }>('init.json');

for (const c of cases) {
  test(`manualSeed(${c.seed}); new nn.${c.name} equals PyTorch bit for bit`, () => {
    torch.manualSeed(c.seed);
    const m = build(c.cls, c.args, c.kwargs);
    assert.equal(String(m), c.repr);
    const sd = m.stateDict();
    assert.deepEqual([...sd.keys()], Object.keys(c.state));
    for (const [k, ft] of Object.entries(c.state)) {
      const got = sd.get(k)!;
      const exp = fromFixture(ft);
      assert.deepEqual([...got.shape], [...exp.shape], `${k}: shape`);
      assert.equal(got.dtype, exp.dtype, `${k}: dtype`);
      const a = got.dataSync(), e = exp.dataSync();
      for (let i = 0; i < e.length; i++) {
        if (!Object.is(a[i], e[i])) assert.fail(`${k}: element ${i} is ${a[i]}, PyTorch has ${e[i]} (must be bit-identical)`);
      }
    }
  });
}
