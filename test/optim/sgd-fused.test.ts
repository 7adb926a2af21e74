/**
 * @file The fused momentum-SGD update (Backend.sgdMomentumStep, backend/cpu/optim.ts) against the op-by-op update
 * it replaces (the backend method removed): bit-identical parameters and momentum buffers over several steps,
 * float32 and float64, with and without dampening; Nesterov and weight decay keep the op-by-op path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';
import { getBackend } from '../../src/backend/backend.js';

function train(dtype: 'float32' | 'float64', opts: Record<string, number | boolean>, fused: boolean): number[][] {
  const be = getBackend('cpu');
  const descriptor = Object.getOwnPropertyDescriptor(be, 'sgdMomentumStep')!;
  if (!fused) be.sgdMomentumStep = undefined;
  try {
    torch.manualSeed(9);
    const w = torch.randn([7, 5], { dtype }).requiresGrad_(true), b = torch.randn([5], { dtype }).requiresGrad_(true);
    const opt = new torch.optim.SGD([w, b], { lr: 0.05, momentum: 0.9, ...opts });
    const x = torch.randn([4, 7], { dtype });
    for (let i = 0; i < 4; i++) {
      opt.zeroGrad();
      x.matmul(w).add(b).tanh().pow(2).sum().backward();
      opt.step();
    }
    const bufs = [w, b].map((p) => opt.state.get(p)!.momentum_buffer as torch.Tensor);
    return [w, b, ...bufs].map((t) => Array.from(t.dataSync() as Float32Array));
  } finally { Object.defineProperty(be, 'sgdMomentumStep', descriptor); }
}

for (const dtype of ['float32', 'float64'] as const) {
  for (const opts of [{}, { dampening: 0.1 }, { nesterov: true }, { weightDecay: 0.01 }] as Record<string, number | boolean>[]) {
    test(`SGD momentum ${JSON.stringify(opts)} (${dtype}): the fused update is bit-identical to the op-by-op one`, () => {
      assert.deepEqual(train(dtype, opts, true), train(dtype, opts, false));
    });
  }
}

test('SGD momentum runs the fused update from its second step (the first one creates the buffer)', () => {
  const be = getBackend('cpu');
  const saved = be.sgdMomentumStep!.bind(be), original = Object.getOwnPropertyDescriptor(be, 'sgdMomentumStep')!;
  let calls = 0;
  be.sgdMomentumStep = (...a) => { calls++; saved(...a); };
  try { train('float32', {}, true); } finally { Object.defineProperty(be, 'sgdMomentumStep', original); }
  assert.equal(calls, 2 * 3); // 2 parameters x steps 2-4
});
