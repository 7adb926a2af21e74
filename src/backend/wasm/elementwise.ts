/**
 * @file WebAssembly SIMD elementwise kernels for contiguous float32 data (assembly/elementwise.ts), installed into
 * the CPU backend's float32 fast paths with setF32Accel. Operands live in JavaScript typed arrays, so each call
 * stages them through a small buffer in the engine's memory in chunks of CHUNK floats (one memcpy in, the SIMD
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
import type { WasmEngine } from './engine.js';

// Op codes of assembly/elementwise.ts.
const UNARY_CODE: Partial<Record<UnaryOp, number>> = {
  neg: 0, abs: 1, sqrt: 2, square: 3, relu: 4, exp: 5, log: 6, tanh: 7, sigmoid: 8, erf: 9, gelu: 10, silu: 11, geluTanh: 12,
};
const BINARY_CODE: Partial<Record<BinaryOp, number>> = { add: 0, sub: 1, mul: 2, div: 3, reluBackward: 4 };
const SCALAR_CODE: Partial<Record<BinaryOp, number>> = { add: 0, sub: 1, mul: 2, div: 3 };
/** Transcendental ops: worth the call from fewer elements than the cheap ones. */
const HEAVY = new Set<UnaryOp>(['exp', 'log', 'tanh', 'sigmoid', 'erf', 'gelu', 'silu', 'geluTanh']);

/** Floats per staged chunk (16 KiB per buffer). */
const CHUNK = 4096;
/**
 * Fewest elements for which the wasm call pays (staging costs two subarray objects and a call, about 0.3 µs):
 * measured with test-sized tensors on a 2-vCPU EPYC guest, where the scalar loop wins below these.
 */
export const MIN_CHEAP = 192;
export const MIN_HEAVY = 16;

/** The accelerated float32 kernels over one engine's memory. */
export function wasmF32Accel(e: WasmEngine): F32Accel {
  const ex = e.ex;
  return {
    unary(op, X, xo, out, oo, n) {
      const code = UNARY_CODE[op];
      if (code === undefined || n < (HEAVY.has(op) ? MIN_HEAVY : MIN_CHEAP)) return false;
      const base = e.reserve(CHUNK), f = e.view(), p = base * 4;
      for (let i = 0; i < n; i += CHUNK) {
        const len = Math.min(CHUNK, n - i);
        f.set(X.subarray(xo + i, xo + i + len), base);
        ex.ew_unary(code, p, p, len);
        out.set(f.subarray(base, base + len), oo + i);
      }
      return true;
    },
    binary(op, A, ao, B, bo, out, oo, n) {
      const code = BINARY_CODE[op];
      if (code === undefined || n < MIN_CHEAP) return false;
      const base = e.reserve(2 * CHUNK), f = e.view(), p = base * 4, q = p + CHUNK * 4;
      for (let i = 0; i < n; i += CHUNK) {
        const len = Math.min(CHUNK, n - i);
        f.set(A.subarray(ao + i, ao + i + len), base);
        f.set(B.subarray(bo + i, bo + i + len), base + CHUNK);
        ex.ew_binary(code, p, q, p, len);
        out.set(f.subarray(base, base + len), oo + i);
      }
      return true;
    },
    binaryScalar(op, A, ao, c, scalarLeft, out, oo, n) {
      const code = SCALAR_CODE[op];
      if (code === undefined || n < MIN_CHEAP) return false;
      const base = e.reserve(CHUNK), f = e.view(), p = base * 4;
      for (let i = 0; i < n; i += CHUNK) {
        const len = Math.min(CHUNK, n - i);
        f.set(A.subarray(ao + i, ao + i + len), base);
        ex.ew_binary_scalar(code, p, c, p, len, scalarLeft);
        out.set(f.subarray(base, base + len), oo + i);
      }
      return true;
    },
    sum(X, xo, n) {
      if (n < MIN_CHEAP) return null;
      const base = e.reserve(CHUNK), f = e.view(), p = base * 4;
      let s = 0;
      for (let i = 0; i < n; i += CHUNK) {
        const len = Math.min(CHUNK, n - i), padded = (len + 3) & ~3;
        f.set(X.subarray(xo + i, xo + i + len), base);
        if (padded > len) f.fill(0, base + len, base + padded);
        s += ex.ew_sum(p, padded);
      }
      return s;
    },
  };
}
