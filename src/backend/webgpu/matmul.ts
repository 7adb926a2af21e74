/**
 * @file WebGPU batched GEMM: C[b] = A[b] · B[b] for A [B, M, K], B [B, K, N] of any strides, C contiguous.
 * Classic tiled, register-blocked kernel: a 16x16 workgroup computes a 64x64 tile of C, each thread a 4x4
 * block held in four vec4 accumulators; K advances in slices of 16 staged through workgroup memory. Operand
 * tiles are loaded in the order that makes global reads coalesced (along whichever of the operand's dims has
 * unit stride), as vec4 when that dim and the offsets are 16-byte aligned. The batch index is workgroup z.
 */
import type { View } from '../backend.js';
import type { DType } from '../../core/dtype.js';
import { DTypeError } from '../../core/errors.js';
import { dispatch, pipeline } from './device.js';
import { fill } from './elementwise.js';
import { WebGPUStorage, gpuStorage } from './storage.js';

const TM = 64, TN = 64, TK = 16;

type Mode = 'k' | 'm' | 'k4' | 'm4';

function modeA(a: View): Mode {
  const [B, M, K] = a.shape; const [s0, s1, s2] = a.strides;
  const al = a.offset % 4 === 0 && (B === 1 || s0 % 4 === 0);
  if (s2 === 1 || K === 1) return al && K % 4 === 0 && s1 % 4 === 0 && s2 === 1 ? 'k4' : 'k';
  if (s1 === 1 || M === 1) return al && M % 4 === 0 && s2 % 4 === 0 && s1 === 1 ? 'm4' : 'm';
  return 'k';
}
/** For B, 'm' means "unit stride along n". */
function modeB(b: View): Mode {
  const [B, K, N] = b.shape; const [s0, s1, s2] = b.strides;
  const al = b.offset % 4 === 0 && (B === 1 || s0 % 4 === 0);
  if (s2 === 1 || N === 1) return al && N % 4 === 0 && s1 % 4 === 0 && s2 === 1 ? 'm4' : 'm';
  if (s1 === 1 || K === 1) return al && K % 4 === 0 && s2 % 4 === 0 && s1 === 1 ? 'k4' : 'k';
  return 'm';
}

/**
 * Tile loader. `rows` is the tile's non-K extent (64), stored to `sh[kk*64 + r]`. The element (r, k) of the
 * operand is at base + r*rs + k*ks, with rs/ks meta words; `R`/`K` bounds.
 */
function loader(buf: string, sh: string, mode: Mode, rs: string, ks: string, R: string, r0: string): string {
  const at = (r: string, k: string) => `base + (${r0} + ${r}) * ${rs} + (k0 + ${k}) * ${ks}`;
  const inb = (r: string, k: string) => `(${r0} + ${r}) < ${R} && (k0 + ${k}) < Kd`;
  switch (mode) {
    case 'k': return `for (var c = 0; c < 4; c++) { let e = t + c * 256; let r = e / 16; let kk = e % 16;
      var v = 0.0; if (${inb('r', 'kk')}) { v = ${buf}[${at('r', 'kk')}]; } ${sh}[kk * 64 + r] = v; }`;
    case 'm': return `for (var c = 0; c < 4; c++) { let e = t + c * 256; let kk = e / 64; let r = e % 64;
      var v = 0.0; if (${inb('r', 'kk')}) { v = ${buf}[${at('r', 'kk')}]; } ${sh}[kk * 64 + r] = v; }`;
    case 'k4': return `{ let r = t / 4; let kq = (t % 4) * 4;
      var v = vec4<f32>(0.0); if (${inb('r', 'kq')}) { v = ${buf}[(${at('r', 'kq')}) / 4]; }
      ${sh}[kq * 64 + r] = v.x; ${sh}[(kq + 1) * 64 + r] = v.y; ${sh}[(kq + 2) * 64 + r] = v.z; ${sh}[(kq + 3) * 64 + r] = v.w; }`;
    case 'm4': return `{ let kk = t / 16; let rq = (t % 16) * 4;
      var v = vec4<f32>(0.0); if (${inb('rq', 'kk')}) { v = ${buf}[(${at('rq', 'kk')}) / 4]; }
      let o = kk * 64 + rq; ${sh}[o] = v.x; ${sh}[o + 1] = v.y; ${sh}[o + 2] = v.z; ${sh}[o + 3] = v.w; }`;
  }
}

function source(ma: Mode, mb: Mode, vecOut: boolean): string {
  const ta = ma.endsWith('4') ? 'vec4<f32>' : 'f32';
  const tb = mb.endsWith('4') ? 'vec4<f32>' : 'f32';
  // meta: 0 M, 1 N, 2 K, 3 aOff, 4 sa0, 5 sa1, 6 sa2, 7 bOff, 8 sb0, 9 sb1, 10 sb2, 11 batch0
  const store = vecOut
    ? `if (gm < M && n0c < N) { C[(cb + gm * N + n0c) / 4] = acc[i]; }`
    : `for (var j = 0; j < 4; j++) { if (gm < M && n0c + j < N) { C[cb + gm * N + n0c + j] = acc[i][j]; } }`;
  return /* wgsl */ `
@group(0) @binding(0) var<storage, read> A: array<${ta}>;
@group(0) @binding(1) var<storage, read> B: array<${tb}>;
@group(0) @binding(2) var<storage, read_write> C: array<${vecOut ? 'vec4<f32>' : 'f32'}>;
@group(0) @binding(3) var<storage, read> md: array<i32>;
var<workgroup> As: array<f32, ${TK * TM}>;
var<workgroup> Bs: array<f32, ${TK * TN}>;

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let M = md[0]; let N = md[1]; let Kd = md[2];
  let bt = i32(wg.z) + md[11];
  let m0 = i32(wg.y) * ${TM}; let n0 = i32(wg.x) * ${TN};
  let tx = i32(lid.x); let ty = i32(lid.y); let t = i32(li);
  let aBase = md[3] + bt * md[4];
  let bBase = md[7] + bt * md[8];
  var acc: array<vec4<f32>, 4>;
  acc[0] = vec4<f32>(0.0); acc[1] = vec4<f32>(0.0); acc[2] = vec4<f32>(0.0); acc[3] = vec4<f32>(0.0);
  for (var k0 = 0; k0 < Kd; k0 += ${TK}) {
    { let base = aBase; ${loader('A', 'As', ma, 'md[5]', 'md[6]', 'M', 'm0')} }
    { let base = bBase; ${loader('B', 'Bs', mb, 'md[10]', 'md[9]', 'N', 'n0')} }
    workgroupBarrier();
    for (var kk = 0; kk < ${TK}; kk++) {
      let ao = kk * ${TM} + ty * 4;
      let bo = kk * ${TN} + tx * 4;
      let a = vec4<f32>(As[ao], As[ao + 1], As[ao + 2], As[ao + 3]);
      let b = vec4<f32>(Bs[bo], Bs[bo + 1], Bs[bo + 2], Bs[bo + 3]);
      acc[0] = fma(vec4<f32>(a.x), b, acc[0]);
      acc[1] = fma(vec4<f32>(a.y), b, acc[1]);
      acc[2] = fma(vec4<f32>(a.z), b, acc[2]);
      acc[3] = fma(vec4<f32>(a.w), b, acc[3]);
    }
    workgroupBarrier();
  }
  let cb = bt * M * N;
  let n0c = n0 + tx * 4;
  for (var i = 0; i < 4; i++) {
    let gm = m0 + ty * 4 + i;
    ${store}
  }
}`;
}

export function matmul(a: View, b: View, outDtype: DType, bias?: View): WebGPUStorage {
  if (bias) throw new Error('internal: the webgpu matmul has no bias epilogue (Backend.matmul: CPU only)');
  if (outDtype !== 'float32' || a.dtype !== 'float32' || b.dtype !== 'float32') {
    throw new DTypeError(`matmul: the webgpu kernel takes float32, got ${a.dtype} @ ${b.dtype} -> ${outDtype}; cast with .float() first`);
  }
  const [B, M, K] = a.shape, N = b.shape[2];
  const out = new WebGPUStorage('float32', B * M * N);
  if (B * M * N === 0) return out;
  if (K === 0) {
    // empty sum: zeros
    fill({ storage: out, dtype: 'float32', shape: [B * M * N], strides: [1], offset: 0 }, 0);
    return out;
  }
  const ma = modeA(a), mb = modeB(b);
  const vecOut = N % 4 === 0;
  const pipe = pipeline(`matmul|${ma}|${mb}|${vecOut}`, () => source(ma, mb, vecOut));
  const bufs = [gpuStorage(a.storage).buffer, gpuStorage(b.storage).buffer, out.buffer];
  for (let b0 = 0; b0 < B; b0 += 65535) {
    const nb = Math.min(65535, B - b0);
    const meta = Int32Array.from([M, N, K, a.offset, a.strides[0], a.strides[1], a.strides[2], b.offset, b.strides[0], b.strides[1], b.strides[2], b0]);
    dispatch(pipe, bufs, meta, [Math.ceil(N / TN), Math.ceil(M / TM), nb]);
  }
  return out;
}
