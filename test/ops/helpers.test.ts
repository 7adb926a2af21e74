/**
 * @file The test helpers test themselves: gradcheck must catch a wrong backward, assertClose a wrong value.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../helpers/torch.js';
import { record } from '../../src/autograd/node.js';
import { assertClose, gradcheck } from '../helpers/index.js';

test('gradcheck passes a correct backward and reports a small error', () => {
  const x = torch.randn([3, 4], { dtype: 'float64', generator: new torch.Generator().manualSeed(1) }).requiresGrad_();
  const { maxErr } = gradcheck((a) => a.mul(a).sum(1), [x]);
  assert.ok(maxErr < 1e-7, `maxErr ${maxErr}`);
});

test('gradcheck catches a wrong backward', () => {
  const wrongSquare = (a: torch.Tensor) => record(torch.mul(a.detach(), a.detach()), 'WrongSquare', [a], (g) => [g.mul(a).mul(3)], [a]);
  const x = torch.randn([5], { dtype: 'float64', generator: new torch.Generator().manualSeed(2) }).requiresGrad_();
  assert.throws(() => gradcheck(wrongSquare, [x]), /analytic vs numeric/);
});

test('gradcheck catches a gradient that is missing for one input', () => {
  const half = (a: torch.Tensor, b: torch.Tensor) => record(torch.add(a.detach(), b.detach()), 'HalfAdd', [a, b], (g) => [g, null]);
  const gen = new torch.Generator().manualSeed(3);
  const a = torch.randn([4], { dtype: 'float64', generator: gen }).requiresGrad_();
  const b = torch.randn([4], { dtype: 'float64', generator: gen }).requiresGrad_();
  assert.throws(() => gradcheck(half, [a, b]), /input 1/);
});

test('assertClose checks shape and values', () => {
  const t = torch.tensor([[1, 2], [3, 4]], { dtype: 'float32' });
  assertClose(t, [[1, 2], [3, 4.00001]]);
  assert.throws(() => assertClose(t, [[1, 2], [3, 4.1]]), /element 3/);
  assert.throws(() => assertClose(t, torch.tensor([1, 2, 3, 4], { dtype: 'float32' })), /shape/);
  assertClose(torch.tensor([NaN, Infinity]), [NaN, Infinity]);
  assert.throws(() => assertClose(torch.tensor([NaN]), [1]));
});
