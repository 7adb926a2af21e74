/**
 * @file The 128-bit FMA peak of one core as WebAssembly reaches it: a hand-assembled module whose loop runs 12
 * independent f32x4 accumulators (enough to cover FMA latency x 2 ports on current x64 cores) through
 * `f32x4.relaxed_madd` (one FMA per lane) or, for plain SIMD128, `f32x4.mul` + `f32x4.add`. 96 flops per iteration.
 * The GEMM figures are printed as a fraction of this.
 */
import { variantSupported } from '../src/backend/wasm/index.js';

const ACC = 12;

function uleb(n: number): number[] {
  const out: number[] = [];
  do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; out.push(b); } while (n);
  return out;
}

function section(id: number, body: number[]): number[] { return [id, ...uleb(body.length), ...body]; }

/** (func (param i32 iterations) (param f32 x) (result f32)) exported as "peak". */
function moduleBytes(relaxed: boolean): Uint8Array<ArrayBuffer> {
  const X = 2 + ACC, Y = X + 1; // locals: 0 n, 1 x, 2..13 accumulators, 14 and 15 the factors
  const code: number[] = [];
  code.push(0x20, 1, 0xfd, ...uleb(0x13), 0x21, X); // local.get 1; f32x4.splat; local.set X
  code.push(0x20, 1, 0xfd, ...uleb(0x13), 0x21, Y);
  code.push(0x03, 0x40); // loop
  for (let i = 0; i < ACC; i++) {
    const a = 2 + i;
    if (relaxed) code.push(0x20, X, 0x20, Y, 0x20, a, 0xfd, ...uleb(0x105), 0x21, a); // a = x*y + a
    else code.push(0x20, a, 0x20, X, 0x20, Y, 0xfd, ...uleb(0xe6), 0xfd, ...uleb(0xe4), 0x21, a); // a = a + x*y
  }
  code.push(0x20, 0, 0x41, 1, 0x6b, 0x22, 0, 0x0d, 0); // n = n - 1; br_if (n != 0) loop
  code.push(0x0b); // end loop
  for (let i = 0; i < ACC; i++) {
    code.push(0x20, 2 + i, 0xfd, ...uleb(0x1f), 0); // f32x4.extract_lane 0
    if (i > 0) code.push(0x92); // f32.add
  }
  code.push(0x0b);
  const body = [1, ACC + 2, 0x7b, ...code]; // one local group: 14 x v128
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 2, 0x7f, 0x7d, 1, 0x7d]),
    ...section(3, [1, 0]),
    ...section(7, [1, 4, ...[...'peak'].map((c) => c.charCodeAt(0)), 0x00, 0]),
    ...section(10, [1, ...uleb(body.length), ...body]),
  ]);
}

/** The peak loop as a callable: run(iterations) returns seconds; FLOPS_PER_ITER flops per iteration. */
export function fmaLoop(): { run: (iters: number) => number; flopsPerIter: number; instr: string } {
  const relaxed = variantSupported('relaxed');
  const inst = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes(relaxed)));
  const peak = inst.exports.peak as (n: number, x: number) => number;
  return {
    run: (iters) => { const s = performance.now(); peak(iters, 1e-4); return (performance.now() - s) / 1000; },
    flopsPerIter: ACC * 4 * 2, instr: relaxed ? 'f32x4.relaxed_madd' : 'f32x4.mul + f32x4.add',
  };
}

export interface Peak { gflops: number; instr: string; min: number; max: number }

/** GFLOPS of one core: the median of `reps` timed runs of about 20 ms each (after a warm-up). */
export function fmaPeak(reps = 9): Peak {
  const relaxed = variantSupported('relaxed');
  const bytes = moduleBytes(relaxed);
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes));
  const peak = inst.exports.peak as (n: number, x: number) => number;
  const flopsPerIter = ACC * 4 * 2;
  peak(200_000, 1e-4); // tier-up
  let iters = 200_000;
  for (;;) { const s = performance.now(); peak(iters, 1e-4); const ms = performance.now() - s; if (ms > 15) break; iters *= 2; }
  const g: number[] = [];
  for (let r = 0; r < reps; r++) {
    const s = performance.now(); peak(iters, 1e-4);
    g.push(flopsPerIter * iters / ((performance.now() - s) / 1000) / 1e9);
  }
  g.sort((a, b) => a - b);
  // The median is quoted; under load the best run is the closer estimate of the core's capability.
  return { gflops: g[g.length >> 1], instr: relaxed ? 'f32x4.relaxed_madd' : 'f32x4.mul + f32x4.add', min: g[0], max: g[g.length - 1] };
}
