/**
 * @file torchlet's public surface: `import * as torch from 'torchlet'`. Explicit re-exports, and the one setup
 * call (src/setup.ts: the cpu and meta devices, the Tensor methods, the WebAssembly GEMM where the runtime has it).
 */
import { setup } from './setup.js';
setup();
export { Tensor, type NestedArray } from './tensor/tensor.js';
export type { DType } from './core/dtype.js';
export type { DeviceType } from './backend/backend.js';
export * from './core/errors.js';
export { ArgumentError } from './core/args.js';
export * from './ops/index.js';
export { noGrad, enableGrad, inferenceMode, isGradEnabled, setGradEnabled } from './autograd/grad-mode.js';
export * as autograd from './autograd/index.js';
export { Generator, manualSeed, seed, initialSeed, defaultGenerator, setRandomProfile } from './random/index.js';
export { getRngState, setRngState } from './ops/rng-state.js';
export * as memory from './backend/memory-api.js';
export { getDefaultDevice, setDefaultDevice, withDevice } from './backend/default-device.js';
export { setNumThreads, getNumThreads } from './backend/wasm/index.js';
export { save, load, saveBytes, loadBytes, type SaveOptions, type FileSaveOptions, type LoadOptions } from './io/serialization.js';
export { loadBlob } from './io/big-files.js';
export * as nn from './nn/index.js';
export * as func from './func/index.js';
export * as utils from './utils/index.js';
export * as optim from './optim/index.js';
export * as data from './data/index.js';
export * as webgpu from './webgpu.js';
export * as backends from './backends.js';
// torch.tidy(fn) / torch.keep(t): free the device memory of intermediates (a no-op for garbage-collected CPU storages).
export { tidy, keep } from './backend/memory-scope.js';
// torch.linalg (matrixExp, solve, householderProduct, geqrf, qr) and the two that PyTorch also has at top level.
export * as linalg from './ops/linalg-extra.js';
export { matrixExp, geqrf } from './ops/linalg-extra.js';
