/**
 * @file The layer modules of torch.nn (re-exported by nn/index.ts).
 */
export { Identity, Linear, NonDynamicallyQuantizableLinear, Bilinear, Flatten, Unflatten, type LinearOpts } from './linear.js';
export { Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d, type ConvModuleOpts, type ConvTransposeModuleOpts } from './conv.js';
export { MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d, AdaptiveAvgPool1d, AdaptiveAvgPool2d, type MaxPoolModuleOpts, type AvgPoolModuleOpts } from './pooling.js';
export { BatchNorm1d, BatchNorm2d, LayerNorm, GroupNorm, type BatchNormOpts, type LayerNormOpts, type GroupNormOpts } from './normalization.js';
export { Embedding, type EmbeddingModuleOpts } from './sparse.js';
export { Dropout, Dropout1d, Dropout2d } from './dropout.js';
export { ReLU, LeakyReLU, GELU, SiLU, Tanh, Sigmoid, Softmax, LogSoftmax, ELU, Softplus, Hardswish, Hardsigmoid } from './activation.js';
export { RNN, LSTM, GRU, type RNNOpts } from './rnn.js';
export { MultiheadAttention, TransformerEncoderLayer, type MultiheadAttentionOpts, type MhaForwardOpts, type TransformerEncoderLayerOpts } from './attention.js';
export {
  TransformerEncoder, TransformerDecoderLayer, TransformerDecoder, Transformer, generateSquareSubsequentMask, type TransformerEncoderOpts,
  type TransformerEncoderForwardOpts, type TransformerDecoderLayerOpts, type TransformerDecoderLayerForwardOpts, type TransformerOpts, type TransformerForwardOpts,
} from './transformer.js';
export {
  MSELoss, L1Loss, SmoothL1Loss, HuberLoss, CrossEntropyLoss, NLLLoss, BCELoss, BCEWithLogitsLoss, KLDivLoss, type CrossEntropyLossOpts,
} from './loss.js';
