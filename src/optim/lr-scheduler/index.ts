/**
 * @file torch.optim.lr_scheduler as `optim.lrScheduler`: every scheduler of PyTorch 2.6 (LambdaLR, MultiplicativeLR,
 * StepLR, MultiStepLR, ConstantLR, LinearLR, ExponentialLR, PolynomialLR, CosineAnnealingLR,
 * CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR, SequentialLR, ChainedScheduler, ReduceLROnPlateau), each with
 * step(), getLastLr() and stateDict()/loadStateDict() whose keys are PyTorch's (`base_lrs`, `last_epoch`,
 * `_step_count`, `_last_lr`, `T_max`, ...). Options are PyTorch's names in camelCase, checked (an unknown key is an
 * error with a did-you-mean). Arithmetic is float64 in PyTorch's order.
 */
export { LRScheduler, type SchedulerStateDict, type BaseSchedulerOptions } from './base.js';
export {
  LambdaLR, MultiplicativeLR, StepLR, MultiStepLR, ConstantLR, LinearLR, ExponentialLR, PolynomialLR, type LrLambda, type LambdaLROptions,
  type StepLROptions, type MultiStepLROptions, type ConstantLROptions, type LinearLROptions, type ExponentialLROptions, type PolynomialLROptions,
} from './multiplicative.js';
export { CosineAnnealingLR, CosineAnnealingWarmRestarts, type CosineAnnealingLROptions, type CosineAnnealingWarmRestartsOptions } from './cosine.js';
export { OneCycleLR, CyclicLR, type OneCycleLROptions, type CyclicLROptions, type CyclicMode } from './cyclic.js';
export { SequentialLR, ChainedScheduler, type SequentialLROptions } from './composite.js';
export { ReduceLROnPlateau, type ReduceLROnPlateauOptions } from './plateau.js';
