/**
 * @file Grad modes: noGrad / enableGrad / inferenceMode (function form and guard form) build no graph and
 * nest as PyTorch's context managers do.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../helpers/torch.js';
import { assertClose } from '../helpers/index.js';

const leaf = () => torch.tensor([1, 2, 3], { dtype: 'float32', requiresGrad: true });

test('noGrad builds no graph', () => {
  const x = leaf();
  const y = torch.noGrad(() => x.mul(2).exp().sum());
  assert.equal(y.gradFn, null);
  assert.equal(y.requiresGrad, false);
  assert.equal(torch.isGradEnabled(), true, 'grad mode restored');
  assertClose(y, Math.exp(2) + Math.exp(4) + Math.exp(6));
  // views and reductions too
  torch.noGrad(() => {
    for (const t of [x.view([3, 1]), x.unsqueeze(0), x.sum(), x.max(0).values, x.matmul(x), x.clone(), torch.cat([x, x])]) {
      assert.equal(t.gradFn, null);
      assert.equal(t.requiresGrad, false);
    }
  });
});

test('inferenceMode builds no graph', () => {
  const x = leaf();
  const y = torch.inferenceMode(() => x.sigmoid().mul(x));
  assert.equal(y.gradFn, null);
  assert.equal(y.requiresGrad, false);
  assert.equal(torch.isGradEnabled(), true);
});

test('enableGrad inside noGrad records again; nesting restores each level', () => {
  const x = leaf();
  torch.noGrad(() => {
    assert.equal(torch.isGradEnabled(), false);
    const y = torch.enableGrad(() => {
      assert.equal(torch.isGradEnabled(), true);
      const inner = torch.noGrad(() => x.mul(3));
      assert.equal(inner.gradFn, null);
      return x.mul(x);
    });
    assert.equal(torch.isGradEnabled(), false);
    assert.equal(y.requiresGrad, true);
    assert.equal(String(y.gradFn), '<MulBackward0>');
    assert.equal(y.sum().requiresGrad, false, 'ops inside noGrad record nothing, even on tensors that require grad');
    torch.enableGrad(() => y.sum().backward());
  });
  assertClose(x.grad!, [2, 4, 6]);
  assert.equal(torch.isGradEnabled(), true);
});

test('grad mode is restored when the function throws', () => {
  assert.throws(() => torch.noGrad(() => { throw new Error('boom'); }), /boom/);
  assert.equal(torch.isGradEnabled(), true);
  torch.noGrad(() => {
    assert.throws(() => torch.enableGrad(() => { throw new Error('inner'); }));
    assert.equal(torch.isGradEnabled(), false);
  });
});

test('guard form: noGrad() returns a disposable scope', () => {
  const x = leaf();
  const g = torch.noGrad();
  try {
    assert.equal(x.mul(2).gradFn, null);
    const e = torch.enableGrad();
    try { assert.notEqual(x.mul(2).gradFn, null); } finally { e[Symbol.dispose](); }
    assert.equal(x.mul(2).gradFn, null);
  } finally { g.dispose(); }
  assert.notEqual(x.mul(2).gradFn, null);
  const inf = torch.inferenceMode();
  assert.equal(x.exp().requiresGrad, false);
  inf.dispose();
  assert.equal(x.exp().requiresGrad, true);
});

test('noGrad refuses async functions (the scope would end before the awaits)', () => {
  // eslint-disable-next-line @typescript-eslint/require-await -- the case under test is an async function; it has nothing to await
  assert.throws(() => torch.noGrad(async () => 1), /Promise/);
  assert.equal(torch.isGradEnabled(), true);
});

test('setGradEnabled toggles recording', () => {
  const x = leaf();
  torch.setGradEnabled(false);
  try { assert.equal(x.add(1).gradFn, null); } finally { torch.setGradEnabled(true); }
  assert.equal(String(x.add(1).gradFn), '<AddBackward0>');
});
