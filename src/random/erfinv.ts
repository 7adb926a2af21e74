/**
 * @file `erfinv`: torch.erfinv on float32 (calc_erfinv<float>, ATen/native/Math.h): a
 * rational first guess and two Newton steps, with glibc logf/expf/erff (pytorch-rng.md 5.7).
 */

import { f32FromBits } from './bits.js';
import { fma32 } from './fma.js';
import { erff, expf, logf } from './libm-f32.js';
import { erf as erf64 } from './libm-f64.js';
import { DEFAULT_PROFILE, type Profile } from './profile.js';

const f32 = Math.fround;
const b = f32FromBits;
const A = [b(0x3f62dfc4), b(0xbfd29ad1), b(0x3f6a24db), b(0xbe0fea97)]; // A0..A3
const B = [b(0xc0079380), b(0x3fb8aabd), b(0xbea87f78), b(0x3c485f81)]; // B0..B3
const C = [b(0xbffc4480), b(0xbfcffcf0), b(0x405b7e0a), b(0x3fd2179a)]; // C0..C3
const D = [b(0x4062cf15), b(0x3fd18b70)]; // D0, D1
/** 2f / f32(sqrt(pi)) as in PyTorch 1.13 (0x3f906eba). */
const K = b(0x3f906eba);

function poly(coeffsHighToLow: number[], z: number, fma: boolean): number {
  let acc = coeffsHighToLow[0];
  for (let i = 1; i < coeffsHighToLow.length; i++) {
    const c = coeffsHighToLow[i];
    acc = fma ? fma32(acc, z, c) : f32(f32(acc * z) + c);
  }
  return acc;
}

/** erfinv of a float32 value, in float32 arithmetic (NaN outside [-1, 1], +-inf at +-1). */
export function erfinv(y: number, profile: Profile = DEFAULT_PROFILE): number {
  const fma = profile.fma;
  const ya = Math.abs(y);
  if (ya > 1 || y !== y) return NaN;
  if (ya === 1) return y > 0 ? Infinity : -Infinity;
  let x: number;
  if (ya <= 0.7) {
    const z = f32(y * y);
    const num = poly([A[3], A[2], A[1], A[0]], z, fma);
    const dem = poly([B[3], B[2], B[1], B[0], 1], z, fma);
    x = f32(f32(y * num) / dem);
  } else {
    const z = f32(Math.sqrt(-logf(f32(f32(1 - ya) / 2))));
    const num = poly([C[3], C[2], C[1], C[0]], z, fma);
    const dem = poly([D[1], D[0], 1], z, fma);
    x = f32((y < 0 || Object.is(y, -0) ? -Math.abs(num) : Math.abs(num)) / dem);
  }
  // glibc 2.41's erff is correctly rounded: the accurate double erf rounded once to float32 gives it
  const erfF = profile.erff === 'correctly-rounded' ? (v: number) => f32(erf64(v)) : erff;
  for (let i = 0; i < 2; i++) {
    x = f32(x - f32(f32(erfF(x) - y) / f32(K * expf(f32(-f32(x * x))))));
  }
  return x;
}

/** Tensor.erfinv_() on a float32 array. */
export function erfinv_(out: Float32Array, profile: Profile = DEFAULT_PROFILE): Float32Array {
  for (let i = 0; i < out.length; i++) out[i] = erfinv(out[i], profile);
  return out;
}
