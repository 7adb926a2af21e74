/**
 * PyTorch's optimizer fixtures (test/optim/optimizers.test.ts) with every float32 SGD/Adam/AdamW update on the
 * WebAssembly SIMD kernels (backend/wasm/optim.ts), whatever the length: the fixtures' parameters are shorter than
 * the kernels' usual minimum, so the plain run of that file checks the TypeScript loops and this one the wasm ones.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/index.js';
import { wasmOptim } from '../../src/backend/wasm/optim.js';
import { setOptimAccel } from '../../src/backend/cpu/optim.js';

const acc = wasmOptim({ adam: 1, sgd: 1 });
assert.ok(acc, 'the optim module is built (npm run build:wasm)');
let calls = 0;
setOptimAccel({
  adam: (...a) => { calls++; return acc.adam(...a); },
  sgd: (...a) => { calls++; return acc.sgd(...a); },
});

await import('./optimizers.test.js');

test('the fixtures above ran their updates through the wasm kernels', () => {
  assert.ok(calls > 100, `${calls} wasm updates`);
});
