/**
 * @file Fused convolution for the CPU (Backend.convolution and its backward, as PyTorch's slow_conv2d on the CPU):
 * one sample at a time, im2col into a scratch block that stays in cache, one GEMM straight into the NCHW output
 * and the bias added in the same pass over it; the backward recomputes each sample's columns (as PyTorch does)
 * instead of keeping the whole batch's, runs the two GEMMs per sample and col2im's the input gradient. It
 * replaces unfold + batched matmul + broadcast add (whole-batch column, output and per-sample weight-gradient
 * arrays, and their reductions) for groups = 1. ops/fused.ts decides when it applies.
 *
 * Every result is bit-identical to that composed path: the GEMM computes each element in the same order whatever
 * the batch (backend/cpu/gemm.ts contract; the WebAssembly kernel blocks k the same way for any batch), the bias
 * add rounds as the add op, and the reductions repeat the autograd engine's: the weight gradient sums the
 * per-sample products in float64 in sample order (sum over the broadcast batch dim), the bias gradient sums over
 * the batch in float64, rounds, then sums over the positions with the sum kernel itself.
 */
import type { ConvArgs, Storage, View } from '../backend.js';
import { arrayFor } from '../../core/dtype.js';
import { isContiguous } from '../../core/shape.js';
import { CpuStorage, dataOf } from './storage.js';
import { col2imSample, columnsAccel, geo, im2colSample, type Geo } from './conv.js';
import { gemm } from './gemm.js';
import { sumF32 } from './f32.js';

type F = Float32Array | Float64Array;

const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
function arr(v: View): F {
  if (!isContiguous(v.shape, v.strides)) throw new Error('internal: convolution takes contiguous views');
  const d = dataOf(v.storage) as F, n = numel(v.shape);
  return v.offset === 0 && d.length === n ? d : d.subarray(v.offset, v.offset + n);
}

/**
 * A scratch array of n elements of x's kind, reused across calls (the kernels are synchronous and keep nothing in
 * it); blocks over 1M elements (4 MB of float32) are not kept.
 */
let scratch32 = new Float32Array(0), scratch64 = new Float64Array(0);
const KEEP = 1 << 20;
function scratch(like: F, n: number): F {
  if (like instanceof Float32Array) {
    if (scratch32.length >= n) return scratch32.subarray(0, n);
    const a = new Float32Array(n);
    if (n <= KEEP) scratch32 = a;
    return a;
  }
  if (scratch64.length >= n) return scratch64.subarray(0, n);
  const a = new Float64Array(n);
  if (n <= KEEP) scratch64 = a;
  return a;
}

/** Whether some column entry of a sample is padding (left at zero by im2colSample). */
function hasPadding(g: Geo): boolean {
  const full = (len: number, size: number, s: number, p: number, kd: number) => (len - 1) * s - p + kd < size && kd - p >= 0;
  for (let i = 0; i < g.kh; i++) if (!full(g.oh, g.H, g.sh, g.ph, i * g.dh)) return true;
  for (let j = 0; j < g.kw; j++) if (!full(g.ow, g.W, g.sw, g.pw, j * g.dw)) return true;
  return false;
}

function geometry(x: View, a: ConvArgs): Geo { return geo(x.shape.slice(2), a.kernel, a.stride, a.padding, a.dilation, a.outSpatial); }

/** y [N, O, ...outSpatial] = conv(x [N, C, ...spatial], w [O, C, ...kernel]) + bias [O]; contiguous views. */
export function convolution(x: View, w: View, bias: View | null, a: ConvArgs): Storage {
  const X = arr(x), Wt = arr(w), Bs = bias ? arr(bias) : null;
  const [N, C] = x.shape, O = w.shape[0];
  const g = geometry(x, a), K = C * g.kh * g.kw, L = g.oh * g.ow, S = g.H * g.W;
  const Y = arrayFor(x.dtype, N * O * L) as F;
  const cols = scratch(X, K * L);
  // the padding entries are the same for every sample and im2colSample writes only the others: one fill per call
  if (hasPadding(g)) cols.fill(0);
  const acc = Y instanceof Float32Array ? columnsAccel() : null;
  for (let n = 0; n < N; n++) {
    im2colSample(X, n * C * S, C, g, cols, 0);
    gemm({ transA: false, transB: false, m: O, n: L, k: K, a: Wt, aOffset: 0, lda: K, b: cols, bOffset: 0, ldb: L, c: Y, cOffset: n * O * L, ldc: L, batch: 1, strideA: 0, strideB: 0, strideC: 0 });
    if (Bs && !(acc && acc.addRows(Y as Float32Array, n * O * L, Bs as Float32Array, O, L))) {
      for (let o = 0, p = n * O * L; o < O; o++, p += L) { const b = Bs[o]; for (let l = p; l < p + L; l++) Y[l] += b; }
    }
  }
  return new CpuStorage(x.dtype, Y);
}

/** Its backward from g [N, O, ...outSpatial]: [dx, dw, dbias], each null where not asked for. */
export function convolutionBackward(gv: View, x: View, w: View, a: ConvArgs, needX: boolean, needW: boolean, needB: boolean): [Storage | null, Storage | null, Storage | null] {
  const G = arr(gv), X = arr(x), Wt = arr(w), dt = x.dtype;
  const [N, C] = x.shape, O = w.shape[0];
  const g = geometry(x, a), K = C * g.kh * g.kw, L = g.oh * g.ow, S = g.H * g.W;
  const dX = needX ? arrayFor(dt, N * C * S) as F : null;
  const accW = needW ? new Float64Array(O * K) : null;
  // the columns (zero padding filled once, as in convolution), the input gradient's columns, the weight gradient
  const colsN = K * L, dcN = dX ? colsN : 0, work = scratch(X, colsN + dcN + (needW ? O * K : 0));
  const cols = work.subarray(0, colsN), dcols = work.subarray(colsN, colsN + dcN);
  const dWn = needW ? work.subarray(colsN + dcN, colsN + dcN + O * K) : null;
  if (accW && hasPadding(g)) cols.fill(0);
  const accB = needB ? new Float64Array(O * L) : null;
  // the batch sums in float64 accumulators of the installed kernels (bias: from 0, weight: from wAt), else here
  const acc = G instanceof Float32Array ? columnsAccel() : null, wAt = accB ? O * L : 0;
  const inAcc = acc !== null && (accB || accW) !== null && acc.accOpen(wAt + (accW ? O * K : 0));
  for (let n = 0; n < N; n++) {
    const go = n * O * L;
    if (accB && inAcc) acc.accAdd(0, G as Float32Array, go, O * L);
    else if (accB) for (let i = 0; i < O * L; i++) accB[i] += G[go + i];
    if (accW && dWn) {
      im2colSample(X, n * C * S, C, g, cols, 0);
      gemm({ transA: false, transB: true, m: O, n: K, k: L, a: G, aOffset: go, lda: L, b: cols, bOffset: 0, ldb: L, c: dWn, cOffset: 0, ldc: K, batch: 1, strideA: 0, strideB: 0, strideC: 0 });
      if (inAcc) acc.accAdd(wAt, dWn as Float32Array, 0, O * K);
      else for (let i = 0; i < O * K; i++) accW[i] += dWn[i];
    }
    if (dX) {
      gemm({ transA: true, transB: false, m: K, n: L, k: O, a: Wt, aOffset: 0, lda: K, b: G, bOffset: go, ldb: L, c: dcols, cOffset: 0, ldc: L, batch: 1, strideA: 0, strideB: 0, strideC: 0 });
      col2imSample(dcols, 0, C, g, dX, n * C * S);
    }
  }
  if (inAcc) { if (accB) acc.accRead(0, accB, O * L); if (accW) acc.accRead(wAt, accW, O * K); }
  let dB: F | null = null;
  if (accB) {
    // the engine's sum to the bias's [O, 1, ...] shape: over the batch (float64, rounded), then over the positions
    const t = arrayFor(dt, O * L) as F;
    t.set(accB);
    dB = arrayFor(dt, O) as F;
    if (t instanceof Float32Array) sumF32(t, 0, [O, L], [L, 1], [1], dB as Float32Array);
    else for (let o = 0; o < O; o++) { let s = 0; for (let l = 0; l < L; l++) s += t[o * L + l]; dB[o] = s; }
  }
  let dW: F | null = null;
  if (accW) { dW = arrayFor(dt, O * K) as F; dW.set(accW); }
  return [dX ? new CpuStorage(dt, dX) : null, dW ? new CpuStorage(dt, dW) : null, dB ? new CpuStorage(dt, dB) : null];
}
