// torchlet WebAssembly kernels of the small CNN (AssemblyScript): the float32 2x2 max pool and the float32 batch
// norm of src/backend/cpu/ (conv.ts maxPool2x2, batchnorm.ts), bit-identical to the TypeScript loops. The host
// (src/backend/wasm/cnn.ts) stages the operands into this module's own memory and copies the results back.
//
// Max pool: four output columns at a time, without branches. The host stages whole planes into this module's own memory and copies the values and indices
// back. Per lane, the comparisons and their order are the scalar kernel's, so the results are bit-identical:
//   best = a; then b if (b > best or b is NaN) and best is not NaN (a NaN ends its window row);
//   then c if (c > best or c is NaN); then d if (d > best or d is NaN) and c is not NaN
// (a, b: the window's top row, c, d: its bottom row). The value kept is the selected input's bits.

/**
 * `planes` planes of 2*oh rows of W floats each, back to back from x -> vals [planes, oh, ow] (float32) and idx
 * [planes, oh, ow] (float64: the row-major position y*W + x of the maximum within its plane). The last group of
 * four columns of a row may read up to 8 floats past the row and write up to 3 outputs past it: the host leaves
 * room after each buffer, and the next row overwrites what spilled.
 */
export function mp_2x2(x: usize, vals: usize, idx: usize, planes: i32, oh: i32, W: i32, ow: i32): void {
  const rowW = <usize>W << 2, wv = i32x4.splat(W), step = i32x4.splat(8);
  const one = i32x4.splat(1), wp1 = i32x4.splat(W + 1);
  const lane2 = v128(0, 0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0, 6, 0, 0, 0);
  for (let pl = 0; pl < planes; pl++) {
    for (let oy = 0; oy < oh; oy++) {
      const r0 = x + ((<usize>(pl * 2 * oh + 2 * oy) * <usize>W) << 2), r1 = r0 + rowW;
      let pos = i32x4.add(i32x4.splat(2 * oy * W), lane2);
      for (let ox = 0; ox < ow; ox += 4) {
        const off = <usize>ox << 3;
        const t0 = v128.load(r0 + off), t1 = v128.load(r0 + off, 16);
        const u0 = v128.load(r1 + off), u1 = v128.load(r1 + off, 16);
        const a = v128.shuffle<f32>(t0, t1, 0, 2, 4, 6), b = v128.shuffle<f32>(t0, t1, 1, 3, 5, 7);
        const c = v128.shuffle<f32>(u0, u1, 0, 2, 4, 6), d = v128.shuffle<f32>(u0, u1, 1, 3, 5, 7);
        let best = a, k = i32x4.splat(0);
        let m = v128.and(v128.or(f32x4.gt(b, best), f32x4.ne(b, b)), f32x4.eq(best, best));
        best = v128.bitselect(b, best, m); k = v128.bitselect(one, k, m);
        m = v128.or(f32x4.gt(c, best), f32x4.ne(c, c));
        best = v128.bitselect(c, best, m); k = v128.bitselect(wv, k, m);
        m = v128.and(v128.or(f32x4.gt(d, best), f32x4.ne(d, d)), f32x4.eq(c, c));
        best = v128.bitselect(d, best, m); k = v128.bitselect(wp1, k, m);
        v128.store(vals + (<usize>ox << 2), best);
        const p = i32x4.add(pos, k);
        v128.store(idx + (<usize>ox << 3), f64x2.convert_low_i32x4_s(p));
        v128.store(idx + (<usize>ox << 3), f64x2.convert_low_i32x4_s(v128.shuffle<i32>(p, p, 2, 3, 0, 1)), 16);
        pos = i32x4.add(pos, step);
      }
      vals += <usize>ow << 2; idx += <usize>ow << 3;
    }
  }
}

// Batch norm: the host stages g channels (1 to 4) as they lie in x [N, C, S]: N blocks of g runs of S floats (one
// copy per block). The per-channel sums are float64 and add the elements one by one in the order (n, then s), as
// the TypeScript loops do; up to four channels run in one loop as independent chains. The elementwise passes use
// f32x4 (forward: each op rounded to float32, as Math.fround of the float64 op) or f64x2 (backward: the float64
// formula, rounded once to float32 on the store).

/** Σx per channel -> out[k] (float64) for the g channels at x. */
export function bn_sums(x: usize, N: i32, S: i32, g: i32, out: usize): void {
  const rb = <usize>S << 2, bb = <usize>(g * S) << 2;
  let k = 0;
  if (g == 4) {
    let s0: f64 = 0, s1: f64 = 0, s2: f64 = 0, s3: f64 = 0;
    for (let b = 0, o = x; b < N; b++, o += bb) {
      for (let p = o, e = o + rb; p < e; p += 4) {
        s0 += <f64>load<f32>(p); s1 += <f64>load<f32>(p + rb); s2 += <f64>load<f32>(p + 2 * rb); s3 += <f64>load<f32>(p + 3 * rb);
      }
    }
    store<f64>(out, s0); store<f64>(out, s1, 8); store<f64>(out, s2, 16); store<f64>(out, s3, 24);
    k = 4;
  }
  for (; k < g; k++) {
    let s: f64 = 0;
    for (let b = 0, o = x + <usize>k * rb; b < N; b++, o += bb) for (let p = o, e = o + rb; p < e; p += 4) s += <f64>load<f32>(p);
    store<f64>(out + (<usize>k << 3), s);
  }
}

/** Σ fround(fround(x - mean)²) per channel (mean[k] float32 at m) -> out[k] (float64). */
export function bn_sqdevs(x: usize, N: i32, S: i32, g: i32, m: usize, out: usize): void {
  const rb = <usize>S << 2, bb = <usize>(g * S) << 2;
  let k = 0;
  if (g == 4) {
    const m0 = load<f32>(m), m1 = load<f32>(m, 4), m2 = load<f32>(m, 8), m3 = load<f32>(m, 12);
    let q0: f64 = 0, q1: f64 = 0, q2: f64 = 0, q3: f64 = 0;
    for (let b = 0, o = x; b < N; b++, o += bb) {
      for (let p = o, e = o + rb; p < e; p += 4) {
        const d0 = load<f32>(p) - m0, d1 = load<f32>(p + rb) - m1, d2 = load<f32>(p + 2 * rb) - m2, d3 = load<f32>(p + 3 * rb) - m3;
        q0 += <f64>(d0 * d0); q1 += <f64>(d1 * d1); q2 += <f64>(d2 * d2); q3 += <f64>(d3 * d3);
      }
    }
    store<f64>(out, q0); store<f64>(out, q1, 8); store<f64>(out, q2, 16); store<f64>(out, q3, 24);
    k = 4;
  }
  for (; k < g; k++) {
    const mu = load<f32>(m + (<usize>k << 2));
    let q: f64 = 0;
    for (let b = 0, o = x + <usize>k * rb; b < N; b++, o += bb) {
      for (let p = o, e = o + rb; p < e; p += 4) { const d = load<f32>(p) - mu; q += <f64>(d * d); }
    }
    store<f64>(out + (<usize>k << 3), q);
  }
}

/**
 * In place, per channel k: x = ((x - mean)·rstd)·w + b, each op rounded to float32 (par: 4 float32 per channel at
 * p: mean, rstd, w, b; the host passes w = 1 and b = -0 where there is no weight or bias: both leave a value's
 * bits as they are, as leaving the op out does).
 */
export function bn_apply(x: usize, N: i32, S: i32, g: i32, par: usize): void {
  const rb = <usize>S << 2, vb = <usize>(S & ~3) << 2;
  for (let r = 0, o = x; r < N * g; r++, o += rb) {
    const q = par + (<usize>(r % g) << 4), mu = load<f32>(q), rs = load<f32>(q, 4), w = load<f32>(q, 8), b = load<f32>(q, 12);
    const mv = f32x4.splat(mu), rv = f32x4.splat(rs), wv = f32x4.splat(w), bv = f32x4.splat(b);
    for (let p = o, e = o + vb; p < e; p += 16) {
      v128.store(p, f32x4.add(f32x4.mul(f32x4.mul(f32x4.sub(v128.load(p), mv), rv), wv), bv));
    }
    for (let p = o + vb, e = o + rb; p < e; p += 4) store<f32>(p, ((load<f32>(p) - mu) * rs) * w + b);
  }
}

/** Σg and Σ(x - mean)·g per channel (float64; mean[k] float32 at m) -> out[2k], out[2k + 1]; x and gr staged alike. */
export function bn_grad_sums(gr: usize, x: usize, N: i32, S: i32, g: i32, m: usize, out: usize): void {
  const rb = <usize>S << 2, bb = <usize>(g * S) << 2;
  let k = 0;
  if (g == 4) {
    const m0 = <f64>load<f32>(m), m1 = <f64>load<f32>(m, 4), m2 = <f64>load<f32>(m, 8), m3 = <f64>load<f32>(m, 12);
    let a0: f64 = 0, a1: f64 = 0, a2: f64 = 0, a3: f64 = 0, p0: f64 = 0, p1: f64 = 0, p2: f64 = 0, p3: f64 = 0;
    for (let b = 0, o: usize = 0; b < N; b++, o += bb) {
      for (let i = o, e = o + rb; i < e; i += 4) {
        const g0 = <f64>load<f32>(gr + i), g1 = <f64>load<f32>(gr + i + rb), g2 = <f64>load<f32>(gr + i + 2 * rb), g3 = <f64>load<f32>(gr + i + 3 * rb);
        a0 += g0; p0 += (<f64>load<f32>(x + i) - m0) * g0;
        a1 += g1; p1 += (<f64>load<f32>(x + i + rb) - m1) * g1;
        a2 += g2; p2 += (<f64>load<f32>(x + i + 2 * rb) - m2) * g2;
        a3 += g3; p3 += (<f64>load<f32>(x + i + 3 * rb) - m3) * g3;
      }
    }
    store<f64>(out, a0); store<f64>(out, p0, 8); store<f64>(out, a1, 16); store<f64>(out, p1, 24);
    store<f64>(out, a2, 32); store<f64>(out, p2, 40); store<f64>(out, a3, 48); store<f64>(out, p3, 56);
    k = 4;
  }
  for (; k < g; k++) {
    const mu = <f64>load<f32>(m + (<usize>k << 2));
    let a: f64 = 0, s: f64 = 0;
    for (let b = 0, o = <usize>k * rb; b < N; b++, o += bb) {
      for (let i = o, e = o + rb; i < e; i += 4) { const gv = <f64>load<f32>(gr + i); a += gv; s += (<f64>load<f32>(x + i) - mu) * gv; }
    }
    store<f64>(out + (<usize>k << 4), a); store<f64>(out + (<usize>k << 4), s, 8);
  }
}

/**
 * In place into gr, per channel k: dx = (g - mg - (x - mean)·kk)·wr in float64, rounded to float32 (par: 4 float64
 * per channel: mean, mg, kk, wr).
 */
export function bn_grad_apply(gr: usize, x: usize, N: i32, S: i32, g: i32, par: usize): void {
  const rb = <usize>S << 2, vb = <usize>(S & ~3) << 2;
  for (let r = 0, o: usize = 0; r < N * g; r++, o += rb) {
    const q = par + (<usize>(r % g) << 5), mu = load<f64>(q), mg = load<f64>(q, 8), kk = load<f64>(q, 16), wr = load<f64>(q, 24);
    const mv = f64x2.splat(mu), gv = f64x2.splat(mg), kv = f64x2.splat(kk), wv = f64x2.splat(wr);
    for (let i = o, e = o + vb; i < e; i += 16) {
      const G = v128.load(gr + i), X = v128.load(x + i);
      const lo = f64x2.mul(f64x2.sub(f64x2.sub(f64x2.promote_low_f32x4(G), gv), f64x2.mul(f64x2.sub(f64x2.promote_low_f32x4(X), mv), kv)), wv);
      const Gh = v128.shuffle<f32>(G, G, 2, 3, 0, 1), Xh = v128.shuffle<f32>(X, X, 2, 3, 0, 1);
      const hi = f64x2.mul(f64x2.sub(f64x2.sub(f64x2.promote_low_f32x4(Gh), gv), f64x2.mul(f64x2.sub(f64x2.promote_low_f32x4(Xh), mv), kv)), wv);
      v128.store(gr + i, v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5));
    }
    for (let i = o + vb, e = o + rb; i < e; i += 4) {
      store<f32>(gr + i, <f32>((<f64>load<f32>(gr + i) - mg - (<f64>load<f32>(x + i) - mu) * kk) * wr));
    }
  }
}

// im2col / col2im of one sample (backend/cpu/conv.ts im2colSample, col2imSample): the geometry as 13 i32 at geo
// (C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow). im2col writes every column entry (zeros for padding, where the
// TypeScript loop leaves what its caller zero-filled); col2im adds into out in the loop's order, so each input
// element receives its terms in the same order and the float32 sums are bit-identical.

/** The first output position o >= 0 whose input coordinate o*s - p + kd is >= 0, and the end of those < size. */
@inline function lo(len: i32, s: i32, p: i32, kd: i32): i32 { const t = p - kd; return t <= 0 ? 0 : min(len, (t + s - 1) / s); }
@inline function hi(len: i32, size: i32, s: i32, p: i32, kd: i32): i32 { const t = size - 1 + p - kd; return t < 0 ? 0 : min(len, t / s + 1); }

/** n floats from src to dst (no overlap), four at a time. */
function copyF(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
}
function zeroF(dst: usize, n: i32): void {
  const z = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), z);
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), 0);
}

export function im2col(x: usize, geo: usize, out: usize): void {
  const C = load<i32>(geo), H = load<i32>(geo, 4), W = load<i32>(geo, 8), kh = load<i32>(geo, 12), kw = load<i32>(geo, 16);
  const sh = load<i32>(geo, 20), sw = load<i32>(geo, 24), ph = load<i32>(geo, 28), pw = load<i32>(geo, 32);
  const dh = load<i32>(geo, 36), dw = load<i32>(geo, 40), oh = load<i32>(geo, 44), ow = load<i32>(geo, 48);
  let o = out;
  for (let c = 0; c < C; c++) {
    const xb = x + (<usize>(c * H * W) << 2);
    for (let i = 0; i < kh; i++) {
      const y0 = lo(oh, sh, ph, i * dh), y1 = max(y0, hi(oh, H, sh, ph, i * dh));
      for (let j = 0; j < kw; j++) {
        const x0 = lo(ow, sw, pw, j * dw), x1 = max(x0, hi(ow, W, sw, pw, j * dw)), shift = j * dw - pw;
        zeroF(o, y0 * ow);
        for (let oy = y0; oy < y1; oy++) {
          const r = o + (<usize>(oy * ow) << 2), src = xb + (<usize>((oy * sh - ph + i * dh) * W + shift) << 2);
          zeroF(r, x0);
          if (sw == 1) copyF(r + (<usize>x0 << 2), src + (<usize>x0 << 2), x1 - x0);
          else for (let ox = x0; ox < x1; ox++) store<f32>(r + (<usize>ox << 2), load<f32>(src + (<usize>(ox * sw) << 2)));
          zeroF(r + (<usize>x1 << 2), ow - x1);
        }
        zeroF(o + (<usize>(y1 * ow) << 2), (oh - y1) * ow);
        o += <usize>(oh * ow) << 2;
      }
    }
  }
}

export function col2im(cols: usize, geo: usize, out: usize): void {
  const C = load<i32>(geo), H = load<i32>(geo, 4), W = load<i32>(geo, 8), kh = load<i32>(geo, 12), kw = load<i32>(geo, 16);
  const sh = load<i32>(geo, 20), sw = load<i32>(geo, 24), ph = load<i32>(geo, 28), pw = load<i32>(geo, 32);
  const dh = load<i32>(geo, 36), dw = load<i32>(geo, 40), oh = load<i32>(geo, 44), ow = load<i32>(geo, 48);
  let o = cols;
  for (let c = 0; c < C; c++) {
    const xb = out + (<usize>(c * H * W) << 2);
    for (let i = 0; i < kh; i++) {
      const y0 = lo(oh, sh, ph, i * dh), y1 = max(y0, hi(oh, H, sh, ph, i * dh));
      for (let j = 0; j < kw; j++) {
        const x0 = lo(ow, sw, pw, j * dw), x1 = max(x0, hi(ow, W, sw, pw, j * dw)), shift = j * dw - pw;
        for (let oy = y0; oy < y1; oy++) {
          const r = o + (<usize>(oy * ow) << 2), dst = xb + (<usize>((oy * sh - ph + i * dh) * W + shift) << 2);
          if (sw == 1) {
            let ox = x0;
            for (; ox + 4 <= x1; ox += 4) {
              const a = dst + (<usize>ox << 2);
              v128.store(a, f32x4.add(v128.load(a), v128.load(r + (<usize>ox << 2))));
            }
            for (; ox < x1; ox++) { const a = dst + (<usize>ox << 2); store<f32>(a, load<f32>(a) + load<f32>(r + (<usize>ox << 2))); }
          } else {
            for (let ox = x0; ox < x1; ox++) { const a = dst + (<usize>(ox * sw) << 2); store<f32>(a, load<f32>(a) + load<f32>(r + (<usize>ox << 2))); }
          }
        }
        o += <usize>(oh * ow) << 2;
      }
    }
  }
}

// The fused convolution's reductions over the batch (backend/cpu/conv-fused.ts): float64 accumulators that stay in
// this memory across the samples, and the forward's per-channel bias add; elementwise, so bit-identical.

/** acc[i] += x[i] (float64 += float32) for i < n. */
export function acc_add(acc: usize, x: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2)), a = acc + (<usize>i << 3);
    v128.store(a, f64x2.add(v128.load(a), f64x2.promote_low_f32x4(v)));
    v128.store(a, f64x2.add(v128.load(a, 16), f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1))), 16);
  }
  for (; i < n; i++) { const a = acc + (<usize>i << 3); store<f64>(a, load<f64>(a) + <f64>load<f32>(x + (<usize>i << 2))); }
}

/** y[r][l] += bias[r] (float32) for rows r of L floats. */
export function add_rows(y: usize, rows: i32, L: i32, bias: usize): void {
  const vb = <usize>(L & ~3) << 2, rb = <usize>L << 2;
  for (let r = 0, o = y; r < rows; r++, o += rb) {
    const b = load<f32>(bias + (<usize>r << 2)), bv = f32x4.splat(b);
    for (let p = o, e = o + vb; p < e; p += 16) v128.store(p, f32x4.add(v128.load(p), bv));
    for (let p = o + vb, e = o + rb; p < e; p += 4) store<f32>(p, load<f32>(p) + b);
  }
}
