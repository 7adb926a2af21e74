/**
 * @file toString() equals PyTorch's str(tensor) for the tensors in test/fixtures/ops/format.json
 * (ints, floats, scientific notation, integer-valued floats, bool, 0-dim, empty, summarized, dtype suffixes,
 * requires_grad and grad_fn suffixes, wrapping of long rows).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../helpers/torch.js';
import type { DType } from '../helpers/torch.js';
import { loadFixture } from '../helpers/index.js';

interface Case { name: string; shape: number[]; dtype: DType; values: number[]; requiresGrad: boolean; op: 'mul2' | 'sum' | null; str: string }

for (const c of loadFixture<Case[]>('ops/format.json')) {
  test(`toString ${c.name} matches str(tensor)`, () => {
    let t = torch.tensor(c.values, { dtype: c.dtype }).reshape(c.shape);
    if (c.requiresGrad) t.requiresGrad_(true);
    if (c.op === 'mul2') t = t.mul(2);
    if (c.op === 'sum') t = t.sum();
    assert.equal(t.toString(), c.str);
    assert.equal(String(t), c.str);
  });
}
