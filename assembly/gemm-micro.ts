// torchlet WebAssembly GEMM micro-kernels (AssemblyScript) for assembly/gemm.ts, the module's entry file: the 6x8
// register tile and the 4-, 2- and 1-row edge kernels, each over kc steps of packed A and B, accumulating into C
// or overwriting it. acc() is an FMA in the relaxed-SIMD builds (ASC_FEATURE_RELAXED_SIMD) and mul + add otherwise.

/** The register tile: rows and columns of C per micro-kernel call. */
export const MR: i32 = 6;
export const NR: i32 = 8;

@inline export function acc(c: v128, a: v128, b: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/**
 * 6x8 micro-kernel over kc steps of packed A (6 floats per step) and packed B (8 floats per step).
 * Why this shape and this loop (V8 TurboFan on x64, checked with --print-wasm-code and a kernel-only bench on a
 * Cascade Lake guest): V8 allocates 15 xmm registers and places each broadcast right before its two FMAs, so
 * 12 accumulators + 2 B vectors + 1 broadcast fit without spills; unrolling k makes TurboFan hoist the next
 * step's loads and spill. The 4x8 tile it replaces (k unrolled by 2) spilled three accumulators per step.
 * Kernel-only, L1-resident: relaxed 38 GFLOPS (4x8: 22-27), plain 24 (4x8: 24, the mul+add port limit).
 * The loop runs on the B pointer alone (no separate counter).
 */
export function micro(kc: i32, pa: usize, pb: usize, sb: usize, c: usize, ldcB: usize, accumulate: bool): void {
  let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  let c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  let s: v128, b0: v128, b1: v128;
  const pbEnd = pb + <usize>kc * sb;
  while (pb < pbEnd) {
    b0 = v128.load(pb); b1 = v128.load(pb, 16);
    s = v128.load32_splat(pa); c00 = acc(c00, s, b0); c01 = acc(c01, s, b1);
    s = v128.load32_splat(pa, 4); c10 = acc(c10, s, b0); c11 = acc(c11, s, b1);
    s = v128.load32_splat(pa, 8); c20 = acc(c20, s, b0); c21 = acc(c21, s, b1);
    s = v128.load32_splat(pa, 12); c30 = acc(c30, s, b0); c31 = acc(c31, s, b1);
    s = v128.load32_splat(pa, 16); c40 = acc(c40, s, b0); c41 = acc(c41, s, b1);
    s = v128.load32_splat(pa, 20); c50 = acc(c50, s, b0); c51 = acc(c51, s, b1);
    pa += 24; pb += sb;
  }
  // Two separate store paths: merging the accumulate case into one (phis after the loop) made V8 spill three
  // accumulators inside the loop.
  if (accumulate) {
    v128.store(c, f32x4.add(v128.load(c), c00)); v128.store(c, f32x4.add(v128.load(c, 16), c01), 16); c += ldcB;
    v128.store(c, f32x4.add(v128.load(c), c10)); v128.store(c, f32x4.add(v128.load(c, 16), c11), 16); c += ldcB;
    v128.store(c, f32x4.add(v128.load(c), c20)); v128.store(c, f32x4.add(v128.load(c, 16), c21), 16); c += ldcB;
    v128.store(c, f32x4.add(v128.load(c), c30)); v128.store(c, f32x4.add(v128.load(c, 16), c31), 16); c += ldcB;
    v128.store(c, f32x4.add(v128.load(c), c40)); v128.store(c, f32x4.add(v128.load(c, 16), c41), 16); c += ldcB;
    v128.store(c, f32x4.add(v128.load(c), c50)); v128.store(c, f32x4.add(v128.load(c, 16), c51), 16);
    return;
  }
  v128.store(c, c00); v128.store(c, c01, 16); c += ldcB;
  v128.store(c, c10); v128.store(c, c11, 16); c += ldcB;
  v128.store(c, c20); v128.store(c, c21, 16); c += ldcB;
  v128.store(c, c30); v128.store(c, c31, 16); c += ldcB;
  v128.store(c, c40); v128.store(c, c41, 16); c += ldcB;
  v128.store(c, c50); v128.store(c, c51, 16);
}

/**
 * Edge micro-kernels for the last rows of a block when mc is not a multiple of MR: 4, 2 or 1 rows of packed A
 * (still read with the 6-float k step of the MR-row sliver, from row `pa`), full NR columns, written straight to C.
 * The padded 6-row kernel through the tile buffer did 6 rows of work for 1-5 (m = 16: 18 rows for 16, m = 32:
 * 36 for 32) and copied the tile out element by element. Each element's sum is formed exactly as in micro (the
 * same acc sequence over p, then one add to C when accumulating), so results are bit-identical.
 */
export function micro4(kc: i32, pa: usize, pb: usize, sb: usize, c: usize, ldcB: usize, accumulate: bool): void {
  let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  let s: v128, b0: v128, b1: v128;
  const pbEnd = pb + <usize>kc * sb;
  while (pb < pbEnd) {
    b0 = v128.load(pb); b1 = v128.load(pb, 16);
    s = v128.load32_splat(pa); c00 = acc(c00, s, b0); c01 = acc(c01, s, b1);
    s = v128.load32_splat(pa, 4); c10 = acc(c10, s, b0); c11 = acc(c11, s, b1);
    s = v128.load32_splat(pa, 8); c20 = acc(c20, s, b0); c21 = acc(c21, s, b1);
    s = v128.load32_splat(pa, 12); c30 = acc(c30, s, b0); c31 = acc(c31, s, b1);
    pa += MR * 4; pb += sb;
  }
  if (accumulate) {
    v128.store(c, f32x4.add(v128.load(c), c00)); v128.store(c, f32x4.add(v128.load(c, 16), c01), 16); c += ldcB;
    v128.store(c, f32x4.add(v128.load(c), c10)); v128.store(c, f32x4.add(v128.load(c, 16), c11), 16); c += ldcB;
    v128.store(c, f32x4.add(v128.load(c), c20)); v128.store(c, f32x4.add(v128.load(c, 16), c21), 16); c += ldcB;
    v128.store(c, f32x4.add(v128.load(c), c30)); v128.store(c, f32x4.add(v128.load(c, 16), c31), 16);
    return;
  }
  v128.store(c, c00); v128.store(c, c01, 16); c += ldcB;
  v128.store(c, c10); v128.store(c, c11, 16); c += ldcB;
  v128.store(c, c20); v128.store(c, c21, 16); c += ldcB;
  v128.store(c, c30); v128.store(c, c31, 16);
}

export function micro2(kc: i32, pa: usize, pb: usize, sb: usize, c: usize, ldcB: usize, accumulate: bool): void {
  let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00;
  let s: v128, b0: v128, b1: v128;
  const pbEnd = pb + <usize>kc * sb;
  while (pb < pbEnd) {
    b0 = v128.load(pb); b1 = v128.load(pb, 16);
    s = v128.load32_splat(pa); c00 = acc(c00, s, b0); c01 = acc(c01, s, b1);
    s = v128.load32_splat(pa, 4); c10 = acc(c10, s, b0); c11 = acc(c11, s, b1);
    pa += MR * 4; pb += sb;
  }
  if (accumulate) {
    v128.store(c, f32x4.add(v128.load(c), c00)); v128.store(c, f32x4.add(v128.load(c, 16), c01), 16); c += ldcB;
    v128.store(c, f32x4.add(v128.load(c), c10)); v128.store(c, f32x4.add(v128.load(c, 16), c11), 16);
    return;
  }
  v128.store(c, c00); v128.store(c, c01, 16); c += ldcB;
  v128.store(c, c10); v128.store(c, c11, 16);
}

export function micro1(kc: i32, pa: usize, pb: usize, sb: usize, c: usize, accumulate: bool): void {
  let c00 = f32x4.splat(0), c01 = c00;
  let s: v128;
  const pbEnd = pb + <usize>kc * sb;
  while (pb < pbEnd) {
    s = v128.load32_splat(pa); c00 = acc(c00, s, v128.load(pb)); c01 = acc(c01, s, v128.load(pb, 16));
    pa += MR * 4; pb += sb;
  }
  if (accumulate) {
    v128.store(c, f32x4.add(v128.load(c), c00)); v128.store(c, f32x4.add(v128.load(c, 16), c01), 16);
    return;
  }
  v128.store(c, c00); v128.store(c, c01, 16);
}

/** rows (1-5) rows of a full-width tile: 4 + 1, 4, 2 + 1, 2, 1. */
@inline export function microEdge(rows: i32, kc: i32, pa: usize, pb: usize, sb: usize, c: usize, ldcB: usize, accumulate: bool): void {
  if (rows >= 4) {
    micro4(kc, pa, pb, sb, c, ldcB, accumulate);
    if (rows == 5) micro1(kc, pa + 16, pb, sb, c + 4 * ldcB, accumulate);
  } else if (rows >= 2) {
    micro2(kc, pa, pb, sb, c, ldcB, accumulate);
    if (rows == 3) micro1(kc, pa + 8, pb, sb, c + 2 * ldcB, accumulate);
  } else micro1(kc, pa, pb, sb, c, accumulate);
}
