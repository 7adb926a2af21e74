/**
 * @file The backward engine: retainGraph, freed graphs, non-scalar roots, accumulation into leaves, fan-out,
 * retainGrad, hooks, autograd.grad, and the version counter that guards saved tensors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../helpers/torch.js';
import { assertClose, assertThrowsWith } from '../helpers/index.js';

const leaf = (v: number[] | number[][]) => torch.tensor(v, { dtype: 'float32', requiresGrad: true });

test('backward with retainGraph can run twice and accumulates', () => {
  const x = leaf([1, 2, 3]);
  const y = x.mul(x).sum();
  y.backward(undefined, { retainGraph: true });
  assertClose(x.grad!, [2, 4, 6]);
  y.backward();
  assertClose(x.grad!, [4, 8, 12]);
});

test('backward twice without retainGraph errors with the "second time" message', () => {
  const x = leaf([1, 2, 3]);
  const y = x.exp().sum();
  y.backward();
  assertThrowsWith(() => y.backward(), ['second time', 'retainGraph'], torch.AutogradError);
});

test('backward on a non-scalar without a gradient errors, naming the shape', () => {
  const x = leaf([[1, 2], [3, 4]]);
  const y = x.mul(2);
  assertThrowsWith(() => y.backward(), ['scalar', '[2, 2]'], torch.AutogradError);
  y.backward(torch.tensor([[1, 0], [0, 1]], { dtype: 'float32' }));
  assertClose(x.grad!, [[2, 0], [0, 2]]);
  assertThrowsWith(() => x.mul(2).backward(torch.ones([3])), ['[3]', '[2, 2]']);
});

test('backward on a tensor that does not require grad errors', () => {
  assertThrowsWith(() => torch.ones([2]).sum().backward(), ['does not require grad'], torch.AutogradError);
});

test('gradients accumulate into leaves across two backward calls', () => {
  const x = leaf([1, -1]);
  x.mul(3).sum().backward();
  const g = x.grad!;
  x.mul(x).sum().backward();
  assertClose(x.grad!, [3 + 2, 3 - 2]);
  assert.equal(x.grad, g, 'accumulation keeps the grad tensor');
  assert.equal(x.grad.requiresGrad, false);
  assert.equal(x.grad.gradFn, null);
  x.grad = null;
  x.sum().backward();
  assertClose(x.grad!, [1, 1]);
});

test('fan-out: a tensor used several times gets the sum of its gradients', () => {
  const x = leaf([0.5, 2]);
  const a = x.mul(x);          // 2x
  const b = x.exp();           // e^x
  const y = a.add(b).add(x).mul(a).sum(); // (x^2 + e^x + x) x^2
  y.backward();
  const want = [0.5, 2].map((v) => (2 * v + Math.exp(v) + 1) * v * v + (v * v + Math.exp(v) + v) * 2 * v);
  assertClose(x.grad!, want, { rtol: 1e-5 });
  // diamond: one intermediate read by two branches
  const z = leaf([1, 2, 3]);
  const h = z.mul(2);
  h.sin().add(h.cos()).sum().backward();
  assertClose(z.grad!, [1, 2, 3].map((v) => 2 * Math.cos(2 * v) - 2 * Math.sin(2 * v)), { rtol: 1e-5 });
});

test('retainGrad keeps .grad on a non-leaf; others stay null', () => {
  const x = leaf([1, 2, 3]);
  const h = x.mul(2).retainGrad();
  const k = h.mul(h);
  assert.equal(h.isLeaf, false);
  k.sum().backward();
  assertClose(h.grad!, [4, 8, 12]);
  assert.equal(k.grad, null);
  assertClose(x.grad!, [8, 16, 24]);
  assertThrowsWith(() => torch.ones([2]).retainGrad(), ["doesn't require grad"]);
});

test('registerHook on a leaf replaces the gradient before accumulation; the handle removes it', () => {
  const x = leaf([1, 2]);
  const seen: number[][] = [];
  const h = x.registerHook((g) => { seen.push(g.tolist() as number[]); return g.mul(10); });
  x.mul(3).sum().backward();
  assert.deepEqual(seen, [[3, 3]]);
  assertClose(x.grad!, [30, 30]);
  h.remove();
  x.grad = null;
  x.mul(3).sum().backward();
  assertClose(x.grad!, [3, 3]);
});

test('registerHook on a non-leaf changes the gradient flowing to its inputs', () => {
  const x = leaf([1, 2]);
  const h = x.mul(x);
  let calls = 0;
  h.registerHook((g) => { calls++; return g.mul(0.5); });
  h.mul(4).sum().backward();
  assert.equal(calls, 1);
  assertClose(x.grad!, [4, 8]); // 4 * 0.5 * 2x
  // a hook returning nothing leaves the gradient alone
  const y = leaf([3]);
  const m = y.mul(2);
  m.registerHook(() => undefined);
  m.sum().backward();
  assertClose(y.grad!, [2]);
  assertThrowsWith(() => torch.ones([1]).registerHook((g) => g), ["doesn't require gradient"]);
});

test('autograd.grad returns gradients without touching .grad', () => {
  const x = leaf([1, 2, 3]);
  const w = leaf([0.5, -1, 2]);
  const h = x.mul(w);
  const y = h.mul(h).sum();
  const [gx, gw, gh] = torch.autograd.grad(y, [x, w, h], undefined, { retainGraph: true });
  assertClose(gx!, [0.5, 4, 24]); // 2 h w with h = x w = [0.5, -2, 6]
  assertClose(gw!, [2 * 0.5 * 1, 2 * -1 * 4, 2 * 2 * 9]);
  assertClose(gh!, [1, -4, 12]);
  assert.equal(x.grad, null);
  assert.equal(w.grad, null);
  // with an explicit gradient for a non-scalar output
  const [g2] = torch.autograd.grad(h, x, torch.tensor([1, 10, 100], { dtype: 'float32' }));
  assertClose(g2!, [0.5, -10, 200]);
});

test('autograd.grad: unused inputs error unless allowUnused', () => {
  const x = leaf([1]), u = leaf([2]);
  const y = x.mul(2).sum();
  assertThrowsWith(() => torch.autograd.grad(y, [x, u], undefined, { retainGraph: true }), ['input 1', 'allowUnused']);
  const [gx, gu] = torch.autograd.grad(y, [x, u], undefined, { allowUnused: true });
  assertClose(gx!, [2]);
  assert.equal(gu, null);
  assertThrowsWith(() => torch.autograd.grad(x.mul(2).sum(), [torch.ones([1])]), ['does not require grad']);
});

test('a tensor saved for backward and then modified in place errors at backward with the version message', () => {
  const x = leaf([1, 2, 3]);
  const a = x.mul(2);
  const b = a.sin();          // saves a
  a.add_(1);                  // bumps a's version
  const err = assertThrowsWith(() => b.sum().backward(), ['modified by an inplace operation', 'version 1', 'expected version 0'], torch.AutogradError);
  assert.match(err.message, /Sin/);
  // an output saved by exp() and modified afterwards
  const y = leaf([0.5]);
  const e = y.exp();
  e.mul_(2);
  assertThrowsWith(() => e.sum().backward(), ['inplace'], torch.AutogradError);
});

test('in-place ops on non-leaves are differentiated through', () => {
  const x = leaf([1, 2]);
  const a = x.mul(2);
  a.mul_(3).add_(1);
  assert.equal(a.version, 2);
  a.sum().backward();
  assertClose(x.grad!, [6, 6]);
  // unary in-place ops on a non-leaf (their backward reads the result, which the op does not overwrite later)
  const y = leaf([0.5, -1]);
  const b = y.mul(2);
  b.exp_();
  b.relu_().add_(1);
  b.sum().backward();
  assertClose(y.grad!, [2 * Math.exp(1), 2 * Math.exp(-2)], { rtol: 1e-6 });
  // a plain tensor that becomes part of the graph through an in-place op with a tensor requiring grad
  const w = leaf([2, 3]);
  const acc = torch.zeros([2]);
  acc.add_(w.mul(w));
  assert.equal(acc.requiresGrad, true);
  assert.equal(acc.isLeaf, false);
  acc.sum().backward();
  assertClose(w.grad!, [4, 6]);
});

test('in-place on a leaf that requires grad errors outside noGrad and works inside', () => {
  const p = leaf([1, 2]);
  assertThrowsWith(() => p.add_(1), ['add_', 'leaf', 'requires grad', 'noGrad'], torch.AutogradError);
  assertThrowsWith(() => p.zero_(), ['zero_', 'leaf'], torch.AutogradError);
  assertThrowsWith(() => p.mul_(2), ['mul_'], torch.AutogradError);
  torch.noGrad(() => { p.sub_(torch.tensor([0.5, 0.5])); p.mul_(2); });
  assertClose(p, [1, 3]);
  assert.equal(p.isLeaf, true);
  assert.equal(p.requiresGrad, true);
  assert.equal(p.version, 2);
});

test('requiresGrad on integer and bool tensors errors', () => {
  assertThrowsWith(() => torch.tensor([1, 2], { dtype: 'int64' }).requiresGrad_(), ['floating point', 'int64'], torch.AutogradError);
  assertThrowsWith(() => torch.tensor([1n, 2n], { requiresGrad: true }), ['floating point']);
  assert.equal(torch.tensor([[1.0, 2.0]], { requiresGrad: true }).requiresGrad, true); // JavaScript numbers are floats
  assertThrowsWith(() => { torch.tensor([true]).requiresGrad = true; }, ['bool']);
  assertThrowsWith(() => torch.tensor([1, 2], { dtype: 'int32' }).requiresGrad_(true), ['int32']);
  assert.equal(torch.tensor([1, 2]).requiresGrad_(false).requiresGrad, false);
});

test('a non-leaf cannot stop requiring grad; detach does', () => {
  const x = leaf([1]);
  const y = x.mul(2);
  assertThrowsWith(() => y.requiresGrad_(false), ['leaf', 'detach']);
  const d = y.detach();
  assert.equal(d.requiresGrad, false);
  assert.equal(d.gradFn, null);
  assert.equal(d.storage, y.storage);
});

test('gradients keep the dtype and shape of their leaf through broadcasting and type promotion', () => {
  const a = torch.tensor([[1, 2, 3]], { dtype: 'float64', requiresGrad: true });
  const b = torch.tensor([[1], [2]], { dtype: 'float32', requiresGrad: true });
  a.mul(b).sum().backward();
  assert.equal(a.grad!.dtype, 'float64');
  assert.equal(b.grad!.dtype, 'float32');
  assertClose(a.grad!, [[3, 3, 3]]);
  assertClose(b.grad!, [[6], [6]]);
});
