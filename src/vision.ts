/**
 * @file torchlet/vision: torchvision's architectures for torchlet (`import { models } from 'torchlet/vision'`).
 * Same constructors (options objects), same state-dict keys, same default initialization for the same seed.
 */
import { setup } from './setup.js';
setup(); // the CPU device, the Tensor methods and the WebAssembly kernels, as `import 'torchlet'` sets them up
export * as models from './vision/models.js';
export * as ops from './vision/ops.js';
