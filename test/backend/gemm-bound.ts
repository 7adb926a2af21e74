/**
 * @file The GEMM error bound the backend tests hold every float32 kernel to, against a float64 reference.
 *
 * For float32 inputs a, b the reference sum s_ij = Σ_p a_ip·b_pj is computed in float64 (each product exact,
 * the float64 sum off by at most K·2^-53·(|A|·|B|)_ij, negligible), together with the magnitude
 * m_ij = (|A|·|B|)_ij. Any float32 summation order, with or without fused multiply-adds, satisfies
 * |c_ij - s_ij| <= γ_K · m_ij with γ_K ≈ K · 2^-24 (Higham, Accuracy and Stability of Numerical Algorithms, §3.5);
 * the bound used here is C_BOUND · K · ε32 · m_ij with ε32 = 2^-23 and C_BOUND = 1, i.e. twice γ_K, plus the
 * rounding of the stored result (ε32/2 · |s_ij|).
 */
import assert from 'node:assert/strict';
import type { GemmArgs } from '../../src/backend/cpu/gemm.js';

export const EPS32 = 2 ** -23;
export const C_BOUND = 1;

/** Deterministic inputs (LCG), values in [-1, 1). */
export function filled(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; a[i] = s / 2 ** 31 - 1; }
  return a;
}

export interface Case { m: number; k: number; n: number; batch?: number; pad?: number; off?: number }

/** GemmArgs with padded leading dims, offsets and (for batch > 1) padded batch strides. */
export function makeArgs(c: Case, transA: boolean, transB: boolean, seed: number): GemmArgs<Float32Array> {
  const { m, k, n } = c, batch = c.batch ?? 1, pad = c.pad ?? 0, off = c.off ?? 0;
  const lda = (transA ? m : k) + pad, ldb = (transB ? k : n) + pad, ldc = n + pad;
  const aRows = transA ? k : m, bRows = transB ? n : k;
  const strideA = aRows * lda + 3 * (pad > 0 ? 1 : 0), strideB = bRows * ldb, strideC = m * ldc + pad;
  return {
    transA, transB, m, n, k,
    a: filled(off + batch * strideA, seed), aOffset: off, lda,
    b: filled(off + 1 + batch * strideB, seed + 7), bOffset: off + 1, ldb,
    c: filled(off + 2 + batch * strideC, seed + 13), cOffset: off + 2, ldc,
    batch, strideA, strideB, strideC,
  };
}

/** Float64 reference: exact sums (to 2^-53) and magnitudes (|A|·|B|)_ij, laid out [batch][m][n]. */
export function reference64(g: GemmArgs<Float32Array>): { sum: Float64Array; mag: Float64Array } {
  const { m, n, k, batch } = g;
  const sum = new Float64Array(batch * m * n), mag = new Float64Array(batch * m * n);
  const bcol = new Float64Array(k);
  for (let bt = 0; bt < batch; bt++) {
    const ao = g.aOffset + bt * g.strideA, bo = g.bOffset + bt * g.strideB;
    for (let j = 0; j < n; j++) {
      for (let p = 0; p < k; p++) bcol[p] = g.transB ? g.b[bo + j * g.ldb + p] : g.b[bo + p * g.ldb + j];
      for (let i = 0; i < m; i++) {
        let s = 0, a = 0;
        if (g.transA) {
          for (let p = 0; p < k; p++) { const x = g.a[ao + p * g.lda + i] * bcol[p]; s += x; a += Math.abs(x); }
        } else {
          const r = ao + i * g.lda;
          for (let p = 0; p < k; p++) { const x = g.a[r + p] * bcol[p]; s += x; a += Math.abs(x); }
        }
        sum[(bt * m + i) * n + j] = s; mag[(bt * m + i) * n + j] = a;
      }
    }
  }
  return { sum, mag };
}

/** Largest |c - s| / (K·ε32·m) seen by checkBound calls (reported by the suites). */
export const reached = { ratio: 0, where: '' };

/**
 * Assert |C - S| <= C_BOUND·K·ε32·(|A|·|B|) + ε32/2·|S| for every entry of C, and that nothing outside C
 * (padding, offsets, other batch strides) was written. `before` is C's array before the call.
 */
export function checkBound(got: GemmArgs<Float32Array>, ref: { sum: Float64Array; mag: Float64Array }, before: Float32Array,
  label: string, cBound = C_BOUND): number {
  const { m, n, k } = got;
  let worst = 0;
  for (let bt = 0; bt < got.batch; bt++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        const r = (bt * m + i) * n + j;
        const o = got.cOffset + bt * got.strideC + i * got.ldc + j;
        const d = Math.abs(got.c[o] - ref.sum[r]);
        const scale = k * EPS32 * ref.mag[r];
        const tol = cBound * scale + EPS32 / 2 * Math.abs(ref.sum[r]);
        if (!(d <= tol)) {
          assert.fail(`${label}: C[${bt}][${i}][${j}] = ${got.c[o]}, float64 reference ${ref.sum[r]}, |error| ${d.toExponential(3)} > ${cBound}·K·eps32·(|A||B|)ij = ${tol.toExponential(3)}`);
        }
        if (scale > 0 && d / scale > worst) worst = d / scale;
      }
    }
  }
  for (let x = 0; x < got.c.length; x++) {
    const rel = x - got.cOffset;
    const bt = Math.floor(rel / got.strideC), within = rel - bt * got.strideC;
    const i = Math.floor(within / got.ldc), j = within - i * got.ldc;
    const inside = rel >= 0 && bt < got.batch && i < m && j < n;
    if (!inside && !Object.is(got.c[x], before[x])) assert.fail(`${label}: element ${x} outside C was modified`);
  }
  if (worst > reached.ratio) { reached.ratio = worst; reached.where = label; }
  return worst;
}

/** Run `fn` on the case for NN, TN, NT and TT operands and check each against the float64 reference. */
export function checkCase(fn: (g: GemmArgs<Float32Array>) => void, c: Case, seed: number, label: string,
  cBound = C_BOUND): number {
  let worst = 0;
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      const g = makeArgs(c, transA, transB, seed);
      const before = g.c.slice();
      const ref = reference64(g);
      fn(g);
      const w = checkBound(g, ref, before,
        `${label} ${c.m}x${c.k}x${c.n} b${c.batch ?? 1} pad${c.pad ?? 0} ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}`, cBound);
      worst = Math.max(worst, w);
    }
  }
  return worst;
}
