/**
 * @file The engine hands a gradient buffer to a leaf's first `.grad` without copying it only when nothing else
 * can reference it (autograd/engine.ts, class Steals). Adversarial cases: every gradient value is asserted, and
 * after each backward the grads are written in place to show that no two tensors share memory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { gradSteals } from '../../src/autograd/engine.js';
import { assertClose } from '../helpers/index.js';
import { deviceTests, testDevices } from '../helpers/devices.js';

const leaf = (v: number[] | number[][]) => torch.tensor(v, { dtype: 'float32', requiresGrad: true });
const c = (v: number[] | number[][]) => torch.tensor(v, { dtype: 'float32' });
/** Buffers taken over / copied by the backward passes `fn` runs. */
function steals(fn: () => void): { taken: number; copied: number } {
  const t0 = gradSteals.taken, c0 = gradSteals.copied;
  fn();
  return { taken: gradSteals.taken - t0, copied: gradSteals.copied - c0 };
}
const vals = (t: Tensor) => Array.from(t.dataSync());

test('a gradient made in the pass is taken over once, with the right values', () => {
  const a = leaf([1, 2, 3]);
  const s = steals(() => a.mul(c([4, 5, 6])).sum().backward());
  assert.deepEqual(s, { taken: 1, copied: 0 });
  assertClose(a.grad!, [4, 5, 6]);
  assert.equal(a.grad!.requiresGrad, false);
  assert.equal(a.grad!.gradFn, null);
  a.grad!.mul_(2);
  assertClose(a.grad!, [8, 10, 12]);
});

test('x + x: the same buffer routed twice into one leaf is summed, never aliased', () => {
  const x = leaf([1, 2, 3]);
  x.add(x).mul(c([1, 2, 3])).sum().backward();
  assertClose(x.grad!, [2, 4, 6]);
  x.grad!.mul_(3);
  assertClose(x.grad!, [6, 12, 18]);
  const y = leaf([1, 1]);
  y.add(y).sum().backward(); // add's backward returns the root gradient (ones) for both
  assertClose(y.grad!, [2, 2]);
});

test('a + b receiving the same buffer: both are copies, an in-place change of one leaves the other', () => {
  const a = leaf([1, 2]), b = leaf([3, 4]);
  const s = steals(() => a.add(b).mul(c([5, 7])).sum().backward());
  assert.deepEqual(s, { taken: 0, copied: 2 });
  assert.notEqual(a.grad!.storage, b.grad!.storage);
  assertClose(a.grad!, [5, 7]); assertClose(b.grad!, [5, 7]);
  a.grad!.mul_(10);
  assertClose(a.grad!, [50, 70]); assertClose(b.grad!, [5, 7]);
  b.grad!.zero_();
  assertClose(a.grad!, [50, 70]);
});

test('one buffer to a leaf and through a view node to another leaf: both copied, independent', () => {
  const a = leaf([1, 2, 3, 4]), b = leaf([[1, 2], [3, 4]]);
  const s = steals(() => a.add(b.reshape([4])).mul(c([1, 2, 3, 4])).sum().backward());
  assert.deepEqual(s, { taken: 0, copied: 2 });
  assertClose(a.grad!, [1, 2, 3, 4]); assertClose(b.grad!, [[1, 2], [3, 4]]);
  b.grad!.add_(100);
  assertClose(a.grad!, [1, 2, 3, 4]);
  assertClose(b.grad!, [[101, 102], [103, 104]]);
});

test('a view of a fresh buffer (reshape backward) is taken as a plain tensor; a transposed one is copied', () => {
  const a = leaf([[1, 2, 3], [4, 5, 6]]);
  const s = steals(() => a.reshape([6]).mul(c([1, 2, 3, 4, 5, 6])).sum().backward());
  assert.deepEqual(s, { taken: 1, copied: 0 });
  assert.deepEqual([...a.grad!.shape], [2, 3]);
  assert.equal(a.grad!.base, null);
  assertClose(a.grad!, [[1, 2, 3], [4, 5, 6]]);
  const b = leaf([[1, 2], [3, 4]]);
  const s2 = steals(() => b.t().mul(c([[1, 2], [3, 4]])).sum().backward());
  assert.deepEqual(s2, { taken: 0, copied: 1 });
  assertClose(b.grad!, [[1, 3], [2, 4]]);
});

test('broadcast: the bias gradient (reduced) and the input gradient are separate buffers', () => {
  const x = leaf([[1, 2, 3], [4, 5, 6]]), bias = leaf([0, 0, 0]);
  const s = steals(() => x.add(bias).mul(c([[1, 2, 3], [4, 5, 6]])).sum().backward());
  assert.deepEqual(s, { taken: 2, copied: 0 });
  assertClose(x.grad!, [[1, 2, 3], [4, 5, 6]]);
  assertClose(bias.grad!, [5, 7, 9]);
  x.grad!.zero_();
  assertClose(bias.grad!, [5, 7, 9]);
});

test('a leaf reached twice through different nodes gets the sum (the first buffer is never written)', () => {
  const a = leaf([1, 2]);
  const p = a.mul(c([3, 4]));
  const q = a.mul(c([10, 20]));
  p.add(q.mul(p.detach())).sum().backward(); // d/da = [3, 4] + [10, 20] * p = [3 + 30, 4 + 160]
  assertClose(a.grad!, [33, 164]);
});

test('a leaf hook that keeps the gradient: no buffer is taken over in that pass', () => {
  const a = leaf([1, 2]);
  let seen: Tensor | null = null;
  a.registerHook((g) => { seen = g; });
  const s = steals(() => a.mul(c([3, 4])).sum().backward());
  assert.equal(s.taken, 0);
  assertClose(a.grad!, [3, 4]);
  a.grad!.mul_(0);
  assertClose(seen!, [3, 4]);
});

test('a hook on an intermediate that keeps or returns the gradient: the leaves get copies', () => {
  const a = leaf([1, 2]), b = leaf([5, 6]);
  const t = a.add(b);
  let seen: Tensor | null = null;
  t.registerHook((g) => { seen = g; return g; });
  const s = steals(() => t.mul(c([3, 4])).sum().backward());
  assert.deepEqual(s, { taken: 0, copied: 2 });
  assertClose(a.grad!, [3, 4]); assertClose(b.grad!, [3, 4]);
  a.grad!.mul_(0);
  assertClose(seen!, [3, 4]); assertClose(b.grad!, [3, 4]);
  const x = leaf([1, 2]);
  const u = x.mul(2);
  u.registerHook((g) => g.mul(0).add(7)); // a replacement made in the hook
  u.mul(c([1, 1])).sum().backward();
  assertClose(x.grad!, [14, 14]);
});

test('retainGrad: the retained gradient and the leaf gradient are separate', () => {
  const a = leaf([1, 2]);
  const t = a.mul(c([2, 3]));
  t.retainGrad();
  const s = steals(() => t.mul(c([5, 7])).sum().backward());
  assert.equal(s.taken, 0);
  assertClose(t.grad!, [5, 7]); assertClose(a.grad!, [10, 21]);
  a.grad!.zero_();
  assertClose(t.grad!, [5, 7]);
});

test('autograd.grad returns gradients and leaves .grad alone; createGraph stays refused', () => {
  const a = leaf([1, 2]), b = leaf([3, 4]);
  const s = steals(() => {
    // (PyTorch 1.13 returns one tensor for both here too: `ga is gb`; the engine does not copy captured gradients)
    const [ga, gb] = torch.autograd.grad([a.add(b).mul(c([2, 5])).sum()], [a, b]);
    assertClose(ga!, [2, 5]); assertClose(gb!, [2, 5]);
  });
  assert.equal(s.taken, 0);
  assert.equal(a.grad, null); assert.equal(b.grad, null);
  assert.throws(() => a.mul(2).sum().backward({ createGraph: true } as never), /createGraph/);
});

test('the user-given gradient is never taken, neither through a view nor into a leaf root', () => {
  const a = leaf([[1, 2], [3, 4]]);
  const g = c([1, 2, 3, 4]);
  a.reshape([4]).backward(g);
  assertClose(a.grad!, [[1, 2], [3, 4]]);
  a.grad!.mul_(10);
  assertClose(g, [1, 2, 3, 4]);
  const r = leaf([1, 2]);
  const gr = c([5, 6]);
  r.backward(gr);
  assertClose(r.grad!, [5, 6]);
  assert.notEqual(r.grad!.storage, gr.storage);
  r.grad!.zero_();
  assertClose(gr, [5, 6]);
});

test('accumulation over two backward calls writes into the buffer taken the first time', () => {
  const a = leaf([1, 2]);
  const y = a.mul(c([3, 4])).sum();
  y.backward({ retainGraph: true });
  const first = a.grad!;
  y.backward();
  assert.equal(a.grad, first); // the same tensor, accumulated in place (PyTorch's behaviour)
  assertClose(a.grad, [6, 8]);
  a.mul(c([1, 1])).sum().backward();
  assertClose(a.grad, [7, 9]);
});

test('an error mid-pass leaves no leaf gradient aliased', () => {
  const a = leaf([1, 2]), b = leaf([0.5, 1]);
  const e = b.exp();
  const y = a.mul(c([3, 4])).sum().add(e.sum());
  e.add_(1); // exp's saved output changed: its backward throws
  assert.throws(() => y.backward(), /modified by an inplace operation/);
  if (a.grad) { assertClose(a.grad, [3, 4]); a.grad.mul_(2); assertClose(a.grad, [6, 8]); }
});

test('an MLP step: every parameter gradient is its own buffer, equal bit for bit to the copying path', () => {
  const run = (copy: boolean) => {
    torch.manualSeed(3);
    const m = new torch.nn.Sequential(new torch.nn.Linear(6, 8), new torch.nn.ReLU(), new torch.nn.Linear(8, 3));
    const x = torch.randn([5, 6]), y = torch.tensor([0, 2, 1, 1, 0], { dtype: 'int64' });
    const loss = torch.nn.functional.crossEntropy(m.call(x), y);
    if (copy) loss.registerHook(() => undefined); // a hook anywhere turns taking over off for the pass
    const s = steals(() => loss.backward());
    return { m, s };
  };
  const A = run(false), B = run(true);
  assert.deepEqual(A.s, { taken: 4, copied: 0 });
  assert.equal(B.s.taken, 0);
  const pa = A.m.parameters(), pb = B.m.parameters();
  const storages = new Set(pa.flatMap((p) => [p.storage, p.grad!.storage]));
  assert.equal(storages.size, 2 * pa.length);
  pa.forEach((p, i) => assert.deepEqual(vals(p.grad!), vals(pb[i].grad!)));
  // clip_grad_norm_ after: scales every gradient in place, the parameters untouched
  const before = pa.map((p) => vals(p.grad!)), params = pa.map((p) => vals(p));
  const total = Math.sqrt(before.flat().reduce((s, v) => s + v * v, 0));
  torch.nn.utils.clipGradNorm_(pa, 0.01);
  const k = 0.01 / (total + 1e-6);
  pa.forEach((p, i) => {
    assertClose(p.grad!, before[i].map((v) => v * k), { atol: 1e-7, rtol: 1e-5 });
    assert.deepEqual(vals(p), params[i]);
  });
});

test('checkpoint runs user code during backward: nothing is taken over, the values are right', () => {
  const a = leaf([1, 2]);
  const s = steals(() => torch.utils.checkpoint.checkpoint((t: Tensor) => t.mul(t), a).sum().backward());
  assert.equal(s.taken, 0);
  assertClose(a.grad!, [2, 4]);
});

for (const dev of await testDevices()) {
  deviceTests(dev, 'gradient buffers', (t) => {
    t(`${dev.prefix}taken and shared gradient buffers on ${dev.name}`, async () => {
      const on = (v: number[]) => torch.tensor(v, { device: dev.name, requiresGrad: true });
      const k = torch.tensor([5, 7], { device: dev.name });
      const a = on([1, 2]), b = on([3, 4]);
      a.add(b).mul(k).sum().backward();
      a.grad!.mul_(10);
      assert.deepEqual(Array.from(await a.grad!.data()), [50, 70]);
      assert.deepEqual(Array.from(await b.grad!.data()), [5, 7]);
      const x = on([1, 2]);
      const s = steals(() => x.mul(k).sum().backward());
      assert.equal(s.taken, 1);
      assert.deepEqual(Array.from(await x.grad!.data()), [5, 7]);
    });
  });
}
