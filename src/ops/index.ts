/**
 * @file The functional op surface (torch.*). The Tensor methods are attached by the setup path (src/setup.ts).
 */
export * from './creation.js';
// the elementwise family: every export is a registered op (ops/registry.ts) or a type
export * from './elementwise.js';
// the reduce and compare families: every export is a registered op or a type (reduce's `var` is also `variance`)
export * from './reduce.js';
// the linalg family (registered); linalg.ts's host-side float64 helpers stay internal
export { matmul, mm, bmm, mv, dot } from './linalg.js';
// registered families that also export op-layer helpers (toDtype, assign, ...): their torch.* functions by name
export { gather, scatter, scatterAdd, indexSelect, tril, triu, oneHot } from './indexing.js';
export {
  view, reshape, transpose, permute, t, squeeze, unsqueeze, expand, broadcastTo, narrow, select, slice, flatten, unflatten,
  contiguous, clone, detach, cat, stack, split, chunk,
} from './movement.js';
export { index, indexPut, indexPut_, type IndexItem, type IndexSpec, type IndexArray, type IndexPutOpts } from './subscript.js';
export { to } from './cast.js';
export { multinomial, type MultinomialOpts } from './sampling.js';
export * from './compare.js';
