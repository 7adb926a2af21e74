/**
 * @file Ports of glibc's single-precision `logf`, `expf` (glibc >= 2.28, double arithmetic
 * with small tables), `erff` (fdlibm float code, glibc <= 2.40) and `sinf`/`cosf`
 * (glibc >= 2.28, for |x| < 120), as used by PyTorch's float32 kernels (pytorch-rng.md 3).
 * Only IEEE + - * / and bit manipulation, so results are bit-exact with glibc on x86-64.
 */

import { f32Bits, f32FromBits, f64FromWords, f64Lo } from './bits.js';

const f32 = Math.fround;
const hx = (s: string): number => {
  // C99 hex-float literal -> double (e.g. "-0x1.57bf7808caadep-2")
  const m = /^(-?)0x([0-9a-f]+)(?:\.([0-9a-f]*))?p([+-]?\d+)$/i.exec(s);
  if (!m) throw new Error(`bad hex float ${s}`);
  const frac = m[3] ?? '';
  const mant = BigInt('0x' + m[2] + frac);
  const v = Number(mant) * 2 ** (Number(m[4]) - 4 * frac.length); // mant < 2^53: exact
  return m[1] ? -v : v;
};

// ---------------------------------------------------------------- logf
const LOGF_INVC: number[] = [];
const LOGF_LOGC: number[] = [];
for (const [a, b] of [
  ['0x1.661ec79f8f3bep+0', '-0x1.57bf7808caadep-2'], ['0x1.571ed4aaf883dp+0', '-0x1.2bef0a7c06ddbp-2'],
  ['0x1.49539f0f010bp+0', '-0x1.01eae7f513a67p-2'], ['0x1.3c995b0b80385p+0', '-0x1.b31d8a68224e9p-3'],
  ['0x1.30d190c8864a5p+0', '-0x1.6574f0ac07758p-3'], ['0x1.25e227b0b8eap+0', '-0x1.1aa2bc79c81p-3'],
  ['0x1.1bb4a4a1a343fp+0', '-0x1.a4e76ce8c0e5ep-4'], ['0x1.12358f08ae5bap+0', '-0x1.1973c5a611cccp-4'],
  ['0x1.0953f419900a7p+0', '-0x1.252f438e10c1ep-5'], ['0x1p+0', '0x0p+0'],
  ['0x1.e608cfd9a47acp-1', '0x1.aa5aa5df25984p-5'], ['0x1.ca4b31f026aap-1', '0x1.c5e53aa362eb4p-4'],
  ['0x1.b2036576afce6p-1', '0x1.526e57720db08p-3'], ['0x1.9c2d163a1aa2dp-1', '0x1.bc2860d22477p-3'],
  ['0x1.886e6037841edp-1', '0x1.1058bc8a07ee1p-2'], ['0x1.767dcf5534862p-1', '0x1.4043057b6ee09p-2'],
] as const) {
  LOGF_INVC.push(hx(a));
  LOGF_LOGC.push(hx(b));
}
const LOGF_LN2 = hx('0x1.62e42fefa39efp-1');
const LOGF_A0 = hx('-0x1.00ea348b88334p-2');
const LOGF_A1 = hx('0x1.5575b0be00b6ap-2');
const LOGF_A2 = hx('-0x1.ffffef20a4123p-2');

/** glibc logf (sysdeps/ieee754/flt-32/e_logf.c). `x` is a float32 value. */
export function logf(x: number): number {
  let ix = f32Bits(x);
  if (ix === 0x3f800000) return 0;
  if (((ix - 0x00800000) >>> 0) >= 0x7f800000 - 0x00800000) {
    if (((ix * 2) >>> 0) === 0) return -Infinity;
    if (ix === 0x7f800000) return x;
    if ((ix & 0x80000000) !== 0 || ((ix * 2) >>> 0) >= 0xff000000) return NaN;
    ix = f32Bits(f32(x * 8388608.0)); // subnormal: normalise
    ix = (ix - (23 << 23)) >>> 0;
  }
  const tmp = (ix - 0x3f330000) >>> 0;
  const i = (tmp >>> 19) % 16;
  const k = (tmp | 0) >> 23;
  const iz = (ix - (tmp & (0x1ff << 23))) >>> 0;
  const z = f32FromBits(iz);
  const r = z * LOGF_INVC[i] - 1.0;
  const y0 = LOGF_LOGC[i] + k * LOGF_LN2;
  const r2 = r * r;
  let y = LOGF_A1 * r + LOGF_A2;
  y = LOGF_A0 * r2 + y;
  y = y * r2 + (y0 + r);
  return f32(y);
}

// ---------------------------------------------------------------- expf
const EXP2F_T = [
  '3ff0000000000000', '3fefd9b0d3158574', '3fefb5586cf9890f', '3fef9301d0125b51',
  '3fef72b83c7d517b', '3fef54873168b9aa', '3fef387a6e756238', '3fef1e9df51fdee1',
  '3fef06fe0a31b715', '3feef1a7373aa9cb', '3feedea64c123422', '3feece086061892d',
  '3feebfdad5362a27', '3feeb42b569d4f82', '3feeab07dd485429', '3feea47eb03a5585',
  '3feea09e667f3bcd', '3fee9f75e8ec5f74', '3feea11473eb0187', '3feea589994cce13',
  '3feeace5422aa0db', '3feeb737b0cdc5e5', '3feec49182a3f090', '3feed503b23e255d',
  '3feee89f995ad3ad', '3feeff76f2fb5e47', '3fef199bdd85529c', '3fef3720dcef9069',
  '3fef5818dcfba487', '3fef7c97337b9b5f', '3fefa4afa2a490da', '3fefd0765b6e4540',
];
const EXP2F_HI = EXP2F_T.map((h) => parseInt(h.slice(0, 8), 16));
const EXP2F_LO = EXP2F_T.map((h) => parseInt(h.slice(8), 16));
const EXPF_SHIFT = hx('0x1.8p+52');
const EXPF_INVLN2N = hx('0x1.71547652b82fep+0') * 32;
const EXPF_C0 = hx('0x1.c6af84b912394p-5') / 32 / 32 / 32;
const EXPF_C1 = hx('0x1.ebfce50fac4f3p-3') / 32 / 32;
const EXPF_C2 = hx('0x1.62e42ff0c52d6p-1') / 32;
const EXPF_BIG = (f32Bits(88.0) >>> 20) & 0x7ff;
const EXPF_OFLOW = hx('0x1.62e42ep6');
const EXPF_UFLOW = hx('-0x1.9fe368p6');

/** glibc expf (sysdeps/ieee754/flt-32/e_expf.c). `x` is a float32 value. */
export function expf(x: number): number {
  const abstop = (f32Bits(x) >>> 20) & 0x7ff;
  if (abstop >= EXPF_BIG) {
    if (x === -Infinity) return 0;
    if (x !== x || abstop >= 0x7f8) return x + x;
    if (x > EXPF_OFLOW) return Infinity;
    if (x < EXPF_UFLOW) return 0;
  }
  let z = EXPF_INVLN2N * x;
  let kd = z + EXPF_SHIFT;
  const kiLo = f64Lo(kd); // low word of asuint64(kd); |k| < 2^31
  kd -= EXPF_SHIFT;
  const r = z - kd;
  const idx = kiLo & 31;
  // t = T[ki % 32] + (ki << 47): only the low 17 bits of ki reach the high word (bits 15..31)
  const tHi = (EXP2F_HI[idx] + ((kiLo & 0x1ffff) << 15)) >>> 0;
  const s = f64FromWords(tHi, EXP2F_LO[idx]);
  z = EXPF_C0 * r + EXPF_C1;
  const r2 = r * r;
  let y = EXPF_C2 * r + 1.0;
  y = z * r2 + y;
  return f32(y * s);
}

// ---------------------------------------------------------------- erff
const hf = (bits: number[]): number[] => bits.map(f32FromBits);
const ERX = f32FromBits(0x3f58560b);
const EFX = f32FromBits(0x3e0375d4);
const PP = hf([0x3e0375d4, 0xbea66beb, 0xbce9528f, 0xbbbd1489, 0xb7c756b1]);
const QQ = hf([0x3ecbbbce, 0x3d852a63, 0x3ba68116, 0x390aee49, 0xb684e21a]);
const PA = hf([0xbb1acdc6, 0x3ed46805, 0xbebe9208, 0x3ea2fe54, 0xbde31cc2, 0x3d1151b3, 0xbb0df9c0]);
const QA = hf([0x3dd9f331, 0x3f0a5785, 0x3d931ae7, 0x3e013307, 0x3c5f6e13, 0x3c445aa3]);
const RA = hf([0xbc21a093, 0xbf31a0b7, 0xc128f022, 0xc2798057, 0xc322658c, 0xc3389ae7, 0xc2a2932b, 0xc11d077e]);
const SA = hf([0x419d35ce, 0x4309a863, 0x43d9486f, 0x442158c9, 0x43d6810b, 0x42d9451f, 0x40d23f7c, 0xbd777f97]);
const RB = hf([0xbc21a092, 0xbf4c9dd4, 0xc18e104b, 0xc320a2ea, 0xc41f6441, 0xc480230b, 0xc3f1c275]);
const SB = hf([0x41f2b459, 0x43a2e571, 0x44c01759, 0x4547fdbb, 0x451f90ce, 0x43ed43a7, 0xc1b38712]);

/** c[0] + z*(c[1] + z*(c[2] + ...)) in float32, no FMA. */
function hornerF32(z: number, c: number[]): number {
  let acc = c[c.length - 1];
  for (let i = c.length - 2; i >= 0; i--) acc = f32(c[i] + f32(z * acc));
  return acc;
}

/** glibc erff (fdlibm s_erff.c). `x` is a float32 value. */
export function erff(x: number): number {
  const hxb = f32Bits(x);
  const ix = hxb & 0x7fffffff;
  const neg = hxb >>> 31 !== 0;
  if (ix >= 0x7f800000) return x !== x ? x : (neg ? -1 : 1);
  if (ix < 0x3f580000) { // |x| < 0.84375
    if (ix < 0x31800000) return f32(x + f32(EFX * x)); // |x| < 2^-28
    const z = f32(x * x);
    const r = hornerF32(z, PP);
    const s = f32(1.0 + f32(z * hornerF32(z, QQ)));
    const y = f32(r / s);
    return f32(x + f32(x * y));
  }
  if (ix < 0x3fa00000) { // 0.84375 <= |x| < 1.25
    const s = f32(Math.abs(x) - 1.0);
    const P = hornerF32(s, PA);
    const Q = f32(1.0 + f32(s * hornerF32(s, QA)));
    return neg ? f32(-ERX - f32(P / Q)) : f32(ERX + f32(P / Q));
  }
  if (ix >= 0x40c00000) return neg ? f32(1e-30 - 1.0) : f32(1.0 - 1e-30); // |x| >= 6
  const ax = Math.abs(x);
  const s = f32(1.0 / f32(ax * ax));
  let R: number, S: number;
  if (ix < 0x4036db6e) { // |x| < 1/0.35
    R = hornerF32(s, RA);
    S = f32(1.0 + f32(s * hornerF32(s, SA)));
  } else {
    R = hornerF32(s, RB);
    S = f32(1.0 + f32(s * hornerF32(s, SB)));
  }
  const z = f32FromBits(f32Bits(ax) & 0xfffff000);
  const r = f32(expf(f32(f32(-z * z) - 0.5625)) * expf(f32(f32(f32(z - ax) * f32(z + ax)) + f32(R / S))));
  return neg ? f32(f32(r / ax) - 1.0) : f32(1.0 - f32(r / ax));
}

// ---------------------------------------------------------------- sinf / cosf
const SC_SIGN = [1.0, -1.0, -1.0, 1.0];
const SC_HPI_INV = hx('0x1.45F306DC9C883p+23');
const SC_HPI = hx('0x1.921FB54442D18p0');
const SC_C = ['0x1p0', '-0x1.ffffffd0c621cp-2', '0x1.55553e1068f19p-5', '-0x1.6c087e89a359dp-10', '0x1.99343027bf8c3p-16'].map(hx);
const SC_C_NEG = SC_C.map((v) => -v);
const SC_S = ['-0x1.555545995a603p-3', '0x1.1107605230bc4p-7', '-0x1.994eb3774cf24p-13'].map(hx);
const SC_PIO4_TOP12 = (f32Bits(f32(hx('0x1.921FB54442D18p-1'))) >>> 20) & 0x7ff;

function abstop12(y: number): number {
  return (f32Bits(y) >>> 20) & 0x7ff;
}

function sinfPoly(x: number, x2: number, negCos: boolean, n: number): number {
  if ((n & 1) === 0) {
    const x3 = x * x2;
    const s1 = SC_S[1] + x2 * SC_S[2];
    const x7 = x3 * x2;
    const s = x + x3 * SC_S[0];
    return f32(s + x7 * s1);
  }
  const c = negCos ? SC_C_NEG : SC_C;
  const x4 = x2 * x2;
  const c2 = c[3] + x2 * c[4];
  const c1 = c[0] + x2 * c[1];
  const x6 = x4 * x2;
  const cc = c1 + x4 * c[2];
  return f32(cc + x6 * c2);
}

function sincosf(y: number, wantCos: boolean): number {
  const x = y;
  const top = abstop12(y);
  if (top < SC_PIO4_TOP12) {
    if (top < 0x398) return wantCos ? 1.0 : y; // |y| < 2^-12
    return sinfPoly(x, x * x, false, wantCos ? 1 : 0);
  }
  if (top < 0x42f) { // |y| < 120
    const r = x * SC_HPI_INV;
    const n = (Math.trunc(r) + 0x800000) >> 24;
    const xr = x - n * SC_HPI;
    const s = SC_SIGN[n & 3];
    return sinfPoly(xr * s, xr * xr, (n & 2) !== 0, wantCos ? (n ^ 1) : n);
  }
  // Large arguments (never produced by the RNG kernels, which pass [0, 2*pi)): not glibc-exact.
  return f32(wantCos ? Math.cos(y) : Math.sin(y));
}

/** glibc sinf (exact for |x| < 120). */
export function sinf(x: number): number {
  return sincosf(x, false);
}

/** glibc cosf (exact for |x| < 120). */
export function cosf(x: number): number {
  return sincosf(x, true);
}

