/**
 * @file `normal_`: Tensor.normal_(mean, std) / torch.randn (pytorch-rng.md 5.2): the
 * vectorised fill path (numel >= 16, contiguous; Box-Muller on blocks of 16, tail block
 * redrawn) and the per-element double path with the generator's cached second sample.
 */

import type { Generator } from './generator.js';
import { TWO_PI_F, log256, sincos256 } from './avx-mathfun.js';
import { fma32, fma64 } from './fma.js';
import { cosf, logf, sinf } from './libm-f32.js';
import { cos, log, sin } from './libm-f64.js';
import { DEFAULT_PROFILE, type FillOptions, type Profile } from './profile.js';

const f32 = Math.fround;
const TWO_PI = 2.0 * Math.PI;

export interface NormalOptions extends FillOptions {
  /**
   * Whether the tensor is contiguous (default true). PyTorch takes the fill path only for
   * contiguous tensors with numel >= 16; otherwise the per-element path, in memory order.
   */
  contiguous?: boolean;
}

const SC = new Float64Array(2);

/** normal_fill_16_AVX2 on d[o .. o+15] (float32 values). */
function fill16Avx2(d: Float32Array, o: number, mean: number, std: number): void {
  for (let j = 0; j < 8; j++) {
    const u1 = f32(1 - d[o + j]);
    const u2 = d[o + j + 8];
    const radius = f32(Math.sqrt(f32(-2 * log256(u1))));
    sincos256(f32(TWO_PI_F * u2), SC);
    d[o + j] = fma32(f32(radius * SC[1]), std, mean);
    d[o + j + 8] = fma32(f32(radius * SC[0]), std, mean);
  }
}

/** normal_fill_16<float> (scalar kernel, glibc logf/cosf/sinf). */
function fill16ScalarF32(d: Float32Array, o: number, mean: number, std: number, fma: boolean): void {
  for (let j = 0; j < 8; j++) {
    const u1 = f32(1 - d[o + j]);
    const u2 = d[o + j + 8];
    const radius = f32(Math.sqrt(f32(-2 * logf(u1))));
    const theta = f32(TWO_PI * u2);
    const a = f32(radius * cosf(theta));
    const b = f32(radius * sinf(theta));
    if (fma) {
      d[o + j] = fma32(a, std, mean);
      d[o + j + 8] = fma32(b, std, mean);
    } else {
      d[o + j] = f32(f32(a * std) + mean);
      d[o + j + 8] = f32(f32(b * std) + mean);
    }
  }
}

/** normal_fill_16<double>. */
function fill16F64(d: Float64Array, o: number, mean: number, std: number, fma: boolean): void {
  const unit = mean === 0 && std === 1;
  for (let j = 0; j < 8; j++) {
    const u1 = 1 - d[o + j];
    const u2 = d[o + j + 8];
    const radius = Math.sqrt(-2 * log(u1));
    const theta = TWO_PI * u2;
    const a = radius * cos(theta);
    const b = radius * sin(theta);
    if (unit) {
      d[o + j] = a + 0; // = fma(a, 1, 0): turns -0 into +0 like the kernel
      d[o + j + 8] = b + 0;
    } else if (fma) {
      d[o + j] = fma64(a, std, mean);
      d[o + j + 8] = fma64(b, std, mean);
    } else {
      d[o + j] = a * std + mean;
      d[o + j + 8] = b * std + mean;
    }
  }
}

function fillPathF32(gen: Generator, out: Float32Array, mean: number, std: number, profile: Profile): void {
  const n = out.length;
  const m = f32(mean), s = f32(std);
  const avx2 = profile.normalKernel === 'avx2';
  const block = (d: Float32Array, o: number): void => {
    if (avx2) fill16Avx2(d, o, m, s);
    else fill16ScalarF32(d, o, m, s, profile.fma);
  };
  for (let i = 0; i < n; i++) out[i] = gen.uniform24();
  for (let i = 0; i + 16 <= n; i += 16) block(out, i);
  if (n % 16 !== 0) {
    const blk = new Float32Array(16);
    for (let i = 0; i < 16; i++) blk[i] = gen.uniform24();
    block(blk, 0);
    out.set(blk, n - 16);
  }
}

function fillPathF64(gen: Generator, out: Float64Array, mean: number, std: number, profile: Profile): void {
  const n = out.length;
  for (let i = 0; i < n; i++) out[i] = gen.uniform53();
  for (let i = 0; i + 16 <= n; i += 16) fill16F64(out, i, mean, std, profile.fma);
  if (n % 16 !== 0) {
    const blk = new Float64Array(16);
    for (let i = 0; i < 16; i++) blk[i] = gen.uniform53();
    fill16F64(blk, 0, mean, std, profile.fma);
    out.set(blk, n - 16);
  }
}

/**
 * One sample of at::normal_distribution<double>(mean, std), using and refilling the
 * generator's cached second Box-Muller value. 4 words per fresh pair.
 */
export function normalSample(gen: Generator, mean = 0, std = 1, opts: FillOptions = {}): number {
  let v: number;
  const cached = gen.nextDoubleNormalSample;
  if (cached !== null) {
    v = cached;
    gen.nextDoubleNormalSample = null;
  } else {
    const u1 = gen.uniform53();
    const u2 = gen.uniform53();
    const r = Math.sqrt(-2 * log(1 - u2));
    const theta = TWO_PI * u1;
    gen.nextDoubleNormalSample = r * sin(theta);
    v = r * cos(theta);
  }
  if (mean === 0 && std === 1) return v + 0; // = fma(v, 1, 0), -0 -> +0
  return (opts.profile ?? DEFAULT_PROFILE).fma ? fma64(v, std, mean) : v * std + mean;
}

/**
 * Fill `out` with normal(mean, std) samples exactly as PyTorch's CPU normal_kernel.
 * float32 arrays get float32 semantics (fill path with mean/std rounded to float32),
 * float64 arrays double semantics.
 */
export function normal_<T extends Float32Array | Float64Array>(
  gen: Generator, out: T, mean = 0, std = 1, opts: NormalOptions = {},
): T {
  const profile = opts.profile ?? DEFAULT_PROFILE;
  const n = out.length;
  if (n >= 16 && opts.contiguous !== false) {
    if (out instanceof Float32Array) fillPathF32(gen, out, mean, std, profile);
    else fillPathF64(gen, out, mean, std, profile);
    return out;
  }
  // per-element path; a Float32Array store rounds the double to float32 (static_cast<float>)
  for (let i = 0; i < n; i++) out[i] = normalSample(gen, mean, std, opts);
  return out;
}

/** torch.randn: normal_(gen, out, 0, 1). */
export function randn_<T extends Float32Array | Float64Array>(gen: Generator, out: T, opts: NormalOptions = {}): T {
  return normal_(gen, out, 0, 1, opts);
}
