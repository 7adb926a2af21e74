/**
 * @file torch.optim: optimizers and `lrScheduler`.
 */
export {
  Optimizer, OptimizerError, type ParamGroup, type ParamGroupInput, type ParamsInput, type ParamState, type StateValue,
  type OptimizerStateDict,
} from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, AdamW, type AdamOptions } from './adam.js';
export { RMSprop, type RMSpropOptions } from './rmsprop.js';
export { Adagrad, type AdagradOptions } from './adagrad.js';
export * as lrScheduler from './lr-scheduler/index.js';
import { keepOptimClassNames } from './names.js';
keepOptimClassNames(); // class names that survive a minifier (error messages use them)
