// torchlet WebAssembly max-pool kernel (AssemblyScript): the float32 2x2 max pool with stride 2 and no padding of
// src/backend/cpu/conv.ts (maxPool2x2), four output columns at a time, without branches. The host
// (src/backend/wasm/pool.ts) stages whole planes into this module's own memory and copies the values and indices
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
