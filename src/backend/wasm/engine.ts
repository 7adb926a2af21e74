/**
 * @file A WebAssembly SIMD kernel engine: one compiled kernel module (plain SIMD128 or relaxed SIMD), one linear
 * memory, per-thread scratch, and (with shared memory) a pool of worker threads that join large GEMMs.
 *
 * Data flow of one GEMM: the used spans of A and B are copied from the caller's Float32Arrays into the wasm
 * memory (one `TypedArray.set` each, i.e. a memcpy), the kernel packs and multiplies, and C is copied back out.
 * The memory grows on demand and is reused; it never shrinks (wasm memories cannot).
 *
 * Threads: the task is cut into chunks (rows of C, column panels of C, or batch entries) that participants claim
 * with an atomic counter inside wasm, so the calling thread always makes progress on its own and workers that
 * wake late find nothing to do. The caller blocks with Atomics.wait until every chunk is done (torchlet's API is
 * synchronous, like PyTorch's), then closes the task and waits until no worker is still inside it.
 */
import { addBias, sumRowsOfA, type GemmArgs } from '../cpu/gemm.js';
import { moduleBytes, nodeBuiltin, variantSupported, sharedMemorySupported, hardwareThreads, type WasmVariant } from './runtime.js';
import { WORKER_SOURCE } from './worker-source.js';

export { variantSupported, sharedMemorySupported, sharedMemoryProblem, hardwareThreads, nodeBuiltin } from './runtime.js';
export type { WasmVariant } from './runtime.js';

export interface KernelExports {
  SCRATCH_BYTES: WebAssembly.Global;
  GEMM_MR: WebAssembly.Global;
  GEMM_NR: WebAssembly.Global;
  TASK_BYTES: WebAssembly.Global;
  gemm_task(task: number, scratch: number): number;
  add_f32(x: number, y: number, out: number, n: number): void;
  mul_f32(x: number, y: number, out: number, n: number): void;
  relu_f32(x: number, out: number, n: number): void;
  axpy_f32(alpha: number, x: number, y: number, n: number): void;
  sum_f32(x: number, n: number): number;
  colsum_f64(x: number, rows: number, cols: number, ld: number, acc: number, out: number): void;
}

// Memory layout (bytes). Page 0 holds the control block and the task descriptor; scratch and data follow.
const CTL = 1024;          // Int32 control words, see CTL_*
const TASK = 2048;         // task descriptor read by gemm_task (layout mirrors assembly/gemm.ts)
const SCRATCH_BASE = 65536;
const PAGE = 65536;
const ALIGN = 64;

const CTL_EPOCH = 0, CTL_BUSY = 1, CTL_TASK = 2, CTL_SCRATCH = 3, CTL_SCRATCH_STRIDE = 4, CTL_READY = 5,
  CTL_GEN = 6, CTL_ERROR = 7;
// Task words (Int32 index from TASK).
const T_M = 0, T_N = 1, T_K = 2, T_TA = 3, T_TB = 4, T_A = 5, T_LDA = 6, T_B = 7, T_LDB = 8, T_C = 9, T_LDC = 10,
  T_BATCH = 11, T_SA = 12, T_SB = 13, T_SC = 14, T_SPLIT = 15, T_CHUNK = 16, T_NCHUNKS = 17, T_NEXT = 18, T_DONE = 19,
  T_DIRECT = 20;
const SPLIT_BATCH = 0, SPLIT_M = 1, SPLIT_N = 2;

/**
 * Few rows of C: the kernel reads an untransposed B in place instead of packing it first (the task's T_DIRECT
 * word; gemmBlock in assembly/gemm.ts), when m <= DIRECT_B_MAX_M and B's rows are at most DIRECT_B_MAX_LDB floats
 * apart. Kernel alone, same process, packed vs in place (relaxed build, 1 thread): n = 512, k = 128: m = 1 1.44x,
 * 4 1.48x, 8 1.24x, 16 1.10x, 24 1.12x, 32 1.05x, 64 1.01x; 16x784x512 1.15x, 32x256x256 1.09x, batched
 * 32x 32x64·64x64 (TN) 1.07x; but 0.81-0.89x at ldb = 1024 and 2048 (rows 4 KiB or more apart: every k step of
 * a sliver falls in the same L1 sets and in a new page, where packing streams them).
 */
export const DIRECT_B_MAX_M = 32;
export const DIRECT_B_MAX_LDB = 512;
/** Below this many multiply-adds (m*n*k*batch) a GEMM stays on the calling thread. */
export const PARALLEL_MIN_WORK = 96 * 96 * 96;
/**
 * Milliseconds a worker keeps polling for the next task before it sleeps in Atomics.wait. Waking a sleeping
 * worker took 0.5-1 ms on a 2-vCPU KVM guest (the old 20000-iteration spin, ~0.3-0.7 ms, had usually run out by
 * the next GEMM of a training step), which cost a 128x512x512 GEMM 40% of its time on 2 threads.
 */
const WORKER_SPIN_MS = 5;
/** Milliseconds the calling thread polls for the workers' last chunks before it sleeps in Atomics.wait. */
const CALLER_SPIN_MS = 2;

const align = (x: number) => Math.ceil(x / ALIGN) * ALIGN;

interface WorkerHandle { terminate(): unknown; unref?(): void; on?(ev: string, fn: (e: unknown) => void): void }
type NodeWorkerCtor = new (src: string, opts: { eval: boolean; workerData: unknown; execArgv?: string[] }) => WorkerHandle;

/** Optional timing of the three phases of wasm GEMM calls (accumulated milliseconds). */
export interface GemmProfile { calls: number; copyInMs: number; computeMs: number; copyOutMs: number }

export interface EngineOptions {
  variant: WasmVariant;
  /** Threads for large GEMMs (1 = calling thread only). Defaults to the machine's cores when memory is shared. */
  threads?: number;
  /** Use a shared memory (needed for threads). Defaults to sharedMemorySupported(). */
  shared?: boolean;
}

export class WasmEngine {
  readonly variant: WasmVariant;
  readonly shared: boolean;
  readonly memory: WebAssembly.Memory;
  private readonly module: WebAssembly.Module;
  /** The GEMM kernel module's exports. */
  readonly ex: KernelExports;
  private readonly scratchBytes: number;
  /** Register tile of the kernel (rows x columns of C per micro-kernel call); chunks of C are cut to multiples. */
  readonly tile: { mr: number; nr: number };
  private f32!: Float32Array;
  private i32!: Int32Array;
  private numThreads: number;
  private workers: WorkerHandle[] = [];
  private epoch = 0;
  private disposed = false;
  private workersBroken = false;
  /** Why worker threads could not start or died (null while none failed). */
  workerFailure: string | null = null;
  /** Called once when workers fail (the public layer warns). */
  onWorkerFailure: ((reason: string) => void) | null = null;
  profile: GemmProfile | null = null;
  /** When an untransposed B is read in place, unpacked (DIRECT_B_MAX_M, DIRECT_B_MAX_LDB; tests set 0 or Infinity). */
  directBMaxM = DIRECT_B_MAX_M;
  directBMaxLdb = DIRECT_B_MAX_LDB;

  constructor(opts: EngineOptions) {
    this.variant = opts.variant;
    if (!variantSupported(opts.variant)) throw new Error(`WebAssembly ${opts.variant} SIMD is not supported here`);
    this.shared = opts.shared ?? sharedMemorySupported();
    this.module = new WebAssembly.Module(moduleBytes(this.variant, this.shared));
    this.memory = this.shared
      ? new WebAssembly.Memory({ initial: 32, maximum: 65536, shared: true })
      : new WebAssembly.Memory({ initial: 32 });
    const env = { env: { memory: this.memory } };
    const inst = new WebAssembly.Instance(this.module, env);
    this.ex = inst.exports as unknown as KernelExports;
    this.scratchBytes = align(this.ex.SCRATCH_BYTES.value as number);
    this.tile = { mr: this.ex.GEMM_MR.value as number, nr: this.ex.GEMM_NR.value as number };
    this.refreshViews();
    this.numThreads = 1;
    this.setNumThreads(opts.threads ?? (this.shared ? hardwareThreads() : 1));
  }

  get threads(): number { return this.numThreads; }

  /** Threads used for large GEMMs; clamped to 1 without shared memory. Extra workers are stopped. */
  setNumThreads(n: number): void {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`setNumThreads: expected a positive integer, got ${n}`);
    this.numThreads = this.shared ? Math.min(n, 256) : 1;
    if (this.workers.length > this.numThreads - 1) this.stopWorkers();
  }

  private refreshViews(): void {
    this.f32 = new Float32Array(this.memory.buffer);
    this.i32 = new Int32Array(this.memory.buffer);
  }

  /** Make the memory at least `bytes` long. */
  private ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) {
      if (bytes > 65536 * PAGE) throw new RangeError(`wasm GEMM needs ${bytes} bytes, more than 4 GiB`);
      this.memory.grow(Math.ceil((bytes - have) / PAGE));
    }
    if (this.f32.buffer.byteLength !== this.memory.buffer.byteLength) this.refreshViews();
  }

  /** Bytes the memory holds now (it grows on demand and is reused). */
  get memoryBytes(): number { return this.memory.buffer.byteLength; }

  /** Start workers up to numThreads-1 (Node worker_threads or Web Workers); returns how many exist. */
  private spawnWorkers(): number {
    const want = this.numThreads - 1;
    if (this.workers.length >= want || this.disposed) return this.workers.length;
    const wt = nodeBuiltin<{ Worker: NodeWorkerCtor }>('node:worker_threads');
    for (let id = this.workers.length + 1; id <= want; id++) {
      const data = { module: this.module, memory: this.memory, ctl: CTL, id, spinMs: WORKER_SPIN_MS, gen: Atomics.load(this.i32, CTL / 4 + CTL_GEN) };
      let w: WorkerHandle;
      try {
        if (wt) {
          // execArgv: [] so the plain-JS worker skips loaders (tsx) and --input-type; V8 flags are process-wide anyway.
          w = new wt.Worker(WORKER_SOURCE, { eval: true, workerData: data, execArgv: [] });
        } else {
          const g = globalThis as unknown as {
            Worker?: new (url: string) => WorkerHandle & { postMessage(d: unknown): void };
            Blob: typeof Blob; URL: typeof URL;
          };
          if (!g.Worker) { this.failWorkers('this runtime has no Worker constructor'); break; }
          const url = g.URL.createObjectURL(new g.Blob([WORKER_SOURCE], { type: 'text/javascript' }));
          const ww = new g.Worker(url) as WorkerHandle & { postMessage(d: unknown): void; addEventListener?(ev: string, fn: (e: unknown) => void): void };
          ww.addEventListener?.('error', (e) => { this.workersBroken = true; this.failWorkers(`a Web Worker could not start (${(e as { message?: string }).message ?? 'its error event carries no message, as when a Content-Security-Policy refuses blob: workers'})`, 0); });
          ww.postMessage(data);
          w = ww;
        }
      } catch (e) {
        this.failWorkers(`starting a worker threw: ${(e as Error).message}`);
        break;
      }
      w.unref?.();
      w.on?.('error', (e) => { this.workersBroken = true; this.failWorkers(`a worker thread failed: ${(e as Error).message}`, 0); });
      this.workers.push(w);
    }
    return this.workers.length;
  }

  /** Record a worker failure: from now on only the threads that run are reported and used. */
  private failWorkers(reason: string, alive = this.workers.length): void {
    const first = this.workerFailure === null;
    this.workerFailure = reason;
    this.numThreads = 1 + alive;
    if (first) this.onWorkerFailure?.(reason);
  }

  /** Start the workers now (instead of at the first large GEMM), so failures show before they matter. */
  startWorkers(): number { return this.numThreads > 1 ? this.spawnWorkers() : 0; }

  /**
   * Resolves with the threads that run once every started worker has reported ready or failed (or after
   * `timeoutMs`, with the threads ready by then).
   */
  async whenWorkersReady(timeoutMs = 10_000): Promise<number> {
    this.startWorkers();
    const t0 = Date.now();
    while (this.numThreads > 1 && this.readyWorkers < this.numThreads - 1 && Date.now() - t0 < timeoutMs) {
      await new Promise((r) => setTimeout(r, 5));
    }
    return Math.min(this.numThreads, 1 + this.readyWorkers);
  }

  private stopWorkers(): void {
    if (this.workers.length === 0) return;
    // Workers leave when the generation word no longer matches theirs (also guards a task opened before a
    // terminated worker has actually stopped).
    Atomics.add(this.i32, CTL / 4 + CTL_GEN, 1);
    Atomics.notify(this.i32, CTL / 4 + CTL_EPOCH);
    for (const w of this.workers) w.terminate();
    this.workers = [];
    Atomics.store(this.i32, CTL / 4 + CTL_READY, 0);
  }

  /** Stop the workers; the engine still works single-threaded afterwards. */
  dispose(): void { this.stopWorkers(); this.disposed = true; this.numThreads = 1; }

  /** Workers that have started and are waiting for work. */
  get readyWorkers(): number { return Atomics.load(this.i32, CTL / 4 + CTL_READY); }

  /** C = op(A)·op(B), batched, from and to the caller's Float32Arrays (see GemmArgs). */
  gemm(g: GemmArgs<Float32Array>): void {
    const { m, n, k, batch } = g;
    if (m <= 0 || n <= 0 || batch <= 0) return;
    if (k <= 0) {
      for (let bt = 0; bt < batch; bt++) {
        for (let i = 0; i < m; i++) {
          const o = g.cOffset + bt * g.strideC + i * g.ldc;
          g.c.fill(0, o, o + n);
        }
      }
      addBias(g);
      sumRowsOfA(g);
      return;
    }
    const t0 = this.profile ? performance.now() : 0;
    const slots = Math.max(1, this.numThreads);
    const dataBase = align(SCRATCH_BASE + slots * this.scratchBytes);

    // Spans of the stored A and B (rows x cols as stored, i.e. before op()).
    const aRows = g.transA ? k : m, aCols = g.transA ? m : k;
    const bRows = g.transB ? n : k, bCols = g.transB ? k : n;
    const aSpan = (aRows - 1) * g.lda + aCols, bSpan = (bRows - 1) * g.ldb + bCols;
    const aPlan = copyPlan(aSpan, g.strideA, batch), bPlan = copyPlan(bSpan, g.strideB, batch);
    const aPtr = dataBase;
    const bPtr = align(aPtr + aPlan.floats * 4);
    const cPtr = align(bPtr + bPlan.floats * 4);
    const biasPtr = align(cPtr + batch * m * n * 4);
    const sumsPtr = align(g.bias ? biasPtr + n * 4 : biasPtr), accPtr = align(sumsPtr + m * 4);
    const end = g.sumsA ? accPtr + m * 8 : sumsPtr;
    this.ensure(end);
    const f32 = this.f32;
    copyIn(f32, aPtr >> 2, g.a, g.aOffset, g.strideA, aSpan, batch, aPlan);
    copyIn(f32, bPtr >> 2, g.b, g.bOffset, g.strideB, bSpan, batch, bPlan);
    const t1 = this.profile ? performance.now() : 0;

    const i32 = this.i32, T = TASK >> 2;
    i32[T + T_M] = m; i32[T + T_N] = n; i32[T + T_K] = k;
    i32[T + T_TA] = g.transA ? 1 : 0; i32[T + T_TB] = g.transB ? 1 : 0;
    i32[T + T_A] = aPtr; i32[T + T_LDA] = g.lda;
    i32[T + T_B] = bPtr; i32[T + T_LDB] = g.ldb;
    i32[T + T_C] = cPtr; i32[T + T_LDC] = n;
    i32[T + T_BATCH] = batch; i32[T + T_SA] = aPlan.stride; i32[T + T_SB] = bPlan.stride; i32[T + T_SC] = m * n;
    i32[T + T_DIRECT] = m <= this.directBMaxM && g.ldb <= this.directBMaxLdb ? 1 : 0;
    this.run(m, n, k, batch);
    if (g.bias) this.addBiasRows(g, cPtr, biasPtr);
    if (g.sumsA) {
      // stored A is k x m when transposed: its column sums in wasm, from the staging the product used
      if (g.transA && batch === 1) {
        this.ex.colsum_f64(aPtr, k, m, g.lda, accPtr, sumsPtr);
        g.sumsA.set(f32.subarray(sumsPtr >> 2, (sumsPtr >> 2) + m));
      } else sumRowsOfA(g);
    }
    const t2 = this.profile ? performance.now() : 0;

    // C out: one set when the destination is dense, else row by row.
    const cw = cPtr >> 2;
    if (g.ldc === n && (batch === 1 || g.strideC === m * n)) {
      g.c.set(f32.subarray(cw, cw + batch * m * n), g.cOffset);
    } else {
      for (let bt = 0; bt < batch; bt++) {
        for (let i = 0; i < m; i++) {
          const src = cw + (bt * m + i) * n;
          g.c.set(f32.subarray(src, src + n), g.cOffset + bt * g.strideC + i * g.ldc);
        }
      }
    }
    if (this.profile) {
      const t3 = performance.now();
      this.profile.calls++;
      this.profile.copyInMs += t1 - t0; this.profile.computeMs += t2 - t1; this.profile.copyOutMs += t3 - t2;
    }
  }

  /**
   * The bias epilogue on C while it is still in wasm memory: the bias row is copied next to C and added to every
   * row with the f32x4 add kernel (one rounding per element, as a separate add on the caller's arrays).
   */
  private addBiasRows(g: GemmArgs<Float32Array>, cPtr: number, biasPtr: number): void {
    const bias = g.bias!, bo = g.biasOffset ?? 0, bs = g.biasStride ?? 1, n = g.n, f32 = this.f32, bw = biasPtr >> 2;
    if (bs === 1) f32.set(bias.subarray(bo, bo + n), bw);
    else for (let j = 0; j < n; j++) f32[bw + j] = bias[bo + j * bs];
    const rows = g.batch * g.m, ex = this.ex;
    for (let i = 0, p = cPtr; i < rows; i++, p += n * 4) ex.add_f32(p, biasPtr, p, n);
  }

  /** Run the task descriptor at TASK, split over threads when it is large enough. */
  private run(m: number, n: number, k: number, batch: number): void {
    const i32 = this.i32, T = TASK >> 2, C = CTL >> 2;
    const work = m * n * k * batch;
    if (this.workersBroken) { this.stopWorkers(); this.numThreads = 1; this.workersBroken = false; }
    const threads = this.numThreads, { mr: MR, nr: NR } = this.tile;
    let split = SPLIT_M, chunk = m, nchunks = 1;
    const parallel = threads > 1 && work >= PARALLEL_MIN_WORK && this.spawnWorkers() > 0;
    if (parallel) {
      const target = 2 * threads;
      if (batch >= target) {
        split = SPLIT_BATCH; chunk = Math.ceil(batch / target);
        nchunks = Math.ceil(batch / chunk);
      } else if (m >= n) {
        split = SPLIT_M; chunk = Math.max(MR * 4, Math.ceil(m / target / MR) * MR);
        nchunks = Math.ceil(m / chunk);
      } else {
        split = SPLIT_N; chunk = Math.max(NR * 4, Math.ceil(n / target / NR) * NR);
        nchunks = Math.ceil(n / chunk);
      }
    }
    i32[T + T_SPLIT] = split; i32[T + T_CHUNK] = chunk; i32[T + T_NCHUNKS] = nchunks;
    i32[T + T_NEXT] = 0; i32[T + T_DONE] = 0;
    if (nchunks === 1) {
      this.ex.gemm_task(TASK, SCRATCH_BASE);
      return;
    }
    i32[C + CTL_TASK] = TASK; i32[C + CTL_SCRATCH] = SCRATCH_BASE; i32[C + CTL_SCRATCH_STRIDE] = this.scratchBytes;
    i32[C + CTL_ERROR] = 0;
    const open = this.epoch + 1, closed = this.epoch + 2;
    this.epoch = closed;
    Atomics.store(i32, C + CTL_EPOCH, open);
    Atomics.notify(i32, C + CTL_EPOCH);
    this.ex.gemm_task(TASK, SCRATCH_BASE); // the calling thread is participant 0
    let failed = false;
    const spinUntil = performance.now() + CALLER_SPIN_MS;
    for (let spins = 0; ;) {
      const d = Atomics.load(i32, T + T_DONE);
      if (d >= nchunks) break;
      if (Atomics.load(i32, C + CTL_ERROR) !== 0) { failed = true; break; }
      if ((++spins & 255) !== 0 || performance.now() < spinUntil) continue;
      Atomics.wait(i32, T + T_DONE, d, 50);
    }
    Atomics.store(i32, C + CTL_EPOCH, closed);
    for (;;) {
      const b = Atomics.load(i32, C + CTL_BUSY);
      if (b === 0) break;
      Atomics.wait(i32, C + CTL_BUSY, b, 50);
    }
    if (failed) {
      // A worker trapped: redo the whole task here (every chunk rewrites its part of C from scratch).
      this.stopWorkers();
      this.numThreads = 1;
      i32[T + T_NEXT] = 0; i32[T + T_DONE] = 0; i32[T + T_SPLIT] = SPLIT_M; i32[T + T_CHUNK] = m; i32[T + T_NCHUNKS] = 1;
      this.ex.gemm_task(TASK, SCRATCH_BASE);
    }
  }

  // ---- elementwise kernels over wasm memory (resident data: float offsets into this.f32) ----

  /** The memory as a Float32Array view (valid until the next call that may grow the memory). */
  view(): Float32Array { if (this.f32.buffer.byteLength !== this.memory.buffer.byteLength) this.refreshViews(); return this.f32; }
  /** Reserve `floats` floats of scratch data after the GEMM scratch; returns a float offset. */
  reserve(floats: number): number {
    const base = align(SCRATCH_BASE + Math.max(1, this.numThreads) * this.scratchBytes);
    this.ensure(base + floats * 4);
    return base >> 2;
  }
  addResident(x: number, y: number, out: number, len: number): void { this.ex.add_f32(x * 4, y * 4, out * 4, len); }
  mulResident(x: number, y: number, out: number, len: number): void { this.ex.mul_f32(x * 4, y * 4, out * 4, len); }
  reluResident(x: number, out: number, len: number): void { this.ex.relu_f32(x * 4, out * 4, len); }
  axpyResident(alpha: number, x: number, y: number, len: number): void { this.ex.axpy_f32(alpha, x * 4, y * 4, len); }
  sumResident(x: number, len: number): number { return this.ex.sum_f32(x * 4, len); }

  /** out = x + y on caller arrays (copies in and out; for memory-bound ops the copies dominate, see the bench). */
  add(x: Float32Array, y: Float32Array, out: Float32Array): void {
    const n = out.length, base = this.reserve(3 * n + 32), f = this.f32;
    const xo = base, yo = base + align(n * 4) / 4, oo = yo + align(n * 4) / 4;
    f.set(x.subarray(0, n), xo); f.set(y.subarray(0, n), yo);
    this.ex.add_f32(xo * 4, yo * 4, oo * 4, n);
    out.set(f.subarray(oo, oo + n));
  }
  relu(x: Float32Array, out: Float32Array): void {
    const n = out.length, base = this.reserve(n), f = this.f32;
    f.set(x.subarray(0, n), base);
    this.ex.relu_f32(base * 4, base * 4, n);
    out.set(f.subarray(base, base + n));
  }
  sum(x: Float32Array): number {
    const n = x.length, base = this.reserve(n);
    this.f32.set(x, base);
    return this.ex.sum_f32(base * 4, n);
  }
}

interface CopyPlan { floats: number; stride: number; whole: boolean }

/**
 * How to copy a batched operand into wasm memory: the whole range from the first to the last batch entry in one
 * set when its gaps are small (this also covers stride 0, a broadcast operand), else each entry's span packed
 * one after another.
 */
function copyPlan(span: number, stride: number, batch: number): CopyPlan {
  if (batch === 1) return { floats: span, stride: 0, whole: true };
  if (stride >= 0 && stride <= span * 2) {
    return { floats: (batch - 1) * stride + span, stride, whole: true };
  }
  const s = Math.ceil(span / 16) * 16;
  return { floats: batch * s, stride: s, whole: false };
}

function copyIn(dst: Float32Array, at: number, src: Float32Array, offset: number, stride: number, span: number,
  batch: number, plan: CopyPlan): void {
  if (plan.whole) { dst.set(src.subarray(offset, offset + plan.floats), at); return; }
  for (let bt = 0; bt < batch; bt++) {
    const o = offset + bt * stride;
    dst.set(src.subarray(o, o + span), at + bt * plan.stride);
  }
}
