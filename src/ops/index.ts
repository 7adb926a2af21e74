/**
 * @file The functional op surface (torch.*). The Tensor methods are attached by the setup path (src/setup.ts).
 */
export * from './creation.js';
export {
  add, sub, mul, div, pow, neg, abs, sqrt, rsqrt, exp, expm1, log, log1p, sin, cos, tan, tanh, sigmoid, relu, gelu, silu, softplus,
  erf, erfinv, sign, floor, ceil, round, trunc, reciprocal, square, maximum, minimum, atan2, remainder, floorDivide,
  eq, ne, lt, le, gt, ge, logicalAnd, logicalOr, logicalXor, logicalNot, isnan, where, clamp, maskedFill,
  type Scalar, type TensorOrScalar,
} from './elementwise.js';
export {
  sum, mean, prod, amax, amin, max, min, argmax, argmin, variance, variance as var, std, logsumexp, norm, all, any,
  softmax, logSoftmax, cumsum, sort, topk, type ReduceOpts, type VarOpts, type Dims,
} from './reduce.js';
export { matmul, mm, bmm, mv, dot } from './linalg.js';
export { gather, scatter, scatterAdd, indexSelect, tril, triu, oneHot } from './indexing.js';
export {
  view, reshape, transpose, permute, t, squeeze, unsqueeze, expand, broadcastTo, narrow, select, slice, flatten, unflatten,
  contiguous, clone, detach, cat, stack, split, chunk,
} from './movement.js';
export { index, indexPut, indexPut_, type IndexItem, type IndexSpec, type IndexArray, type IndexPutOpts } from './subscript.js';
export { to } from './methods.js';
export { multinomial, type MultinomialOpts } from './sampling.js';
export { equal, isclose, allclose, type IscloseOpts } from './compare.js';
