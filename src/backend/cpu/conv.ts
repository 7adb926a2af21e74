/**
 * @file CPU convolution helpers: im2col / col2im (its adjoint) and max pooling with indices, for 1-D and 2-D
 * spatial dims (1-D runs as 2-D with height 1). Convolution itself is im2col + GEMM in the op layer.
 */
import type { View } from '../backend.js';
import { arrayFor } from '../../core/dtype.js';
import { numel } from '../../core/shape.js';
import { contiguous } from './elementwise.js';
import { CpuStorage, dataOf } from './storage.js';

type Geo = { H: number; W: number; kh: number; kw: number; sh: number; sw: number; ph: number; pw: number; dh: number; dw: number; oh: number; ow: number };

function geo(spatial: readonly number[], k: readonly number[], s: readonly number[], p: readonly number[], d: readonly number[], o: readonly number[]): Geo {
  if (spatial.length === 1) return { H: 1, W: spatial[0], kh: 1, kw: k[0], sh: 1, sw: s[0], ph: 0, pw: p[0], dh: 1, dw: d[0], oh: 1, ow: o[0] };
  if (spatial.length !== 2) throw new Error(`internal: im2col supports 1-D and 2-D spatial dims, got ${spatial.length}`);
  return { H: spatial[0], W: spatial[1], kh: k[0], kw: k[1], sh: s[0], sw: s[1], ph: p[0], pw: p[1], dh: d[0], dw: d[1], oh: o[0], ow: o[1] };
}

export function im2col(x: View, kernel: readonly number[], stride: readonly number[], padding: readonly number[], dilation: readonly number[], outSpatial: readonly number[]): CpuStorage {
  const X = contiguous(x, x.dtype).data;
  const [N, C] = x.shape;
  const g = geo(x.shape.slice(2), kernel, stride, padding, dilation, outSpatial);
  const K = C * g.kh * g.kw, L = g.oh * g.ow;
  const out = arrayFor(x.dtype, N * K * L);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const xb = (n * C + c) * g.H * g.W;
      for (let i = 0; i < g.kh; i++) {
        for (let j = 0; j < g.kw; j++) {
          const row = ((n * K) + (c * g.kh + i) * g.kw + j) * L;
          for (let oy = 0; oy < g.oh; oy++) {
            const y = oy * g.sh - g.ph + i * g.dh;
            const ob = row + oy * g.ow;
            if (y < 0 || y >= g.H) continue;
            const xr = xb + y * g.W;
            for (let ox = 0; ox < g.ow; ox++) {
              const xx = ox * g.sw - g.pw + j * g.dw;
              if (xx >= 0 && xx < g.W) out[ob + ox] = X[xr + xx];
            }
          }
        }
      }
    }
  }
  return new CpuStorage(x.dtype, out);
}

export function col2im(cols: View, channels: number, spatial: readonly number[], kernel: readonly number[], stride: readonly number[], padding: readonly number[], dilation: readonly number[], outSpatial: readonly number[]): CpuStorage {
  const Cc = contiguous(cols, cols.dtype).data;
  const N = cols.shape[0], C = channels;
  const g = geo(spatial, kernel, stride, padding, dilation, outSpatial);
  const K = C * g.kh * g.kw, L = g.oh * g.ow;
  const out = arrayFor(cols.dtype, N * C * numel(spatial));
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const xb = (n * C + c) * g.H * g.W;
      for (let i = 0; i < g.kh; i++) {
        for (let j = 0; j < g.kw; j++) {
          const row = ((n * K) + (c * g.kh + i) * g.kw + j) * L;
          for (let oy = 0; oy < g.oh; oy++) {
            const y = oy * g.sh - g.ph + i * g.dh;
            if (y < 0 || y >= g.H) continue;
            const ob = row + oy * g.ow, xr = xb + y * g.W;
            for (let ox = 0; ox < g.ow; ox++) {
              const xx = ox * g.sw - g.pw + j * g.dw;
              if (xx >= 0 && xx < g.W) out[xr + xx] += Cc[ob + ox];
            }
          }
        }
      }
    }
  }
  return new CpuStorage(cols.dtype, out);
}

export function maxPool(x: View, kernel: readonly number[], stride: readonly number[], padding: readonly number[], dilation: readonly number[], outSpatial: readonly number[]): [CpuStorage, CpuStorage] {
  const X = contiguous(x, x.dtype).data;
  const [N, C] = x.shape;
  const g = geo(x.shape.slice(2), kernel, stride, padding, dilation, outSpatial);
  const L = g.oh * g.ow;
  const vals = arrayFor(x.dtype, N * C * L);
  const idx = new Float64Array(N * C * L);
  for (let nc = 0; nc < N * C; nc++) {
    const xb = nc * g.H * g.W;
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

export function maxPoolBackward(grad: View, indices: View, spatial: readonly number[]): CpuStorage {
  const G = contiguous(grad, grad.dtype).data, I = dataOf(contiguous(indices, 'int64'));
  const [N, C] = grad.shape;
  const L = numel(grad.shape.slice(2)), S = numel(spatial);
  const out = arrayFor(grad.dtype, N * C * S);
  for (let nc = 0; nc < N * C; nc++) for (let l = 0; l < L; l++) out[nc * S + I[nc * L + l]] += G[nc * L + l];
  return new CpuStorage(grad.dtype, out);
}
