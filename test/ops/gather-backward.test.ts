/**
 * @file gather's backward scatters into a broadcast zero (no full zero tensor read), and the CPU's contiguous()
 * of a broadcast +0 allocates zeros without copying; -0 and other values still copy, bit for bit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../helpers/torch.js';
import { assertClose } from '../helpers/index.js';

test('gather backward accumulates repeated indices into zeros', () => {
  const x = torch.tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float32', requiresGrad: true });
  const idx = torch.tensor([[2, 2], [0, 1]], { dtype: 'int64' });
  x.gather(1, idx).mul(torch.tensor([[10, 20], [30, 40]], { dtype: 'float32' })).sum().backward();
  assertClose(x.grad!, [[0, 0, 30], [30, 40, 0]]);
  const y = torch.tensor([1.5, -2.5], { dtype: 'float64', requiresGrad: true });
  y.gather(0, torch.tensor([1, 1, 1], { dtype: 'int64' })).sum().backward();
  assertClose(y.grad!, [0, 3]);
  assert.equal(y.grad!.dtype, 'float64');
});

test('contiguous() of broadcast scalars: +0 gives zeros, -0 and other values are copied exactly', () => {
  const z = torch.tensor(0, { dtype: 'float32' }).expand([2, 3]).contiguous();
  assert.deepEqual(Array.from(z.dataSync()), [0, 0, 0, 0, 0, 0]);
  const nz = torch.tensor(-0, { dtype: 'float32' }).expand([4]).contiguous().dataSync();
  assert.ok(Array.from(nz).every((v) => Object.is(v, -0)));
  assert.deepEqual(Array.from(torch.tensor(2.5, { dtype: 'float32' }).expand([3]).contiguous().dataSync()), [2.5, 2.5, 2.5]);
  const b = torch.tensor(false).expand([2]).to('float32');
  assert.deepEqual(Array.from(b.dataSync()), [0, 0]);
  assert.deepEqual(Array.from(torch.tensor(0, { dtype: 'float32' }).expand([0, 2]).contiguous().dataSync()), []);
});
