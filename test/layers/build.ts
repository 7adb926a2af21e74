/**
 * @file Build a torchlet layer from a fixture's class name, positional args and (camelCase) options.
 */
import * as torch from '../../src/index.js';
import type { Module } from '../../src/nn/index.js';

const { nn } = torch;

/** Classes whose constructor takes positional arguments only. */
const POSITIONAL_ONLY = new Set(['Flatten', 'Unflatten', 'Identity']);

export function build(cls: string, args: unknown[], kwargs: Record<string, unknown>): Module {
  const Ctor = (nn as unknown as Record<string, new (...a: unknown[]) => Module>)[cls];
  if (typeof Ctor !== 'function') throw new Error(`nn.${cls} is not exported`);
  if (POSITIONAL_ONLY.has(cls)) return new Ctor(...args);
  const opts: Record<string, unknown> = { ...kwargs };
  delete opts.seed;
  for (const k of ['weight', 'posWeight']) if (Array.isArray(opts[k])) opts[k] = torch.tensor(opts[k] as number[]);
  return new Ctor(...args, opts);
}
