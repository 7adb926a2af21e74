/**
 * @file Shared by the parametrize suites: fixture tensors (JSON written by scripts/fixtures/parametrize.py) and the
 * comparison with PyTorch's values.
 */
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { assertValuesClose } from '../helpers/index.js';

export interface JT { shape: number[]; dtype: string; data: number[] }
export function T(j: JT): Tensor {
  if (j.dtype === 'int64') return torch.tensor(BigInt64Array.from(j.data.map((v) => BigInt(v)))).reshape(j.shape);
  return torch.tensor(Float64Array.from(j.data), { dtype: j.dtype as 'float32' }).reshape(j.shape);
}
export const sdOf = (sd: [string, JT][]) => new Map(sd.map(([k, v]) => [k, T(v)]));
/** Float32 values vs PyTorch's: atol scales with the tensor's largest value (grads are differences of large terms). */
export function close(a: Tensor, e: JT, what: string, tol = { atol: 2e-5, rtol: 2e-4 }): void {
  assert.deepEqual([...a.shape], e.shape, `${what}: shape`);
  const scale = Math.max(1, ...e.data.map(Math.abs));
  assertValuesClose(Array.from(a.detach().double().dataSync() as Float64Array), e.data, { atol: tol.atol * scale, rtol: tol.rtol }, what);
}
