/**
 * @file WebAssembly SIMD kernels for the CPU backend: entry points the core uses.
 *
 *   enableWasmKernels()   synchronous init; installs gemmWasm as the float32 GEMM (setGemmF32) and the SIMD
 *                         elementwise kernels as the contiguous float32 fast paths (setF32Accel), the SIMD
 *                         optimizer updates (setOptimAccel), the 2x2 max pool (setPoolAccel), batch norm
 *                         (setBatchNormAccel) and im2col / col2im (setColumnsAccel). Picks the relaxed-SIMD
 *                         build when the runtime accepts it, plain SIMD128 otherwise, and leaves the TypeScript
 *                         reference in place where WebAssembly SIMD is missing. Returns the variant.
 *   setNumThreads(n) / getNumThreads()   threads used by large GEMMs (PyTorch's torch.set_num_threads).
 *
 * Environment overrides (Node): TORCHLET_WASM=off|simd|relaxed, TORCHLET_NUM_THREADS=n.
 */
import { setGemmF32, gemmReference, type GemmArgs } from '../cpu/gemm.js';
import { setF32Accel, type F32Accel } from '../cpu/f32.js';
import { wasmF32Accel } from './elementwise.js';
import { wasmBernoulli } from './random.js';
import { setBernoulliAccel, type BernoulliAccel } from '../../random/bernoulli.js';
import { setOptimAccel, type OptimAccel } from '../cpu/optim.js';
import { wasmOptim } from './optim.js';
import { setColumnsAccel, setPoolAccel } from '../cpu/conv.js';
import { setBatchNormAccel } from '../cpu/batchnorm.js';
import { wasmCnn } from './cnn.js';
import { WasmEngine, variantSupported, sharedMemorySupported, sharedMemoryProblem, hardwareThreads, type WasmVariant } from './engine.js';

export { WasmEngine, variantSupported, sharedMemorySupported, sharedMemoryProblem, hardwareThreads, PARALLEL_MIN_WORK } from './engine.js';
export type { WasmVariant, EngineOptions, GemmProfile } from './engine.js';

let engine: WasmEngine | null = null;
/** The SIMD elementwise kernels (their own memory, not the engine's): made with the first engine, kept across swaps. */
let accel: F32Accel | null = null;
/** The SIMD dropout mask (its own memory too; null where the module is missing), made once like accel. */
let mask: BernoulliAccel | null | undefined;
/** The SIMD optimizer updates (their own memory too; undefined until the first engine, null if not built). */
let optim: OptimAccel | null | undefined;
/** The CNN kernels: 2x2 max pool, batch norm, im2col / col2im (their own memory too; undefined until the first engine, null if not built). */
let cnn: ReturnType<typeof wasmCnn> | undefined;
let requestedThreads: number | null = null;
/** Why the CPU runs the kernels it runs (set by enableWasmKernels / disableWasmKernels). */
let kernelReason = 'enableWasmKernels() has not run';
const warned = new Set<string>();

/** Warn once per distinct message (a fallback that costs speed must never be silent). */
export function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  const c = (globalThis as { console?: { warn(m: string): void } }).console;
  c?.warn(`torchlet: ${message}`);
}

/** Why the current kernel set is in use (for torch.backends.info()). */
export function cpuKernelReason(): string { return kernelReason; }

const CSP_HINT = /unsafe-eval|content security policy|csp|refused to compile/i;

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
  if (!variant || !variantSupported(variant)) {
    const forced = env('TORCHLET_WASM');
    if (forced === 'off' || forced === '0') kernelReason = `TORCHLET_WASM=${forced} chose the TypeScript kernels`;
    else {
      kernelReason = typeof WebAssembly !== 'object'
        ? 'this runtime has no WebAssembly'
        : `this runtime does not support WebAssembly ${variant ?? 'SIMD128'} (Chrome 91+, Firefox 89+, Safari 16.4+, Node 16.4+ do)`;
      warnOnce(`the CPU runs the TypeScript kernels (about 4x slower): ${kernelReason}`);
    }
    return null;
  }
  let threads = requestedThreads;
  const envThreads = Number(env('TORCHLET_NUM_THREADS'));
  if (threads === null && Number.isInteger(envThreads) && envThreads > 0) threads = envThreads;
  let next: WasmEngine;
  try {
    next = new WasmEngine({ variant, threads: threads ?? undefined, shared: plainMemory(threads ?? hardwareThreads()) ? false : undefined });
    install(next);
  } catch (e) {
    const msg = (e as Error).message;
    kernelReason = `compiling the WebAssembly kernels failed: ${msg}`;
    warnOnce(`the CPU runs the TypeScript kernels (about 4x slower): ${kernelReason}${CSP_HINT.test(msg)
      ? ". The page's Content-Security-Policy forbids WebAssembly compilation: add 'wasm-unsafe-eval' to its script-src directive" : ''}`);
    return null;
  }
  kernelReason = variant === 'relaxed'
    ? 'the runtime accepts relaxed SIMD (f32x4.relaxed_madd)'
    : 'the runtime accepts SIMD128 but not relaxed SIMD';
  const problem = next.shared ? null : sharedMemoryProblem();
  if (problem && (threads ?? 2) > 1 && hardwareThreads() > 1) warnOnce(`the CPU kernels run on 1 thread: ${problem}`);
  describeGemm();
  return variant;
}

/**
 * One thread needs no shared memory, and copies into a plain memory run about twice as fast (TypedArray.set into
 * a SharedArrayBuffer-backed memory measured 8.3 vs 15.9 GB/s): the engine of a 1-thread setting uses a plain one.
 */
function plainMemory(threads: number): boolean { return threads === 1; }

/** Make `next` the engine behind gemmWasm and the elementwise fast paths (the previous one is disposed). */
function install(next: WasmEngine): void {
  engine?.dispose();
  engine = next;
  setF32Accel(accel ??= wasmF32Accel());
  setBernoulliAccel(mask === undefined ? (mask = wasmBernoulli()) : mask);
  setOptimAccel(optim === undefined ? (optim = wasmOptim()) : optim);
  if (cnn === undefined) cnn = wasmCnn();
  setPoolAccel(cnn?.pool ?? null);
  setBatchNormAccel(cnn?.batchNorm ?? null);
  setColumnsAccel(cnn?.columns ?? null);
  next.onWorkerFailure = (reason) => {
    warnOnce(`worker threads could not start, the CPU kernels run on ${engine?.threads ?? 1} thread(s): ${reason}. ` +
      "In a page with a Content-Security-Policy, allow the library's Blob-URL workers with worker-src blob:");
    describeGemm();
  };
}

function describeGemm(): void {
  if (!engine) return;
  const t = engine.threads, v = engine.variant;
  setGemmF32(gemmWasm, `wasm ${v === 'relaxed' ? 'relaxed SIMD (f32x4.relaxed_madd)' : 'SIMD128'}, ${engine.tile.mr}x${engine.tile.nr} packed, ${t} thread${t > 1 ? 's' : ''}`, true);
}

/** Put the reference GEMM back and stop the worker threads. */
export function disableWasmKernels(): void {
  engine?.dispose();
  engine = null;
  setF32Accel(null);
  setBernoulliAccel(null);
  setOptimAccel(null);
  setPoolAccel(null);
  setBatchNormAccel(null);
  setColumnsAccel(null);
  kernelReason = 'disableWasmKernels() chose the TypeScript kernels';
  setGemmF32(gemmReference, 'reference (TypeScript, cache-blocked)', true);
}

/** Threads for large GEMMs (1 = calling thread only). Clamped to 1 where shared memory is unavailable. */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setNumThreads: expected a positive integer, got ${n}`);
  requestedThreads = n;
  if (engine) {
    // a memory cannot change between plain and shared: a new engine (same variant) when that choice changes
    const shared = !plainMemory(n) && sharedMemorySupported();
    if (shared !== engine.shared) install(new WasmEngine({ variant: engine.variant, threads: n, shared }));
    else engine.setNumThreads(n);
    describeGemm();
  }
}

/** The threads requested (setNumThreads, TORCHLET_NUM_THREADS, else the machine's cores). */
export function requestedNumThreads(): number {
  return requestedThreads ?? (Number(env('TORCHLET_NUM_THREADS')) || hardwareThreads());
}

/**
 * Threads large GEMMs really use: workers are started here (not only at the first large GEMM) so that a
 * runtime that refuses them (a CSP without worker-src blob:, no Worker) is reported now, not after the fact.
 */
export function getNumThreads(): number {
  if (engine) { engine.startWorkers(); return engine.threads; }
  if (requestedThreads !== null) return sharedMemorySupported() ? requestedThreads : 1;
  return sharedMemorySupported() ? hardwareThreads() : 1;
}

/**
 * Waits until the worker threads have started or failed and resolves with the threads that run. Browsers start
 * workers (and refuse them under a Content-Security-Policy) asynchronously, so this is the reliable figure there.
 */
export async function threadsReady(timeoutMs?: number): Promise<number> {
  return engine ? engine.whenWorkersReady(timeoutMs) : 1;
}
