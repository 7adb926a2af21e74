/**
 * @file What a port program returns and its PyTorch script prints (scripts/ports/*.py `emit`): the losses, the final
 * state dict as flat float64 lists, and named extras (learning rates, norms, ...).
 */
import type { Tensor } from '../../src/index.js';

export interface PortResult { losses: number[]; weights: Record<string, number[]>; extra: Record<string, number[]> }

export function values(t: Tensor): number[] { return Array.from(t.dataSync() as ArrayLike<number | bigint | boolean>, Number); }

export function report(losses: number[], state: Map<string, Tensor> | Record<string, Tensor>, extra: Record<string, number[]> = {}): PortResult {
  const entries = state instanceof Map ? [...state] : Object.entries(state);
  return { losses, weights: Object.fromEntries(entries.map(([k, t]) => [k, values(t)])), extra };
}
