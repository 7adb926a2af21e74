/**
 * The WebAssembly SIMD elementwise kernels (assembly/elementwise.ts through src/backend/wasm/elementwise.ts)
 * against the TypeScript reference kernels: arithmetic bit-identical, transcendental functions within the op
 * table's float32 tolerance (atol 1e-6, rtol 1e-5), special values (NaN, +-inf, +-0, denormals) as the reference.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';
import { wasmF32Accel, MIN_CHEAP } from '../../src/backend/wasm/elementwise.js';
import { BINARY, UNARY } from '../../src/backend/cpu/elementwise.js';
import { f32Accel, f32Accelerated, setF32Accel } from '../../src/backend/cpu/f32.js';
import { softmaxRowsBackwardRef, softmaxRowsRef } from '../../src/backend/cpu/rows.js';
import type { BinaryOp, UnaryOp } from '../../src/backend/backend.js';

const ATOL = 1e-6, RTOL = 1e-5;
const SPECIAL = [0, -0, NaN, Infinity, -Infinity, 1e-40, -1e-40, 1e-30, 88.7, 88.8, 89, -87.3, -88, -103, -104, -200, 1e38, 3.4e38, 0.625, -0.625, 1, -1];

function inputs(n: number, scale: number, positive = false): Float32Array {
  const x = new Float32Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    const u = s / 2 ** 32;
    x[i] = positive ? u * scale : (u * 2 - 1) * scale;
  }
  SPECIAL.forEach((v, i) => { x[3 * i + 1] = v; });
  return x;
}

function close(name: string, got: Float32Array, want: Float32Array, exact: boolean): void {
  for (let i = 0; i < want.length; i++) {
    const g = got[i], w = want[i];
    if (Number.isNaN(w)) { assert.ok(Number.isNaN(g), `${name}[${i}]: expected NaN, got ${g}`); continue; }
    if (exact) { assert.ok(Object.is(g, w), `${name}[${i}]: expected ${w}, got ${g}`); continue; }
    if (!Number.isFinite(w)) { assert.equal(g, w, `${name}[${i}]`); continue; }
    assert.ok(Math.abs(g - w) <= ATOL + RTOL * Math.abs(w), `${name}[${i}]: expected ${w}, got ${g} (diff ${g - w})`);
  }
}

const EXACT_UNARY = new Set<UnaryOp>(['neg', 'abs', 'sqrt', 'square', 'relu']);
const UNARY_OPS: UnaryOp[] = ['neg', 'abs', 'sqrt', 'square', 'relu', 'exp', 'log', 'tanh', 'sigmoid', 'erf', 'gelu', 'silu', 'geluTanh'];

test('unary kernels match the reference (1,003 and 9,001 elements, chunk edges)', () => {
  const a = wasmF32Accel();
  for (const n of [1003, 9001]) {
    for (const op of UNARY_OPS) {
      for (const scale of [3, 30]) {
        const x = inputs(n, scale, op === 'log' || op === 'sqrt');
        if (op === 'log') { x[5] = -1; x[7] = 0; x[9] = 1e-44; }
        const got = new Float32Array(n + 2).fill(7);
        assert.ok(a.unary(op, x, 0, got, 1, n));
        const want = Float32Array.from(x, UNARY[op]);
        close(`${op}(${n}, scale ${scale})`, got.subarray(1, n + 1), want, EXACT_UNARY.has(op));
        assert.equal(got[0], 7); assert.equal(got[n + 1], 7); // nothing written outside the output run
      }
    }
  }
});

test('exp, sigmoid, SiLU, tanh: the fast paths (every |x| below 87, 43.5 for tanh) are bit-identical to the general path', () => {
  // The same in-range values computed twice: in blocks that take the fast path (exp, sigmoid, SiLU: the passes
  // over blocks of 256 floats, assembly/vexp-blocks.ts; tanh: four vectors at a time), and in blocks whose
  // last lane of every 16 is out of range (+-inf or NaN), which sends every block to the general path
  // (tanh: its blocks take vtanh per vector). One block of 256 in 16 holds values just above the bound (general
  // path in both), so a wrong fast-range bound shows there; the values just below it test the bound's other side.
  const a = wasmF32Accel();
  let s = 99;
  const rnd = (): number => { s = (s * 1103515245 + 12345) >>> 0; return s / 2 ** 32; };
  const blocks = 4096, n = blocks * 16;
  for (const op of ['exp', 'sigmoid', 'silu', 'tanh'] as UnaryOp[]) {
    const lim = op === 'tanh' ? 43.5 : 87; // every |x| below it: the fast path
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const r = rnd(), sign = rnd() < 0.5 ? -1 : 1;
      x[i] = sign * (r < 0.1 ? lim - rnd() * 0.5 : r < 0.6 ? rnd() * 4 : rnd() * lim) * (1 - 2 ** -20);
    }
    // one block of 256 in 16 just out of the fast range, in 8 lanes: the general path in both computations
    for (let b = 15; b < n >> 8; b += 16) for (let j = 0; j < 8; j++) x[(b << 8) + Math.floor(rnd() * 256)] = (rnd() < 0.5 ? -1 : 1) * lim * (1 + rnd());
    for (const far of [Infinity, -Infinity, NaN]) { // above any fast-range bound, however wrong
      const slow = x.slice();
      for (let b = 0; b < blocks; b++) slow[b * 16 + 15] = far;
      const yFast = new Float32Array(n), ySlow = new Float32Array(n);
      assert.ok(a.unary(op, x, 0, yFast, 0, n));
      assert.ok(a.unary(op, slow, 0, ySlow, 0, n));
      let diff = 0;
      for (let i = 0; i < n; i++) if (i % 16 !== 15 && !Object.is(yFast[i], ySlow[i])) diff++;
      assert.equal(diff, 0, `${op}: ${diff} elements differ between the fast and the general path`);
    }
  }
});

test('binary and scalar kernels are bit-identical to the reference', () => {
  const acc = wasmF32Accel();
  const n = 5001, x = inputs(n, 50), y = inputs(n + 3, 7).subarray(3);
  for (const op of ['add', 'sub', 'mul', 'div', 'reluBackward'] as BinaryOp[]) {
    const got = new Float32Array(n);
    assert.ok(acc.binary(op, x, 0, y, 0, got, 0, n));
    close(op, got, Float32Array.from(x, (v, i) => BINARY[op](v, y[i])), true);
  }
  for (const op of ['add', 'sub', 'mul', 'div'] as BinaryOp[]) {
    for (const c of [0.1, -3, 0]) {
      const cf = Math.fround(c);
      const r = new Float32Array(n), l = new Float32Array(n);
      assert.ok(acc.binaryScalar(op, x, 0, cf, false, r, 0, n));
      assert.ok(acc.binaryScalar(op, x, 0, cf, true, l, 0, n));
      close(`${op} scalar right ${c}`, r, Float32Array.from(x, (v) => BINARY[op](v, cf)), true);
      close(`${op} scalar left ${c}`, l, Float32Array.from(x, (v) => BINARY[op](cf, v)), true);
    }
  }
  assert.equal(acc.binary('pow', x, 0, y, 0, new Float32Array(n), 0, n), false); // no kernel: the reference runs
  assert.equal(acc.binary('add', x, 0, y, 0, new Float32Array(8), 0, 8), false); // too small to pay
});

test('sum accumulates in float64', () => {
  const acc = wasmF32Accel();
  for (const n of [MIN_CHEAP, 1001, 10_007]) {
    const x = Float32Array.from(inputs(n, 10), (v) => (Number.isFinite(v) && Math.abs(v) < 1e30 ? v : 1));
    let want = 0;
    for (const v of x) want += v;
    const got = acc.sum(x, 0, n);
    assert.ok(got !== null && Math.abs(got - want) < 1e-9 * n, `sum ${n}: ${got} vs ${want}`);
  }
});

test('tensor ops use the SIMD kernels for contiguous float32 and match the TypeScript kernels', () => {
  const installed = f32Accel();
  assert.ok(f32Accelerated(), 'enableWasmKernels installs the accelerated float32 kernels');
  torch.manualSeed(0);
  const x = torch.randn([16, 512]).mul(4), y = torch.randn([16, 512]);
  const cases: [string, () => torch.Tensor][] = [
    ['sigmoid', () => x.sigmoid()], ['exp', () => x.exp()], ['tanh', () => x.tanh()], ['gelu', () => x.gelu()],
    ['add', () => x.add(y)], ['mul scalar', () => x.mul(0.5)], ['rsub scalar', () => torch.sub(1, x)], ['sum', () => x.sum(1)],
    ['strided add', () => x.t().add(y.t())], ['strided sigmoid', () => x.t().sigmoid()], ['strided relu', () => x.t().relu()], ['log', () => x.abs().log()], ['relu', () => x.relu()],
  ];
  const fast = cases.map(([, f]) => f().contiguous().dataSync() as Float32Array);
  setF32Accel(null);
  try {
    cases.forEach(([name, f], i) => {
      const want = f().contiguous().dataSync() as Float32Array;
      close(name, fast[i], want, name === 'add' || name.includes('scalar') || name.endsWith('relu'));
    });
  } finally {
    setF32Accel(installed);
  }
});

/** Float32 spacing at the float32 rounding of r (2^-149 below the normal range). */
function ulpOf(r: number): number {
  const a = Math.abs(Math.fround(r));
  if (a < 2 ** -126) return 2 ** -149;
  let ex = Math.floor(Math.log2(a));
  if (2 ** ex > a) ex--;
  else if (2 ** (ex + 1) <= a) ex++;
  return 2 ** (ex - 23);
}

test('transcendental kernels: ulp bounds against float64 over 1,000,000 values, and the special values', () => {
  const acc = wasmF32Accel();
  let s = 7;
  const rnd = (): number => { s = (s * 1103515245 + 12345) >>> 0; return s / 2 ** 32; };
  const bits = new Uint32Array(1), asF = new Float32Array(bits.buffer);
  const sig = (v: number): number => 1 / (1 + Math.exp(-v));
  // [op, reference, input, max ulp]; measured: exp 0.89, log 0.73, tanh 0.96, sigmoid 1.41, silu 1.56, erf 2.80
  // (erf above |x| = 1 is Abramowitz-Stegun 7.1.26, as PyTorch's vectorized erf)
  const cases: [UnaryOp, (v: number) => number, () => number, number][] = [
    ['exp', Math.exp, () => rnd() * 192.7 - 103.9, 1], // includes the denormal results below x = -87.3
    ['log', Math.log, () => { bits[0] = (rnd() * 0x7f800000) >>> 0; return asF[0]; }, 1], // every exponent, denormals
    ['tanh', Math.tanh, () => (rnd() * 2 - 1) * (rnd() < 0.5 ? 1 : 10), 1.5],
    ['sigmoid', sig, () => (rnd() * 2 - 1) * 87, 2],
    ['silu', (v) => v * sig(v), () => (rnd() * 2 - 1) * 87, 2],
    ['erf', UNARY.erf, () => (rnd() * 2 - 1) * 5, 3],
  ];
  const N = 1_000_000;
  const x = new Float32Array(N), y = new Float32Array(N);
  for (const [op, f, gen, bound] of cases) {
    for (let i = 0; i < N; i++) x[i] = gen();
    assert.ok(acc.unary(op, x, 0, y, 0, N));
    let worst = 0, at = 0;
    for (let i = 0; i < N; i++) {
      const r = f(x[i]);
      if (!Number.isFinite(Math.fround(r))) { assert.equal(y[i], Math.fround(r), `${op}(${x[i]})`); continue; }
      const u = Math.abs(y[i] - r) / ulpOf(r);
      if (!(u <= worst)) { worst = u; at = x[i]; }
    }
    assert.ok(worst <= bound, `${op}: ${worst.toFixed(2)} ulp at x = ${at} (bound ${bound})`);
  }
  // GELU = x/2 (1 + erf(x/sqrt 2)) as PyTorch computes it: 1 + erf cancels for x << 0, so the bound is absolute
  for (let i = 0; i < N; i++) x[i] = (rnd() * 2 - 1) * 10;
  assert.ok(acc.unary('gelu', x, 0, y, 0, N));
  for (let i = 0; i < N; i++) {
    const r = UNARY.gelu(x[i]);
    assert.ok(Math.abs(y[i] - r) <= 4e-7 + 2 * ulpOf(r), `gelu(${x[i]}): ${y[i]} vs ${r}`);
  }
  // special values: exact results
  const tiny = 1e-40, huge = 3e38;
  const special: [UnaryOp, number[], number[]][] = [
    ['exp', [0, -0, NaN, Infinity, -Infinity, tiny, -tiny, 89, 100, -104, -200, huge, -huge], [1, 1, NaN, Infinity, 0, 1, 1, Infinity, Infinity, 0, 0, Infinity, 0]],
    ['log', [0, -0, -1, NaN, Infinity, -Infinity, 1], [-Infinity, -Infinity, NaN, NaN, Infinity, NaN, 0]],
    ['tanh', [0, -0, NaN, Infinity, -Infinity, tiny, -tiny, 50, -50, huge, -huge], [0, -0, NaN, 1, -1, Math.fround(tiny), -Math.fround(tiny), 1, -1, 1, -1]],
    ['sigmoid', [0, -0, NaN, Infinity, -Infinity, 100, -100, huge, -huge], [0.5, 0.5, NaN, 1, 0, 1, 0, 1, 0]],
    ['erf', [0, -0, NaN, Infinity, -Infinity, 10, -10], [0, -0, NaN, 1, -1, 1, -1]],
  ];
  for (const [op, xs, want] of special) {
    const xin = new Float32Array(64).fill(0.5), out = new Float32Array(64);
    xin.set(xs);
    assert.ok(acc.unary(op, xin, 0, out, 0, 64));
    xs.forEach((v, i) => assert.ok(Object.is(out[i], want[i]), `${op}(${v}) = ${out[i]}, expected ${want[i]}`));
  }
  // denormal results and arguments, to the float32 spacing
  const dn = new Float32Array(64).fill(1);
  dn.set([-100, -95, -88, -87.5]);
  const dout = new Float32Array(64);
  acc.unary('exp', dn, 0, dout, 0, 64);
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(dout[i] - Math.exp(dn[i])) <= 2 ** -149, `exp(${dn[i]}) = ${dout[i]}`);
  dn.set([1e-40, 1e-44, 3e-39]);
  acc.unary('log', dn, 0, dout, 0, 64);
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(dout[i] - Math.log(dn[i])) <= ulpOf(Math.log(dn[i])), `log(${dn[i]}) = ${dout[i]}`);
});

// The kernel rounds x - max to float32 before exp, as PyTorch's vectorized softmax: a relative error of about
// |x - max| ulp on top of exp's (softmax of scores 10 below the max: about 10 ulp, 6e-7; rtol is 1e-5).
test('softmax rows kernel: within 4 + |x - max| ulp of the float64 reference rows (any row length, chunk edges, masks)', () => {
  const acc = wasmF32Accel();
  let worst = 0;
  for (const [R, D] of [[3, 8], [37, 10], [300, 64], [20, 100], [17, 512], [5, 3000]]) {
    const x = inputs(R * D + 3, 8).subarray(3).map((v) => (Number.isFinite(v) && Math.abs(v) < 1e3 ? v : 0));
    for (let j = 0; j < D; j += 3) x[D + j] = -Infinity; // a masked row (attention)
    for (const log of [false, true]) {
      const got = new Float32Array(R * D), want = new Float32Array(R * D);
      assert.ok(acc.softmaxRows(x, 0, got, R, D, log));
      softmaxRowsRef(x, 0, want, 0, R, D, log);
      for (let i = 0; i < R * D; i++) {
        const w = want[i], g = got[i];
        if (!Number.isFinite(w)) { assert.ok(Object.is(g, w), `[${i}] ${g} vs ${w}`); continue; }
        assert.ok(Math.abs(g - w) <= ATOL + RTOL * Math.abs(w), `${log ? 'log' : ''}softmax ${R}x${D} [${i}]: ${g} vs ${w}`);
        const r0 = i - (i % D);
        let m = -Infinity;
        for (let j = r0; j < r0 + D; j++) m = Math.max(m, x[j]);
        const allowed = log ? 4 : 4 + Math.abs(x[i] - m);
        if (!log || Math.abs(w) > 1e-3) worst = Math.max(worst, Math.abs(g - w) / ulpOf(w) / allowed);
      }
    }
  }
  assert.ok(worst <= 1, `worst ${worst} of the allowed ulp`);
  // backward: float64 per element as the reference (softmax: only the order of the row sum differs; log-softmax:
  // exp(y) in float32), from a softmax / log-softmax output y and a gradient g
  for (const [R, D] of [[37, 10], [300, 64], [17, 512], [5, 3000]]) {
    const x = inputs(R * D, 4).map((v) => (Number.isFinite(v) && Math.abs(v) < 1e3 ? v : 0)), g = inputs(R * D + 5, 1).subarray(5).map((v) => (Math.abs(v) <= 1 ? v : 0.5));
    for (const log of [false, true]) {
      const yv = new Float32Array(R * D);
      softmaxRowsRef(x, 0, yv, 0, R, D, log);
      const got = new Float32Array(R * D), want = new Float32Array(R * D);
      assert.ok(acc.softmaxRowsBackward(yv, g, got, R, D, log));
      softmaxRowsBackwardRef(yv, g, want, R * D, D, log);
      let bad = 0;
      for (let i = 0; i < R * D; i++) {
        const w = want[i], d = Math.abs(got[i] - w);
        if (!(d <= ATOL + RTOL * Math.abs(w))) bad++;
        // one rounding of a float64 value: within 1 ulp unless the subtraction cancels (then 1e-7 of the terms)
        if (!(d <= ulpOf(w) || d <= 2e-7 * (Math.abs(g[i]) + 1))) bad++;
      }
      assert.equal(bad, 0, `${log ? 'log' : ''}softmax backward ${R}x${D}`);
    }
  }
  // rows with NaN, +inf, or all -inf: the reference's results (NaN rows, as PyTorch)
  const D = 16, x = new Float32Array(4 * D).map((_, i) => Math.sin(i));
  x[3] = NaN; x[D + 5] = Infinity; x.fill(-Infinity, 2 * D, 3 * D);
  for (const log of [false, true]) {
    const got = new Float32Array(4 * D), want = new Float32Array(4 * D);
    assert.ok(acc.softmaxRows(x, 0, got, 4, D, log));
    softmaxRowsRef(x, 0, want, 0, 4, D, log);
    want.forEach((w, i) => assert.ok(Object.is(got[i], w), `special row [${i}]: ${got[i]} vs ${w}`));
  }
  assert.equal(acc.softmaxRows(x, 0, new Float32Array(4 * 4), 4, 4, false), false); // rows too short: the reference
});

test('F.softmax / logSoftmax on float32 (values and gradients) go through the SIMD rows and match the TypeScript rows', () => {
  const installed = f32Accel();
  torch.manualSeed(3);
  const a = torch.randn([32, 64, 64]).mul(3), b = torch.randn([16, 512]);
  const F = torch.nn.functional;
  const gy = torch.randn([32, 64, 64]);
  const grad = (log: boolean) => (): torch.Tensor => {
    const x = a.detach().requiresGrad_(true);
    (log ? F.logSoftmax(x, -1) : F.softmax(x, -1)).mul(gy).sum().backward();
    return x.grad!;
  };
  const cases = [() => F.softmax(a, -1), () => F.logSoftmax(a, -1), () => F.softmax(b, -1), () => F.logSoftmax(b, 1), grad(false), grad(true)];
  const fast = cases.map((f) => f().dataSync() as Float32Array);
  setF32Accel(null);
  try {
    cases.forEach((f, i) => close(`softmax case ${i}`, fast[i], f().dataSync() as Float32Array, false));
  } finally {
    setF32Accel(installed);
  }
});
