/**
 * @file Gradients of windowing views (narrow, select, slice with step 1) flowing into one input: the engine
 * writes disjoint windows into one buffer (autograd/engine.ts, GradWindow) instead of full-size zeros per window
 * that are then added. Every case asserts the values against the plain formula, also the cases that must fall
 * back to the nodes' own backward (overlapping windows, other gradients for the same input, hooks, leaves).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { assertClose } from '../helpers/index.js';
import { gradWindows } from '../../src/autograd/engine.js';

const vals = (t: Tensor) => Array.from(t.dataSync());
/** A leaf x of shape [2, 6] with values 1..12 and y = x * 1 (so the windows see a non-leaf input). */
function setup(): { x: Tensor; y: Tensor } {
  const x = torch.arange(1, 13, { dtype: 'float32' }).reshape(2, 6).requiresGrad_();
  return { x, y: x.mul(1) };
}
const w = (v: number[] | number[][]) => torch.tensor(v, { dtype: 'float32' });

test('chunk backward: each window gets its own gradient, unused windows stay zero', () => {
  const { x, y } = setup();
  const [a, b, c] = y.chunk(3, 1);
  const n0 = gradWindows.written;
  a.mul(w([[1, 2], [3, 4]])).sum().add(c.mul(w([[5, 6], [7, 8]])).sum()).backward();
  assert.equal(gradWindows.written - n0, 2);
  assertClose(x.grad!, [[1, 2, 0, 0, 5, 6], [3, 4, 0, 0, 7, 8]]);
  void b;
});

test('split backward along dim 0 and select/unbind windows', () => {
  const x = torch.arange(1, 13, { dtype: 'float32' }).reshape(3, 4).requiresGrad_();
  const y = x.mul(2);
  const [r0, r1, r2] = [0, 1, 2].map((i) => y.select(0, i));
  r0.mul(w([1, 2, 3, 4])).sum().add(r1.mul(w([5, 6, 7, 8])).sum()).add(r2.sum()).backward();
  assertClose(x.grad!, [[2, 4, 6, 8], [10, 12, 14, 16], [2, 2, 2, 2]]);
  const z = torch.arange(1, 7, { dtype: 'float32' }).requiresGrad_();
  const [p, q] = z.mul(1).split([2, 4]);
  p.mul(w([3, 4])).sum().add(q.mul(w([5, 6, 7, 8])).sum()).backward();
  assertClose(z.grad!, [3, 4, 5, 6, 7, 8]);
});

test('a -0 gradient in a window stays -0 (as PyTorch\'s cat of the pieces)', () => {
  const { x, y } = setup();
  const [a, b] = y.chunk(2, 1);
  a.mul(w([[-0, 1, 2], [3, 4, 5]])).sum().add(b.mul(w([[6, 7, 8], [9, 10, -0]])).sum()).backward();
  const g = vals(x.grad!);
  assert.ok(Object.is(g[0], -0) && Object.is(g[11], -0), `got ${g}`);
  assert.deepEqual(g.slice(1, 11), [1, 2, 6, 7, 8, 3, 4, 5, 9, 10]);
});

test('overlapping windows are added, as are windows mixed with a full gradient of the same input', () => {
  const { x, y } = setup();
  y.narrow(1, 0, 4).sum().add(y.narrow(1, 2, 4).mul(2).sum()).backward();
  assertClose(x.grad!, [[1, 1, 3, 3, 2, 2], [1, 1, 3, 3, 2, 2]]);
  const s = setup();
  const [a, b] = s.y.chunk(2, 1);
  a.sum().add(s.y.mul(10).sum()).add(b.mul(3).sum()).backward();
  assertClose(s.x.grad!, [[11, 11, 11, 13, 13, 13], [11, 11, 11, 13, 13, 13]]);
  // windows along different dims of one input
  const t = setup();
  t.y.narrow(1, 0, 3).sum().add(t.y.narrow(0, 1, 1).mul(5).sum()).backward();
  assertClose(t.x.grad!, [[1, 1, 1, 0, 0, 0], [6, 6, 6, 5, 5, 5]]);
});

test('slices with step 1 and with a step, the same window twice, and windows of a leaf', () => {
  const { x, y } = setup();
  y.slice(1, 0, 3).sum().add(y.slice(1, 3, null).mul(2).sum()).add(y.slice(1, 0, null, 2).mul(4).sum()).backward();
  assertClose(x.grad!, [[5, 1, 5, 2, 6, 2], [5, 1, 5, 2, 6, 2]]);
  const s = setup();
  s.y.narrow(1, 1, 2).sum().add(s.y.narrow(1, 1, 2).mul(3).sum()).backward();
  assertClose(s.x.grad!, [[0, 4, 4, 0, 0, 0], [0, 4, 4, 0, 0, 0]]);
  const leaf = torch.ones([4], { requiresGrad: true });
  const [p, q] = leaf.chunk(2);
  p.mul(2).sum().add(q.mul(3).sum()).backward();
  assertClose(leaf.grad!, [2, 2, 3, 3]);
});

test('with a hook in the graph (user code) the windows take the plain path, with the same values', () => {
  const { x, y } = setup();
  const seen: number[] = [];
  const n0 = gradWindows.written;
  y.registerHook((g: Tensor) => { seen.push(...vals(g)); });
  const [a, b] = y.chunk(2, 1);
  a.sum().add(b.mul(2).sum()).backward();
  assertClose(x.grad!, [[1, 1, 1, 2, 2, 2], [1, 1, 1, 2, 2, 2]]);
  assert.deepEqual(seen, [1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2]);
  assert.equal(gradWindows.written, n0);
});

test('chunk of a linear output in multi-head attention: one buffer for q, k, v, the same gradients as the plain path (a hook on the weight)', () => {
  torch.manualSeed(3);
  const mha = new torch.nn.MultiheadAttention(8, 2);
  const q = torch.randn([5, 2, 8], { requiresGrad: true });
  const n0 = gradWindows.written;
  mha.call(q, q, q)[0].square().sum().backward();
  assert.equal(gradWindows.written - n0, 3);
  const gw = vals(mha.in_proj_weight!.grad!), gq = vals(q.grad!);
  // reference: a gradient hook on the weight is user code, so the same graph runs the narrow nodes' own backward
  mha.zeroGrad(); q.grad = null;
  const hooked = mha.in_proj_weight!.registerHook((g: Tensor) => g);
  mha.call(q, q, q)[0].square().sum().backward();
  hooked.remove();
  assert.equal(gradWindows.written - n0, 3);
  assert.deepEqual(vals(mha.in_proj_weight!.grad!), gw);
  assert.deepEqual(vals(q.grad!), gq);
});

test('a root gradient of another dtype for a window is cast to the input\'s dtype, as on the plain path', () => {
  const { x, y } = setup();
  y.narrow(1, 2, 2).backward(torch.ones([2, 2], { dtype: 'float64' }));
  assert.equal(x.grad!.dtype, 'float32');
  assertClose(x.grad!, [[0, 0, 1, 1, 0, 0], [0, 0, 1, 1, 0, 0]]);
});
