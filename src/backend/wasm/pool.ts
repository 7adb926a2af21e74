/**
 * @file The WebAssembly SIMD 2x2 max pool (assembly/pool.ts): float32, stride 2, no padding or dilation, as
 * backend/cpu/conv.ts's maxPool2x2 computes it (bit-identical values and indices), installed there with
 * setPoolAccel. The input and the outputs live in JavaScript typed arrays, so each call stages whole planes
 * through a plain memory of its own (copy in, the branch-free SIMD loop, copy the values and indices back).
 */
import type { PoolAccel } from '../cpu/conv.js';
import { kernelBytes } from './runtime.js';

interface PoolExports { mp_2x2(x: number, vals: number, idx: number, planes: number, oh: number, W: number, ow: number): void }

/** Input floats staged per call (256 KiB); a plane larger than this takes the TypeScript loop. */
export const CHUNK = 1 << 16;
/** Fewest outputs for which the wasm call pays (a 16x16 plane: 64 outputs ran 2.5x faster in wasm). */
export const MIN_OUTPUTS = 64;
/** Room left after each buffer for the spill of the last group of four columns (assembly/pool.ts). */
const PAD = 16;

/** One instance of the pool module on its own memory; null where the generated kernels lack it. */
export function wasmPool(min = MIN_OUTPUTS): PoolAccel | null {
  const bytes = kernelBytes('pool');
  if (!bytes) return null;
  // input CHUNK floats, values CHUNK/4 floats, indices CHUNK/4 doubles, each with PAD elements after it
  const xAt = 0, vAt = (CHUNK + PAD) * 4, iAt = vAt + (CHUNK / 4 + PAD) * 4, end = iAt + (CHUNK / 4 + PAD) * 8;
  const pages = Math.ceil(end / 65536);
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  const ex = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports as unknown as PoolExports;
  const f = new Float32Array(memory.buffer), d = new Float64Array(memory.buffer);
  return {
    maxPool2x2(X, x0, NC, H, W, oh, ow, vals, idx) {
      const inPlane = 2 * oh * W, L = oh * ow;
      if (inPlane > CHUNK || NC * L < min || ow === 0 || oh === 0) return false;
      const per = Math.floor(CHUNK / inPlane), HW = H * W;
      for (let p = 0; p < NC; p += per) {
        const np = Math.min(per, NC - p);
        if (2 * oh === H) f.set(X.subarray(x0 + p * HW, x0 + (p + np) * HW), 0);
        else for (let q = 0; q < np; q++) f.set(X.subarray(x0 + (p + q) * HW, x0 + (p + q) * HW + inPlane), q * inPlane);
        ex.mp_2x2(xAt, vAt, iAt, np, oh, W, ow);
        vals.set(f.subarray(vAt / 4, vAt / 4 + np * L), p * L);
        idx.set(d.subarray(iAt / 8, iAt / 8 + np * L), p * L);
      }
      return true;
    },
  };
}
