/**
 * @file Fused optimizer updates for the CPU (Backend.sgdStep / adamStep): one pass over the parameter and its
 * state instead of a dozen elementwise ops with a fresh array each. Every intermediate is rounded to the storage
 * dtype exactly where the op-by-op update (optim/sgd.ts, optim/adam.ts) stores a tensor, scalars are rounded
 * as the op layer wraps them (a float32 scalar tensor), and `add(x, y, { alpha })` / `addcmul` are one fused
 * multiply-add (cpu/fma.ts, as PyTorch), so results are bit-identical to the unfused path.
 * The float32 loops hand contiguous runs to an installed OptimAccel first (the WebAssembly SIMD kernels of
 * backend/wasm/optim.ts, installed by enableWasmKernels: the same bits, about 3x faster); these loops stay the
 * reference, the float64 path and the fallback where WebAssembly SIMD is missing.
 */
import type { AdamStepArgs, View } from '../backend.js';
import { dataOf } from './storage.js';
import { fma32, fma64 } from './fma.js';


/** Faster float32 updates over contiguous runs (same arguments and the same bits as the loops below). */
export interface OptimAccel {
  /** One Adam/AdamW step over n elements of P, G, M, V from their offsets; false where it declines (too short). */
  adam(P: Float32Array, po: number, G: Float32Array, go: number, M: Float32Array, mo: number, V: Float32Array, vo: number,
    n: number, a: AdamStepArgs): boolean;
  /** sgdStep (B null) or sgdMomentumStep over n elements; false where it declines. */
  sgd(P: Float32Array, po: number, G: Float32Array, go: number, B: Float32Array | null, bo: number, n: number,
    lr: number, momentum: number, dampening: number): boolean;
}

let accel: OptimAccel | null = null;
/** Install (or remove, with null) the float32 optimizer kernels; returns the previous ones. */
export function setOptimAccel(a: OptimAccel | null): OptimAccel | null { const prev = accel; accel = a; return prev; }
/** The installed float32 optimizer kernels, if any. */
export function optimAccel(): OptimAccel | null { return accel; }

function arrays(...vs: View[]): (Float32Array | Float64Array)[] {
  return vs.map((v) => dataOf(v.storage) as Float32Array | Float64Array);
}

export function sgdStep(param: View, grad: View, lr: number): void {
  const [P, G] = arrays(param, grad);
  const n = param.shape.reduce((a, b) => a * b, 1);
  const po = param.offset, go = grad.offset;
  if (P instanceof Float32Array) {
    if (accel?.sgd(P, po, G as Float32Array, go, null, 0, n, lr, 0, 0)) return;
    const nlr = Math.fround(-lr);
    const G32 = G as Float32Array;
    for (let i = 0; i < n; i++) P[po + i] = fma32(G32[go + i], nlr, P[po + i]);
  } else {
    const nlr = -lr;
    for (let i = 0; i < n; i++) P[po + i] = fma64(G[go + i], nlr, P[po + i]);
  }
}

/** buf.mul_(momentum).add_(grad, {alpha: 1 - dampening}); param.add_(buf, {alpha: -lr}), with the same roundings. */
export function sgdMomentumStep(param: View, grad: View, buf: View, lr: number, momentum: number, dampening: number): void {
  const [P, G, B] = arrays(param, grad, buf);
  const n = param.shape.reduce((a, b) => a * b, 1);
  const po = param.offset, go = grad.offset, bo = buf.offset;
  const c = 1 - dampening;
  // Two loops (float32 with Math.fround and fma32, float64 with fma64) so that each stays monomorphic: rounding
  // through a function variable cost 12 ns per element in Node and 60 in Chromium (not inlined there).
  if (P instanceof Float32Array) {
    const P32 = P, G32 = G as Float32Array, B32 = B as Float32Array, R = Math.fround;
    if (accel?.sgd(P32, po, G32, go, B32, bo, n, lr, momentum, dampening)) return;
    const m = R(momentum), cr = R(c), nlr = R(-lr);
    for (let i = 0; i < n; i++) {
      const bm = R(B32[bo + i] * m);
      const b = c === 1 ? R(bm + G32[go + i]) : fma32(G32[go + i], cr, bm);
      B32[bo + i] = b;
      P32[po + i] = fma32(b, nlr, P32[po + i]);
    }
  } else {
    const nlr = -lr;
    for (let i = 0; i < n; i++) {
      const bm = B[bo + i] * momentum;
      const b = c === 1 ? bm + G[go + i] : fma64(G[go + i], c, bm);
      B[bo + i] = b;
      P[po + i] = fma64(b, nlr, P[po + i]);
    }
  }
}

export function adamStep(param: View, grad: View, expAvg: View, expAvgSq: View, a: AdamStepArgs): void {
  if (dataOf(param.storage) instanceof Float32Array) adamKernel32(param, grad, expAvg, expAvgSq, a);
  else adamKernel64(param, grad, expAvg, expAvgSq, a);
}

// Two copies of one loop (float32 with Math.fround, float64 without) so that each stays monomorphic.
function adamKernel32(param: View, grad: View, expAvg: View, expAvgSq: View, a: AdamStepArgs): void {
  const [P, G, M, V] = arrays(param, grad, expAvg, expAvgSq) as Float32Array[];
  const R = Math.fround;
  const n = param.shape.reduce((x, y) => x * y, 1);
  const po = param.offset, go = grad.offset, mo = expAvg.offset, vo = expAvgSq.offset;
  if (accel?.adam(P, po, G, go, M, mo, V, vo, n, a)) return;
  const decay = R(1 - a.lr * a.weightDecay), wd = R(a.weightDecay);
  const b1 = R(a.beta1), c1 = R(1 - a.beta1), b2 = R(a.beta2), c2 = R(1 - a.beta2);
  const bc2 = R(a.bc2Sqrt), eps = R(a.eps), nss = R(-a.stepSize);
  const l2 = !a.decoupled && a.weightDecay !== 0;
  for (let i = 0; i < n; i++) {
    let p = P[po + i];
    let g = G[go + i];
    if (a.maximize) g = -g;
    if (a.decoupled) p = R(p * decay);
    else if (l2) g = fma32(p, wd, g);
    const m = fma32(g, c1, R(M[mo + i] * b1));
    const v = fma32(R(g * c2), g, R(V[vo + i] * b2));
    const d = R(R(R(Math.sqrt(v)) / bc2) + eps);
    M[mo + i] = m; V[vo + i] = v;
    P[po + i] = p + R(R(m * nss) / d);
  }
}

function adamKernel64(param: View, grad: View, expAvg: View, expAvgSq: View, a: AdamStepArgs): void {
  const [P, G, M, V] = arrays(param, grad, expAvg, expAvgSq) as Float64Array[];
  const n = param.shape.reduce((x, y) => x * y, 1);
  const po = param.offset, go = grad.offset, mo = expAvg.offset, vo = expAvgSq.offset;
  const decay = 1 - a.lr * a.weightDecay, wd = a.weightDecay;
  const b1 = a.beta1, c1 = 1 - a.beta1, b2 = a.beta2, c2 = 1 - a.beta2;
  const bc2 = a.bc2Sqrt, eps = a.eps, nss = -a.stepSize;
  const l2 = !a.decoupled && a.weightDecay !== 0;
  for (let i = 0; i < n; i++) {
    let p = P[po + i];
    let g = G[go + i];
    if (a.maximize) g = -g;
    if (a.decoupled) p = p * decay;
    else if (l2) g = fma64(p, wd, g);
    const m = fma64(g, c1, M[mo + i] * b1);
    const v = fma64(g * c2, g, V[vo + i] * b2);
    const d = Math.sqrt(v) / bc2 + eps;
    M[mo + i] = m; V[vo + i] = v;
    P[po + i] = p + (m * nss) / d;
  }
}
