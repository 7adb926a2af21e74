/**
 * @file torchlet's public surface: `import * as torch from 'torchlet'`. Explicit re-exports only.
 */
import './backend/cpu/index.js';
export { Tensor, type NestedArray } from './tensor/tensor.js';
export type { DType } from './core/dtype.js';
export type { DeviceType } from './backend/backend.js';
export * from './core/errors.js';
export * from './ops/index.js';
export { noGrad, enableGrad, inferenceMode, isGradEnabled, setGradEnabled } from './autograd/grad-mode.js';
export * as autograd from './autograd/index.js';
export { Generator, manualSeed, seed, initialSeed, defaultGenerator } from './random/index.js';
export { getRngState, setRngState } from './ops/rng-state.js';
export { ArgumentError } from './core/args.js';
export * as memory from './backend/memory-api.js';
export { setNumThreads, getNumThreads } from './backend/wasm/index.js';
import { enableWasmKernels } from './backend/wasm/index.js';
// The CPU's float32 GEMM runs on WebAssembly SIMD (relaxed where available) when the runtime has it.
enableWasmKernels();
export { save, load, saveBytes, loadBytes, type SaveOptions } from './io/serialization.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export * as data from './data/index.js';
export * as webgpu from './webgpu.js';
// torch.tidy(fn) / torch.keep(t): free the device memory of intermediates (a no-op for garbage-collected CPU storages).
export { tidy, keep } from './backend/webgpu/tidy.js';
