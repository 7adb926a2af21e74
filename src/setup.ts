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
  }
  if ((opts.wasmKernels ?? true) && !wasmTried) {
    wasmTried = true;
    enableWasmKernels();
  }
}
