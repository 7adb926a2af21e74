/**
 * @file `nn.utils`: a plain list of re-exports.
 */
export { consumePrefixInStateDict, remapStateDictKeys, DEFAULT_REMAP_RULES, type RemapRules, type RemapResult } from './state-dict.js';
export { summary, graphMemory, ModelSummary, formatBytes, type GraphMemory, type SummaryModuleRow, type SummaryTensorRow, type SummaryTotals, type SummaryForward } from './summary.js';
export { clipGradNorm_, clipGradNormAsync_, clipGradValue_, type ClipGradNormOptions } from './clip-grad.js';
export { parametersToVector, vectorToParameters } from './vector.js';
export * as parametrize from './parametrize.js';
export * as parametrizations from './parametrizations.js';
export { weightNorm, removeWeightNorm, spectralNorm, removeSpectralNorm, type OldSpectralNormOptions } from './weight-norm-hooks.js';
