/**
 * @file The module-level default generator (torch.default_generator) and the torch.*
 * functions that act on it: manualSeed, seed, initialSeed.
 */

import { Generator } from './generator.js';

/** torch.default_generator: seeded with PyTorch's default seed 67280421310721. */
export const defaultGenerator = new Generator();

/** torch.manual_seed. */
export function manualSeed(seed: number | bigint): Generator {
  return defaultGenerator.manualSeed(seed);
}

/** torch.seed: reseed the default generator nondeterministically and return the seed. */
export function seed(): bigint {
  return defaultGenerator.seed();
}

/** torch.initial_seed. */
export function initialSeed(): bigint {
  return defaultGenerator.initialSeed();
}

// torch.getRngState / torch.setRngState (a uint8 Tensor, as PyTorch) live in ops/rng-state.ts.
