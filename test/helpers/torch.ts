/**
 * @file The tensor core of torchlet's public surface (src/index.ts minus nn/optim/io), for the op, autograd and
 * tensor suites, so they run while other parts of the package are being built.
 */
import { setup } from '../../src/setup.js';
setup({ wasmKernels: false }); // the cpu and meta devices, Tensor methods and backward; the TypeScript GEMM
export { Tensor, type NestedArray } from '../../src/tensor/tensor.js';
export type { DType } from '../../src/core/dtype.js';
export * from '../../src/core/errors.js';
export * from '../../src/ops/index.js';
export { noGrad, enableGrad, inferenceMode, isGradEnabled, setGradEnabled } from '../../src/autograd/grad-mode.js';
export * as autograd from '../../src/autograd/index.js';
export { Generator, manualSeed } from '../../src/random/index.js';
