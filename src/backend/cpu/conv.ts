/**
 * @file CPU convolution helpers: im2col / col2im (its adjoint) and max pooling with indices, for 1-D and 2-D
 * spatial dims (1-D runs as 2-D with height 1). Convolution itself is im2col + GEMM in the op layer.
 */
import type { View } from '../backend.js';
import { arrayFor } from '../../core/dtype.js';
import { isContiguous, numel } from '../../core/shape.js';
import { contiguous } from './elementwise.js';
import { CpuStorage, dataOf } from './storage.js';

/** The elements of a view in row-major order and where they start: the storage itself when contiguous, else a copy. */
function dense(x: View): { d: TypedArrayLike; o: number } {
  if (isContiguous(x.shape, x.strides)) return { d: dataOf(x.storage), o: x.offset };
  return { d: contiguous(x, x.dtype).data, o: 0 };
}
export type TypedArrayLike = ReturnType<typeof dataOf>;

/** The output positions o in [0, len) whose input coordinate o*s - p + k*d lies in [0, size). */
function validRange(len: number, size: number, s: number, p: number, kd: number): [number, number] {
  const lo = Math.max(0, Math.ceil((p - kd) / s));
  const hi = Math.min(len, Math.floor((size - 1 + p - kd) / s) + 1);
  return [lo, Math.max(lo, hi)];
}

export type Geo = { H: number; W: number; kh: number; kw: number; sh: number; sw: number; ph: number; pw: number; dh: number; dw: number; oh: number; ow: number };

export function geo(spatial: readonly number[], k: readonly number[], s: readonly number[], p: readonly number[], d: readonly number[], o: readonly number[]): Geo {
  if (spatial.length === 1) return { H: 1, W: spatial[0], kh: 1, kw: k[0], sh: 1, sw: s[0], ph: 0, pw: p[0], dh: 1, dw: d[0], oh: 1, ow: o[0] };
  if (spatial.length !== 2) throw new Error(`internal: im2col supports 1-D and 2-D spatial dims, got ${spatial.length}`);
  return { H: spatial[0], W: spatial[1], kh: k[0], kw: k[1], sh: s[0], sw: s[1], ph: p[0], pw: p[1], dh: d[0], dw: d[1], oh: o[0], ow: o[1] };
}

/**
 * Faster float32 im2colSample / col2imSample (same results; im2col also writes the padding entries' zeros, which
 * is what every caller has there).
 */
export interface ColumnsAccel {
  im2col(X: Float32Array, xo: number, C: number, g: Geo, out: Float32Array, oo: number): boolean;
  col2im(Cc: Float32Array, co: number, C: number, g: Geo, out: Float32Array, oo: number): boolean;
  /**
   * The fused convolution's batch sums (conv-fused.ts): accOpen zeroes n float64 accumulators (false where they do
   * not fit), accAdd adds X[xo, xo + n) to those from `at`, accRead copies n of them out; one backward at a time.
   */
  accOpen(n: number): boolean;
  accAdd(at: number, X: Float32Array, xo: number, n: number): void;
  accRead(at: number, out: Float64Array, n: number): void;
  /** Y[yo + r*L + l] += B[r] (float32) for `rows` rows; false where it declines. */
  addRows(Y: Float32Array, yo: number, B: Float32Array, rows: number, L: number): boolean;
}
let columns: ColumnsAccel | null = null;
/** Install (or remove, with null) the float32 im2col / col2im kernels; returns the previous ones. */
export function setColumnsAccel(a: ColumnsAccel | null): ColumnsAccel | null { const prev = columns; columns = a; return prev; }
/** The installed ones, if any. */
export function columnsAccel(): ColumnsAccel | null { return columns; }

/**
 * One sample's im2col: channels C of X from xo -> out [C*kh*kw, oh*ow] from oo; padded entries are left untouched
 * (the installed accel writes them as zeros: callers hand in zero-filled padding).
 */
export function im2colSample(X: TypedArrayLike, xo: number, C: number, g: Geo, out: TypedArrayLike, oo: number): void {
  if (columns && X instanceof Float32Array && out instanceof Float32Array && columns.im2col(X, xo, C, g, out, oo)) return;
  const L = g.oh * g.ow, sw = g.sw;
  for (let c = 0; c < C; c++) {
    const xb = xo + c * g.H * g.W;
    for (let i = 0; i < g.kh; i++) {
      const [y0, y1] = validRange(g.oh, g.H, g.sh, g.ph, i * g.dh);
      for (let j = 0; j < g.kw; j++) {
        const row = oo + ((c * g.kh + i) * g.kw + j) * L;
        // columns whose input x lies inside the image; the rest stay zero (padding)
        const [lo, hi] = validRange(g.ow, g.W, sw, g.pw, j * g.dw);
        const shift = j * g.dw - g.pw;
        for (let oy = y0; oy < y1; oy++) {
          const xr = xb + (oy * g.sh - g.ph + i * g.dh) * g.W + shift;
          const ob = row + oy * g.ow;
          if (sw === 1) for (let ox = lo; ox < hi; ox++) out[ob + ox] = X[xr + ox];
          else for (let ox = lo; ox < hi; ox++) out[ob + ox] = X[xr + ox * sw];
        }
      }
    }
  }
}

/** One sample's col2im: cols [C*kh*kw, L] from co summed into out [C, ...spatial] from oo (added to what is there). */
export function col2imSample(Cc: TypedArrayLike, co: number, C: number, g: Geo, out: TypedArrayLike, oo: number): void {
  if (columns && Cc instanceof Float32Array && out instanceof Float32Array && columns.col2im(Cc, co, C, g, out, oo)) return;
  const L = g.oh * g.ow, sw = g.sw;
  for (let c = 0; c < C; c++) {
    const xb = oo + c * g.H * g.W;
    for (let i = 0; i < g.kh; i++) {
      const [y0, y1] = validRange(g.oh, g.H, g.sh, g.ph, i * g.dh);
      for (let j = 0; j < g.kw; j++) {
        const row = co + ((c * g.kh + i) * g.kw + j) * L;
        const [lo, hi] = validRange(g.ow, g.W, sw, g.pw, j * g.dw);
        const shift = j * g.dw - g.pw;
        for (let oy = y0; oy < y1; oy++) {
          const xr = xb + (oy * g.sh - g.ph + i * g.dh) * g.W + shift;
          const ob = row + oy * g.ow;
          if (sw === 1) for (let ox = lo; ox < hi; ox++) out[xr + ox] += Cc[ob + ox];
          else for (let ox = lo; ox < hi; ox++) out[xr + ox * sw] += Cc[ob + ox];
        }
      }
    }
  }
}

export function im2col(x: View, kernel: readonly number[], stride: readonly number[], padding: readonly number[], dilation: readonly number[], outSpatial: readonly number[]): CpuStorage {
  const { d: X, o: x0 } = dense(x);
  const [N, C] = x.shape;
  const g = geo(x.shape.slice(2), kernel, stride, padding, dilation, outSpatial);
  const K = C * g.kh * g.kw, L = g.oh * g.ow;
  const out = arrayFor(x.dtype, N * K * L);
  for (let n = 0; n < N; n++) im2colSample(X, x0 + n * C * g.H * g.W, C, g, out, n * K * L);
  return new CpuStorage(x.dtype, out);
}

export function col2im(cols: View, channels: number, spatial: readonly number[], kernel: readonly number[], stride: readonly number[], padding: readonly number[], dilation: readonly number[], outSpatial: readonly number[]): CpuStorage {
  const { d: Cc, o: c0 } = dense(cols);
  const N = cols.shape[0], C = channels;
  const g = geo(spatial, kernel, stride, padding, dilation, outSpatial);
  const K = C * g.kh * g.kw, L = g.oh * g.ow;
  const out = arrayFor(cols.dtype, N * C * numel(spatial));
  for (let n = 0; n < N; n++) col2imSample(Cc, c0 + n * K * L, C, g, out, n * C * g.H * g.W);
  return new CpuStorage(cols.dtype, out);
}

/** A faster float32 2x2 max pool with stride 2 (same values and indices as maxPool2x2 below). */
export interface PoolAccel {
  /** NC planes of H x W from X[x0] -> vals and idx [NC, oh, ow]; false where it declines (too small or large). */
  maxPool2x2(X: Float32Array, x0: number, NC: number, H: number, W: number, oh: number, ow: number, vals: Float32Array, idx: Float64Array): boolean;
}
let accel: PoolAccel | null = null;
/** Install (or remove, with null) the float32 max-pool kernel; returns the previous one. */
export function setPoolAccel(a: PoolAccel | null): PoolAccel | null { const prev = accel; accel = a; return prev; }

export function maxPool(x: View, kernel: readonly number[], stride: readonly number[], padding: readonly number[], dilation: readonly number[], outSpatial: readonly number[]): [CpuStorage, CpuStorage] {
  const { d: X, o: x0 } = dense(x);
  const [N, C] = x.shape;
  const g = geo(x.shape.slice(2), kernel, stride, padding, dilation, outSpatial);
  const L = g.oh * g.ow;
  const vals = arrayFor(x.dtype, N * C * L);
  const idx = new Float64Array(N * C * L);
  const inside = g.ph === 0 && g.pw === 0 && (g.oh - 1) * g.sh + (g.kh - 1) * g.dh < g.H && (g.ow - 1) * g.sw + (g.kw - 1) * g.dw < g.W;
  if (inside && g.kh === 2 && g.kw === 2 && g.sh === 2 && g.sw === 2 && g.dh === 1 && g.dw === 1 && accel && X instanceof Float32Array &&
    accel.maxPool2x2(X, x0, N * C, g.H, g.W, g.oh, g.ow, vals as Float32Array, idx)) { /* done in wasm */ }
  else if (inside && g.kh === 2 && g.kw === 2) maxPool2x2(X, x0, N * C, g, vals, idx);
  else if (inside) maxPoolInside(X, x0, N * C, g, vals, idx);
  else for (let nc = 0; nc < N * C; nc++) {
    const xb = x0 + nc * g.H * g.W;
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++) {
        let best = -Infinity, bi = -1;
        for (let i = 0; i < g.kh; i++) {
          const y = oy * g.sh - g.ph + i * g.dh;
          if (y < 0 || y >= g.H) continue;
          for (let j = 0; j < g.kw; j++) {
            const xx = ox * g.sw - g.pw + j * g.dw;
            if (xx < 0 || xx >= g.W) continue;
            const v = X[xb + y * g.W + xx];
            if (v > best || Number.isNaN(v) || bi < 0) { best = v; bi = y * g.W + xx; if (Number.isNaN(v)) break; }
          }
        }
        const o = nc * L + oy * g.ow + ox;
        vals[o] = best; idx[o] = bi;
      }
    }
  }
  return [new CpuStorage(x.dtype, vals), new CpuStorage('int64', idx)];
}

/*
 * The windows of maxPool when every one lies inside the input (no padding, no ceil-mode overhang): the same
 * comparisons in the same order as the general loop above (the first maximum wins; a NaN wins and ends its window
 * row), without the bounds tests. 2x2 windows (the common max-pool) unrolled.
 */
function maxPoolInside(X: TypedArrayLike, x0: number, NC: number, g: Geo, vals: TypedArrayLike, idx: Float64Array): void {
  const { H, W, kh, kw, sh, sw, dh, dw, oh, ow } = g;
  for (let nc = 0, o = 0; nc < NC; nc++) {
    const xb = x0 + nc * H * W;
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++, o++) {
        let best = 0, bi = -1;
        for (let i = 0; i < kh; i++) {
          const r = (oy * sh + i * dh) * W + ox * sw;
          for (let j = 0; j < kw; j++) {
            const p = r + j * dw, v = X[xb + p];
            if (v > best || v !== v || bi < 0) { best = v; bi = p; if (v !== v) break; }
          }
        }
        vals[o] = best; idx[o] = bi;
      }
    }
  }
}

function maxPool2x2(X: TypedArrayLike, x0: number, NC: number, g: Geo, vals: TypedArrayLike, idx: Float64Array): void {
  const { H, W, sh, sw, dh, dw, oh, ow } = g, HW = H * W;
  for (let nc = 0, o = 0; nc < NC; nc++) {
    const xb = x0 + nc * HW;
    for (let oy = 0; oy < oh; oy++) {
      const r0 = oy * sh * W, r1 = r0 + dh * W;
      for (let ox = 0; ox < ow; ox++, o++) {
        const c0 = ox * sw, c1 = c0 + dw;
        // row 0: the first element, then the second unless the first is NaN
        let best = X[xb + r0 + c0], bi = r0 + c0;
        if (best === best) { const v = X[xb + r0 + c1]; if (v > best || v !== v) { best = v; bi = r0 + c1; } }
        // row 1
        const v2 = X[xb + r1 + c0];
        if (v2 > best || v2 !== v2) { best = v2; bi = r1 + c0; }
        if (v2 === v2) { const v = X[xb + r1 + c1]; if (v > best || v !== v) { best = v; bi = r1 + c1; } }
        vals[o] = best; idx[o] = bi;
      }
    }
  }
}

export function maxPoolBackward(grad: View, indices: View, spatial: readonly number[]): CpuStorage {
  const { d: G, o: g0 } = dense(grad);
  const { d: I, o: i0 } = indices.dtype === 'int64' ? dense(indices) : { d: dataOf(contiguous(indices, 'int64')), o: 0 };
  const [N, C] = grad.shape;
  const L = numel(grad.shape.slice(2)), S = numel(spatial);
  const out = arrayFor(grad.dtype, N * C * S);
  for (let nc = 0; nc < N * C; nc++) for (let l = 0; l < L; l++) out[nc * S + I[i0 + nc * L + l]] += G[g0 + nc * L + l];
  return new CpuStorage(grad.dtype, out);
}
