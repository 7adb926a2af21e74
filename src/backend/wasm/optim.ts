/**
 * @file The WebAssembly SIMD optimizer updates (assembly/optim.ts): float32 Adam/AdamW and SGD (plain and with
 * momentum), bit-identical to the TypeScript kernels of backend/cpu/optim.ts, installed there with setOptimAccel.
 * The parameter, its gradient and its state live in JavaScript typed arrays, so each call stages them in chunks of
 * CHUNK floats through a plain two-page memory of its own (copy in, the SIMD loop in place, copy the updated
 * arrays back), as backend/wasm/elementwise.ts does for the elementwise kernels.
 */
import type { AdamStepArgs } from '../backend.js';
import type { OptimAccel } from '../cpu/optim.js';
import { kernelBytes } from './runtime.js';

/** The optimizer module's entry points (assembly/optim.ts); addresses are bytes, n a multiple of 4. */
interface OptExports {
  opt_init(k: number): void;
  opt_adam(p: number, g: number, m: number, v: number, n: number, flags: number, k: number,
    decayWd: number, b1: number, c1: number, b2: number, c2: number, bc2: number, eps: number, nss: number): void;
  opt_sgd(p: number, g: number, b: number, n: number, k: number, mom: number, c: number, nlr: number): void;
}

/** Adam flags of assembly/optim.ts. */
const F_MAXIMIZE = 1, F_DECOUPLED = 2, F_L2 = 4;
/** Floats per staged chunk and array (four arrays: 64 KiB, in the L2 cache). */
export const CHUNK = 4096;
/** Float offset of the first staging buffer (the constant table, 64 bytes, sits at address 0). */
const BASE = 16;
/**
 * Fewest elements for which the wasm call pays (measured per call, esbuild bundle, 2-vCPU EPYC: Adam JS 0.28 µs
 * and wasm 0.27 µs at 16 floats, 1.77 and 0.49 at 128; SGD momentum 0.20 and 0.19 at 32, 0.69 and 0.24 at 128).
 */
export const MIN_ADAM = 16;
export const MIN_SGD = 32;

/** x[o, o + n) without a subarray object when that is all of x. */
function run(x: Float32Array, o: number, n: number): Float32Array { return o === 0 && x.length === n ? x : x.subarray(o, o + n); }

/**
 * One instance of the optimizer module on its own memory; null where the generated kernels lack it. `min` sets
 * the shortest runs it takes (the tests pass 1 to run PyTorch's small optimizer fixtures through it).
 */
export function wasmOptim(min: { adam: number; sgd: number } = { adam: MIN_ADAM, sgd: MIN_SGD }): OptimAccel | null {
  const bytes = kernelBytes('optim');
  if (!bytes) return null;
  const memory = new WebAssembly.Memory({ initial: 2, maximum: 2 });
  const ex = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports as unknown as OptExports;
  const f = new Float32Array(memory.buffer);
  ex.opt_init(0);
  const at = [0, 1, 2, 3].map((j) => BASE + j * CHUNK); // float offsets of the four staging buffers
  const full = at.map((o) => f.subarray(o, o + CHUNK));
  const view = (j: number, len: number): Float32Array => len === CHUNK ? full[j] : f.subarray(at[j], at[j] + len);
  const [a0, a1, a2, a3] = at.map((o) => o * 4);
  return {
    adam(P, po, G, go, M, mo, V, vo, n, a: AdamStepArgs) {
      if (n < min.adam) return false;
      const R = Math.fround;
      const l2 = !a.decoupled && a.weightDecay !== 0;
      const flags = (a.maximize ? F_MAXIMIZE : 0) | (a.decoupled ? F_DECOUPLED : 0) | (l2 ? F_L2 : 0);
      const decayWd = a.decoupled ? R(1 - a.lr * a.weightDecay) : R(a.weightDecay);
      const b1 = R(a.beta1), c1 = R(1 - a.beta1), b2 = R(a.beta2), c2 = R(1 - a.beta2);
      const bc2 = R(a.bc2Sqrt), eps = R(a.eps), nss = R(-a.stepSize);
      for (let i = 0; i < n; i += CHUNK) {
        const len = Math.min(CHUNK, n - i);
        f.set(run(P, po + i, len), at[0]); f.set(run(G, go + i, len), at[1]);
        f.set(run(M, mo + i, len), at[2]); f.set(run(V, vo + i, len), at[3]);
        ex.opt_adam(a0, a1, a2, a3, (len + 3) & ~3, flags, 0, decayWd, b1, c1, b2, c2, bc2, eps, nss);
        P.set(view(0, len), po + i); M.set(view(2, len), mo + i); V.set(view(3, len), vo + i);
      }
      return true;
    },
    sgd(P, po, G, go, B, bo, n, lr, momentum, dampening) {
      if (n < min.sgd) return false;
      const R = Math.fround, nlr = R(-lr), mom = R(momentum), c = R(1 - dampening);
      for (let i = 0; i < n; i += CHUNK) {
        const len = Math.min(CHUNK, n - i);
        f.set(run(P, po + i, len), at[0]); f.set(run(G, go + i, len), at[1]);
        if (B) f.set(run(B, bo + i, len), at[2]);
        ex.opt_sgd(a0, a1, B ? a2 : 0, (len + 3) & ~3, 0, mom, c, nlr);
        P.set(view(0, len), po + i);
        if (B) B.set(view(2, len), bo + i);
      }
      return true;
    },
  };
}
