/**
 * @file `exponential_`: Tensor.exponential_(lambd) on the mt19937 path (pytorch-rng.md 5.6).
 */

import type { Generator } from './generator.js';
import { log } from './libm-f64.js';

/**
 * Per element: u = uniform53(); v = (-1/lambd) * log(1 - u) in double, stored to the array
 * (float32 arrays round once). 2 words each. PyTorch uses glibc `log`; `Math.log` may differ
 * in the last bit of a double, which has not been seen to change a float32 result.
 */
export function exponential_<T extends Float32Array | Float64Array>(gen: Generator, out: T, lambd = 1): T {
  if (!(lambd >= 0)) throw new RangeError(`exponential_: expects lambda >= 0.0, got ${lambd}`);
  const c = -1 / lambd;
  const n = out.length;
  for (let i = 0; i < n; i++) out[i] = c * log(1 - gen.uniform53());
  return out;
}
