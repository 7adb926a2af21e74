/**
 * The WebAssembly SIMD elementwise kernels (assembly/elementwise.ts through src/backend/wasm/elementwise.ts)
 * against the TypeScript reference kernels: arithmetic bit-identical, transcendental functions within the op
 * table's float32 tolerance (atol 1e-6, rtol 1e-5), special values (NaN, +-inf, +-0, denormals) as the reference.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';
import { WasmEngine, variantSupported, wasmEngine } from '../../src/backend/wasm/index.js';
import { wasmF32Accel, MIN_CHEAP } from '../../src/backend/wasm/elementwise.js';
import { BINARY, UNARY } from '../../src/backend/cpu/elementwise.js';
import { f32Accelerated, setF32Accel } from '../../src/backend/cpu/f32.js';
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

const variants = (['simd', 'relaxed'] as const).filter((v) => variantSupported(v));
const EXACT_UNARY = new Set<UnaryOp>(['neg', 'abs', 'sqrt', 'square', 'relu']);
const UNARY_OPS: UnaryOp[] = ['neg', 'abs', 'sqrt', 'square', 'relu', 'exp', 'log', 'tanh', 'sigmoid', 'erf', 'gelu', 'silu', 'geluTanh'];

for (const variant of variants) {
  test(`${variant}: unary kernels match the reference (1,003 and 9,001 elements, chunk edges)`, () => {
    const e = new WasmEngine({ variant, threads: 1 });
    const a = wasmF32Accel(e);
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
    e.dispose();
  });

  test(`${variant}: binary and scalar kernels are bit-identical to the reference`, () => {
    const e = new WasmEngine({ variant, threads: 1 });
    const acc = wasmF32Accel(e);
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
    e.dispose();
  });

  test(`${variant}: sum accumulates in float64`, () => {
    const e = new WasmEngine({ variant, threads: 1 });
    const acc = wasmF32Accel(e);
    for (const n of [MIN_CHEAP, 1001, 10_007]) {
      const x = Float32Array.from(inputs(n, 10), (v) => (Number.isFinite(v) && Math.abs(v) < 1e30 ? v : 1));
      let want = 0;
      for (const v of x) want += v;
      const got = acc.sum(x, 0, n);
      assert.ok(got !== null && Math.abs(got - want) < 1e-9 * n, `sum ${n}: ${got} vs ${want}`);
    }
    e.dispose();
  });
}

test('tensor ops use the SIMD kernels for contiguous float32 and match the TypeScript kernels', () => {
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
    const e = wasmEngine();
    assert.ok(e);
    setF32Accel(wasmF32Accel(e));
  }
});
