/**
 * @file The CPU GEMM contract and its plain-TypeScript reference kernel (cache-blocked).
 * C[b] = op(A[b]) · op(B[b]) for b in [0, batch), op = transpose when trans* is set.
 * Row-major: element (i, j) of a stored matrix X sits at X[xOffset + b*strideX + i*ldx + j].
 * A faster implementation (WebAssembly SIMD) registers itself with setGemmF32; the reference stays as the
 * oracle and the fallback. Imports nothing but core.
 */

export interface GemmArgs<T extends Float32Array | Float64Array = Float32Array | Float64Array> {
  transA: boolean; transB: boolean;
  m: number; n: number; k: number;
  a: T; aOffset: number; lda: number;
  b: T; bOffset: number; ldb: number;
  c: T; cOffset: number; ldc: number;
  batch: number; strideA: number; strideB: number; strideC: number;
  /**
   * Optional bias epilogue (F.linear's addmm): after the product, C[b][i][j] = C[b][i][j] + bias[biasOffset +
   * j*biasStride], rounded once in C's precision: the same values as a separate add of the bias to the product.
   */
  bias?: T; biasOffset?: number; biasStride?: number;
  /**
   * Optional second result (batch 1 only): sumsA[i] = Σ_p op(A)[i][p] for the m rows of op(A), accumulated in
   * float64 from +0 in order of p and rounded once to C's precision: the CPU reduce's order for a sum over the
   * rows of a matrix (F.linear's backward: dW = gᵀ·x and db = the rows of g summed, from the one staging of g).
   */
  sumsA?: T;
}

export type GemmFn = (args: GemmArgs<Float32Array>) => void;

const BK = 128;
const BN = 256;

/**
 * Reference kernel for any float array. Packs op(B) into a contiguous k x n panel per block so the inner
 * loop is a unit-stride axpy over a cache-resident row; accumulates in the array's own precision.
 */
export function gemmReference(g: GemmArgs): void {
  const { m, n, k, transA, transB, lda, ldb, ldc } = g;
  const A = g.a, B = g.b, C = g.c;
  const isF32 = C instanceof Float32Array;
  const panel = isF32 ? new Float32Array(BK * BN) : new Float64Array(BK * BN);
  for (let bt = 0; bt < g.batch; bt++) {
    const ao = g.aOffset + bt * g.strideA, bo = g.bOffset + bt * g.strideB, co = g.cOffset + bt * g.strideC;
    for (let i = 0; i < m; i++) C.fill(0, co + i * ldc, co + i * ldc + n);
    for (let j0 = 0; j0 < n; j0 += BN) {
      const nb = Math.min(BN, n - j0);
      for (let p0 = 0; p0 < k; p0 += BK) {
        const kb = Math.min(BK, k - p0);
        // pack op(B)[p0:p0+kb, j0:j0+nb]
        for (let p = 0; p < kb; p++) {
          const row = p * nb;
          if (transB) for (let j = 0; j < nb; j++) panel[row + j] = B[bo + (j0 + j) * ldb + p0 + p];
          else { const src = bo + (p0 + p) * ldb + j0; for (let j = 0; j < nb; j++) panel[row + j] = B[src + j]; }
        }
        for (let i = 0; i < m; i++) {
          const crow = co + i * ldc + j0;
          for (let p = 0; p < kb; p++) {
            const av = transA ? A[ao + (p0 + p) * lda + i] : A[ao + i * lda + p0 + p];
            if (av === 0) continue;
            const row = p * nb;
            for (let j = 0; j < nb; j++) C[crow + j] += av * panel[row + j];
          }
        }
      }
    }
  }
  addBias(g);
  sumRowsOfA(g);
}

/** GemmArgs.sumsA from the caller's arrays (for kernels that do not produce it themselves). */
export function sumRowsOfA(g: GemmArgs): void {
  const out = g.sumsA;
  if (!out) return;
  const A = g.a, o = g.aOffset, m = g.m, k = g.k, acc = new Float64Array(m);
  if (g.transA) {
    for (let p = 0; p < k; p++) { const r = o + p * g.lda; for (let i = 0; i < m; i++) acc[i] += A[r + i]; }
  } else {
    for (let i = 0; i < m; i++) { const r = o + i * g.lda; let t = 0; for (let p = 0; p < k; p++) t += A[r + p]; acc[i] = t; }
  }
  for (let i = 0; i < m; i++) out[i] = acc[i];
}

/** The bias epilogue on C in place (for kernels that do not fuse it into their store). */
export function addBias(g: GemmArgs): void {
  const bias = g.bias;
  if (!bias) return;
  const C = g.c, bo = g.biasOffset ?? 0, bs = g.biasStride ?? 1;
  for (let bt = 0; bt < g.batch; bt++) {
    for (let i = 0; i < g.m; i++) {
      const o = g.cOffset + bt * g.strideC + i * g.ldc;
      for (let j = 0; j < g.n; j++) C[o + j] += bias[bo + j * bs];
    }
  }
}

let gemmF32Impl: GemmFn = gemmReference;
let gemmF32Name = 'reference (TypeScript, cache-blocked)';
let gemmF32Bias = true;

/**
 * Install a faster float32 GEMM (e.g. the WebAssembly SIMD one). `handlesBias`: it applies GemmArgs.bias and
 * produces GemmArgs.sumsA itself (else gemm() does both after it).
 */
export function setGemmF32(fn: GemmFn, name: string, handlesBias = false): void { gemmF32Impl = fn; gemmF32Name = name; gemmF32Bias = handlesBias; }
export function gemmF32Backend(): string { return gemmF32Name; }

/**
 * A batch whose B is broadcast (strideB 0) and whose A and C rows follow on from one batch entry to the next is one
 * GEMM of batch·m rows (matmul of [..., M, K] by [K, N]): B is packed once instead of once per entry, and the
 * kernel gets one tall task. Every C element is the same sum over k in the same order, so the bits do not change.
 */
export function foldBroadcastB<T extends GemmArgs>(g: T): T {
  if (g.batch <= 1 || g.strideB !== 0 || g.transA || g.sumsA || g.strideA !== g.m * g.lda || g.strideC !== g.m * g.ldc) return g;
  return { ...g, m: g.batch * g.m, batch: 1, strideA: 0, strideC: 0 };
}

export function gemm(g: GemmArgs): void {
  if (g.sumsA && g.batch !== 1) throw new Error(`internal: GemmArgs.sumsA needs batch 1, got ${g.batch}`);
  g = foldBroadcastB(g);
  if (g.c instanceof Float32Array) {
    gemmF32Impl(g as GemmArgs<Float32Array>);
    if (!gemmF32Bias) { addBias(g); sumRowsOfA(g); }
  } else gemmReference(g);
}
