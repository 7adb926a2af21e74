/**
 * @file `uniform_`: Tensor.uniform_(from, to) / torch.rand on a contiguous float32 or
 * float64 array (pytorch-rng.md 5.1). One word per float32 element, two per float64.
 */

import type { Generator } from './generator.js';
import { fma32, fma64 } from './fma.js';
import { DEFAULT_PROFILE, type FillOptions } from './profile.js';

const f32 = Math.fround;

/**
 * Fill `out` with uniforms in [from, to), in element order.
 * float32: lo = f32(from), range = f32(f32(to) - lo), v = fma32(uniform24(), range, lo)
 * (or f32(f32(x*range) + lo) without FMA). float64: v = fma64(uniform53(), to - from, from).
 */
export function uniform_<T extends Float32Array | Float64Array>(
  gen: Generator, out: T, from = 0, to = 1, opts: FillOptions = {},
): T {
  const fma = (opts.profile ?? DEFAULT_PROFILE).fma;
  const n = out.length;
  if (out instanceof Float32Array) {
    const lo = f32(from);
    const range = f32(f32(to) - lo);
    if (range === 1 && lo === 0) {
      for (let i = 0; i < n; i++) out[i] = gen.uniform24();
    } else if (fma) {
      for (let i = 0; i < n; i++) out[i] = fma32(gen.uniform24(), range, lo);
    } else {
      for (let i = 0; i < n; i++) out[i] = f32(f32(gen.uniform24() * range) + lo);
    }
  } else {
    const range = to - from;
    if (range === 1 && from === 0) {
      for (let i = 0; i < n; i++) out[i] = gen.uniform53();
    } else if (fma) {
      for (let i = 0; i < n; i++) out[i] = fma64(gen.uniform53(), range, from);
    } else {
      for (let i = 0; i < n; i++) out[i] = gen.uniform53() * range + from;
    }
  }
  return out;
}

/** torch.rand: uniform_(gen, out, 0, 1). */
export function rand_<T extends Float32Array | Float64Array>(gen: Generator, out: T): T {
  return uniform_(gen, out, 0, 1);
}
