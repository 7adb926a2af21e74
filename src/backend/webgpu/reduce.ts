/**
 * @file WebGPU reductions, cumulative sums and sorting.
 * reduce: the reduced dims are walked as one (merged) inner space. Few outputs with long reductions get a
 * 256-thread workgroup per output (strided partial folds, then a tree in workgroup memory); many outputs get
 * one thread each. cumsum: one thread per line. sort: bitonic sort of (key, index) pairs per line, padded to a
 * power of two, one dispatch per merge stage; stable because ties compare indices.
 */
import type { ReduceOp, View } from '../backend.js';
import { isFloating, type DType } from '../../core/dtype.js';
import { contiguousStrides, numel } from '../../core/shape.js';
import { dispatch, pipeline } from './device.js';
import { COMMON_WGSL, type CT, computeType, loadAs, storeAs, wordType } from './dtypes.js';
import { WG, fill } from './elementwise.js';
import { WebGPUStorage, gpuStorage } from './storage.js';
import { coalesce, walkCode } from './strided.js';

function identity(op: ReduceOp, ct: CT): string {
  const f = ct === 'f32';
  switch (op) {
    case 'sum': case 'any': return f ? '0.0' : '0';
    case 'prod': case 'all': return f ? '1.0' : '1';
    case 'max': case 'argmax': return f ? '(-inf_f())' : 'i32(-2147483647 - 1)';
    case 'min': case 'argmin': return f ? 'inf_f()' : '2147483647';
  }
}

/** WGSL combine(a, b) -> P for (value, index) pairs in reduction order (a before b). */
function combineFn(op: ReduceOp, ct: CT): string {
  const f = ct === 'f32';
  const z = f ? '0.0' : '0', one = f ? '1.0' : '1';
  const nan = (v: string) => (f ? `is_nan(${v})` : 'false');
  let body: string;
  switch (op) {
    case 'sum': body = 'return P(a.v + b.v, 0);'; break;
    case 'prod': body = 'return P(a.v * b.v, 0);'; break;
    case 'all': body = `return P(select(${z}, ${one}, a.v != ${z} && b.v != ${z}), 0);`; break;
    case 'any': body = `return P(select(${z}, ${one}, a.v != ${z} || b.v != ${z}), 0);`; break;
    case 'max': case 'min': {
      const better = op === 'max' ? 'b.v > a.v' : 'b.v < a.v';
      body = `if (${nan('a.v')}) { return a; } if (${nan('b.v')} || ${better}) { return b; } return a;`;
      break;
    }
    case 'argmax': case 'argmin': {
      const better = op === 'argmax' ? 'b.v > a.v' : 'b.v < a.v';
      body = `if (a.i < 0) { return b; } if (b.i < 0) { return a; }
  let an = ${nan('a.v')}; let bn = ${nan('b.v')};
  if (an && bn) { if (a.i < b.i) { return a; } return b; }
  if (an) { return a; } if (bn) { return b; }
  if (${better}) { return b; } if (b.v == a.v && b.i < a.i) { return b; } return a;`;
      break;
    }
  }
  return `struct P { v: ${ct}, i: i32 }\nfn combine(a: P, b: P) -> P { ${body} }`;
}

export function reduce(op: ReduceOp, x: View, dims: readonly number[], outDtype: DType): WebGPUStorage {
  const keep = x.shape.map((_, i) => i).filter((i) => !dims.includes(i));
  const keepShape = keep.map((d) => x.shape[d]), redShape = dims.map((d) => x.shape[d]);
  const outN = numel(keepShape), R = numel(redShape);
  const out = new WebGPUStorage(outDtype, outN);
  if (outN === 0) return out;
  if (R === 0) {
    if (op === 'max' || op === 'min' || op === 'argmax' || op === 'argmin') {
      out.dispose();
      throw new Error(`${op}(): Expected reduction dim to be specified for input.numel() == 0; cannot reduce an empty dimension`);
    }
    fill({ storage: out, dtype: outDtype, shape: [outN], strides: [1], offset: 0 }, op === 'prod' || op === 'all' ? 1 : 0);
    return out;
  }
  const kc = coalesce(keepShape, [keep.map((d) => x.strides[d])]);
  const rc = coalesce(redShape, [dims.map((d) => x.strides[d])]);
  const ndk = kc.shape.length, ndr = rc.shape.length;
  let ct: CT;
  if (op === 'sum' || op === 'prod') ct = isFloating(x.dtype) || isFloating(outDtype) ? 'f32' : 'i32';
  else ct = computeType(x.dtype);
  const isArg = op === 'argmax' || op === 'argmin';
  const perGroup = R >= 256 || (outN < 4096 && R >= 32);
  const key = `reduce|${op}|${x.dtype}|${outDtype}|${ct}|${ndk}|${ndr}|${perGroup}`;
  // meta: 0 outN, 1 R, 2 offset, keep shape [3, 3+ndk), keep strides, red shape, red strides
  const KS = 3, KT = KS + ndk, RS = KT + ndk, RT = RS + ndr;
  const pipe = pipeline(key, () => {
    const load = `let e = P(${loadAs(x.dtype, ct, 'X[off]')}, j);`;
    const fin = isArg ? 'acc.i' : storeAs(outDtype, ct, 'acc.v');
    const head = `${COMMON_WGSL}
@group(0) @binding(0) var<storage, read> X: array<${wordType(x.dtype)}>;
@group(0) @binding(1) var<storage, read_write> O: array<${wordType(outDtype)}>;
@group(0) @binding(2) var<storage, read> md: array<i32>;
${combineFn(op, ct)}
fn base_of(o: i32) -> i32 { var b = md[2]; ${walkCode('b', 'o', ndk, KS, KT)} return b; }
fn elem(b: i32, j: i32) -> i32 { var off = b; ${walkCode('off', 'j', ndr, RS, RT)} return off; }`;
    if (!perGroup) {
      return `${head}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = i32(gid.x + gid.y * nwg.x * ${WG}u);
  if (o >= md[0]) { return; }
  let b = base_of(o);
  var acc = P(${identity(op, ct)}, -1);
  for (var j = 0; j < md[1]; j++) { let off = elem(b, j); ${load} acc = combine(acc, e); }
  O[o] = ${fin};
}`;
    }
    return `${head}
var<workgroup> sv: array<${ct}, ${WG}>;
var<workgroup> si: array<i32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let o = i32(wg.x + wg.y * nwg.x);
  let t = i32(li);
  let valid = o < md[0];
  var acc = P(${identity(op, ct)}, -1);
  if (valid) {
    let b = base_of(o);
    for (var j = t; j < md[1]; j += ${WG}) { let off = elem(b, j); ${load} acc = combine(acc, e); }
  }
  sv[t] = acc.v; si[t] = acc.i;
  workgroupBarrier();
  for (var s = ${WG / 2}; s > 0; s >>= 1u) {
    if (t < s) {
      let r = combine(P(sv[t], si[t]), P(sv[t + s], si[t + s]));
      sv[t] = r.v; si[t] = r.i;
    }
    workgroupBarrier();
  }
  if (valid && t == 0) { acc = P(sv[0], si[0]); O[o] = ${fin}; }
}`;
  });
  const w = new Int32Array(RT + ndr);
  w[0] = outN; w[1] = R; w[2] = x.offset;
  kc.shape.forEach((s, d) => { w[KS + d] = s; w[KT + d] = kc.strides[0][d]; });
  rc.shape.forEach((s, d) => { w[RS + d] = s; w[RT + d] = rc.strides[0][d]; });
  dispatch(pipe, [gpuStorage(x.storage).buffer, out.buffer], w, [perGroup ? outN : Math.ceil(outN / WG)]);
  return out;
}

/** Lines along `dim`: the other dims (merged) with input and output strides, plus the strides along dim. */
function lines(x: View, dim: number) {
  const other = x.shape.map((_, i) => i).filter((i) => i !== dim);
  const ost = contiguousStrides(x.shape);
  const c = coalesce(other.map((d) => x.shape[d]), [other.map((d) => x.strides[d]), other.map((d) => ost[d])]);
  const len = x.shape[dim];
  const count = len === 0 ? 0 : numel(x.shape) / len;
  return { shape: c.shape, inSt: c.strides[0], outSt: c.strides[1], len, count, inLine: x.strides[dim], outLine: ost[dim] };
}

function lineMeta(x: View, L: ReturnType<typeof lines>, extra: number[]): Int32Array {
  const nd = L.shape.length;
  // 0 count, 1 len, 2 inOff, 3 inLine, 4 outLine, 5.. shape, inSt, outSt, then extra
  const w = new Int32Array(5 + 3 * nd + extra.length);
  w[0] = L.count; w[1] = L.len; w[2] = x.offset; w[3] = L.inLine; w[4] = L.outLine;
  L.shape.forEach((s, d) => { w[5 + d] = s; w[5 + nd + d] = L.inSt[d]; w[5 + 2 * nd + d] = L.outSt[d]; });
  extra.forEach((v, i) => { w[5 + 3 * nd + i] = v; });
  return w;
}

function lineBases(nd: number): string {
  return `fn in_base(l: i32) -> i32 { var b = md[2]; ${walkCode('b', 'l', nd, 5, 5 + nd)} return b; }
fn out_base(l: i32) -> i32 { var b = 0; ${walkCode('b', 'l', nd, 5, 5 + 2 * nd)} return b; }`;
}

export function cumsum(x: View, dim: number, outDtype: DType): WebGPUStorage {
  const n = numel(x.shape);
  const out = new WebGPUStorage(outDtype, n);
  if (n === 0) return out;
  const L = lines(x, dim);
  const nd = L.shape.length;
  const ct: CT = isFloating(x.dtype) || isFloating(outDtype) ? 'f32' : 'i32';
  const pipe = pipeline(`cumsum|${x.dtype}|${outDtype}|${nd}`, () => `${COMMON_WGSL}
@group(0) @binding(0) var<storage, read> X: array<${wordType(x.dtype)}>;
@group(0) @binding(1) var<storage, read_write> O: array<${wordType(outDtype)}>;
@group(0) @binding(2) var<storage, read> md: array<i32>;
${lineBases(nd)}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let l = i32(gid.x + gid.y * nwg.x * 64u);
  if (l >= md[0]) { return; }
  let ib = in_base(l); let ob = out_base(l);
  var acc = ${ct === 'f32' ? '0.0' : '0'};
  for (var j = 0; j < md[1]; j++) {
    acc += ${loadAs(x.dtype, ct, 'X[ib + j * md[3]]')};
    O[ob + j * md[4]] = ${storeAs(outDtype, ct, 'acc')};
  }
}`);
  dispatch(pipe, [gpuStorage(x.storage).buffer, out.buffer], lineMeta(x, L, []), [Math.ceil(L.count / 64)]);
  return out;
}

export function sort(x: View, dim: number, descending: boolean): [WebGPUStorage, WebGPUStorage] {
  const n = numel(x.shape);
  const vals = new WebGPUStorage(x.dtype, n), idx = new WebGPUStorage('int64', n);
  if (n === 0) return [vals, idx];
  const L = lines(x, dim);
  const nd = L.shape.length;
  const ct = computeType(x.dtype);
  let P = 1;
  while (P < L.len) P *= 2;
  const total = L.count * P;
  const keys = new WebGPUStorage(ct === 'f32' ? 'float32' : 'int32', total);
  const ids = new WebGPUStorage('int32', total);
  try {
    const decl = `${COMMON_WGSL}
@group(0) @binding(0) var<storage, read_write> K: array<${ct}>;
@group(0) @binding(1) var<storage, read_write> I: array<i32>;`;
    const pack = pipeline(`sort.pack|${x.dtype}|${nd}`, () => `${decl}
@group(0) @binding(2) var<storage, read> X: array<${wordType(x.dtype)}>;
@group(0) @binding(3) var<storage, read> md: array<i32>;
${lineBases(nd)}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = i32(gid.x + gid.y * nwg.x * ${WG}u);
  let P = md[5 + ${3 * nd}];
  if (t >= md[0] * P) { return; }
  let l = t / P; let p = t % P;
  if (p < md[1]) { K[t] = ${loadAs(x.dtype, ct, 'X[in_base(l) + p * md[3]]')}; I[t] = p; }
  else { K[t] = ${ct === 'f32' ? '0.0' : '0'}; I[t] = -1; }
}`);
    dispatch(pack, [keys.buffer, ids.buffer, gpuStorage(x.storage).buffer], lineMeta(x, L, [P]), [Math.ceil(total / WG)]);
    if (P > 1) {
      const nan = ct === 'f32' ? (v: string) => `is_nan(${v})` : () => 'false';
      const step = pipeline(`sort.step|${ct}|${descending}`, () => `${decl}
@group(0) @binding(2) var<storage, read> md: array<i32>;
// does element (va, ia) come before (vb, ib) in the final order
fn before(va: ${ct}, ia: i32, vb: ${ct}, ib: i32) -> bool {
  if (ia < 0) { return false; }
  if (ib < 0) { return true; }
  let na = ${nan('va')}; let nb = ${nan('vb')};
  var c = 0;
  if (na && nb) { c = 0; } else if (na) { c = 1; } else if (nb) { c = -1; } else if (va < vb) { c = -1; } else if (va > vb) { c = 1; }
  ${descending ? 'c = -c;' : ''}
  if (c != 0) { return c < 0; }
  return ia < ib;
}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = i32(gid.x + gid.y * nwg.x * ${WG}u);
  let half = md[1] / 2; let j = md[2]; let k = md[3];
  if (t >= md[0] * half) { return; }
  let l = t / half; let q = t % half;
  let i = 2 * j * (q / j) + (q % j);
  let a = l * md[1] + i; let b = a + j;
  let up = (i & k) == 0;
  let va = K[a]; let ia = I[a]; let vb = K[b]; let ib = I[b];
  let swap = select(before(va, ia, vb, ib), before(vb, ib, va, ia), up);
  if (swap) { K[a] = vb; I[a] = ib; K[b] = va; I[b] = ia; }
}`);
      const groups = Math.ceil((L.count * P) / 2 / WG);
      for (let k = 2; k <= P; k *= 2) {
        for (let j = k / 2; j > 0; j /= 2) dispatch(step, [keys.buffer, ids.buffer], Int32Array.from([L.count, P, j, k]), [groups]);
      }
    }
    const unpack = pipeline(`sort.unpack|${x.dtype}|${nd}`, () => `${decl}
@group(0) @binding(2) var<storage, read_write> V: array<${wordType(x.dtype)}>;
@group(0) @binding(3) var<storage, read_write> J: array<i32>;
@group(0) @binding(4) var<storage, read> md: array<i32>;
${lineBases(nd)}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = i32(gid.x + gid.y * nwg.x * ${WG}u);
  if (t >= md[0] * md[1]) { return; }
  let l = t / md[1]; let p = t % md[1];
  let P = md[5 + ${3 * nd}];
  let o = out_base(l) + p * md[4];
  let v = K[l * P + p];
  V[o] = ${storeAs(x.dtype, ct, 'v')};
  J[o] = I[l * P + p];
}`);
    dispatch(unpack, [keys.buffer, ids.buffer, vals.buffer, idx.buffer], lineMeta(x, L, [P]), [Math.ceil(n / WG)]);
  } finally {
    keys.dispose(); ids.dispose();
  }
  return [vals, idx];
}
