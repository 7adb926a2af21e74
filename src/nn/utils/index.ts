/**
 * @file `nn.utils`: a plain list of re-exports.
 */
export { consumePrefixInStateDict } from './state-dict.js';
