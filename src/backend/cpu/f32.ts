/**
 * @file Float32 fast paths of the CPU kernels. Every function here only ever sees Float32Array operands, so V8's
 * element accesses stay monomorphic (the generic kernels in elementwise.ts / reduce.ts see every typed-array
 * class and go megamorphic). Strided operands are walked row by row with an odometer over the outer dims after
 * merging dims that are contiguous for every operand: no per-element offset tables. Results are exactly those of
 * the generic kernels (same operation per element, computed in float64 and stored to float32); the reductions
 * accumulate in float64 like the generic ones, in the same element order per output. Contiguous runs go to the
 * accelerated kernels when installed (setF32Accel): bit-identical for the arithmetic, within about 2 ulp for
 * the transcendental functions, float64 partial sums in another order for sums.
 */
import type { BinaryOp, UnaryOp } from '../backend.js';
import { BINARY, UNARY } from './math.js';

/**
 * Faster kernels for contiguous float32 runs (the WebAssembly SIMD ones, installed by enableWasmKernels); each
 * returns false (sum: null) for an op or size it leaves to the TypeScript loops below, which stay the reference.
 */
export interface F32Accel {
  unary(op: UnaryOp, x: Float32Array, xo: number, out: Float32Array, oo: number, n: number): boolean;
  binary(op: BinaryOp, a: Float32Array, ao: number, b: Float32Array, bo: number, out: Float32Array, oo: number, n: number): boolean;
  binaryScalar(op: BinaryOp, a: Float32Array, ao: number, c: number, scalarLeft: boolean, out: Float32Array, oo: number, n: number): boolean;
  sum(x: Float32Array, xo: number, n: number): number | null;
  /** Softmax (log: log-softmax) of R contiguous rows of D floats at x[xo..] into y[0..R*D). */
  softmaxRows(x: Float32Array, xo: number, y: Float32Array, R: number, D: number, log: boolean): boolean;
  /** Its gradient dx[0..R*D) from the output y and the gradient g (both from 0). */
  softmaxRowsBackward(y: Float32Array, g: Float32Array, dx: Float32Array, R: number, D: number, log: boolean): boolean;
}
let accel: F32Accel | null = null;
/** Install (or with null remove) the accelerated contiguous float32 kernels. */
export function setF32Accel(a: F32Accel | null): void { accel = a; }
/** Whether accelerated float32 kernels are installed. */
export function f32Accelerated(): boolean { return accel !== null; }
/** The installed accelerated kernels, if any (rows.ts calls their softmax rows). */
export function f32Accel(): F32Accel | null { return accel; }

/**
 * Merge adjacent dims that are contiguous with respect to each other in every stride list, and drop size-1
 * dims. Returns the collapsed shape and one stride list per operand (at least one dim, possibly [1]).
 */
export function collapse(shape: readonly number[], strides: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const sh: number[] = [];
  const st: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = sh.length - 1;
    if (last >= 0 && strides.every((s, k) => st[k][last] === s[d] * shape[d])) {
      sh[last] *= shape[d];
      for (let k = 0; k < strides.length; k++) st[k][last] = strides[k][d];
    } else {
      sh.push(shape[d]);
      for (let k = 0; k < strides.length; k++) st[k].push(strides[k][d]);
    }
  }
  if (sh.length === 0) { sh.push(1); for (const s of st) s.push(1); }
  return { shape: sh, strides: st };
}

/** Calls row(offsets..., k) for every row (last dim) of the collapsed iteration space, k = row index * inner. */
function forRows(shape: readonly number[], strides: readonly number[][], offsets: number[], row: (o: number[], k: number) => void): void {
  const nd = shape.length, inner = shape[nd - 1];
  const rows = shape.reduce((a, b) => a * b, 1) / inner;
  const idx = new Array<number>(nd).fill(0);
  const o = offsets.slice();
  for (let r = 0; r < rows; r++) {
    row(o, r * inner);
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]++;
      for (let k = 0; k < o.length; k++) o[k] += strides[k][d];
      if (idx[d] < shape[d]) break;
      for (let k = 0; k < o.length; k++) o[k] -= strides[k][d] * shape[d];
      idx[d] = 0;
    }
  }
}

// ---------------- copy ----------------

/** dst[dOff + row-major i] = src[view element i] for a strided float32 view (dst contiguous). */
export function copyStrided(src: Float32Array, offset: number, shape: readonly number[], strides: readonly number[], dst: Float32Array, dOff: number): void {
  const c = collapse(shape, [strides]);
  const s = c.strides[0], nd = c.shape.length;
  if (nd === 1 && s[0] === 1) { dst.set(src.subarray(offset, offset + c.shape[0]), dOff); return; }
  if (nd === 2 && s[0] === 1) {
    // a transpose: copy in tiles so that both sides stay in cache
    const R = c.shape[0], C = c.shape[1], sc = s[1];
    const T = 32;
    for (let i0 = 0; i0 < R; i0 += T) {
      const i1 = Math.min(R, i0 + T);
      for (let j0 = 0; j0 < C; j0 += T) {
        const j1 = Math.min(C, j0 + T);
        for (let i = i0; i < i1; i++) {
          const d = dOff + i * C;
          for (let j = j0; j < j1; j++) dst[d + j] = src[offset + i + j * sc];
        }
      }
    }
    return;
  }
  const ds = new Array<number>(nd);
  for (let d = nd - 1, acc = 1; d >= 0; d--) { ds[d] = acc; acc *= c.shape[d]; }
  copyRows(src, offset, s, dst, dOff, ds, c.shape);
}

/**
 * dst-view = src-view for float32 views of the same shape (both strided; not overlapping). Dims contiguous in
 * both merge; up to 3 merged dims run as plain nested loops, more with an odometer over the outer ones.
 */
export function copyViewF32(src: Float32Array, so: number, sStrides: readonly number[], dst: Float32Array, dOff: number, dStrides: readonly number[], shape: readonly number[]): void {
  const c = collapse(shape, [sStrides, dStrides]);
  copyRows(src, so, c.strides[0], dst, dOff, c.strides[1], c.shape);
}

/** The copy loops over collapsed dims (shape and strides as collapse returns them). */
function copyRows(src: Float32Array, so: number, ss: readonly number[], dst: Float32Array, dOff: number, ds: readonly number[], shape: readonly number[]): void {
  const nd = shape.length, inner = shape[nd - 1], si = ss[nd - 1], di = ds[nd - 1];
  if (nd === 1) {
    if (si === 1 && di === 1) dst.set(src.subarray(so, so + inner), dOff);
    else for (let j = 0; j < inner; j++) dst[dOff + j * di] = src[so + j * si];
    return;
  }
  const n1 = shape[nd - 2], s1 = ss[nd - 2], d1 = ds[nd - 2];
  const n2 = nd >= 3 ? shape[nd - 3] : 1, s2 = nd >= 3 ? ss[nd - 3] : 0, d2 = nd >= 3 ? ds[nd - 3] : 0;
  const outer = nd > 3 ? shape.slice(0, nd - 3) : [];
  const idx = new Array<number>(outer.length).fill(0);
  let ob = 1;
  for (const n of outer) ob *= n;
  let sb = so, db = dOff;
  for (let r = 0; r < ob; r++) {
    for (let i2 = 0; i2 < n2; i2++) {
      for (let i1 = 0; i1 < n1; i1++) {
        const a = sb + i2 * s2 + i1 * s1, d = db + i2 * d2 + i1 * d1;
        if (si === 1 && di === 1) for (let j = 0; j < inner; j++) dst[d + j] = src[a + j];
        else for (let j = 0; j < inner; j++) dst[d + j * di] = src[a + j * si];
      }
    }
    for (let k = outer.length - 1; k >= 0; k--) {
      idx[k]++; sb += ss[k]; db += ds[k];
      if (idx[k] < outer[k]) break;
      sb -= ss[k] * outer[k]; db -= ds[k] * outer[k]; idx[k] = 0;
    }
  }
}

// ---------------- unary ----------------

/** out = op(x) for contiguous float32 x (from offset) and out; generic op function for the rest. out may be x (xo 0). */
export function unaryF32(op: UnaryOp, X: Float32Array, xo: number, out: Float32Array, n: number): void {
  if (accel !== null && accel.unary(op, X, xo, out, 0, n)) return;
  switch (op) {
    case 'relu': reluBits(X, xo, out, n); return;
    case 'neg': for (let i = 0; i < n; i++) out[i] = -X[xo + i]; return;
    case 'exp': for (let i = 0; i < n; i++) out[i] = Math.exp(X[xo + i]); return;
    case 'log': for (let i = 0; i < n; i++) out[i] = Math.log(X[xo + i]); return;
    case 'sqrt': for (let i = 0; i < n; i++) out[i] = Math.sqrt(X[xo + i]); return;
    case 'square': for (let i = 0; i < n; i++) { const v = X[xo + i]; out[i] = v * v; } return;
    case 'abs': for (let i = 0; i < n; i++) out[i] = Math.abs(X[xo + i]); return;
    case 'tanh': for (let i = 0; i < n; i++) out[i] = Math.tanh(X[xo + i]); return;
    default: { const f = UNARY[op]; for (let i = 0; i < n; i++) out[i] = f(X[xo + i]); }
  }
}

/*
 * ReLU and its gradient on the float bits, without a data-dependent branch: with random signs, `v > 0 ? v : 0`
 * mispredicts half the time (about 3x slower here). The only branch left is the NaN test, which is never taken
 * on real data. Results are identical to the float formulas: relu(v) = v > 0 ? v : (NaN ? v : +0) and
 * reluBackward(y, g) = y <= 0 ? +0 : g (a NaN y passes g).
 */
function reluBits(X: Float32Array, xo: number, out: Float32Array, n: number): void {
  const xi = new Int32Array(X.buffer, X.byteOffset + xo * 4, n), oi = new Int32Array(out.buffer, out.byteOffset, n);
  for (let i = 0; i < n; i++) {
    const b = xi[i];
    oi[i] = (b & 0x7fffffff) > 0x7f800000 ? b : b & ~(b >> 31);
  }
}

function reluBackwardBits(Y: Float32Array, yo: number, G: Float32Array, go: number, out: Float32Array, k: number, n: number): void {
  const yi = new Int32Array(Y.buffer, Y.byteOffset + yo * 4, n), gi = new Int32Array(G.buffer, G.byteOffset + go * 4, n);
  const oi = new Int32Array(out.buffer, out.byteOffset + k * 4, n);
  for (let i = 0; i < n; i++) {
    const b = yi[i];
    // (~b & -b) has its sign bit set exactly when b > 0 as an int32, i.e. y > +0 (or y is a positive NaN)
    oi[i] = (b & 0x7fffffff) > 0x7f800000 ? gi[i] : gi[i] & ((~b & -b) >> 31);
  }
}

// ---------------- binary ----------------

/** One row: out[k + j] = A[a + j*sa] (op) B[b + j*sb], j < n. */
function binaryRow(op: BinaryOp, A: Float32Array, a: number, sa: number, B: Float32Array, b: number, sb: number, out: Float32Array, k: number, n: number): void {
  if (sa === 1 && sb === 1) {
    if (accel !== null && accel.binary(op, A, a, B, b, out, k, n)) return;
    switch (op) {
      case 'add': for (let j = 0; j < n; j++) out[k + j] = A[a + j] + B[b + j]; return;
      case 'sub': for (let j = 0; j < n; j++) out[k + j] = A[a + j] - B[b + j]; return;
      case 'mul': for (let j = 0; j < n; j++) out[k + j] = A[a + j] * B[b + j]; return;
      case 'div': for (let j = 0; j < n; j++) out[k + j] = A[a + j] / B[b + j]; return;
      case 'reluBackward': reluBackwardBits(A, a, B, b, out, k, n); return;
      default: { const f = BINARY[op]; for (let j = 0; j < n; j++) out[k + j] = f(A[a + j], B[b + j]); return; }
    }
  }
  if (sa === 1 && sb === 0) {
    const c = B[b];
    if (accel !== null && accel.binaryScalar(op, A, a, c, false, out, k, n)) return;
    switch (op) {
      case 'add': for (let j = 0; j < n; j++) out[k + j] = A[a + j] + c; return;
      case 'sub': for (let j = 0; j < n; j++) out[k + j] = A[a + j] - c; return;
      case 'mul': for (let j = 0; j < n; j++) out[k + j] = A[a + j] * c; return;
      case 'div': for (let j = 0; j < n; j++) out[k + j] = A[a + j] / c; return;
      case 'pow':
        if (c === 2) { for (let j = 0; j < n; j++) { const v = A[a + j]; out[k + j] = v * v; } return; }
        for (let j = 0; j < n; j++) out[k + j] = Math.pow(A[a + j], c);
        return;
      default: { const f = BINARY[op]; for (let j = 0; j < n; j++) out[k + j] = f(A[a + j], c); return; }
    }
  }
  if (sa === 0 && sb === 1) {
    const c = A[a];
    if (accel !== null && accel.binaryScalar(op, B, b, c, true, out, k, n)) return;
    switch (op) {
      case 'add': for (let j = 0; j < n; j++) out[k + j] = c + B[b + j]; return;
      case 'sub': for (let j = 0; j < n; j++) out[k + j] = c - B[b + j]; return;
      case 'mul': for (let j = 0; j < n; j++) out[k + j] = c * B[b + j]; return;
      case 'div': for (let j = 0; j < n; j++) out[k + j] = c / B[b + j]; return;
      default: { const f = BINARY[op]; for (let j = 0; j < n; j++) out[k + j] = f(c, B[b + j]); return; }
    }
  }
  const f = BINARY[op];
  switch (op) {
    case 'add': for (let j = 0; j < n; j++) out[k + j] = A[a + j * sa] + B[b + j * sb]; return;
    case 'mul': for (let j = 0; j < n; j++) out[k + j] = A[a + j * sa] * B[b + j * sb]; return;
    default: for (let j = 0; j < n; j++) out[k + j] = f(A[a + j * sa], B[b + j * sb]);
  }
}

/** 1: contiguous over shape, 0: all strides 0 (a broadcast scalar), 2: anything else. */
function flatKind(shape: readonly number[], strides: readonly number[]): number {
  let acc = 1, contig = true, zero = true;
  for (let i = shape.length - 1; i >= 0; i--) {
    const n = shape[i];
    if (n === 1) continue;
    const st = strides[i];
    if (st !== acc) contig = false;
    if (st !== 0) zero = false;
    acc *= n;
  }
  return contig ? 1 : zero ? 0 : 2;
}

/** Rows shorter than this, with the other operand contiguous or a scalar, are gathered first (binaryF32). */
const GATHER_BELOW = 256;

/** out (contiguous, row-major over shape) = A-view (op) B-view, both float32 with the output's shape. */
export function binaryF32(op: BinaryOp, A: Float32Array, ao: number, as: readonly number[], B: Float32Array, bo: number, bs: readonly number[], shape: readonly number[], out: Float32Array): void {
  // the common cases first, without building collapsed shape and stride arrays: each operand contiguous or a
  // broadcast scalar (every stride 0)
  const ka = flatKind(shape, as), kb = flatKind(shape, bs);
  if (ka !== 2 && kb !== 2) { binaryRow(op, A, ao, ka, B, bo, kb, out, 0, out.length); return; }
  // the output is contiguous: include its strides so that only dims contiguous for all three merge
  const os = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) { os[d] = acc; acc *= shape[d]; }
  const c = collapse(shape, [as, bs, os]);
  const nd = c.shape.length, inner = c.shape[nd - 1];
  const sa = c.strides[0][nd - 1], sb = c.strides[1][nd - 1];
  if (nd === 1) { binaryRow(op, A, ao, sa, B, bo, sb, out, 0, inner); return; }
  if (inner < GATHER_BELOW && (ka !== 2 || kb !== 2)) {
    // short rows of one strided operand (attention heads' views): gather it into out, then one contiguous pass
    // in place (every binaryRow path reads element j of its operands before writing element j of out)
    if (ka === 2) { copyStrided(A, ao, shape, as, out, 0); binaryRow(op, out, 0, 1, B, bo, kb, out, 0, out.length); }
    else { copyStrided(B, bo, shape, bs, out, 0); binaryRow(op, A, ao, ka, out, 0, 1, out, 0, out.length); }
    return;
  }
  forRows(c.shape, [c.strides[0], c.strides[1]], [ao, bo], (o, k) => binaryRow(op, A, o[0], sa, B, o[1], sb, out, k, inner));
}

// ---------------- reductions ----------------

/**
 * Sum of a float32 view over `dims` into out (row-major over the kept dims), accumulating in float64 in the
 * order of the reduced elements (as the generic kernel). Two small offset tables (kept outputs and reduced
 * elements) replace the generic kernel's table of every element.
 */
export function sumF32(X: Float32Array, offset: number, shape: readonly number[], strides: readonly number[], dims: readonly number[], out: Float32Array): void {
  const keep: number[] = [];
  for (let d = 0; d < shape.length; d++) if (!dims.includes(d)) keep.push(d);
  const kc = collapse(keep.map((d) => shape[d]), [keep.map((d) => strides[d])]);
  const rc = collapse(dims.map((d) => shape[d]), [dims.map((d) => strides[d])]);
  const outN = out.length;
  const rN = dims.reduce((a, d) => a * shape[d], 1);
  if (outN === 0) return;
  if (rN === 0) { out.fill(0); return; }
  const keptOff = tableOf(kc.shape, kc.strides[0], outN);
  const redOff = tableOf(rc.shape, rc.strides[0], rN);
  const kInner = kc.strides[0][kc.shape.length - 1], rInner = rc.strides[0][rc.shape.length - 1];
  if (rInner === 1 || kInner !== 1 || outN === 1) {
    // per output: fold its reduced elements
    const rContig = rc.shape.length === 1 && rInner === 1;
    for (let o = 0; o < outN; o++) {
      const base = offset + keptOff[o];
      let s = 0;
      const fast = rContig && accel !== null ? accel.sum(X, base, rN) : null;
      if (fast !== null) s = fast;
      else if (rContig) for (let j = 0; j < rN; j++) s += X[base + j];
      else for (let j = 0; j < rN; j++) s += X[base + redOff[j]];
      out[o] = s;
    }
    return;
  }
  // kept dims are the fast axis (e.g. a bias gradient: sum over the batch): accumulate whole rows
  const acc = new Float64Array(outN);
  const kContig = kc.shape.length === 1;
  let j0 = 0;
  if (kContig) {
    // four rows per sweep over acc: the same float64 additions in the same order, a quarter of acc's loads/stores
    for (; j0 + 4 <= rN; j0 += 4) {
      const b0 = offset + redOff[j0], b1 = offset + redOff[j0 + 1], b2 = offset + redOff[j0 + 2], b3 = offset + redOff[j0 + 3];
      for (let o = 0; o < outN; o++) acc[o] = acc[o] + X[b0 + o] + X[b1 + o] + X[b2 + o] + X[b3 + o];
    }
  }
  for (let j = j0; j < rN; j++) {
    const base = offset + redOff[j];
    if (kContig) for (let o = 0; o < outN; o++) acc[o] += X[base + o];
    else for (let o = 0; o < outN; o++) acc[o] += X[base + keptOff[o]];
  }
  for (let o = 0; o < outN; o++) out[o] = acc[o];
}

function tableOf(shape: readonly number[], strides: readonly number[], n: number): Int32Array {
  const t = new Int32Array(n);
  const nd = shape.length, inner = shape[nd - 1], is = strides[nd - 1];
  let k = 0;
  forRows(shape, [strides as number[]], [0], (o) => { for (let j = 0; j < inner; j++) t[k++] = o[0] + j * is; });
  return t;
}
