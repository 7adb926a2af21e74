/**
 * @file F.linear's fused CPU node (ops/linear.ts, PyTorch's addmm) against the generic path it replaces
 * (matmul(x, Wᵀ) + b): the bias gradient, which the backward takes from the staging of g for dW
 * (Backend.matmulRowSums, GemmArgs.sumsA), has the bits of the CPU reduce; dx and dW agree with the generic path.
 * Run on the WebAssembly GEMM (column sums in wasm) and on the TypeScript reference GEMM (column sums in JS).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { getBackend } from '../../src/backend/backend.js';
import { enableWasmKernels, disableWasmKernels } from '../../src/backend/wasm/index.js';
import { assertValuesClose } from '../helpers/index.js';

const F = torch.nn.functional;

/** Gradients [dx, dW, db] of sum(y * u) for y = linear(x, W, b), fused or through matmul + add. */
function grads(x0: Tensor, w0: Tensor, b0: Tensor, u: Tensor, fused: boolean): Float32Array[] {
  const [x, w, b] = [x0, w0, b0].map((t) => t.detach().requiresGrad_(true));
  const y = fused ? F.linear(x, w, b) : torch.matmul(x, w.t()).add(b);
  y.mul(u).sum().backward();
  return [x, w, b].map((t) => t.grad!.dataSync() as Float32Array);
}

const CASES: [number[], number, number][] = [[[5, 7], 3, 7], [[2, 9, 13], 6, 13], [[64, 128], 40, 128], [[3, 4, 33], 1001, 33]];

for (const wasm of [true, false]) {
  test(`linear backward: db from the dW staging has the reduce's bits; dx, dW as matmul + add (${wasm ? 'wasm' : 'reference'} GEMM)`, () => {
    if (wasm) enableWasmKernels(); else disableWasmKernels();
    const be = getBackend('cpu');
    const desc = Object.getOwnPropertyDescriptor(be, 'matmulRowSums')!;
    const orig = desc.value as NonNullable<typeof be.matmulRowSums>;
    let calls = 0;
    be.matmulRowSums = (...a) => { calls++; return orig(...a); };
    try {
      torch.manualSeed(3);
      for (const [xs, out, inF] of CASES) {
        const x = torch.randn(xs), w = torch.randn([out, inF]), b = torch.randn([out]), u = torch.randn([...xs.slice(0, -1), out]);
        const before = calls;
        const [dx, dw, db] = grads(x, w, b, u, true);
        assert.equal(calls, before + 1, `${xs} x ${out}: the fused backward used matmulRowSums`);
        const [gx, gw, gb] = grads(x, w, b, u, false);
        assert.deepEqual(db, gb, `${xs} x ${out}: db`);
        assertValuesClose(Array.from(dx), Array.from(gx), { atol: 1e-4, rtol: 1e-5 }, `${xs} x ${out}: dx`);
        assertValuesClose(Array.from(dw), Array.from(gw), { atol: 1e-4, rtol: 1e-5 }, `${xs} x ${out}: dW`);
      }
      // one row, or one output feature: the reduce's other branch, so the separate reduce
      const [x1, w1, b1, u1] = [torch.randn([1, 5]), torch.randn([4, 5]), torch.randn([4]), torch.randn([1, 4])];
      const before = calls;
      assert.deepEqual(grads(x1, w1, b1, u1, true)[2], grads(x1, w1, b1, u1, false)[2]);
      const [x2, w2, b2] = [torch.randn([6, 5]), torch.randn([1, 5]), torch.randn([1])], u2 = torch.randn([6, 1]);
      assert.deepEqual(grads(x2, w2, b2, u2, true)[2], grads(x2, w2, b2, u2, false)[2]);
      assert.equal(calls, before, 'M = 1 or N = 1: no fused sums');
    } finally {
      Object.defineProperty(be, 'matmulRowSums', desc);
      enableWasmKernels();
    }
  });
}

after(() => enableWasmKernels());
