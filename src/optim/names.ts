/**
 * @file Optimizers and schedulers keep their class names under a minifier: their error messages start with
 * `this.constructor.name` (`SGD: ...`), which a minifying bundler would turn into `Kx: ...`.
 */
import { keepClassNames } from '../core/class-names.js';
import { Optimizer } from './optimizer.js';
import { SGD } from './sgd.js';
import { Adam, AdamW } from './adam.js';
import { RMSprop } from './rmsprop.js';
import { Adagrad } from './adagrad.js';
import * as lrScheduler from './lr-scheduler/index.js';

/** Called by optim/index.ts (a statement of the namespace module: kept by a bundle that uses optim). */
export function keepOptimClassNames(): void {
  keepClassNames({ Optimizer, SGD, Adam, AdamW, RMSprop, Adagrad });
  keepClassNames(Object.fromEntries(Object.entries(lrScheduler).filter(([k, v]) => typeof v === 'function' && /^[A-Z]/.test(k))));
}
