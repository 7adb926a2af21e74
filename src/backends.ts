/**
 * @file torch.backends: what runs here and why (PyTorch's `torch.backends` plus `collect_env` in one call).
 *
 *   torch.backends.info()   // { runtime, cpu: { kernels, reason, gemm, recycling }, threads: { requested, running, ... }, webgpu }
 *
 * Every fallback that costs speed (TypeScript kernels instead of WebAssembly, one thread instead of several)
 * also warns once on the console with its reason and fix, when it happens.
 */
import { gemmF32Backend } from './backend/cpu/gemm.js';
import { float32Recycling } from './core/f32-pool.js';
import { cpuKernelReason, getNumThreads, threadsReady, requestedNumThreads, sharedMemoryProblem, hardwareThreads, wasmEngine } from './backend/wasm/index.js';
import { isAvailable as webgpuReady, info as webgpuInfo } from './webgpu.js';

/**
 * Waits until the CPU's worker threads have started (or failed) and resolves with the threads that run.
 * `getNumThreads()` answers at once with the threads planned, which a browser may still refuse (its Worker
 * errors arrive asynchronously); after this promise it reports what runs.
 */
export { threadsReady };

export type CpuKernels = 'wasm-relaxed-simd' | 'wasm-simd128' | 'typescript';

export interface BackendsInfo {
  /** 'node' (with its version), 'browser-main' (a page's main thread), 'browser-worker', or 'other'. */
  runtime: { name: 'node' | 'browser-main' | 'browser-worker' | 'other'; version: string | null; crossOriginIsolated: boolean | null };
  cpu: {
    /** The kernel set the CPU device runs. */
    kernels: CpuKernels;
    /** Why that set (the runtime's support, TORCHLET_WASM, a compile error such as a CSP refusal). */
    reason: string;
    /** The float32 GEMM in use, as the benchmark prints it. */
    gemm: string;
    /**
     * Whether float32 arrays of 16 KiB or more reuse the buffers of collected ones (on in browsers, whose
     * allocator maps fresh pages for each new ArrayBuffer; off in Node), and the bytes held for reuse now.
     */
    recycling: { enabled: boolean; heldBytes: number };
  };
  threads: {
    /** setNumThreads(n), TORCHLET_NUM_THREADS, else the machine's cores. */
    requested: number;
    /** Threads the GEMM really uses now (the caller plus workers that started). */
    running: number;
    /** The machine's cores (os.availableParallelism / navigator.hardwareConcurrency). */
    hardware: number;
    /** Why fewer threads run than were requested (with the fix), or null. */
    limitedBy: string | null;
  };
  webgpu: {
    /** Whether torch.webgpu.init() has brought up a device. */
    initialized: boolean;
    adapter: string | null;
    /** A software adapter (SwiftShader, lavapipe): correct results, CPU speed. */
    software: boolean | null;
  };
}

function runtime(): BackendsInfo['runtime'] {
  const g = globalThis as {
    process?: { versions?: { node?: string } };
    document?: unknown; WorkerGlobalScope?: unknown; crossOriginIsolated?: boolean; navigator?: { userAgent?: string };
  };
  const coi = typeof g.crossOriginIsolated === 'boolean' ? g.crossOriginIsolated : null;
  if (g.process?.versions?.node) return { name: 'node', version: g.process.versions.node, crossOriginIsolated: coi };
  if (g.WorkerGlobalScope !== undefined) return { name: 'browser-worker', version: g.navigator?.userAgent ?? null, crossOriginIsolated: coi };
  if (g.document !== undefined) return { name: 'browser-main', version: g.navigator?.userAgent ?? null, crossOriginIsolated: coi };
  return { name: 'other', version: null, crossOriginIsolated: coi };
}

/** What runs here and why: the CPU kernel set, the threads requested and running, and the WebGPU adapter. */
export function info(): BackendsInfo {
  const engine = wasmEngine();
  const kernels: CpuKernels = engine ? (engine.variant === 'relaxed' ? 'wasm-relaxed-simd' : 'wasm-simd128') : 'typescript';
  const running = engine ? getNumThreads() : 1;
  const requested = requestedNumThreads();
  let limitedBy: string | null = null;
  if (running < requested) {
    limitedBy = !engine ? 'the TypeScript kernels run on one thread'
      : engine.workerFailure ?? sharedMemoryProblem() ?? (hardwareThreads() < requested ? 'fewer cores than requested' : null);
  }
  let adapter: string | null = null, software: boolean | null = null;
  const ready = webgpuReady(), rec = float32Recycling();
  if (ready) { const i = webgpuInfo(); adapter = i.name; software = i.isFallbackAdapter; }
  return {
    runtime: runtime(),
    cpu: { kernels, reason: cpuKernelReason(), gemm: gemmF32Backend(), recycling: { enabled: rec.enabled, heldBytes: rec.heldBytes } },
    threads: { requested, running, hardware: hardwareThreads(), limitedBy },
    webgpu: { initialized: ready, adapter, software },
  };
}
