/**
 * @file `torch.func`: module state as a value. A plain list of re-exports.
 */
export { functionalCall, type FunctionalCallOptions } from './functional-call.js';
