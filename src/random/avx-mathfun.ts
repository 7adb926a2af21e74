/**
 * @file One float32 lane of `log256_ps` and `sincos256_ps` (avx_mathfun.h, cephes
 * polynomials) exactly as GCC compiles them for PyTorch's AVX2 `normal_` kernel, with the
 * verified placement of fused multiply-adds (pytorch-rng.md 5.2.2).
 */

import { f32Bits, f32FromBits } from './bits.js';
import { fma32 } from './fma.js';

const f32 = Math.fround;

const MIN_NORM_POS = f32FromBits(0x00800000);
const SQRTHF = f32FromBits(0x3f3504f3);
const LOG_P = [0x3d9021bb, 0xbdebd1b8, 0x3def251a, 0xbdfe5d4f, 0x3e11e9bf, 0xbe2aae50, 0x3e4cceac, 0xbe7ffffc, 0x3eaaaaaa].map(f32FromBits);
const LOG_Q1 = f32FromBits(0xb95e8083);
const LOG_Q2 = f32FromBits(0x3f318000);
const DP1 = f32FromBits(0xbf490000);
const DP2 = f32FromBits(0xb97da000);
const DP3 = f32FromBits(0xb3222169);
const S0 = f32FromBits(0xb94ca1f9), S1 = f32FromBits(0x3c08839e), S2 = f32FromBits(0xbe2aaaa3);
const C0 = f32FromBits(0x37ccf5ce), C1 = f32FromBits(0xbab6061a), C2 = f32FromBits(0x3d2aaaa5);
const FOPI = f32FromBits(0x3fa2f983);
/** f32(2*pi), 0x40c90fdb. */
export const TWO_PI_F = f32FromBits(0x40c90fdb);

/** log256_ps, one lane, for x in (0, 1] (the kernel never passes anything else). */
export function log256(x: number): number {
  if (x < MIN_NORM_POS) x = MIN_NORM_POS;
  const b = f32Bits(x);
  let e = ((b >>> 23) - 127) + 1;
  const m = f32FromBits((b & 0x807fffff) | 0x3f000000);
  let t = 0;
  if (m < SQRTHF) { t = m; e -= 1; }
  let v = f32(m - 1);
  v = f32(v + t);
  const z = f32(v * v);
  let y = fma32(LOG_P[0], v, LOG_P[1]);
  for (let i = 2; i < 9; i++) y = fma32(y, v, LOG_P[i]);
  y = f32(y * v);
  y = fma32(y, z, f32(e * LOG_Q1));
  y = f32(y - f32(z * 0.5));
  v = f32(v + y);
  return f32(v + f32(e * LOG_Q2));
}

/** sincos256_ps, one lane, for x >= 0. Writes sin to out[0] and cos to out[1]. */
export function sincos256(x: number, out: Float64Array | number[]): void {
  let j = Math.trunc(f32(x * FOPI));
  j = (j + 1) & ~1;
  const y = j;
  x = fma32(y, DP1, x);
  x = fma32(y, DP2, x);
  x = fma32(y, DP3, x);
  const signSin = (j & 4) !== 0;
  const signCos = (~(j - 2) & 4) !== 0;
  const z = f32(x * x);
  let c = fma32(C0, z, C1);
  c = fma32(c, z, C2);
  c = f32(c * z);
  c = fma32(c, z, -f32(z * 0.5));
  c = f32(c + 1);
  let s = fma32(S0, z, S1);
  s = fma32(s, z, S2);
  s = f32(s * z);
  s = fma32(s, x, x);
  let sn = s, cs = c;
  if ((j & 2) !== 0) { sn = c; cs = s; }
  out[0] = signSin ? -sn : sn;
  out[1] = signCos ? -cs : cs;
}
