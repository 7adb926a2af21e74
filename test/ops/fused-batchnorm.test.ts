/**
 * @file The fused batch norm (src/ops/fused.ts batchNormFused, backend/cpu/batchnorm.ts) against the op-by-op
 * F.batchNorm it replaces in training mode: the float32 output and running statistics are bit-identical (the
 * kernel keeps every rounding of the composed ops), the gradients agree within float32 rounding (the backward is
 * PyTorch's formula, not the composed ops' chain), float64 gradchecks pass, and setFusedKernels(false) turns it off.
 * The PyTorch fixtures of test/layers/modules.test.ts and test/functional/fixtures.test.ts run through the fused
 * path; modules.test.ts also runs its BatchNorm cases with the fused kernels off. The float32 kernel's WebAssembly
 * path (backend/wasm/cnn.ts, taken here for every size) gives the TypeScript loop's bits, forward and backward.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { setFusedKernels } from '../../src/ops/fused.js';
import { setBatchNormAccel } from '../../src/backend/cpu/batchnorm.js';
import { wasmCnn } from '../../src/backend/wasm/cnn.js';
import { assertValuesClose, gradcheck } from '../helpers/index.js';

const F = torch.nn.functional;

interface Run { y: number[]; rm: number[]; rv: number[]; grads: number[][]; gradFn: string }

/** One training-mode F.batchNorm (running stats updated) and its gradients for a fixed upstream gradient. */
function run(x0: Tensor, w0: Tensor | null, b0: Tensor | null, fused: boolean): Run {
  const prev = setFusedKernels(fused);
  try {
    const C = x0.shape[1];
    const x = x0.detach().requiresGrad_(true), w = w0?.detach().requiresGrad_(true) ?? null, b = b0?.detach().requiresGrad_(true) ?? null;
    const rm = torch.full([C], 0.25, { dtype: x0.dtype }), rv = torch.full([C], 2, { dtype: x0.dtype });
    const y = F.batchNorm(x, rm, rv, { weight: w, bias: b, training: true, momentum: 0.2, eps: 1e-3 });
    const g = torch.randn([...y.shape], { dtype: y.dtype, generator: new torch.Generator().manualSeed(9) });
    const wrt = [x, w, b].filter((t): t is Tensor => t !== null);
    const grads = torch.autograd.grad([y], wrt, [g]).map((t) => Array.from(t!.dataSync() as Float32Array));
    const arr = (t: Tensor) => Array.from(t.dataSync() as Float32Array);
    return { y: arr(y), rm: arr(rm), rv: arr(rv), grads, gradFn: String(y.gradFn) };
  } finally { setFusedKernels(prev); }
}

const shapes: number[][] = [[4, 3, 5, 6], [6, 4], [3, 2, 7], [2, 5, 1, 1]];

for (const dtype of ['float32', 'float64'] as const) {
  for (const shape of shapes) {
    for (const affine of ['weight+bias', 'weight', 'bias', 'none'] as const) {
      test(`fused batchNorm ${dtype} [${shape}] ${affine}: output and running stats bit-identical to the composed ops, gradients close`, () => {
        torch.manualSeed(shape.length * 7 + shape[0]);
        const C = shape[1];
        const x = torch.randn(shape, { dtype }).mul(2).add(0.5);
        const w = affine === 'weight+bias' || affine === 'weight' ? torch.randn([C], { dtype }) : null;
        const b = affine === 'weight+bias' || affine === 'bias' ? torch.randn([C], { dtype }) : null;
        const on = run(x, w, b, true), off = run(x, w, b, false);
        assert.equal(on.gradFn, '<NativeBatchNormBackward0>');
        assert.notEqual(off.gradFn, '<NativeBatchNormBackward0>');
        assert.deepEqual(on.y, off.y, 'output bit for bit');
        assert.deepEqual(on.rm, off.rm, 'running mean bit for bit');
        assert.deepEqual(on.rv, off.rv, 'running var bit for bit');
        const tol = dtype === 'float64' ? { atol: 1e-12, rtol: 1e-10 } : { atol: 2e-6, rtol: 1e-4 };
        assert.equal(on.grads.length, off.grads.length);
        on.grads.forEach((gv, i) => assertValuesClose(gv, off.grads[i], tol, `gradient ${i}`));
      });
    }
  }
}

test('fused batchNorm: float64 gradcheck (input, weight and bias; without affine; a non-contiguous input)', () => {
  torch.manualSeed(4);
  const r = (s: number[]) => torch.randn(s, { dtype: 'float64' }).requiresGrad_(true);
  gradcheck((x, w, b) => F.batchNorm(x, null, null, { weight: w, bias: b, training: true }), [r([4, 3, 2, 3]), r([3]), r([3])]);
  gradcheck((x) => F.batchNorm(x, null, null, { training: true, eps: 1e-2 }), [r([5, 2])]);
  gradcheck((x, w) => F.batchNorm(x.transpose(0, 2), null, null, { weight: w, training: true }), [r([3, 2, 4]), r([2])]);
  // only the weight requires grad
  const x = torch.randn([3, 2, 4], { dtype: 'float64' });
  gradcheck((w) => F.batchNorm(x, null, null, { weight: w, training: true }), [r([2])]);
});

test('fused batchNorm: eval mode and integer inputs keep their paths; the input is saved (in-place change before backward raises)', () => {
  const x = torch.randn([4, 3, 2]).requiresGrad_(true);
  const rm = torch.zeros([3]), rv = torch.ones([3]);
  assert.notEqual(String(F.batchNorm(x, rm, rv, { training: false }).gradFn), '<NativeBatchNormBackward0>');
  const xi = torch.randn([4, 3]).requiresGrad_(true);
  const leaf = xi.mul(1);
  const y = F.batchNorm(leaf, null, null, { training: true });
  assert.equal(String(y.gradFn), '<NativeBatchNormBackward0>');
  leaf.add_(1);
  assert.throws(() => y.sum().backward(), /modified by an inplace operation/);
});

test('fused batchNorm float32: the WebAssembly kernels give the TypeScript loops\' bits (output, statistics, gradients)', () => {
  const wasm = wasmCnn({ poolOutputs: 1, bnRun: 1, bnChannel: 1, columns: 1 })?.batchNorm ?? null;
  assert.ok(wasm, 'the cnn module is built');
  // channel groups of 4 and a remainder, N = 1 (channels adjacent), odd lengths (the scalar tails)
  for (const shape of [[4, 3, 5, 6], [6, 4], [3, 9, 7], [1, 6, 33], [2, 5, 1, 1], [5, 8, 4, 4]]) {
    for (const affine of [true, false]) {
      torch.manualSeed(shape[1] * 13 + shape[0]);
      const C = shape[1];
      const x = torch.randn(shape).mul(3).add(-0.7);
      const w = affine ? torch.randn([C]) : null, b = affine ? torch.randn([C]) : null;
      const prev = setBatchNormAccel(wasm);
      let on: Run, off: Run;
      try { on = run(x, w, b, true); setBatchNormAccel(null); off = run(x, w, b, true); } finally { setBatchNormAccel(prev); }
      const what = `[${shape}] ${affine ? 'affine' : 'plain'}`;
      assert.deepEqual(on.y, off.y, `output ${what}`);
      assert.deepEqual(on.rm, off.rm, `running mean ${what}`);
      assert.deepEqual(on.rv, off.rv, `running var ${what}`);
      assert.deepEqual(on.grads, off.grads, `gradients ${what}`);
    }
  }
});
