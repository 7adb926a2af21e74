/**
 * @file The WebAssembly SIMD kernels of the small CNN (assembly/cnn.ts): the float32 2x2 stride-2 max pool of
 * backend/cpu/conv.ts (maxPool2x2; setPoolAccel), the float32 batch norm of backend/cpu/batchnorm.ts
 * (setBatchNormAccel), and im2col / col2im, the convolution's float64 batch sums and its bias add
 * (setColumnsAccel, used by backend/cpu/conv-fused.ts), bit-identical to those TypeScript loops. The operands live in JavaScript typed arrays, so
 * each call stages them through a plain memory of its own: whole planes for the pool, one sample for im2col /
 * col2im; for batch norm, up to four channels at a time (one copy per sample of their g runs of S floats:
 * statistics, normalization and the backward's sums then run on the staged block in cache, and the result is
 * copied back the same way).
 */
import type { ColumnsAccel, Geo, PoolAccel } from '../cpu/conv.js';
import type { BatchNormAccel } from '../cpu/batchnorm.js';
import { kernelBytes } from './runtime.js';

interface CnnExports {
  mp_2x2(x: number, vals: number, idx: number, planes: number, oh: number, W: number, ow: number): void;
  bn_sums(x: number, N: number, S: number, g: number, out: number): void;
  bn_sqdevs(x: number, N: number, S: number, g: number, m: number, out: number): void;
  bn_apply(x: number, N: number, S: number, g: number, par: number): void;
  bn_grad_sums(gr: number, x: number, N: number, S: number, g: number, m: number, out: number): void;
  bn_grad_apply(gr: number, x: number, N: number, S: number, g: number, par: number): void;
  im2col(x: number, geo: number, out: number): void;
  col2im(cols: number, geo: number, out: number): void;
  acc_add(acc: number, x: number, n: number): void;
  add_rows(y: number, rows: number, L: number, bias: number): void;
}

/** Floats per staging region (512 KiB; batch norm uses two, the pool's input, values and indices fit in them). */
export const CAP = 1 << 17;
/** Pool input floats staged per call (256 KiB); a plane larger than this takes the TypeScript loop. */
export const CHUNK = 1 << 16;
/**
 * Fewest elements for which a call pays: pool outputs (a 16x16 plane's 64 ran 2.5x faster in wasm), batch-norm
 * runs (S: one copy per sample of g runs of S floats) and channel sizes (N*S), a sample's column entries (im2col, col2im).
 */
export const MIN = { poolOutputs: 64, bnRun: 32, bnChannel: 1024, columns: 1024 };
/** Room left after each pool buffer for the spill of the last group of four columns (assembly/cnn.ts). */
const PAD = 16;
/**
 * Byte addresses: per-channel results and parameters, then the two staging regions and the convolution's float64
 * accumulators (CAP / 2 doubles; they stay across the calls of one backward, while the other kernels use R0, R1).
 */
const SUMS = 0, MEANS = 64, PARS = 128, GEO = 384, R0 = 512, R1 = R0 + CAP * 4, R2 = R1 + CAP * 4;

/**
 * One instance of the module on its own memory (made at the first call of a kernel, so that a program without
 * these layers never allocates its 1.6 MB), or null where the generated kernels lack it.
 */
export function wasmCnn(min = MIN): { pool: PoolAccel; batchNorm: BatchNormAccel; columns: ColumnsAccel } | null {
  const bytes = kernelBytes('cnn');
  if (!bytes) return null;
  let ex: CnnExports | null = null, f = new Float32Array(0), d = new Float64Array(0), geoAt = new Int32Array(0);
  function init(): CnnExports {
    if (ex) return ex;
    const pages = Math.ceil((R2 + CAP * 4) / 65536);
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    f = new Float32Array(memory.buffer); d = new Float64Array(memory.buffer); geoAt = new Int32Array(memory.buffer, GEO, 13);
    return ex = new WebAssembly.Instance(new WebAssembly.Module(bytes!), { env: { memory } }).exports as unknown as CnnExports;
  }
  const vAt = R0 + (CHUNK + PAD) * 4, iAt = vAt + (CHUNK / 4 + PAD) * 4; // pool values and indices (8-aligned)
  const r0 = R0 / 4, r1 = R1 / 4, s = SUMS / 8, m = MEANS / 4, pf = PARS / 4, pd = PARS / 8;

  /** Channels c..c+g-1 of A [N, C, S] -> staging floats from `at` as they lie in A: N blocks of g runs of S. */
  function stage(A: Float32Array, N: number, C: number, S: number, c: number, g: number, at: number): void {
    if (g === C) { f.set(A.subarray(0, N * C * S), at); return; }
    for (let b = 0, o = c * S; b < N; b++, o += C * S) f.set(A.subarray(o, o + g * S), at + b * g * S);
  }
  function unstage(Y: Float32Array, N: number, C: number, S: number, c: number, g: number, at: number): void {
    if (g === C) { Y.set(f.subarray(at, at + N * C * S), 0); return; }
    for (let b = 0; b < N; b++) Y.set(f.subarray(at + b * g * S, at + (b + 1) * g * S), b * C * S + c * S);
  }
  const takes = (N: number, S: number) => N * S <= CAP && S >= min.bnRun && N * S >= min.bnChannel;

  const pool: PoolAccel = {
    maxPool2x2(X, x0, NC, H, W, oh, ow, vals, idx) {
      const inPlane = 2 * oh * W, L = oh * ow;
      if (inPlane > CHUNK || NC * L < min.poolOutputs || ow === 0 || oh === 0) return false;
      const ex = init();
      const per = Math.floor(CHUNK / inPlane), HW = H * W;
      for (let p = 0; p < NC; p += per) {
        const np = Math.min(per, NC - p);
        if (2 * oh === H) f.set(X.subarray(x0 + p * HW, x0 + (p + np) * HW), r0);
        else for (let q = 0; q < np; q++) f.set(X.subarray(x0 + (p + q) * HW, x0 + (p + q) * HW + inPlane), r0 + q * inPlane);
        ex.mp_2x2(R0, vAt, iAt, np, oh, W, ow);
        vals.set(f.subarray(vAt / 4, vAt / 4 + np * L), p * L);
        idx.set(d.subarray(iAt / 8, iAt / 8 + np * L), p * L);
      }
      return true;
    },
  };

  const batchNorm: BatchNormAccel = {
    forward(X, N, C, S, W, B, eps, Y, M, V, RS) {
      if (!takes(N, S)) return false;
      const ex = init();
      const fr = Math.fround, e = fr(eps), n = N * S, per = Math.min(4, Math.floor(CAP / n));
      for (let c = 0; c < C; c += per) {
        const g = Math.min(per, C - c);
        stage(X, N, C, S, c, g, r0);
        ex.bn_sums(R0, N, S, g, SUMS);
        for (let k = 0; k < g; k++) f[m + k] = M[c + k] = fr(fr(d[s + k]) / n);
        ex.bn_sqdevs(R0, N, S, g, MEANS, SUMS);
        for (let k = 0; k < g; k++) {
          const v = fr(fr(d[s + k]) / n), rs = fr(1 / Math.sqrt(fr(v + e)));
          V[c + k] = v; RS[c + k] = rs;
          f[pf + 4 * k] = M[c + k]; f[pf + 4 * k + 1] = rs; f[pf + 4 * k + 2] = W ? W[c + k] : 1; f[pf + 4 * k + 3] = B ? B[c + k] : -0;
        }
        ex.bn_apply(R0, N, S, g, PARS);
        unstage(Y, N, C, S, c, g, r0);
      }
      return true;
    },
    backward(G, X, N, C, S, M, RS, W, dX, dW, dB) {
      if (!takes(N, S)) return false;
      const ex = init();
      const n = N * S, per = Math.min(4, Math.floor(CAP / n));
      for (let c = 0; c < C; c += per) {
        const g = Math.min(per, C - c);
        stage(G, N, C, S, c, g, r0);
        stage(X, N, C, S, c, g, r1);
        for (let k = 0; k < g; k++) f[m + k] = M[c + k];
        ex.bn_grad_sums(R0, R1, N, S, g, MEANS, SUMS);
        for (let k = 0; k < g; k++) {
          const sg = d[s + 2 * k], sgx = d[s + 2 * k + 1], rs = RS[c + k];
          if (dW) dW[c + k] = sgx * rs;
          if (dB) dB[c + k] = sg;
          d[pd + 4 * k] = M[c + k]; d[pd + 4 * k + 1] = sg / n; d[pd + 4 * k + 2] = (sgx * rs * rs) / n; d[pd + 4 * k + 3] = (W ? W[c + k] : 1) * rs;
        }
        if (!dX) continue;
        ex.bn_grad_apply(R0, R1, N, S, g, PARS);
        unstage(dX, N, C, S, c, g, r0);
      }
      return true;
    },
  };
  /**
   * Write g's geometry for the kernels; returns a sample's input and column sizes, or null where they exceed a
   * staging region (or the columns are too few to pay).
   */
  function geometry(C: number, g: Geo): { CHW: number; KL: number } | null {
    const CHW = C * g.H * g.W, KL = C * g.kh * g.kw * g.oh * g.ow;
    if (CHW > CAP || KL > CAP || KL < min.columns) return null;
    geoAt[0] = C; geoAt[1] = g.H; geoAt[2] = g.W; geoAt[3] = g.kh; geoAt[4] = g.kw; geoAt[5] = g.sh; geoAt[6] = g.sw;
    geoAt[7] = g.ph; geoAt[8] = g.pw; geoAt[9] = g.dh; geoAt[10] = g.dw; geoAt[11] = g.oh; geoAt[12] = g.ow;
    return { CHW, KL };
  }
  const columns: ColumnsAccel = {
    im2col(X, xo, C, g, out, oo) {
      const ex = init(), sizes = geometry(C, g);
      if (!sizes) return false;
      const { CHW, KL } = sizes;
      f.set(X.subarray(xo, xo + CHW), r1);
      ex.im2col(R1, GEO, R0);
      out.set(f.subarray(r0, r0 + KL), oo);
      return true;
    },
    col2im(Cc, co, C, g, out, oo) {
      const ex = init(), sizes = geometry(C, g);
      if (!sizes) return false;
      const { CHW, KL } = sizes;
      f.set(Cc.subarray(co, co + KL), r0);
      f.set(out.subarray(oo, oo + CHW), r1);
      ex.col2im(R0, GEO, R1);
      out.set(f.subarray(r1, r1 + CHW), oo);
      return true;
    },
    accOpen(n) {
      if (n > CAP / 2 || n < min.columns) return false;
      init();
      d.fill(0, R2 / 8, R2 / 8 + n);
      return true;
    },
    accAdd(at, X, xo, n) {
      if (n > CAP) throw new Error('internal: accAdd over the staging region');
      f.set(X.subarray(xo, xo + n), r0);
      init().acc_add(R2 + at * 8, R0, n);
    },
    accRead(at, out, n) { out.set(d.subarray(R2 / 8 + at, R2 / 8 + at + n)); },
    addRows(Y, yo, B, rows, L) {
      if (rows * L > CAP || rows > CAP || rows * L < min.columns) return false;
      const ex = init();
      f.set(Y.subarray(yo, yo + rows * L), r0);
      f.set(B.subarray(0, rows), r1);
      ex.add_rows(R0, rows, L, R1);
      Y.set(f.subarray(r0, r0 + rows * L), yo);
      return true;
    },
  };
  return { pool, batchNorm, columns };
}
