/**
 * @file Fused batch norm in training mode for the CPU (Backend.batchNormChannels and its backward, as PyTorch's
 * `native_batch_norm`): per channel of a contiguous x [N, C, S] (S = the product of the spatial dims, 1 for
 * [N, C]) the batch statistics in two passes and the normalized, scaled and shifted output in a third, instead of
 * mean, variance (mean, sub, mul, sum, div), sub, add, rsqrt, mul, mul and add ops with a fresh full-size array
 * each. ops/fused.ts decides when it applies.
 *
 * Forward: every value has the roundings of the op-by-op path of F.batchNorm (nn/functional/normalization.ts) in
 * the storage dtype: the sums accumulate in float64 in the same element order (n, then s) and are stored to the
 * dtype, mean = sum / n, var = sum((x - mean)²) / n, rstd = 1 / sqrt(var + eps), y = ((x - mean)·rstd)·w + b, each
 * step rounded as the op would. So its outputs and the running statistics are bit-identical to the composite
 * path (the one exception: with N = 1 the composite's sums over a contiguous block run in SIMD partial sums).
 *
 * Backward (PyTorch's batch_norm_cpu_backward): per channel Σg and Σ(x - mean)·g in float64, then
 * dx = (g - Σg/n - (x - mean)·rstd²·Σ(x - mean)g/n)·rstd·w, dw = Σ(x - mean)g·rstd, db = Σg.
 */
import type { Storage, View } from '../backend.js';
import { arrayFor } from '../../core/dtype.js';
import { CpuStorage, dataOf } from './storage.js';

type F = Float32Array | Float64Array;

/** Faster float32 kernels over contiguous [N, C, S] arrays (the same bits as the loops below). */
export interface BatchNormAccel {
  /** batchNormChannels into Y, M, V, RS; false where it declines (channels too small or too large). */
  forward(X: Float32Array, N: number, C: number, S: number, W: Float32Array | null, B: Float32Array | null, eps: number,
    Y: Float32Array, M: Float32Array, V: Float32Array, RS: Float32Array): boolean;
  /** batchNormChannelsBackward into dX, dW, dB (each optional); false where it declines. */
  backward(G: Float32Array, X: Float32Array, N: number, C: number, S: number, M: Float32Array, RS: Float32Array, W: Float32Array | null,
    dX: Float32Array | null, dW: Float32Array | null, dB: Float32Array | null): boolean;
}
let accel: BatchNormAccel | null = null;
/** Install (or remove, with null) the float32 batch-norm kernels; returns the previous ones. */
export function setBatchNormAccel(a: BatchNormAccel | null): BatchNormAccel | null { const prev = accel; accel = a; return prev; }

const numel = (v: View) => v.shape.reduce((a, b) => a * b, 1);
function arr(v: View): F {
  const d = dataOf(v.storage) as F, n = numel(v);
  return v.offset === 0 && d.length === n ? d : d.subarray(v.offset, v.offset + n);
}

/**
 * Batch norm over x [N, C, ...] (contiguous), statistics per channel over the batch and spatial dims:
 * [y, mean [C], var [C] (biased), rstd [C]].
 */
export function batchNormChannels(x: View, weight: View | null, bias: View | null, eps: number): [Storage, Storage, Storage, Storage] {
  const X = arr(x), dt = x.dtype, N = x.shape[0], C = x.shape[1], S = C > 0 && N > 0 ? X.length / (N * C) : 0;
  const W = weight ? arr(weight) : null, B = bias ? arr(bias) : null;
  const Y = arrayFor(dt, X.length) as F, M = arrayFor(dt, C) as F, V = arrayFor(dt, C) as F, RS = arrayFor(dt, C) as F;
  const n = N * S, CS = C * S;
  if (X instanceof Float32Array && accel &&
    accel.forward(X, N, C, S, W as Float32Array | null, B as Float32Array | null, eps, Y as Float32Array, M as Float32Array, V as Float32Array, RS as Float32Array)) {
    // done in wasm
  } else if (X instanceof Float32Array) {
    // float32: every intermediate rounded as the op that computes it in the composed path
    const fr = Math.fround, e = fr(eps);
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let b = 0, o = c * S; b < N; b++, o += CS) for (let j = o; j < o + S; j++) s += X[j];
      const mu = fr(fr(s) / n);
      let q = 0;
      for (let b = 0, o = c * S; b < N; b++, o += CS) for (let j = o; j < o + S; j++) { const d = fr(X[j] - mu); q += fr(d * d); }
      const v = fr(fr(q) / n), rs = fr(1 / Math.sqrt(fr(v + e)));
      M[c] = mu; V[c] = v; RS[c] = rs;
      const w = W ? W[c] : 1, bb = B ? B[c] : 0;
      for (let b = 0, o = c * S; b < N; b++, o += CS) {
        if (W && B) for (let j = o; j < o + S; j++) Y[j] = fr(fr(fr(X[j] - mu) * rs) * w) + bb;
        else if (W) for (let j = o; j < o + S; j++) Y[j] = fr(fr(X[j] - mu) * rs) * w;
        else if (B) for (let j = o; j < o + S; j++) Y[j] = fr(fr(X[j] - mu) * rs) + bb;
        else for (let j = o; j < o + S; j++) Y[j] = fr(X[j] - mu) * rs;
      }
    }
  } else {
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let b = 0, o = c * S; b < N; b++, o += CS) for (let j = o; j < o + S; j++) s += X[j];
      const mu = s / n;
      let q = 0;
      for (let b = 0, o = c * S; b < N; b++, o += CS) for (let j = o; j < o + S; j++) { const d = X[j] - mu; q += d * d; }
      const v = q / n, rs = 1 / Math.sqrt(v + eps);
      M[c] = mu; V[c] = v; RS[c] = rs;
      const w = W ? W[c] : 1, bb = B ? B[c] : 0;
      for (let b = 0, o = c * S; b < N; b++, o += CS) {
        for (let j = o; j < o + S; j++) {
          let t = (X[j] - mu) * rs;
          if (W) t *= w;
          if (B) t += bb;
          Y[j] = t;
        }
      }
    }
  }
  return [new CpuStorage(dt, Y), new CpuStorage(dt, M), new CpuStorage(dt, V), new CpuStorage(dt, RS)];
}

/** Its backward from g (contiguous, x's shape): [dx, dweight, dbias], each null where not asked for. */
export function batchNormChannelsBackward(g: View, x: View, mean: View, rstd: View, weight: View | null, needX: boolean, needW: boolean, needB: boolean): [Storage | null, Storage | null, Storage | null] {
  const G = arr(g), X = arr(x), M = arr(mean), RS = arr(rstd), W = weight ? arr(weight) : null;
  const dt = x.dtype, N = x.shape[0], C = x.shape[1], S = C > 0 && N > 0 ? X.length / (N * C) : 0, n = N * S, CS = C * S;
  const dX = needX ? arrayFor(dt, X.length) as F : null;
  const dW = needW ? arrayFor(dt, C) as F : null, dB = needB ? arrayFor(dt, C) as F : null;
  if (X instanceof Float32Array && accel && accel.backward(G as Float32Array, X, N, C, S, M as Float32Array, RS as Float32Array,
    W as Float32Array | null, dX as Float32Array | null, dW as Float32Array | null, dB as Float32Array | null)) {
    return [dX ? new CpuStorage(dt, dX) : null, dW ? new CpuStorage(dt, dW) : null, dB ? new CpuStorage(dt, dB) : null];
  }
  for (let c = 0; c < C; c++) {
    const mu = M[c], rs = RS[c];
    let sg = 0, sgx = 0;
    for (let b = 0, o = c * S; b < N; b++, o += CS) for (let j = o; j < o + S; j++) { const gv = G[j]; sg += gv; sgx += (X[j] - mu) * gv; }
    if (dW) dW[c] = sgx * rs;
    if (dB) dB[c] = sg;
    if (!dX) continue;
    const k = (sgx * rs * rs) / n, mg = sg / n, wr = (W ? W[c] : 1) * rs;
    for (let b = 0, o = c * S; b < N; b++, o += CS) for (let j = o; j < o + S; j++) dX[j] = (G[j] - mg - (X[j] - mu) * k) * wr;
  }
  return [dX ? new CpuStorage(dt, dX) : null, dW ? new CpuStorage(dt, dW) : null, dB ? new CpuStorage(dt, dB) : null];
}
