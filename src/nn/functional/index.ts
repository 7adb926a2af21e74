/**
 * @file torch.nn.functional: `const F = nn.functional`. Stateless layers, activations and losses.
 */
export { linear, bilinear } from './linear.js';
export {
  conv1d, conv2d, convTranspose1d, convTranspose2d, unfold, fold,
  type ConvOpts, type ConvTransposeOpts, type UnfoldOpts, type IntOrTuple,
} from '../../ops/conv.js';
export {
  maxPool1d, maxPool2d, avgPool1d, avgPool2d, adaptiveAvgPool1d, adaptiveAvgPool2d, type MaxPoolOpts, type AvgPoolOpts,
} from '../../ops/pool.js';
export { batchNorm, layerNorm, groupNorm, type BatchNormOpts, type NormOpts } from './normalization.js';
export { embedding, type EmbeddingOpts } from './sparse.js';
export { dropout, dropout1d, dropout2d, type DropoutOpts } from './dropout.js';
export {
  relu, leakyRelu, gelu, silu, tanh, sigmoid, elu, softplus, hardswish, hardsigmoid, relu6, softmax, logSoftmax, softmin, logSigmoid,
} from './activation.js';
export {
  mseLoss, l1Loss, smoothL1Loss, huberLoss, nllLoss, crossEntropy, binaryCrossEntropy, binaryCrossEntropyWithLogits, klDiv,
  type Reduction, type NllOpts, type CrossEntropyOpts, type WeightedOpts,
} from './loss.js';
export { multiHeadAttentionForward, type MultiHeadAttentionOpts } from './attention.js';
export { scaledDotProductAttention, type SdpaOpts } from './sdpa.js';
