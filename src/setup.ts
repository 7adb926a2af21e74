/**
 * @file The one setup path: registers the always-present devices (cpu, meta), hands Tensor.backward its engine,
 * attaches the Tensor methods, and (unless told not to) switches the CPU's float32 GEMM to WebAssembly SIMD.
 * The entry points call it (src/index.ts, src/text.ts, src/vision.ts, the CLI, web/'s worker); no other file
 * changes global state when imported, so a bundler drops what a program does not use (package.json
 * `sideEffects`). Idempotent. webgpu registers itself later, in `await torch.webgpu.init()`.
 */
import { registerBackend } from './backend/backend.js';
import { cpuBackend } from './backend/cpu/index.js';
import { metaBackend } from './backend/meta/index.js';
import { enableWasmKernels } from './backend/wasm/index.js';
import { backward } from './autograd/engine.js';
import { setBackwardEngine } from './tensor/tensor.js';
import { installTensorMethods } from './ops/methods.js';
import { setFloat32Recycling } from './core/f32-pool.js';

let ready = false, wasmTried = false;

export interface SetupOptions {
  /** Run the CPU's float32 GEMM on WebAssembly SIMD where the runtime has it (default true). */
  wasmKernels?: boolean;
}

export function setup(opts: SetupOptions = {}): void {
  if (!ready) {
    ready = true;
    registerBackend(cpuBackend);
    registerBackend(metaBackend);
    setBackwardEngine(backward);
    installTensorMethods();
    setFloat32Recycling(float32RecyclingDefault());
  }
  if ((opts.wasmKernels ?? true) && !wasmTried) {
    wasmTried = true;
    enableWasmKernels();
  }
}

/**
 * Recycle large float32 arrays (core/f32-pool.ts) where the runtime's allocator hands out unmapped memory for
 * each fresh ArrayBuffer (Chromium: a page fault per 4 KiB written), not in Node, whose allocator reuses freed
 * memory (there the pool measured slower). TORCHLET_F32_POOL=1 or 0 overrides (tests, benchmarks).
 */
function float32RecyclingDefault(): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: string }; env?: Record<string, string | undefined> } }).process;
  const forced = proc?.env?.TORCHLET_F32_POOL;
  if (forced === '1' || forced === 'on') return true;
  if (forced === '0' || forced === 'off') return false;
  return !proc?.versions?.node;
}
