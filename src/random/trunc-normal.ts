/**
 * @file `truncNormal_`: torch.nn.init.trunc_normal_ on a float32 array (pytorch-rng.md 5.7):
 * uniform_ between the transformed bounds, erfinv, scale, shift, clamp. One word per element.
 */

import type { Generator } from './generator.js';
import { erfinv } from './erfinv.js';
import { erf } from './libm-f64.js';
import { DEFAULT_PROFILE, type FillOptions } from './profile.js';
import { uniform_ } from './uniform.js';

const f32 = Math.fround;

function normCdf(x: number): number {
  return (1 + erf(x / Math.sqrt(2))) / 2;
}

/**
 * Fill a float32 array from N(mean, std^2) truncated to [a, b], as PyTorch does.
 * The bounds use double `erf` (glibc's in PyTorch, an accurate port here); they are rounded
 * to float32 before use, so a last-bit difference in erf has no effect in practice.
 */
export function truncNormal_(
  gen: Generator, out: Float32Array, mean = 0, std = 1, a = -2, b = 2, opts: FillOptions = {},
): Float32Array {
  const profile = opts.profile ?? DEFAULT_PROFILE;
  const l = normCdf((a - mean) / std);
  const u = normCdf((b - mean) / std);
  uniform_(gen, out, 2 * l - 1, 2 * u - 1, { profile });
  const mul = f32(std * Math.sqrt(2));
  const add = f32(mean);
  const lo = f32(a), hi = f32(b);
  for (let i = 0; i < out.length; i++) {
    let x = erfinv(out[i], profile);
    x = f32(x * mul);
    x = f32(x + add);
    out[i] = Math.min(Math.max(x, lo), hi);
  }
  return out;
}
