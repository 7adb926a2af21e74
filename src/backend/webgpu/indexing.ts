/**
 * @file WebGPU index kernels: gather, scatter(-add), index_select / index_add, triangles. One thread per
 * element; accumulating scatters use atomics (a compare-exchange loop for float32). Indices are int64 tensors
 * held as i32. Out-of-range indices cannot raise from inside a kernel: on webgpu they read 0 and write nothing
 * (the CPU raises IndexError) — validate indices on the CPU when they come from untrusted data.
 */
import type { View } from '../backend.js';
import type { DType } from '../../core/dtype.js';
import { contiguousStrides, numel } from '../../core/shape.js';
import { dispatch, pipeline, clearBuffer } from './device.js';
import { COMMON_WGSL, computeType, loadAs, storeAs, wordType } from './dtypes.js';
import { WG, contiguous } from './elementwise.js';
import { WebGPUStorage, gpuStorage } from './storage.js';
import { coalesce, walkCode } from './strided.js';

const ATOMIC_F32 = /* wgsl */ `
fn atomic_add_f32(i: i32, v: f32) {
  var old = atomicLoad(&O[i]);
  loop {
    let r = atomicCompareExchangeWeak(&O[i], old, bitcast<u32>(bitcast<f32>(old) + v));
    if (r.exchanged) { break; }
    old = r.old_value;
  }
}`;

/** Output binding and an `accum(i, v)` for accumulating kernels of dtype d (v in the compute type). */
function accumDecl(d: DType, binding: number): string {
  if (wordType(d) === 'f32') return `@group(0) @binding(${binding}) var<storage, read_write> O: array<atomic<u32>>;\n${ATOMIC_F32}\nfn accum(i: i32, v: f32) { atomic_add_f32(i, v); }`;
  return `@group(0) @binding(${binding}) var<storage, read_write> O: array<atomic<i32>>;\nfn accum(i: i32, v: i32) { atomicAdd(&O[i], v); }`;
}

function run(key: string, src: () => string, bufs: GPUBuffer[], meta: number[], threads: number): void {
  if (threads === 0) return;
  dispatch(pipeline(key, src), bufs, Int32Array.from(meta), [Math.ceil(threads / WG)]);
}

const HEAD = (body: string) => `
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let k = i32(gid.x + gid.y * nwg.x * ${WG}u);
  if (k >= md[0]) { return; }
  ${body}
}`;

function fixIndex(v: string, size: string): string { return `select(${v}, ${v} + ${size}, ${v} < 0)`; }

export function gather(x: View, dim: number, index: View): WebGPUStorage {
  const n = numel(index.shape);
  const out = new WebGPUStorage(x.dtype, n);
  const xs = x.strides.slice(); xs[dim] = 0;
  const c = coalesce(index.shape, [xs, index.strides]);
  const nd = c.shape.length;
  // meta: 0 n, 1 size, 2 stDim, 3 xOff, 4 iOff, shape [5..), xs, is
  const S = 5, XS = S + nd, IS = XS + nd;
  const t = wordType(x.dtype);
  run(`gather|${t}|${nd}`, () => `
@group(0) @binding(0) var<storage, read> X: array<${t}>;
@group(0) @binding(1) var<storage, read> I: array<i32>;
@group(0) @binding(2) var<storage, read_write> O: array<${t}>;
@group(0) @binding(3) var<storage, read> md: array<i32>;
${HEAD(`var xo = md[3]; ${walkCode('xo', 'k', nd, S, XS)}
  var io = md[4]; ${walkCode('io', 'k', nd, S, IS)}
  let iv = ${fixIndex('I[io]', 'md[1]')};
  if (iv < 0 || iv >= md[1]) { O[k] = ${t}(0); return; }
  O[k] = X[xo + iv * md[2]];`)}`,
  [gpuStorage(x.storage).buffer, gpuStorage(index.storage).buffer, out.buffer],
  [n, x.shape[dim], x.strides[dim], x.offset, index.offset, ...c.shape, ...c.strides[0], ...c.strides[1]], n);
  return out;
}

export function scatter(self: View, dim: number, index: View, src: View, reduce: 'none' | 'add'): WebGPUStorage {
  const out = contiguous(self, self.dtype);
  const n = numel(index.shape);
  const ost = contiguousStrides(self.shape); const os = ost.slice(); os[dim] = 0;
  const c = coalesce(index.shape, [os, index.strides, src.strides]);
  const nd = c.shape.length;
  // meta: 0 n, 1 size, 2 ostDim, 3 iOff, 4 sOff, shape, os, is, ss
  const S = 5, OS = S + nd, IS = OS + nd, SS = IS + nd;
  const ct = computeType(self.dtype);
  const body = (store: string) => `var oo = 0; ${walkCode('oo', 'k', nd, S, OS)}
  var io = md[3]; ${walkCode('io', 'k', nd, S, IS)}
  var so = md[4]; ${walkCode('so', 'k', nd, S, SS)}
  let iv = ${fixIndex('I[io]', 'md[1]')};
  if (iv < 0 || iv >= md[1]) { return; }
  let v = ${loadAs(src.dtype, ct, 'Sv[so]')};
  ${store}`;
  const decl = `${COMMON_WGSL}
@group(0) @binding(0) var<storage, read> I: array<i32>;
@group(0) @binding(1) var<storage, read> Sv: array<${wordType(src.dtype)}>;
@group(0) @binding(3) var<storage, read> md: array<i32>;`;
  const src_ = reduce === 'add'
    ? () => `${decl}\n${accumDecl(self.dtype, 2)}\n${HEAD(body(`accum(oo + iv * md[2], ${ct === 'f32' ? 'f32(v)' : 'v'});`))}`
    : () => `${decl}\n@group(0) @binding(2) var<storage, read_write> O: array<${wordType(self.dtype)}>;\n${HEAD(body(`O[oo + iv * md[2]] = ${storeAs(self.dtype, ct, 'v')};`))}`;
  run(`scatter|${reduce}|${self.dtype}|${src.dtype}|${nd}`, src_,
    [gpuStorage(index.storage).buffer, gpuStorage(src.storage).buffer, out.buffer],
    [n, self.shape[dim], ost[dim], index.offset, src.offset, ...c.shape, ...c.strides[0], ...c.strides[1], ...c.strides[2]], n);
  return out;
}

function index1d(index: View): [number, number] {
  return [index.offset, index.shape.length === 0 ? 0 : index.strides[index.shape.length - 1]];
}

export function indexSelect(x: View, dim: number, index: View): WebGPUStorage {
  const len = numel(index.shape);
  const outShape = x.shape.slice(); outShape[dim] = len;
  const n = numel(outShape);
  const out = new WebGPUStorage(x.dtype, n);
  const xs = x.strides.slice(); xs[dim] = 0;
  const c = coalesce(outShape, [xs]);
  const nd = c.shape.length;
  const inner = numel(outShape.slice(dim + 1));
  const [iOff, iSt] = index1d(index);
  // meta: 0 n, 1 size, 2 stDim, 3 xOff, 4 iOff, 5 iSt, 6 inner, 7 len, shape, xs
  const S = 8, XS = S + nd;
  const t = wordType(x.dtype);
  run(`indexSelect|${t}|${nd}`, () => `
@group(0) @binding(0) var<storage, read> X: array<${t}>;
@group(0) @binding(1) var<storage, read> I: array<i32>;
@group(0) @binding(2) var<storage, read_write> O: array<${t}>;
@group(0) @binding(3) var<storage, read> md: array<i32>;
${HEAD(`var xo = md[3]; ${walkCode('xo', 'k', nd, S, XS)}
  let j = (k / md[6]) % md[7];
  let iv = ${fixIndex('I[md[4] + j * md[5]]', 'md[1]')};
  if (iv < 0 || iv >= md[1]) { O[k] = ${t}(0); return; }
  O[k] = X[xo + iv * md[2]];`)}`,
  [gpuStorage(x.storage).buffer, gpuStorage(index.storage).buffer, out.buffer],
  [n, x.shape[dim], x.strides[dim], x.offset, iOff, iSt, inner, len, ...c.shape, ...c.strides[0]], n);
  return out;
}

export function indexAdd(shape: readonly number[], dtype: DType, dim: number, index: View, src: View): WebGPUStorage {
  const out = new WebGPUStorage(dtype, numel(shape));
  clearBuffer(out.buffer, out.size * 4);
  const n = numel(src.shape);
  const len = numel(index.shape);
  const ost = contiguousStrides(shape); const os = ost.slice(); os[dim] = 0;
  const c = coalesce(src.shape, [os, src.strides]);
  const nd = c.shape.length;
  const inner = numel(src.shape.slice(dim + 1));
  const [iOff, iSt] = index1d(index);
  const ct = computeType(dtype);
  // meta: 0 n, 1 size, 2 ostDim, 3 sOff, 4 iOff, 5 iSt, 6 inner, 7 len, shape, os, ss
  const S = 8, OS = S + nd, SS = OS + nd;
  run(`indexAdd|${dtype}|${src.dtype}|${nd}`, () => `${COMMON_WGSL}
@group(0) @binding(0) var<storage, read> I: array<i32>;
@group(0) @binding(1) var<storage, read> Sv: array<${wordType(src.dtype)}>;
${accumDecl(dtype, 2)}
@group(0) @binding(3) var<storage, read> md: array<i32>;
${HEAD(`var oo = 0; ${walkCode('oo', 'k', nd, S, OS)}
  var so = md[3]; ${walkCode('so', 'k', nd, S, SS)}
  let j = (k / md[6]) % md[7];
  let iv = ${fixIndex('I[md[4] + j * md[5]]', 'md[1]')};
  if (iv < 0 || iv >= md[1]) { return; }
  accum(oo + iv * md[2], ${loadAs(src.dtype, ct, 'Sv[so]')});`)}`,
  [gpuStorage(index.storage).buffer, gpuStorage(src.storage).buffer, out.buffer],
  [n, shape[dim], ost[dim], src.offset, iOff, iSt, inner, len, ...c.shape, ...c.strides[0], ...c.strides[1]], n);
  return out;
}

export function triangle(x: View, k: number, upper: boolean): WebGPUStorage {
  const n = numel(x.shape);
  const out = new WebGPUStorage(x.dtype, n);
  const nd0 = x.shape.length;
  const rows = x.shape[nd0 - 2], cols = x.shape[nd0 - 1];
  const c = coalesce(x.shape, [x.strides]);
  const nd = c.shape.length;
  const t = wordType(x.dtype);
  // meta: 0 n, 1 rows, 2 cols, 3 k, 4 xOff, shape, xs
  const S = 5, XS = S + nd;
  run(`triangle|${t}|${upper}|${nd}`, () => `
@group(0) @binding(0) var<storage, read> X: array<${t}>;
@group(0) @binding(1) var<storage, read_write> O: array<${t}>;
@group(0) @binding(2) var<storage, read> md: array<i32>;
${HEAD(`var xo = md[4]; ${walkCode('xo', 'k', nd, S, XS)}
  let c = k % md[2]; let r = (k / md[2]) % md[1];
  let keep = ${upper ? 'c - r >= md[3]' : 'c - r <= md[3]'};
  O[k] = select(${t}(0), X[xo], keep);`)}`,
  [gpuStorage(x.storage).buffer, out.buffer], [n, rows, cols, k, x.offset, ...c.shape, ...c.strides[0]], n);
  return out;
}
