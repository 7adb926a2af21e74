/**
 * @file WebAssembly SIMD elementwise kernels for contiguous float32 data (assembly/elementwise.ts), installed into
 * the CPU backend's float32 fast paths with setF32Accel. Operands live in JavaScript typed arrays, so each call
 * stages them through a small memory of its own (see wasmF32Accel) in chunks of CHUNK floats (one memcpy in, the SIMD
 * loop, one memcpy out, all in cache). For compute-bound ops (exp, tanh, sigmoid, GELU) the copies are a few
 * percent of the work; for add/mul they cost about as much as the op, which still beats V8's scalar loop.
 * Strided operands and ops without a SIMD kernel stay on the TypeScript kernels.
 *
 * Why the storages do not live in wasm memory (which would drop the copies): a block of linear memory can only
 * be reused once the storage that owns it is known dead, and JavaScript reports that only asynchronously.
 * FinalizationRegistry callbacks run as tasks after the current job, i.e. never inside a synchronous training
 * loop (checked: 2,000,000 registered, collected objects, 0 callbacks before the loop returned), and a
 * WeakRef keeps its target alive until the job ends (300,000 of 300,000 alive). A synchronous loop would grow
 * the memory without bound; a deterministic free (scopes, or autograd releasing saved tensors) is needed first.
 */
import type { BinaryOp, UnaryOp } from '../backend.js';
import type { F32Accel } from '../cpu/f32.js';
import { softmaxRowsRef } from '../cpu/rows.js';
import { kernelBytes } from './runtime.js';

// Op codes of assembly/elementwise.ts.
const UNARY_CODE: Partial<Record<UnaryOp, number>> = {
  neg: 0, abs: 1, sqrt: 2, square: 3, relu: 4, exp: 5, log: 6, tanh: 7, sigmoid: 8, erf: 9, gelu: 10, silu: 11, geluTanh: 12,
};
const BINARY_CODE: Partial<Record<BinaryOp, number>> = { add: 0, sub: 1, mul: 2, div: 3, reluBackward: 4 };
const SCALAR_CODE: Partial<Record<BinaryOp, number>> = { add: 0, sub: 1, mul: 2, div: 3 };
/** Codes from exp on are transcendental ops: worth the call from fewer elements than the cheap ones. */
const HEAVY_FROM = 5;
/** Floats per staged chunk (32 KiB per buffer, the L1 data cache; 16x512 is one chunk). */
const CHUNK = 8192;
/** Float offsets in the accel's memory: the kernels' constant table (EW_CONST_BYTES of assembly/elementwise.ts,
 *  at most 1.5 KiB), the first staging buffer (two of CHUNK floats follow it), and ew_unary's scratch
 *  (EW_SCRATCH_BYTES, 6 KiB); 2.5 + 64 + 6 KiB, two pages in all. */
const K = 256, A = 640, S = A + 2 * CHUNK;
/** Shortest softmax row for the wasm kernel (shorter rows spend their time in the per-row scalar work). */
const MIN_SOFTMAX_D = 8;

/** The elementwise entry points (engine.ts declares the GEMM module's; these are assembly/elementwise.ts's). */
interface EwExports {
  ew_init(k: number): void;
  ew_unary(op: number, x: number, out: number, n: number, k: number, s: number): void;
  ew_binary(op: number, x: number, y: number, out: number, n: number): void;
  ew_binary_scalar(op: number, x: number, c: number, out: number, n: number, scalarLeft: boolean): void;
  ew_sum(x: number, n: number): number;
  ew_softmax_rows(x: number, out: number, rows: number, D: number, log: boolean, k: number): number;
  ew_softmax_rows_backward(y: number, g: number, out: number, rows: number, D: number, log: boolean, k: number): void;
}

/**
 * Fewest elements for which the wasm call pays (staging costs two subarray objects and a call, about 0.2 µs):
 * measured with test-sized tensors on a 2-vCPU EPYC guest, where the scalar loop wins below these.
 */
export const MIN_CHEAP = 192;
export const MIN_HEAVY = 16;

/** x[o, o + n) without a subarray object when that is all of x (the common case: a whole tensor in one chunk). */
function run(x: Float32Array, o: number, n: number): Float32Array { return o === 0 && x.length === n ? x : x.subarray(o, o + n); }

/**
 * The accelerated float32 kernels: one instance of the elementwise module on its own small memory, independent of
 * the GEMM engine (backend/wasm/index.ts makes one, once, where SIMD128 compiles, and keeps it across engines).
 */
export function wasmF32Accel(): F32Accel {
  // A plain (unshared) memory of its own, two pages that never grow: the engine's memory is shared when threads
  // are possible, and there each `memory.buffer` read makes a new SharedArrayBuffer (e.reserve + e.view cost about
  // 0.5 µs per call) and TypedArray.set into shared memory takes V8's slower relaxed-atomic copy. One view, made
  // once, stays valid. Layout (floats): the constant table at K, then two staging buffers of CHUNK.
  const memory = new WebAssembly.Memory({ initial: 2, maximum: 2 });
  const ex = new WebAssembly.Instance(new WebAssembly.Module(kernelBytes('elementwise')!), { env: { memory } }).exports as unknown as EwExports;
  const f = new Float32Array(memory.buffer);
  const k = K * 4, base = A, p = A * 4, q = (A + CHUNK) * 4, sc = S * 4;
  ex.ew_init(k); // the constant table, once: nothing else writes this memory below A
  // the first buffer's first len floats, kept for the next call of the same length (saves a subarray per call)
  let lastLen = -1, last = f;
  const staged = (len: number): Float32Array => {
    if (len !== lastLen) { last = f.subarray(base, base + len); lastLen = len; }
    return last;
  };
  return {
    unary(op, X, xo, out, oo, n) {
      const code = UNARY_CODE[op];
      if (code === undefined || n < (code >= HEAVY_FROM ? MIN_HEAVY : MIN_CHEAP)) return false;
      for (let i = 0; i < n; i += CHUNK) {
        const len = Math.min(CHUNK, n - i);
        f.set(run(X, xo + i, len), base);
        ex.ew_unary(code, p, p, len, k, sc);
        out.set(staged(len), oo + i);
      }
      return true;
    },
    softmaxRows(X, xo, Y, R, D, log) {
      if (D < MIN_SOFTMAX_D || D > CHUNK || R * D < MIN_HEAVY) return false;
      const per = Math.floor(CHUNK / D);
      for (let r = 0; r < R; r += per) {
        const rows = Math.min(per, R - r), o = r * D, len = rows * D;
        f.set(run(X, xo + o, len), base);
        if (ex.ew_softmax_rows(p, p, rows, D, log, k) === 0) Y.set(staged(len), o);
        else softmaxRowsRef(X, xo + o, Y, o, rows, D, log); // a row with NaN or an infinite max: the reference
      }
      return true;
    },
    softmaxRowsBackward(Yv, G, dX, R, D, log) {
      if (D < MIN_SOFTMAX_D || D > CHUNK || R * D < MIN_HEAVY) return false;
      const per = Math.floor(CHUNK / D);
      for (let r = 0; r < R; r += per) {
        const rows = Math.min(per, R - r), o = r * D, len = rows * D;
        f.set(run(Yv, o, len), base);
        f.set(run(G, o, len), base + CHUNK);
        ex.ew_softmax_rows_backward(p, q, q, rows, D, log, k);
        dX.set(f.subarray(base + CHUNK, base + CHUNK + len), o);
      }
      return true;
    },
    binary(op, A, ao, B, bo, out, oo, n) {
      const code = BINARY_CODE[op];
      if (code === undefined || n < MIN_CHEAP) return false;
      for (let i = 0; i < n; i += CHUNK) {
        const len = Math.min(CHUNK, n - i);
        f.set(run(A, ao + i, len), base);
        f.set(run(B, bo + i, len), base + CHUNK);
        ex.ew_binary(code, p, q, p, len);
        out.set(staged(len), oo + i);
      }
      return true;
    },
    binaryScalar(op, A, ao, c, scalarLeft, out, oo, n) {
      const code = SCALAR_CODE[op];
      if (code === undefined || n < MIN_CHEAP) return false;
      for (let i = 0; i < n; i += CHUNK) {
        const len = Math.min(CHUNK, n - i);
        f.set(run(A, ao + i, len), base);
        ex.ew_binary_scalar(code, p, c, p, len, scalarLeft);
        out.set(staged(len), oo + i);
      }
      return true;
    },
    sum(X, xo, n) {
      if (n < MIN_CHEAP) return null;
      let s = 0;
      for (let i = 0; i < n; i += CHUNK) {
        const len = Math.min(CHUNK, n - i), padded = (len + 3) & ~3;
        f.set(run(X, xo + i, len), base);
        if (padded > len) f.fill(0, base + len, base + padded);
        s += ex.ew_sum(p, padded);
      }
      return s;
    },
  };
}
