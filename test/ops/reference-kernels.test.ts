/**
 * The op suites run on both CPU kernel sets: in the main run the float32 GEMM is the WebAssembly SIMD one
 * (src/index.ts enables it); here the same PyTorch-fixture and gradcheck suites run again in a child process
 * with TORCHLET_WASM=off, i.e. on the plain-TypeScript reference kernels.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { gemmF32Backend } from '../../src/backend/cpu/gemm.js';
import '../../src/index.js';

test('the main run computes float32 matmuls with the WebAssembly GEMM', () => {
  assert.match(gemmF32Backend(), /^wasm /);
});

test('the op suites pass on the TypeScript reference kernels too (TORCHLET_WASM=off)', () => {
  const env: NodeJS.ProcessEnv = { ...process.env, TORCHLET_WASM: 'off', TORCHLET_TEST_DEVICE: 'cpu', TORCHLET_EXPECT_GEMM: 'reference' };
  delete env.NODE_TEST_CONTEXT; // a nested test run of its own, not a subtest of this one
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', 'test/ops/pytorch.test.ts', 'test/ops/gradcheck.test.ts'], {
    encoding: 'utf8', timeout: 300_000, env,
  });
  const out = `${r.stdout}${r.stderr}`;
  assert.equal(r.status, 0, out.slice(-3000));
  const pass = Number(/# pass (\d+)/.exec(out)?.[1] ?? 0);
  assert.match(out, /# fail 0/);
  assert.ok(pass > 500, `expected the whole op table to run, got ${pass} passing tests`);
});
