/**
 * @file The WebAssembly SIMD dropout mask (assembly/random.ts): bernoulliScalar_'s float32/float64 masks, the same
 * elements and the same final generator state as its TypeScript loop (src/random/bernoulli.ts), 7-14x faster on
 * dropout-sized masks (same-process A/B, 262,144 float32 elements: 1.3-1.4 ns per element against 10-18).
 * The module has a one-page memory of its own. Each call stages the 624 state words and next/left in, has the kernel
 * write the mask 8,192 float32 (4,096 float64) elements at a time into a staging area (32 KiB, cache-resident),
 * each chunk copied out to the caller's array, and copies the state back. Installed by enableWasmKernels
 * (setBernoulliAccel) where SIMD128 compiles; without it (or a build without the `random` module) the TypeScript
 * loop runs.
 */
import { kernelBytes } from './runtime.js';
import type { BernoulliAccel } from '../../random/bernoulli.js';
import { MT_N, type MT19937 } from '../../random/mt19937.js';

/** Byte addresses of assembly/random.ts: next, avail (= left - 1), the state words, the staged mask. */
const NEXT = 0, AVAIL = 4, ST = 256, OUT = 4096;
/** Bytes of the staging area (32 KiB: 8192 float32 or 4096 float64 elements per kernel call). */
const STAGE_BYTES = 32768;

interface RandomExports {
  bern(n: number, t: number, value: number, wide: boolean): void;
  mt_twist(): void;
}

/** The raw module on its own memory (the tests drive mt_twist through it); null where it is missing or does not compile. */
export function randomModule(): { ex: RandomExports; memory: WebAssembly.Memory } | null {
  const bytes = kernelBytes('random');
  if (bytes === null || typeof WebAssembly !== 'object' || !WebAssembly.validate(bytes)) return null;
  try {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1 });
    const ex = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports as unknown as RandomExports;
    return { ex, memory };
  } catch {
    return null; // e.g. a Content-Security-Policy without wasm-unsafe-eval: enableWasmKernels reports that for the GEMM
  }
}

/** The accelerated mask writer for setBernoulliAccel, or null where the module is unavailable. */
export function wasmBernoulli(): BernoulliAccel | null {
  const mod = randomModule();
  if (mod === null) return null;
  const { ex, memory } = mod;
  const i32 = new Int32Array(memory.buffer), u32 = new Uint32Array(memory.buffer);
  const f32 = new Float32Array(memory.buffer, OUT, STAGE_BYTES >> 2), f64 = new Float64Array(memory.buffer, OUT, STAGE_BYTES >> 3);
  const state = u32.subarray(ST >> 2, (ST >> 2) + MT_N);
  return (eng: MT19937, out: Float32Array | Float64Array, t: number, value: number): boolean => {
    const wide = out instanceof Float64Array, stage = wide ? f64 : f32, chunk = stage.length, n = out.length;
    state.set(eng.state);
    i32[NEXT >> 2] = eng.next; i32[AVAIL >> 2] = eng.left - 1;
    for (let i = 0; i < n; i += chunk) {
      const len = Math.min(chunk, n - i);
      ex.bern(len, t, value, wide);
      out.set(len === chunk ? stage : stage.subarray(0, len), i);
    }
    eng.state.set(state);
    eng.next = i32[NEXT >> 2]; eng.left = i32[AVAIL >> 2] + 1;
    return true;
  };
}
