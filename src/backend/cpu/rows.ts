/**
 * @file Fused row kernels for the CPU (Backend.softmaxRows / layerNormRows and their backwards): softmax and
 * log-softmax over the last dim, and layer norm over the trailing D elements, each one pass per row (statistics in
 * double precision, results stored in the storage dtype) instead of a chain of elementwise ops and reductions with
 * a fresh array each. Inputs are contiguous views of R rows x D; ops/fused.ts decides when they apply. Float32
 * softmax rows (forward and backward) go to the accelerated kernels when installed (f32.ts f32Accel: WebAssembly
 * SIMD, exp in float32, sums in float64; rows of 8 floats or more); the loops here are the reference.
 */
import type { Storage, View } from '../backend.js';
import { arrayFor } from '../../core/dtype.js';
import { CpuStorage, dataOf } from './storage.js';
import { f32Accel } from './f32.js';

type F = Float32Array | Float64Array;

const numel = (v: View) => v.shape.reduce((a, b) => a * b, 1);
function arr(v: View): F {
  const d = dataOf(v.storage) as F, n = numel(v);
  return v.offset === 0 && d.length === n ? d : d.subarray(v.offset, v.offset + n);
}

/** softmax (log = false) or log_softmax of every row of x [R, D] (D = the last dim). */
export function softmaxRows(x: View, log: boolean): Storage {
  const X = arr(x), n = X.length, D = x.shape[x.shape.length - 1];
  const Y = arrayFor(x.dtype, n) as F;
  const acc = f32Accel();
  // float32: the SIMD rows (vexp in float32, float64 sums), within 3 ulp of the reference below
  if (!(acc !== null && D > 0 && X instanceof Float32Array && acc.softmaxRows(X, 0, Y as Float32Array, n / D, D, log))) {
    softmaxRowsRef(X, 0, Y, 0, D > 0 ? n / D : 0, D, log);
  }
  return new CpuStorage(x.dtype, Y);
}

/** The reference rows: R rows of D at X[xo..] into Y[yo..], exp and sums in float64. */
export function softmaxRowsRef(X: F, xo: number, Y: F, yo: number, R: number, D: number, log: boolean): void {
  for (let r = 0; r < R; r++) {
    const a = xo + r * D, b = yo + r * D;
    let m = -Infinity;
    for (let j = 0; j < D; j++) if (X[a + j] > m || Number.isNaN(X[a + j])) m = X[a + j];
    const mf = Number.isFinite(m) ? m : 0; // as logsumexp: an infinite max is not subtracted
    let s = 0;
    if (log) {
      for (let j = 0; j < D; j++) s += Math.exp(X[a + j] - mf);
      const ls = Math.log(s) + mf;
      for (let j = 0; j < D; j++) Y[b + j] = X[a + j] - ls;
    } else {
      // one exp per element: the exponentials wait in Y for the scale
      for (let j = 0; j < D; j++) { const e = Math.exp(X[a + j] - mf); Y[b + j] = e; s += e; }
      const inv = 1 / s;
      for (let j = 0; j < D; j++) Y[b + j] *= inv;
    }
  }
}

/** d x from the output y and its gradient g: softmax y (g - sum(g y)); log_softmax g - exp(y) sum(g). */
export function softmaxRowsBackward(y: View, g: View, log: boolean): Storage {
  const Yv = arr(y), G = arr(g), n = Yv.length, D = y.shape[y.shape.length - 1];
  const dX = arrayFor(y.dtype, n) as F;
  const acc = f32Accel();
  // float32: the SIMD rows (float64 arithmetic per element as below; log-softmax's exp(y) in float32)
  if (!(acc !== null && D > 0 && Yv instanceof Float32Array && G instanceof Float32Array &&
    acc.softmaxRowsBackward(Yv, G, dX as Float32Array, n / D, D, log))) softmaxRowsBackwardRef(Yv, G, dX, n, D, log);
  return new CpuStorage(y.dtype, dX);
}

/** The reference backward rows over n elements (rows of D), in float64. */
export function softmaxRowsBackwardRef(Yv: F, G: F, dX: F, n: number, D: number, log: boolean): void {
  for (let r = 0; r < n; r += D) {
    let s = 0;
    if (log) {
      for (let j = r; j < r + D; j++) s += G[j];
      for (let j = r; j < r + D; j++) dX[j] = G[j] - Math.exp(Yv[j]) * s;
    } else {
      for (let j = r; j < r + D; j++) s += G[j] * Yv[j];
      for (let j = r; j < r + D; j++) dX[j] = Yv[j] * (G[j] - s);
    }
  }
}

/** Layer norm of every D-element row of x: [y, mean [R], rstd [R]] (biased variance, as F.layer_norm). */
export function layerNormRows(x: View, weight: View | null, bias: View | null, D: number, eps: number): [Storage, Storage, Storage] {
  const X = arr(x), n = X.length, R = D > 0 ? n / D : 0;
  const W = weight ? arr(weight) : null, B = bias ? arr(bias) : null;
  const Y = arrayFor(x.dtype, n) as F, M = arrayFor(x.dtype, R) as F, S = arrayFor(x.dtype, R) as F;
  for (let r = 0, o = 0; r < R; r++, o += D) {
    let s = 0;
    for (let j = 0; j < D; j++) s += X[o + j];
    const mu = s / D;
    let v = 0;
    for (let j = 0; j < D; j++) { const d = X[o + j] - mu; v += d * d; }
    const rstd = 1 / Math.sqrt(v / D + eps);
    M[r] = mu; S[r] = rstd;
    for (let j = 0; j < D; j++) {
      let t = (X[o + j] - mu) * rstd;
      if (W) t *= W[j];
      if (B) t += B[j];
      Y[o + j] = t;
    }
  }
  return [new CpuStorage(x.dtype, Y), new CpuStorage(x.dtype, M), new CpuStorage(x.dtype, S)];
}

/**
 * Layer norm backward: with x̂ = (x - mean) rstd and ĝ = g w, dx = rstd (ĝ - mean(ĝ) - x̂ mean(ĝ x̂)); dw = Σ g x̂ and
 * db = Σ g over the rows (null where `needW` / `needB` is false).
 */
export function layerNormRowsBackward(g: View, x: View, mean: View, rstd: View, weight: View | null, D: number, needX: boolean, needW: boolean, needB: boolean): [Storage | null, Storage | null, Storage | null] {
  const G = arr(g), X = arr(x), M = arr(mean), S = arr(rstd), W = weight ? arr(weight) : null;
  const n = X.length, R = D > 0 ? n / D : 0, dt = x.dtype;
  const dX = needX ? arrayFor(dt, n) as F : null;
  const dW = needW ? new Float64Array(D) : null, dB = needB ? new Float64Array(D) : null;
  for (let r = 0, o = 0; r < R; r++, o += D) {
    const mu = M[r], rs = S[r];
    let a = 0, b = 0;
    for (let j = 0; j < D; j++) {
      const xh = (X[o + j] - mu) * rs, gh = W ? G[o + j] * W[j] : G[o + j];
      a += gh; b += gh * xh;
      if (dW) dW[j] += G[o + j] * xh;
      if (dB) dB[j] += G[o + j];
    }
    if (dX) {
      a /= D; b /= D;
      for (let j = 0; j < D; j++) {
        const xh = (X[o + j] - mu) * rs, gh = W ? G[o + j] * W[j] : G[o + j];
        dX[o + j] = rs * (gh - a - xh * b);
      }
    }
  }
  const out = (a: Float64Array | null): Storage | null => {
    if (!a) return null;
    const t = arrayFor(dt, D) as F; t.set(a); return new CpuStorage(dt, t);
  };
  return [dX ? new CpuStorage(dt, dX) : null, out(dW), out(dB)];
}
