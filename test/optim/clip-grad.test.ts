/**
 * @file nn.utils.clipGradNorm_ / clipGradValue_ / parametersToVector / vectorToParameters vs PyTorch 1.13
 * (fixture test/fixtures/optim/clip.json): total norms for p = 2, 1, inf, 3 and a max norm that does not clip,
 * the scaled gradients, value clipping, and the flattened vector.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';
import { clipGradNorm_, clipGradValue_ } from '../../src/nn/utils/clip-grad.js';
import { parametersToVector, vectorToParameters } from '../../src/nn/utils/vector.js';
import { assertClose, decode, fixture, values } from './helpers.js';

const F = fixture('clip.json');
const ATOL = 1e-7, RTOL = 1e-6; // float32 reductions summed in a different order than PyTorch's vectorized kernels

function params(): torch.Tensor[] {
  return F.input.shapes.map((shape: number[], i: number) => {
    const p = torch.zeros(shape).requiresGrad_(true);
    p.grad = torch.tensor(F.input.grads[i]).reshape(shape);
    return p;
  });
}

for (const c of F.cases) {
  const normType = decode(c.norm_type) as number;
  test(`clipGradNorm_(maxNorm ${c.max_norm}, normType ${normType}): total norm and scaled gradients match PyTorch`, () => {
    const ps = params();
    const grads = ps.map((p) => p.grad);
    const total = clipGradNorm_(ps, c.max_norm, { normType });
    assert.ok(total instanceof torch.Tensor && total.ndim === 0);
    assertClose([total.item()], [c.total], ATOL, RTOL, 'total norm');
    ps.forEach((p, i) => {
      assert.equal(p.grad, grads[i], 'gradients are scaled in place');
      assertClose(values(p.grad!), c.grads[i], ATOL, RTOL, `grad ${i}`);
    });
  });
}

test('clipGradNorm_: no gradients gives 0; errorIfNonfinite throws on an infinite norm', () => {
  const p = torch.zeros([3]).requiresGrad_(true);
  assert.equal(clipGradNorm_([p], 1).item(), 0);
  p.grad = torch.tensor([1, Infinity, 2], { dtype: 'float32' });
  assert.throws(() => clipGradNorm_([p], 1, { errorIfNonfinite: true }), /non-finite/);
  assert.equal(clipGradNorm_(p, 1).item(), Infinity);
});

test('clipGradValue_ clamps like PyTorch', () => {
  const ps = params();
  clipGradValue_(ps, F.value.clip);
  ps.forEach((p, i) => assert.deepEqual(values(p.grad!), F.value.grads[i]));
});

test('parametersToVector / vectorToParameters: PyTorch order, round trip in place', () => {
  const ps = F.input.shapes.map((shape: number[], i: number) => torch.tensor(F.input.grads[i]).reshape(shape).requiresGrad_(true));
  const v = parametersToVector(ps);
  assert.deepEqual(values(v), F.vector);
  const targets = ps.map((p: torch.Tensor) => torch.zeros(p.shape).requiresGrad_(true));
  const refs = [...targets];
  vectorToParameters(v.mul(2), targets);
  targets.forEach((t: torch.Tensor, i: number) => {
    assert.equal(t, refs[i]);
    assert.deepEqual(t.shape, ps[i].shape);
    assert.deepEqual(values(t), values(ps[i]).map((x) => Math.fround(x * 2)));
    assert.equal(t.requiresGrad, true);
  });
  assert.throws(() => vectorToParameters(torch.zeros([3]), targets), /has 3 elements but the parameters have/);
});
