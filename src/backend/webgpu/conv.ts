/**
 * @file WebGPU convolution helpers for 1-D and 2-D spatial dims (1-D runs as 2-D with height 1): im2col (one
 * thread per column element), col2im as a gather (one thread per image pixel, summing the columns that cover
 * it: deterministic, no atomics), max pooling with flat spatial indices, and its backward (atomic adds).
 */
import type { View } from '../backend.js';
import { numel } from '../../core/shape.js';
import { dispatch, pipeline, clearBuffer } from './device.js';
import { UnsupportedOpError } from '../../core/errors.js';
import { WG } from './elementwise.js';
import { WebGPUStorage, gpuStorage } from './storage.js';
import { coalesce } from './strided.js';

type Geo = [H: number, W: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, dh: number, dw: number, oh: number, ow: number];

function geo(spatial: readonly number[], k: readonly number[], s: readonly number[], p: readonly number[], d: readonly number[], o: readonly number[]): Geo {
  if (spatial.length === 1) return [1, spatial[0], 1, k[0], 1, s[0], 0, p[0], 1, d[0], 1, o[0]];
  if (spatial.length !== 2) throw new UnsupportedOpError(`im2col (${spatial.length}-d spatial)`, 'any', 'webgpu', '1-D and 2-D convolutions and pooling are supported');
  return [spatial[0], spatial[1], k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1], o[0], o[1]];
}

/** [N, C, (H,) W] strides as 4 numbers (H stride 0 for 1-D). */
function st4(x: View): number[] {
  return x.shape.length === 3 ? [x.strides[0], x.strides[1], 0, x.strides[2]] : [...x.strides];
}

// meta layout shared by these kernels: 0 total, 1 N, 2 C, 3..14 geo, 15 off, 16..19 strides
const GEO = `let H = md[3]; let W = md[4]; let kh = md[5]; let kw = md[6]; let sh = md[7]; let sw = md[8];
  let ph = md[9]; let pw = md[10]; let dh = md[11]; let dw = md[12]; let oh = md[13]; let ow = md[14];
  let C = md[2];`;
const MAIN = (body: string) => `
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = i32(gid.x + gid.y * nwg.x * ${WG}u);
  if (e >= md[0]) { return; }
  ${GEO}
  ${body}
}`;

function go(key: string, src: () => string, bufs: GPUBuffer[], md: number[]): void {
  if (md[0] === 0) return;
  dispatch(pipeline(key, src), bufs, Int32Array.from(md), [Math.ceil(md[0] / WG)]);
}

export function im2col(x: View, kernel: readonly number[], stride: readonly number[], padding: readonly number[], dilation: readonly number[], outSpatial: readonly number[]): WebGPUStorage {
  const [N, C] = x.shape;
  const g = geo(x.shape.slice(2), kernel, stride, padding, dilation, outSpatial);
  const K = C * g[2] * g[3], L = g[10] * g[11];
  const out = new WebGPUStorage(x.dtype, N * K * L);
  const t = x.dtype === 'float32' ? 'f32' : 'i32';
  go(`im2col|${t}`, () => `
@group(0) @binding(0) var<storage, read> X: array<${t}>;
@group(0) @binding(1) var<storage, read_write> O: array<${t}>;
@group(0) @binding(2) var<storage, read> md: array<i32>;
${MAIN(`let L = oh * ow;
  let ox = e % ow; let oy = (e / ow) % oh;
  let row = e / L; let j = row % kw; let i = (row / kw) % kh; let c = (row / (kw * kh)) % C; let n = row / (kw * kh * C);
  let y = oy * sh - ph + i * dh; let xx = ox * sw - pw + j * dw;
  if (y < 0 || y >= H || xx < 0 || xx >= W) { O[e] = ${t}(0); return; }
  O[e] = X[md[15] + n * md[16] + c * md[17] + y * md[18] + xx * md[19]];`)}`,
  [gpuStorage(x.storage).buffer, out.buffer], [N * K * L, N, C, ...g, x.offset, ...st4(x)]);
  return out;
}

export function col2im(cols: View, channels: number, spatial: readonly number[], kernel: readonly number[], stride: readonly number[], padding: readonly number[], dilation: readonly number[], outSpatial: readonly number[]): WebGPUStorage {
  const N = cols.shape[0], C = channels;
  const g = geo(spatial, kernel, stride, padding, dilation, outSpatial);
  const out = new WebGPUStorage(cols.dtype, N * C * numel(spatial));
  const t = cols.dtype === 'float32' ? 'f32' : 'i32';
  go(`col2im|${t}`, () => `
@group(0) @binding(0) var<storage, read> Cb: array<${t}>;
@group(0) @binding(1) var<storage, read_write> O: array<${t}>;
@group(0) @binding(2) var<storage, read> md: array<i32>;
${MAIN(`let xx = e % W; let y = (e / W) % H; let c = (e / (W * H)) % C; let n = e / (W * H * C);
  var acc = ${t}(0);
  for (var i = 0; i < kh; i++) {
    let ty = y + ph - i * dh;
    if (ty < 0 || ty % sh != 0) { continue; }
    let oy = ty / sh; if (oy >= oh) { continue; }
    for (var j = 0; j < kw; j++) {
      let tx = xx + pw - j * dw;
      if (tx < 0 || tx % sw != 0) { continue; }
      let ox = tx / sw; if (ox >= ow) { continue; }
      acc += Cb[md[15] + n * md[16] + ((c * kh + i) * kw + j) * md[17] + (oy * ow + ox) * md[18]];
    }
  }
  O[e] = acc;`)}`,
  [gpuStorage(cols.storage).buffer, out.buffer], [N * C * numel(spatial), N, C, ...g, cols.offset, cols.strides[0], cols.strides[1], cols.strides[2], 0]);
  return out;
}

export function maxPool(x: View, kernel: readonly number[], stride: readonly number[], padding: readonly number[], dilation: readonly number[], outSpatial: readonly number[]): [WebGPUStorage, WebGPUStorage] {
  const [N, C] = x.shape;
  const g = geo(x.shape.slice(2), kernel, stride, padding, dilation, outSpatial);
  const total = N * C * g[10] * g[11];
  const vals = new WebGPUStorage(x.dtype, total), idx = new WebGPUStorage('int64', total);
  const isF = x.dtype === 'float32';
  const t = isF ? 'f32' : 'i32';
  go(`maxPool|${t}`, () => `
@group(0) @binding(0) var<storage, read> X: array<${t}>;
@group(0) @binding(1) var<storage, read_write> V: array<${t}>;
@group(0) @binding(2) var<storage, read_write> I: array<i32>;
@group(0) @binding(3) var<storage, read> md: array<i32>;
fn is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
${MAIN(`let ox = e % ow; let oy = (e / ow) % oh; let nc = e / (ow * oh); let c = nc % C; let n = nc / C;
  let base = md[15] + n * md[16] + c * md[17];
  var best = ${t}(0); var bi = -1; var done = false;
  for (var i = 0; i < kh; i++) {
    let y = oy * sh - ph + i * dh;
    if (y < 0 || y >= H || done) { continue; }
    for (var j = 0; j < kw; j++) {
      let xx = ox * sw - pw + j * dw;
      if (xx < 0 || xx >= W) { continue; }
      let v = X[base + y * md[18] + xx * md[19]];
      ${isF ? 'let vn = is_nan(f32(v));' : 'let vn = false;'}
      if (bi < 0 || v > best || vn) { best = v; bi = y * W + xx; if (vn) { done = true; break; } }
    }
  }
  V[e] = best; I[e] = bi;`)}`,
  [gpuStorage(x.storage).buffer, vals.buffer, idx.buffer], [total, N, C, ...g, x.offset, ...st4(x)]);
  return [vals, idx];
}

export function maxPoolBackward(grad: View, indices: View, spatial: readonly number[]): WebGPUStorage {
  const [N, C] = grad.shape;
  const L = numel(grad.shape.slice(2)), S = numel(spatial);
  const out = new WebGPUStorage(grad.dtype, N * C * S);
  clearBuffer(out.buffer, out.size * 4);
  const n = numel(grad.shape);
  if (n === 0) return out;
  const c = coalesce(grad.shape, [grad.strides, indices.strides]);
  const nd = c.shape.length;
  const walk = (name: string, st: number) => {
    const lines = ['{ var r = k;'];
    for (let d = nd - 1; d >= 0; d--) lines.push(d === 0 ? `${name} += r * md[${st}];` : `${name} += (r % md[${5 + d}]) * md[${st + d}]; r = r / md[${5 + d}];`);
    return lines.join(' ') + ' }';
  };
  const isF = grad.dtype === 'float32';
  // meta: 0 n, 1 L, 2 S, 3 gOff, 4 iOff, shape [5..), gs, is
  dispatch(pipeline(`maxPoolBackward|${grad.dtype}|${nd}`, () => `
@group(0) @binding(0) var<storage, read> G: array<${isF ? 'f32' : 'i32'}>;
@group(0) @binding(1) var<storage, read> I: array<i32>;
@group(0) @binding(2) var<storage, read_write> O: array<atomic<${isF ? 'u32' : 'i32'}>>;
@group(0) @binding(3) var<storage, read> md: array<i32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let k = i32(gid.x + gid.y * nwg.x * ${WG}u);
  if (k >= md[0]) { return; }
  var go = md[3]; ${walk('go', 5 + nd)}
  var io = md[4]; ${walk('io', 5 + 2 * nd)}
  let ix = I[io];
  if (ix < 0) { return; }
  let dst = (k / md[1]) * md[2] + ix;
  let v = G[go];
  ${isF ? `var old = atomicLoad(&O[dst]);
  loop {
    let r = atomicCompareExchangeWeak(&O[dst], old, bitcast<u32>(bitcast<f32>(old) + v));
    if (r.exchanged) { break; }
    old = r.old_value;
  }` : 'atomicAdd(&O[dst], v);'}
}`), [gpuStorage(grad.storage).buffer, gpuStorage(indices.storage).buffer, out.buffer],
  Int32Array.from([n, L, S, grad.offset, indices.offset, ...c.shape, ...c.strides[0], ...c.strides[1]]), [Math.ceil(n / WG)]);
  return out;
}
