/**
 * The WebAssembly SIMD optimizer updates (assembly/optim.ts through backend/wasm/optim.ts) against the TypeScript
 * kernels of backend/cpu/optim.ts (the reference, run with the accel removed): equal float32 bits for Adam/AdamW
 * (weight decay, decoupled decay, maximize), SGD and SGD with momentum (with and without dampening), over random
 * values and edge cases (zeros, denormals, huge and tiny gradients, eps-sized moments, NaN, infinities), step 1 and
 * a large step count, lengths that are not a multiple of 4, offsets, and runs longer than one staged chunk; plus
 * the kernels' fused multiply-add against fma32 (through SGD's p = fma(g, -lr, p)) on inputs built to hit float64
 * sums that lie on a float32 halfway point (the double-rounding case fma32 corrects) and float32's overflow midpoint.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/index.js';
import { wasmOptim, CHUNK, MIN_ADAM } from '../../src/backend/wasm/optim.js';
import { adamStep, sgdStep, sgdMomentumStep, optimAccel, setOptimAccel, type OptimAccel } from '../../src/backend/cpu/optim.js';
import { CpuStorage } from '../../src/backend/cpu/storage.js';
import { fma32 } from '../../src/backend/cpu/fma.js';
import type { AdamStepArgs, View } from '../../src/backend/backend.js';

const acc = wasmOptim({ adam: 1, sgd: 1 });

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s / 2 ** 32; };
}

const EDGE = [0, -0, 1e-45, -1e-45, 1e-40, -3e-39, 1.1754944e-38, 1e-30, 1e-20, 1e-8, 1e-4, 1, -1, 1e10, 1e20, -1e30,
  3.4e38, -3.4e38, NaN, Infinity, -Infinity];

/** n values: random over several magnitudes, with the edge values spread through (kind picks the ranges). */
function values(n: number, r: () => number, kind: 'param' | 'grad' | 'avg' | 'sq'): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const mag = 10 ** (Math.floor(r() * 12) - 8);
    const v = (r() * 2 - 1) * mag;
    x[i] = kind === 'sq' ? Math.abs(v) * mag : v;
  }
  for (let i = 0; i < EDGE.length; i++) {
    const j = Math.floor(r() * n);
    const e = EDGE[(i + (kind === 'grad' ? 0 : kind === 'param' ? 5 : 11)) % EDGE.length];
    x[j] = kind === 'sq' ? Math.abs(e) : e;
  }
  return x;
}

function view(data: Float32Array, offset: number, n: number): View {
  return { storage: new CpuStorage('float32', data), dtype: 'float32', shape: [n], strides: [1], offset };
}

/** Runs f with the given accel installed (null: the TypeScript loops), restoring the installed one. */
function withAccel<T>(a: OptimAccel | null, f: () => T): T {
  const prev = setOptimAccel(a);
  try { return f(); } finally { setOptimAccel(prev); }
}

function sameBits(got: Float32Array, want: Float32Array, what: string): void {
  const gi = new Uint32Array(got.buffer, got.byteOffset, got.length), wi = new Uint32Array(want.buffer, want.byteOffset, want.length);
  for (let i = 0; i < want.length; i++) {
    if (Number.isNaN(want[i]) && Number.isNaN(got[i])) continue; // NaN payloads are not specified in either
    if (gi[i] !== wi[i]) assert.fail(`${what}[${i}]: expected ${want[i]}, got ${got[i]}`);
  }
}

/** Runs `update` on copies of `arrays` with the TypeScript loops and with the wasm kernel; compares every array. */
function compare(what: string, arrays: Float32Array[], update: (a: Float32Array[]) => void): void {
  const ref = arrays.map((a) => a.slice()), got = arrays.map((a) => a.slice());
  withAccel(null, () => update(ref));
  let calls = 0;
  const counting: OptimAccel = {
    ...acc!,
    adam: (...a) => { calls++; return acc!.adam(...a); },
    sgd: (...a) => { calls++; return acc!.sgd(...a); },
  };
  withAccel(counting, () => update(got));
  assert.equal(calls, 1, `${what}: the wasm kernel ran`);
  ref.forEach((r, j) => sameBits(got[j], r, `${what} array ${j}`));
}

const LENGTHS = [1, 3, 4, 5, 63, 130, CHUNK - 1, CHUNK + 5, 2 * CHUNK + 3];

test('the module was built and enableWasmKernels installs it', () => {
  assert.ok(acc, 'src/backend/wasm/generated/kernels.ts has the optim module (npm run build:wasm)');
  assert.ok(optimAccel(), 'the float32 optimizer kernels are installed');
});

test('fused multiply-add: equal bits to fma32 on random bits, float32 halfway sums and the overflow midpoint', () => {
  const r = rng(7), n = 60000, third = n / 3;
  const X = new Float32Array(n), Y = new Float32Array(n), Z = new Float32Array(n);
  const bits = [X, Y, Z].map((a) => new Uint32Array(a.buffer));
  for (let i = 0; i < third; i++) {
    bits[0][i] = (r() * 2 ** 32) >>> 0; bits[2][i] = (r() * 2 ** 32) >>> 0;
    Y[i] = new Float32Array(new Uint32Array([(r() * 2 ** 32) >>> 0]).buffer)[0];
    if (i % 64 !== 0) Y[i] = Y[i - (i % 64)]; // 1 in 64 new: SGD takes one factor (-lr) per call
  }
  for (let i = third; i < n; i++) {
    // x * y = 2^-24 (1 - k^2 2^-46) (times 1 or 2): within 2^-53 of half an ulp of z, so x * y + z rounds in
    // float64 onto a float32 halfway point and only its rounding error tells the side
    const k = 1 + Math.floor(r() * 300), e = Math.floor(r() * 60) - 30 + (i % 7 === 0 ? -100 : 0) + (i % 11 === 0 ? 95 : 0);
    X[i] = (r() < 0.5 ? -1 : 1) * (1 + k * 2 ** -23) * 2 ** e;
    Y[i] = (r() < 0.5 ? -1 : 1) * 2 ** -24 * (1 - k * 2 ** -23) * (r() < 0.5 ? 1 : 2);
    Z[i] = (r() < 0.5 ? -1 : 1) * Math.fround(1 + r()) * 2 ** e;
  }
  // float32's overflow midpoint 2^128 - 2^103 = 18631 * 1801 * 2^103, with a tiny z below it: fma32 rounds it to
  // infinity (it takes an infinite float32 rounding as final), and so does the kernel
  X.set([18631 * 2 ** 90, -18631 * 2 ** 90, 3.4028234663852886e38, 0, -0, 1e-45], third);
  Y.set([1801 * 2 ** 13, 1801 * 2 ** 13, 1, -0, 5, 1.5], third);
  Z.set([-(2 ** 60), 2 ** 60, 2 ** 103, -0, -0, -0], third);
  // one SGD call per distinct factor y: p = fma(g, -lr, p) with g = x, lr = -y, p = z
  const groups = new Map<number | string, number[]>();
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(Y[i])) continue;
    const key = Object.is(Y[i], -0) ? '-0' : Y[i]; // keep +0 and -0 apart
    let g = groups.get(key);
    if (!g) groups.set(key, g = []);
    g.push(i);
  }
  let halfway = 0, checked = 0;
  for (const idx of groups.values()) {
    const y = Y[idx[0]];
    const G = Float32Array.from(idx, (i) => X[i]), P = Float32Array.from(idx, (i) => Z[i]);
    assert.ok(acc!.sgd(P, 0, G, 0, null, 0, idx.length, -y, 0, 0));
    const want = Float32Array.from(idx, (i) => fma32(X[i], y, Z[i]));
    idx.forEach((i, j) => { if (Math.fround(X[i] * y + Z[i]) !== want[j]) halfway++; });
    sameBits(P, want, `fma(x, ${y}, z)`);
    if (idx[0] === third) assert.equal(P[0], Infinity);
    checked += idx.length;
  }
  assert.ok(checked > n - 1000, `${checked} of ${n} checked`);
  assert.ok(halfway > 3000, `the inputs hit the double-rounding case (${halfway} times)`);
});

const ADAM_OPTIONS: [string, Partial<AdamStepArgs>][] = [
  ['Adam', {}],
  ['Adam weight decay (L2)', { weightDecay: 0.01 }],
  ['AdamW', { decoupled: true, weightDecay: 0.01 }],
  ['AdamW maximize', { decoupled: true, weightDecay: 0.05, maximize: true }],
  ['Adam maximize, L2, other betas and eps', { weightDecay: 0.1, maximize: true, beta1: 0.8, beta2: 0.95, eps: 1e-6 }],
  ['AdamW without decay', { decoupled: true }],
];

for (const [name, opts] of ADAM_OPTIONS) {
  test(`${name}: the wasm kernel gives the TypeScript kernel's bits (steps 1 and 10,000, odd lengths, offsets)`, () => {
    const r = rng(name.length * 31 + 5);
    for (const step of [1, 2, 10000]) {
      for (const n of LENGTHS) {
        const beta1 = opts.beta1 ?? 0.9, beta2 = opts.beta2 ?? 0.999, lr = 1e-3;
        const a: AdamStepArgs = {
          lr, beta1, beta2, eps: 1e-8, weightDecay: 0, decoupled: false, maximize: false, ...opts,
          stepSize: lr / (1 - beta1 ** step), bc2Sqrt: Math.sqrt(1 - beta2 ** step),
        };
        const off = n % 3; // views that start inside their storage, with elements after them
        const arrays = (['param', 'grad', 'avg', 'sq'] as const).map((kind) => values(n + 2 * off + 1, r, kind));
        if (step === 1) { arrays[2].fill(0, off, off + n); arrays[3].fill(0, off, off + n); } // as Adam's first step
        compare(`${name} step ${step} n ${n}`, arrays, ([P, G, M, V]) => {
          adamStep(view(P, off, n), view(G, off, n), view(M, off, n), view(V, off, n), a);
        });
      }
    }
  });
}

for (const [name, momentum, dampening] of [['SGD', 0, 0], ['SGD momentum', 0.9, 0], ['SGD momentum, dampening', 0.9, 0.1]] as const) {
  test(`${name}: the wasm kernel gives the TypeScript kernel's bits (odd lengths, offsets, edge values)`, () => {
    const r = rng(name.length * 17 + 3);
    for (const n of LENGTHS) {
      const off = (n + 1) % 4;
      const arrays = (['param', 'grad', 'avg'] as const).map((kind) => values(n + 2 * off + 3, r, kind));
      compare(`${name} n ${n}`, arrays, ([P, G, B]) => {
        if (momentum === 0) sgdStep(view(P, off, n), view(G, off, n), 0.05);
        else sgdMomentumStep(view(P, off, n), view(G, off, n), view(B, off, n), 0.05, momentum, dampening);
      });
    }
  });
}

test('short runs stay on the TypeScript loop (below MIN_ADAM the call costs more than it saves)', () => {
  const def = wasmOptim()!;
  const z = new Float32Array(MIN_ADAM - 1);
  const a: AdamStepArgs = { lr: 1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, maximize: false, stepSize: 1, bc2Sqrt: 1 };
  assert.equal(def.adam(z, 0, z, 0, z, 0, z, 0, z.length, a), false);
  assert.equal(def.adam(new Float32Array(MIN_ADAM), 0, new Float32Array(MIN_ADAM), 0, new Float32Array(MIN_ADAM), 0, new Float32Array(MIN_ADAM), 0, MIN_ADAM, a), true);
});
