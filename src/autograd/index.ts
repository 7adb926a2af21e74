/** @file torch.autograd: grad() and the grad-mode helpers. */
export { grad, backward } from './engine.js';
export { noGrad, enableGrad, inferenceMode } from './grad-mode.js';
