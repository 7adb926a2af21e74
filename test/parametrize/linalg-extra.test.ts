/**
 * @file torch.linalg's matrixExp, solve, householderProduct, geqrf and qr against PyTorch 2.6 (float64 values and
 * grads, test/fixtures/parametrize/parametrize.json "ops"), float64 gradchecks, and their argument errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { assertThrowsWith, gradcheck, loadFixture } from '../helpers/index.js';
import { close, type JT } from './helpers.js';

const OPS = loadFixture<{ ops: Record<string, Record<string, JT>> }>('parametrize/parametrize.json').ops;
const { linalg } = torch;
const F64 = (j: JT, requiresGrad = false) => torch.tensor(Float64Array.from(j.data), { dtype: 'float64' }).reshape(j.shape).requiresGrad_(requiresGrad);
const TIGHT = { atol: 1e-10, rtol: 1e-9 };

function check(name: string, fn: (...xs: Tensor[]) => Tensor, inputs: string[], grads: string[]): void {
  const o = OPS[name];
  const xs = inputs.map((k) => F64(o[k], true));
  const y = fn(...xs);
  close(y, o.y, `${name} value`, TIGHT);
  y.mul(F64(o.c)).sum().backward();
  grads.forEach((g, i) => close(xs[i].grad!, o[g], `${name} grad ${inputs[i]}`, TIGHT));
}

test('matrixExp, solve, householderProduct: values and grads match PyTorch 2.6 (float64)', () => {
  check('matrix_exp', (a) => torch.matrixExp(a), ['a'], ['ga']);
  check('matrix_exp_big_batched', (a) => linalg.matrixExp(a), ['a'], ['ga']);
  check('solve', (a, b) => linalg.solve(a, b), ['a', 'b'], ['ga', 'gb']);
  check('householder_product', (a, t) => linalg.householderProduct(a, t), ['a', 'tau'], ['ga', 'gtau']);
});

test('geqrf and qr match LAPACK (PyTorch 2.6) signs and values', () => {
  const o = OPS.geqrf;
  const { a, tau } = torch.geqrf(F64(o.a));
  close(a, o.qr_a, 'geqrf a', TIGHT);
  close(tau, o.tau, 'geqrf tau', TIGHT);
  const { Q, R } = linalg.qr(F64(o.a));
  close(Q, o.q, 'qr Q', TIGHT);
  close(R, o.r, 'qr R', TIGHT);
});

test('gradcheck (float64): matrixExp, solve (matrix and vector right-hand sides, broadcast batch), householderProduct', () => {
  torch.manualSeed(7);
  const r = (s: number[], scale = 1) => torch.randn(s, { dtype: 'float64' }).mul(scale).requiresGrad_(true);
  gradcheck((a) => linalg.matrixExp(a), [r([2, 3, 3], 0.8)]);
  gradcheck((a) => linalg.matrixExp(a), [r([3, 3], 2.5)]); // scaled and squared
  const A = torch.randn([2, 3, 3], { dtype: 'float64' }).add(torch.eye(3, { dtype: 'float64' }).mul(4)).requiresGrad_(true);
  gradcheck((a, b) => linalg.solve(a, b), [A, r([3, 2])]);
  gradcheck((a, b) => linalg.solve(a, b), [A, r([2, 3])]);
  gradcheck((a, t) => linalg.householderProduct(a, t), [r([4, 3]), r([2], 0.5)]);
});

test('householderProduct: the compact WY path (every τ ≠ 0) and the reflector-by-reflector path (a τ = 0) equal the explicit product', () => {
  torch.manualSeed(5);
  const A = torch.randn([5, 3], { dtype: 'float64' });
  const explicit = (tau: number[]) => {
    let H = torch.eye(5, { dtype: 'float64' });
    tau.forEach((t, i) => {
      // vᵢ: 0 above i, 1 at i, A's column i below
      const col = torch.tensor(Float64Array.from({ length: 5 }, (_, r) => (r < i ? 0 : r === i ? 1 : A.dataSync()[r * 3 + i])), { dtype: 'float64' }).reshape([5, 1]);
      H = H.matmul(torch.eye(5, { dtype: 'float64' }).sub(col.matmul(col.t()).mul(t)));
    });
    return H.narrow(1, 0, 3);
  };
  for (const tau of [[0.7, 1.3, 0.4], [0.7, 0, 0.4]]) {
    const Q = linalg.householderProduct(A, torch.tensor(tau, { dtype: 'float64' }));
    assert.ok(torch.allclose(Q, explicit(tau), { atol: 1e-12 }), `tau ${JSON.stringify(tau)}`);
  }
  gradcheck((a, t) => linalg.householderProduct(a, t), [torch.randn([4, 3], { dtype: 'float64' }).requiresGrad_(true),
    torch.tensor([0.5, 0, 1.2], { dtype: 'float64' }).requiresGrad_(true)]);
});

test('argument errors name the op and the fix', () => {
  assertThrowsWith(() => linalg.matrixExp(torch.zeros([2, 3])), ['matrixExp', 'square matrices']);
  assertThrowsWith(() => linalg.matrixExp(torch.zeros([3, 3], { dtype: 'int64' })), ['floating point', '.double()']);
  assertThrowsWith(() => linalg.solve(torch.zeros([2, 2]), torch.ones([2])), ['singular']);
  assertThrowsWith(() => linalg.solve(torch.eye(2), torch.ones([3, 1])), ['Incompatible shapes']);
  assertThrowsWith(() => linalg.solve(torch.eye(2), torch.ones([2], { dtype: 'float64' })), ['same dtype']);
  assertThrowsWith(() => linalg.householderProduct(torch.zeros([2, 3]), torch.zeros([2])), ['at least as many rows']);
  assertThrowsWith(() => linalg.householderProduct(torch.zeros([3, 2]), torch.zeros([3])), ['at most 2']);
  assert.deepEqual([...linalg.solve(torch.eye(2), torch.ones([2])).shape], [2]);
});
