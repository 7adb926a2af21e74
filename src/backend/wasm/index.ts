/**
 * @file WebAssembly SIMD kernels for the CPU backend: entry points the core uses.
 *
 *   enableWasmKernels()   synchronous init; installs gemmWasm as the float32 GEMM (setGemmF32). Picks the
 *                         relaxed-SIMD build when the runtime accepts it, plain SIMD128 otherwise, and leaves the
 *                         TypeScript reference in place where WebAssembly SIMD is missing. Returns the variant.
 *   setNumThreads(n) / getNumThreads()   threads used by large GEMMs (PyTorch's torch.set_num_threads).
 *
 * Environment overrides (Node): TORCHLET_WASM=off|simd|relaxed, TORCHLET_NUM_THREADS=n.
 */
import { setGemmF32, gemmReference, type GemmArgs } from '../cpu/gemm.js';
import { WasmEngine, variantSupported, sharedMemorySupported, hardwareThreads, type WasmVariant } from './engine.js';

export { WasmEngine, variantSupported, sharedMemorySupported, hardwareThreads, PARALLEL_MIN_WORK } from './engine.js';
export type { WasmVariant, EngineOptions, GemmProfile } from './engine.js';

let engine: WasmEngine | null = null;
let requestedThreads: number | null = null;

function env(name: string): string | undefined {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
}

/** The variant enableWasmKernels would choose here: 'relaxed', 'simd', or null (no WebAssembly SIMD). */
export function bestVariant(): WasmVariant | null {
  const forced = env('TORCHLET_WASM');
  if (forced === 'off' || forced === '0') return null;
  if (forced === 'simd') return variantSupported('simd') ? 'simd' : null;
  if (variantSupported('relaxed')) return 'relaxed';
  return variantSupported('simd') ? 'simd' : null;
}

/** The engine behind gemmWasm (null until enableWasmKernels succeeded). */
export function wasmEngine(): WasmEngine | null { return engine; }

/**
 * Float32 GEMM through the WebAssembly engine (falls back to the reference kernel before initialisation).
 * Semantics are exactly those of GemmArgs / gemmReference, up to float rounding.
 */
export function gemmWasm(args: GemmArgs<Float32Array>): void {
  if (engine) engine.gemm(args);
  else gemmReference(args);
}

/**
 * Synchronous initialisation: compile the kernel module (about 4 KB, so even a browser main thread allows the
 * synchronous compile), create the memory, install gemmWasm with setGemmF32. Idempotent. Returns the variant in
 * use, or null when WebAssembly SIMD is unavailable (the TypeScript kernels stay installed).
 */
export function enableWasmKernels(opts: { variant?: WasmVariant } = {}): WasmVariant | null {
  const variant = opts.variant ?? bestVariant();
  if (engine && engine.variant === variant) return variant;
  if (!variant || !variantSupported(variant)) return null;
  let threads = requestedThreads;
  const envThreads = Number(env('TORCHLET_NUM_THREADS'));
  if (threads === null && Number.isInteger(envThreads) && envThreads > 0) threads = envThreads;
  try {
    const next = new WasmEngine({ variant, threads: threads ?? undefined });
    engine?.dispose();
    engine = next;
  } catch {
    return null;
  }
  const t = engine.threads;
  setGemmF32(gemmWasm, `wasm ${variant === 'relaxed' ? 'relaxed SIMD (f32x4.relaxed_madd)' : 'SIMD128'}, ${engine.tile.mr}x${engine.tile.nr} packed, ${t} thread${t > 1 ? 's' : ''}`);
  return variant;
}

/** Put the reference GEMM back and stop the worker threads. */
export function disableWasmKernels(): void {
  engine?.dispose();
  engine = null;
  setGemmF32(gemmReference, 'reference (TypeScript, cache-blocked)');
}

/** Threads for large GEMMs (1 = calling thread only). Clamped to 1 where shared memory is unavailable. */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setNumThreads: expected a positive integer, got ${n}`);
  requestedThreads = n;
  if (engine) {
    engine.setNumThreads(n);
    const t = engine.threads, v = engine.variant;
    setGemmF32(gemmWasm, `wasm ${v === 'relaxed' ? 'relaxed SIMD (f32x4.relaxed_madd)' : 'SIMD128'}, ${engine.tile.mr}x${engine.tile.nr} packed, ${t} thread${t > 1 ? 's' : ''}`);
  }
}

/** Threads large GEMMs use now (the machine's cores by default where shared memory is available). */
export function getNumThreads(): number {
  if (engine) return engine.threads;
  if (requestedThreads !== null) return sharedMemorySupported() ? requestedThreads : 1;
  return sharedMemorySupported() ? hardwareThreads() : 1;
}
