/**
 * @file `torch.utils`: a plain list of re-exports.
 */
export * as checkpoint from './checkpoint.js';
