// torchlet WebAssembly kernels (AssemblyScript). Built twice by scripts in package.json "build:wasm":
// plain SIMD128 (f32x4.mul + f32x4.add) and relaxed SIMD (f32x4.relaxed_madd, selected at compile time through
// ASC_FEATURE_RELAXED_SIMD), each once with a shared imported memory (threads) and once with a plain one.
// No runtime, no GC: the host passes byte addresses into linear memory.
//
// GEMM: C[b] = op(A[b]) * op(B[b]), row-major, BLIS loop nest (NC -> KC -> MC), B packed into NR-wide k-major
// slivers and A into MR-row k-major slivers (packing absorbs the transposes), 6x8 register tile = 12 v128
// accumulators (the micro-kernels are in assembly/gemm-micro.ts). Ragged edges are zero-padded in the packed
// panels; the last 1-5 rows of a block run the 4/2/1-row edge kernels straight into C, and a ragged last column
// sliver is computed into a small tile buffer and copied out.

import { MR, NR, acc, micro, microEdge } from './gemm-micro';

const KC: i32 = 256;
const MC: i32 = 96;   // multiple of MR
const NC: i32 = 1024; // multiple of NR
/** Rows of op(A) packed per step when A or B is read across its stored rows (p-major), see packA/packB. */
const PG: i32 = 8;

/** Register tile, exported for the host's chunking (rows of C per micro-tile, columns per micro-tile). */
export const GEMM_MR: i32 = MR;
export const GEMM_NR: i32 = NR;

/** Bytes of per-thread scratch the host must reserve for gemm_task. */
export const SCRATCH_BYTES: i32 = (MC * KC + KC * NC + MR * NR) * 4;

// Task descriptor (i32 words at `task`).
const T_M = 0, T_N = 4, T_K = 8, T_TA = 12, T_TB = 16, T_A = 20, T_LDA = 24, T_B = 28, T_LDB = 32, T_C = 36,
  T_LDC = 40, T_BATCH = 44, T_SA = 48, T_SB = 52, T_SC = 56, T_SPLIT = 60, T_CHUNK = 64, T_NCHUNKS = 68,
  T_NEXT = 72, T_DONE = 76, T_DIRECT = 80;
export const TASK_BYTES: i32 = 128;

// Atomic counters when built with threads (shared memory); plain loads and stores in the single-threaded build.
@inline function fetchAdd(ptr: usize, v: i32): i32 {
  if (ASC_FEATURE_THREADS) return atomic.add<i32>(ptr, v);
  const old = load<i32>(ptr); store<i32>(ptr, old + v); return old;
}
@inline function wake(ptr: usize): void {
  if (ASC_FEATURE_THREADS) atomic.notify(ptr);
}

/** Pack op(A)[i0:i0+mc, p0:p0+kc] into MR-row slivers, k-major, zero-padded to a multiple of MR rows. */
function packA(a: usize, lda: i32, trans: bool, i0: i32, p0: i32, mc: i32, kc: i32, dst: usize): void {
  const ldaB = <usize>lda * 4;
  if (trans) {
    // op(A)[i][p] = A[p*lda + i]: each k step of a sliver is MR contiguous floats of stored row p. PG stored rows
    // at a time, all slivers: every stored row is read once and sequentially (reading one sliver down all kc rows
    // touched a new line, often a new page, per step and thrashed L1 sets for power-of-two lda).
    for (let pg = 0; pg < kc; pg += PG) {
      const pe = min(kc, pg + PG);
      for (let r = 0; r < mc; r += MR) {
        const rows = min(MR, mc - r);
        let d = dst + <usize>(r * kc + pg * MR) * 4;
        let src = a + (<usize>(p0 + pg) * lda + i0 + r) * 4;
        if (rows == MR) {
          for (let p = pg; p < pe; p++) {
            v128.store(d, v128.load(src)); store<u64>(d, load<u64>(src, 16), 16);
            d += MR * 4; src += ldaB;
          }
        } else {
          for (let p = pg; p < pe; p++) {
            for (let ii = 0; ii < MR; ii++) store<f32>(d + (<usize>ii << 2), ii < rows ? load<f32>(src + (<usize>ii << 2)) : 0);
            d += MR * 4; src += ldaB;
          }
        }
      }
    }
    return;
  }
  // op(A)[i][p] = A[i*lda + p]: gather MR rows; 4x4 transposes in registers for rows 0-3 and a zip for rows 4-5,
  // whole groups of 4 k steps.
  for (let r = 0; r < mc; r += MR) {
    const rows = min(MR, mc - r);
    const d0 = dst + <usize>(r * kc) * 4;
    const s0 = a + (<usize>(i0 + r) * lda + p0) * 4;
    if (rows == MR) {
      const s1 = s0 + ldaB, s2 = s1 + ldaB, s3 = s2 + ldaB, s4 = s3 + ldaB, s5 = s4 + ldaB;
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const o = <usize>p << 2;
        const r0 = v128.load(s0 + o), r1 = v128.load(s1 + o), r2 = v128.load(s2 + o), r3 = v128.load(s3 + o);
        const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
        const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
        const r4 = v128.load(s4 + o), r5 = v128.load(s5 + o);
        const u0 = v128.shuffle<f32>(r4, r5, 0, 4, 1, 5), u1 = v128.shuffle<f32>(r4, r5, 2, 6, 3, 7);
        const d = d0 + <usize>p * (MR * 4);
        v128.store(d, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5)); v128.store64_lane(d, u0, 0, 16);
        v128.store(d, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7), 24); v128.store64_lane(d, u0, 1, 40);
        v128.store(d, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), 48); v128.store64_lane(d, u1, 0, 64);
        v128.store(d, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7), 72); v128.store64_lane(d, u1, 1, 88);
      }
      for (; p < kc; p++) {
        const o = <usize>p << 2, d = d0 + <usize>p * (MR * 4);
        store<f32>(d, load<f32>(s0 + o)); store<f32>(d, load<f32>(s1 + o), 4);
        store<f32>(d, load<f32>(s2 + o), 8); store<f32>(d, load<f32>(s3 + o), 12);
        store<f32>(d, load<f32>(s4 + o), 16); store<f32>(d, load<f32>(s5 + o), 20);
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const d = d0 + <usize>p * (MR * 4);
        for (let ii = 0; ii < MR; ii++) {
          store<f32>(d + (<usize>ii << 2), ii < rows ? load<f32>(s0 + <usize>ii * ldaB + (<usize>p << 2)) : 0);
        }
      }
    }
  }
}

/** Pack op(B)[p0:p0+kc, j0:j0+nc] into NR-column slivers, k-major, zero-padded to a multiple of NR columns. */
function packB(b: usize, ldb: i32, trans: bool, p0: i32, j0: i32, kc: i32, nc: i32, dst: usize): void {
  const ldbB = <usize>ldb * 4;
  if (!trans) {
    // op(B)[p][j] = B[p*ldb + j]: each k step of a sliver is NR contiguous floats of stored row p. PG rows at a
    // time across all slivers, as in packA's transposed case.
    for (let pg = 0; pg < kc; pg += PG) {
      const pe = min(kc, pg + PG);
      for (let s = 0; s < nc; s += NR) {
        const cols = min(NR, nc - s);
        let d = dst + <usize>(s * kc + pg * NR) * 4;
        let src = b + (<usize>(p0 + pg) * ldb + j0 + s) * 4;
        if (cols == NR) {
          for (let p = pg; p < pe; p++) {
            v128.store(d, v128.load(src)); v128.store(d, v128.load(src, 16), 16);
            d += NR * 4; src += ldbB;
          }
        } else {
          for (let p = pg; p < pe; p++) {
            for (let jj = 0; jj < NR; jj++) store<f32>(d + (<usize>jj << 2), jj < cols ? load<f32>(src + (<usize>jj << 2)) : 0);
            d += NR * 4; src += ldbB;
          }
        }
      }
    }
    return;
  }
  for (let s = 0; s < nc; s += NR) {
    const cols = min(NR, nc - s);
    const d0 = dst + <usize>(s * kc) * 4;
    // op(B)[p][j] = B[j*ldb + p]: NR rows of B, transposed 4x4 at a time.
    const s0 = b + (<usize>(j0 + s) * ldb + p0) * 4;
    if (cols == NR) {
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const o = <usize>p << 2, d = d0 + (<usize>p << 5);
        for (let h = 0; h < 2; h++) {
          const q = s0 + <usize>(h * 4) * ldbB + o;
          const r0 = v128.load(q), r1 = v128.load(q + ldbB), r2 = v128.load(q + 2 * ldbB), r3 = v128.load(q + 3 * ldbB);
          const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
          const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
          const dh = d + (<usize>h << 4);
          v128.store(dh, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
          v128.store(dh, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7), 32);
          v128.store(dh, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), 64);
          v128.store(dh, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7), 96);
        }
      }
      for (; p < kc; p++) {
        const d = d0 + (<usize>p << 5);
        for (let jj = 0; jj < NR; jj++) store<f32>(d + (<usize>jj << 2), load<f32>(s0 + <usize>jj * ldbB + (<usize>p << 2)));
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const d = d0 + (<usize>p << 5);
        for (let jj = 0; jj < NR; jj++) {
          store<f32>(d + (<usize>jj << 2), jj < cols ? load<f32>(s0 + <usize>jj * ldbB + (<usize>p << 2)) : 0);
        }
      }
    }
  }
}

/**
 * One GEMM (no batch) over rows [i0, i1) and columns [j0, j1) of C; all pointers are byte addresses.
 * `direct` (host's choice, for few rows of C): op(B) = B untransposed is read in place by the micro-kernels (8
 * contiguous floats of stored row p per k step, ldb apart) instead of packed first; only a ragged last sliver is
 * packed (zero-padded). Packing B costs k·n moves per call whatever m is, i.e. 10-15 % of the kernel at m = 16.
 * The products and their order are the same either way.
 */
function gemmBlock(
  a: usize, lda: i32, ta: bool, b: usize, ldb: i32, tb: bool, c: usize, ldc: i32,
  i0: i32, i1: i32, j0: i32, j1: i32, k: i32, scratch: usize, direct: bool,
): void {
  const pA = scratch;
  const pB = pA + <usize>(MC * KC) * 4;
  const tile = pB + <usize>(KC * NC) * 4;
  const ldcB = <usize>ldc * 4;
  if (k <= 0) {
    for (let i = i0; i < i1; i++) memory.fill(c + (<usize>i * ldc + j0) * 4, 0, <usize>(j1 - j0) * 4);
    return;
  }
  for (let jc = j0; jc < j1; jc += NC) {
    const nc = min(NC, j1 - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      const accumulate = pc > 0;
      const inPlace = direct && !tb;
      const ragged = nc % NR;
      if (!inPlace) packB(b, ldb, tb, pc, jc, kc, nc, pB);
      else if (ragged != 0) packB(b, ldb, tb, pc, jc + nc - ragged, kc, ragged, pB);
      for (let ic = i0; ic < i1; ic += MC) {
        const mc = min(MC, i1 - ic);
        packA(a, lda, ta, ic, pc, mc, kc, pA);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          let pb = pB + <usize>(jr * kc) * 4, sb: usize = NR * 4;
          if (inPlace) {
            if (nr == NR) { pb = b + (<usize>pc * ldb + jc + jr) * 4; sb = <usize>ldb * 4; } else pb = pB;
          }
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir);
            const pa = pA + <usize>(ir * kc) * 4;
            const cp = c + (<usize>(ic + ir) * ldc + jc + jr) * 4;
            if (nr == NR) {
              if (mr == MR) micro(kc, pa, pb, sb, cp, ldcB, accumulate);
              else microEdge(mr, kc, pa, pb, sb, cp, ldcB, accumulate);
            } else {
              micro(kc, pa, pb, NR * 4, tile, NR * 4, false);
              for (let ii = 0; ii < mr; ii++) {
                const crow = cp + <usize>ii * ldcB, trow = tile + <usize>(ii * NR) * 4;
                for (let jj = 0; jj < nr; jj++) {
                  const v = load<f32>(trow + (<usize>jj << 2));
                  const dst = crow + (<usize>jj << 2);
                  store<f32>(dst, accumulate ? load<f32>(dst) + v : v);
                }
              }
            }
          }
        }
      }
    }
  }
}

/**
 * Run chunks of the task at `task` until none are left (chunks are claimed with an atomic counter, so any number
 * of threads can join, late ones simply find nothing). The thread that completes the last chunk notifies T_DONE.
 * Returns the number of chunks this caller ran.
 */
export function gemm_task(task: usize, scratch: usize): i32 {
  const m = load<i32>(task + T_M), n = load<i32>(task + T_N), k = load<i32>(task + T_K);
  const ta = load<i32>(task + T_TA) != 0, tb = load<i32>(task + T_TB) != 0;
  const a = <usize>load<u32>(task + T_A), b = <usize>load<u32>(task + T_B), c = <usize>load<u32>(task + T_C);
  const lda = load<i32>(task + T_LDA), ldb = load<i32>(task + T_LDB), ldc = load<i32>(task + T_LDC);
  const batch = load<i32>(task + T_BATCH);
  const sa = <usize>load<u32>(task + T_SA) * 4, sb = <usize>load<u32>(task + T_SB) * 4, sc = <usize>load<u32>(task + T_SC) * 4;
  const split = load<i32>(task + T_SPLIT), chunk = load<i32>(task + T_CHUNK), nchunks = load<i32>(task + T_NCHUNKS);
  const direct = load<i32>(task + T_DIRECT) != 0;
  let ran = 0;
  while (true) {
    const idx = fetchAdd(task + T_NEXT, 1);
    if (idx >= nchunks) break;
    if (split == 0) {
      const b0 = idx * chunk, b1 = min(batch, b0 + chunk);
      for (let bt = b0; bt < b1; bt++) {
        gemmBlock(a + <usize>bt * sa, lda, ta, b + <usize>bt * sb, ldb, tb, c + <usize>bt * sc, ldc, 0, m, 0, n, k, scratch, direct);
      }
    } else {
      const lo = idx * chunk;
      for (let bt = 0; bt < batch; bt++) {
        const ab = a + <usize>bt * sa, bb = b + <usize>bt * sb, cb = c + <usize>bt * sc;
        if (split == 1) gemmBlock(ab, lda, ta, bb, ldb, tb, cb, ldc, lo, min(m, lo + chunk), 0, n, k, scratch, direct);
        else gemmBlock(ab, lda, ta, bb, ldb, tb, cb, ldc, 0, m, lo, min(n, lo + chunk), k, scratch, direct);
      }
    }
    ran++;
    if (fetchAdd(task + T_DONE, 1) + 1 == nchunks) wake(task + T_DONE);
  }
  return ran;
}

// ---------------------------------------------------------------------------------------------------------------
// Elementwise kernels over float32 arrays in linear memory (byte addresses, n elements). Outputs may alias inputs.

export function add_f32(x: usize, y: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; v128.store(out + o, f32x4.add(v128.load(x + o), v128.load(y + o))); }
  for (; i < n; i++) { const o = <usize>i << 2; store<f32>(out + o, load<f32>(x + o) + load<f32>(y + o)); }
}

export function mul_f32(x: usize, y: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; v128.store(out + o, f32x4.mul(v128.load(x + o), v128.load(y + o))); }
  for (; i < n; i++) { const o = <usize>i << 2; store<f32>(out + o, load<f32>(x + o) * load<f32>(y + o)); }
}

export function relu_f32(x: usize, out: usize, n: i32): void {
  const z = f32x4.splat(0);
  let i = 0;
  // max(x, 0) that maps NaN to NaN like torch.relu: select x where !(x < 0).
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2; const v = v128.load(x + o);
    v128.store(out + o, v128.bitselect(z, v, f32x4.lt(v, z)));
  }
  for (; i < n; i++) { const o = <usize>i << 2; const v = load<f32>(x + o); store<f32>(out + o, v < 0 ? 0 : v); }
}

/** y = alpha * x + y */
export function axpy_f32(alpha: f32, x: usize, y: usize, n: i32): void {
  const av = f32x4.splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; v128.store(y + o, acc(v128.load(y + o), av, v128.load(x + o))); }
  for (; i < n; i++) { const o = <usize>i << 2; store<f32>(y + o, alpha * load<f32>(x + o) + load<f32>(y + o)); }
}

/** Sum of n floats, 16 lanes of float32 partial sums combined in float64 at the end. */
export function sum_f32(x: usize, n: i32): f64 {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const p = x + (<usize>i << 2);
    s0 = f32x4.add(s0, v128.load(p)); s1 = f32x4.add(s1, v128.load(p, 16));
    s2 = f32x4.add(s2, v128.load(p, 32)); s3 = f32x4.add(s3, v128.load(p, 48));
  }
  const s = f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3));
  let r: f64 = <f64>f32x4.extract_lane(s, 0) + <f64>f32x4.extract_lane(s, 1) + <f64>f32x4.extract_lane(s, 2) + <f64>f32x4.extract_lane(s, 3);
  for (; i < n; i++) r += <f64>load<f32>(x + (<usize>i << 2));
  return r;
}

/**
 * Column sums of a rows x cols float32 matrix (rows ld floats apart): out[j] = f32(Σ_i x[i*ld + j]), each sum in
 * float64 from +0 over i = 0, 1, ... in order, rounded once (the order of the CPU reduce's bias-gradient loop, so
 * the same bits). acc: cols float64 of scratch. The host calls it on the staged A of a transposed-A GEMM (F.linear's
 * dW = gᵀ·x gives db = the column sums of g).
 */
export function colsum_f64(x: usize, rows: i32, cols: i32, ld: i32, acc: usize, out: usize): void {
  memory.fill(acc, 0, <usize>cols << 3);
  for (let i = 0; i < rows; i++) {
    const r = x + (<usize>i * <usize>ld << 2);
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const v = v128.load(r + (<usize>j << 2));
      const a = acc + (<usize>j << 3);
      v128.store(a, f64x2.add(v128.load(a), f64x2.promote_low_f32x4(v)));
      v128.store(a, f64x2.add(v128.load(a, 16), f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1))), 16);
    }
    for (; j < cols; j++) {
      const a = acc + (<usize>j << 3);
      store<f64>(a, load<f64>(a) + <f64>load<f32>(r + (<usize>j << 2)));
    }
  }
  for (let j = 0; j < cols; j++) store<f32>(out + (<usize>j << 2), <f32>load<f64>(acc + (<usize>j << 3)));
}
