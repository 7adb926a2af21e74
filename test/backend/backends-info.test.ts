/**
 * torch.backends.info(): which CPU kernels and how many threads run, and why; a fallback warns once with its
 * reason and fix. `torchlet env` prints the same. (The browser cases, a CSP refusing WebAssembly or Blob workers,
 * are in test/bundle/web-page.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as torch from '../../src/index.js';

const ROOT = new URL('../../', import.meta.url).pathname;

function child(code: string, env: Record<string, string> = {}): { out: unknown; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } });
  assert.equal(r.status, 0, r.stderr);
  return { out: JSON.parse(r.stdout.trim().split('\n').pop()!), stderr: r.stderr };
}

test('backends.info() in Node: relaxed-SIMD WebAssembly kernels, the threads requested all run, no warning', () => {
  const i = torch.backends.info();
  assert.equal(i.runtime.name, 'node');
  assert.equal(i.runtime.version, process.versions.node);
  assert.equal(i.cpu.kernels, 'wasm-relaxed-simd');
  assert.match(i.cpu.reason, /relaxed SIMD/);
  assert.match(i.cpu.gemm, /^wasm relaxed SIMD/);
  assert.deepEqual(i.cpu.recycling, { enabled: false, heldBytes: 0 }, 'Node reuses freed memory itself: no float32 recycling (core/f32-pool.ts)');
  assert.equal(i.threads.running, torch.getNumThreads());
  assert.equal(i.threads.running, i.threads.requested);
  assert.equal(i.threads.limitedBy, null);
  assert.equal(i.webgpu.initialized, torch.webgpu.isAvailable());
});

test('backends.threadsReady() resolves with the threads that run; setNumThreads(1) gives 1', async () => {
  const before = torch.getNumThreads();
  assert.equal(await torch.backends.threadsReady(), before);
  torch.setNumThreads(1);
  try {
    assert.equal(await torch.backends.threadsReady(), 1);
    assert.equal(torch.backends.info().threads.requested, 1);
  } finally { torch.setNumThreads(before); }
});

test('TORCHLET_WASM=off: TypeScript kernels, the reason names the variable, no warning (the user chose it)', () => {
  const { out, stderr } = child("import * as torch from './src/index.ts'; console.log(JSON.stringify(torch.backends.info()));", { TORCHLET_WASM: 'off' });
  const i = out as torch.backends.BackendsInfo;
  assert.equal(i.cpu.kernels, 'typescript');
  assert.equal(i.cpu.reason, 'TORCHLET_WASM=off chose the TypeScript kernels');
  assert.equal(i.threads.running, 1);
  assert.equal(i.threads.limitedBy, 'the TypeScript kernels run on one thread');
  assert.doesNotMatch(stderr, /torchlet:/);
});

test("WebAssembly compilation refused (as under a CSP without 'wasm-unsafe-eval'): TypeScript kernels, one warning with the fix", () => {
  const code = `
const Real = WebAssembly.Module;
WebAssembly.Module = function () { throw new WebAssembly.CompileError("WebAssembly.Module(): Refused to compile or instantiate WebAssembly module because 'unsafe-eval' is not an allowed source of script"); };
const torch = await import('./src/index.ts');
torch.matmul(torch.ones([4, 4]), torch.ones([4, 4]));
console.log(JSON.stringify(torch.backends.info()));`;
  const { out, stderr } = child(code);
  const i = out as torch.backends.BackendsInfo;
  assert.equal(i.cpu.kernels, 'typescript');
  assert.match(i.cpu.reason, /^compiling the WebAssembly kernels failed: .*Refused to compile/);
  assert.equal(i.cpu.gemm, 'reference (TypeScript, cache-blocked)');
  const warnings = stderr.split('\n').filter((l) => l.startsWith('torchlet:'));
  assert.equal(warnings.length, 1, stderr);
  assert.match(warnings[0], /TypeScript kernels \(about 4x slower\).*add 'wasm-unsafe-eval' to its script-src directive/);
});

test('torchlet env prints the kernels, threads and versions (text and --json)', () => {
  const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'env', '--no-webgpu', ...args], { cwd: ROOT, encoding: 'utf8' });
  const text = cli([]);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /^torchlet \d+\.\d+\.\d+\n/);
  assert.match(text.stdout, /\nNode\.js 20\./);
  assert.match(text.stdout, /\nCPU kernels: wasm-relaxed-simd \(/);
  assert.match(text.stdout, /\nfloat32 buffer recycling: off\n/);
  assert.match(text.stdout, /\nthreads: \d+ running of \d+ requested\n/);
  assert.match(text.stdout, /\nWebGPU: not tried \(--no-webgpu\)$/m);
  const json = cli(['--json']);
  assert.equal(json.status, 0, json.stderr);
  const j = JSON.parse(json.stdout) as { node: string; cpu: { kernels: string }; threads: { running: number } };
  assert.equal(j.node, process.versions.node);
  assert.equal(j.cpu.kernels, 'wasm-relaxed-simd');
  assert.ok(j.threads.running >= 1);
});
