/**
 * @file nn.init beyond the bit-exact vectors: calculateGain's table and errors, fans (conv receptive field,
 * ConvTranspose quirk) and their errors, eye_/dirac_ structure, constant fills, orthogonal_ against PyTorch within
 * the documented tolerance, sparse_ column counts, statistics of every init on large tensors, no-grad behaviour
 * on parameters, and the records behind report().
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';
import { empty, manualSeed, Generator, rand } from '../../src/index.js';
import * as init from '../../src/nn/init.js';
import { Parameter } from '../../src/nn/parameter.js';
import { fromHex32, hexes, vectors } from './fixtures.js';

const E = vectors.errors;
/** The message PyTorch raises, as a regexp that must appear in ours. */
const msg = (s: string) => new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));

test('calculateGain: the table, leaky_relu slopes, exactly as torch computes them', () => {
  assert.ok(vectors.gains.length >= 18);
  for (const g of vectors.gains) {
    assert.equal(init.calculateGain(g.nonlinearity, g.param), g.gain, `${g.nonlinearity} ${g.param}`);
  }
  assert.equal(init.calculateGain('leaky_relu'), init.calculateGain('leaky_relu', null));
});

test('calculateGain errors: unknown nonlinearity, non-number slope', () => {
  assert.throws(() => init.calculateGain('softmax'), (e: Error) => e instanceof init.InitError && msg(E['softmax|None']).test(e.message));
  assert.throws(() => init.calculateGain('leaky_relu', true as unknown as number), msg(E['leaky_relu|True'].replace('True', 'true')));
  assert.throws(() => init.calculateGain('leaky_relu', '0.1' as unknown as number), msg(E["leaky_relu|'0.1'"]));
});

test('calculateFanInAndFanOut: receptive field, and the < 2-dims error', () => {
  for (const f of vectors.fans) assert.deepEqual(init.calculateFanInAndFanOut(empty(f.shape)), [f.fan_in, f.fan_out], JSON.stringify(f.shape));
  assert.deepEqual(init.calculateFanInAndFanOut(empty([8, 2, 3, 3])), [18, 72]); // Conv2d(4, 8, 3, groups=2)
  assert.deepEqual(init.calculateFanInAndFanOut(empty([4, 8, 3, 3])), [72, 36]); // ConvTranspose2d(4, 8, 3)
  assert.throws(() => init.calculateFanInAndFanOut(empty([5])), (e: Error) => e instanceof torch.ShapeError && msg(E.fan1d).test(e.message));
  assert.throws(() => init.xavierUniform_(empty([5])), msg(E.fan1d));
  assert.throws(() => init.kaimingNormal_(torch.tensor(1.5)), msg(E.fan1d));
});

test('kaiming mode: case-insensitive, unknown mode rejected; zero-element tensors are a no-op', () => {
  manualSeed(0);
  const a = init.kaimingUniform_(empty([3, 4]), { mode: 'FAN_OUT' });
  manualSeed(0);
  const b = init.kaimingUniform_(empty([3, 4]), { mode: 'fan_out' });
  assert.deepEqual(hexes(a), hexes(b));
  assert.throws(() => init.kaimingUniform_(empty([3, 4]), { mode: 'fan_avg' }), (e: Error) => e instanceof init.InitError && msg(E.mode).test(e.message));
  const warn = console.warn;
  const warned: string[] = [];
  console.warn = (m: string) => { warned.push(m); };
  try {
    const g = new Generator(1);
    const z = init.kaimingNormal_(empty([0, 4]), { generator: g });
    assert.deepEqual(z.shape, [0, 4]);
    assert.equal(g.random(), new Generator(1).random(), 'no draws');
  } finally { console.warn = warn; }
  assert.match(warned[0], /Initializing zero-element tensors is a no-op/);
});

test('eye_: identity of the (rectangular) shape, float64 too; 2-D only', () => {
  for (const e of vectors.eye) assert.deepEqual(init.eye_(empty(e.shape)).tolist(), e.value);
  assert.deepEqual(init.eye_(empty([2, 3], { dtype: 'float64' })).tolist(), [[1, 0, 0], [0, 1, 0]]);
  assert.throws(() => init.eye_(empty([2, 2, 2])), msg(E.eye3d));
});

test('dirac_: exact structure for 3/4/5-D and groups; errors', () => {
  for (const d of vectors.dirac) {
    const t = init.dirac_(torch.full(d.shape, 7), d.groups);
    assert.deepEqual(Array.from(t.dataSync()), d.value, `${JSON.stringify(d.shape)} groups ${d.groups}`);
  }
  // Conv1d with dirac_ weights copies its input: ones at [d, d, k//2].
  const w = init.dirac_(empty([3, 3, 5]));
  assert.equal(w.sum().item(), 3);
  for (let d = 0; d < 3; d++) assert.equal(w.index(d, d, 2).item(), 1);
  assert.throws(() => init.dirac_(empty([2, 2])), msg(E.dirac2d));
  assert.throws(() => init.dirac_(empty([6, 2, 3]), 4), msg(E.diracgroups));
});

test('constant_, ones_, zeros_ fill every element', () => {
  assert.deepEqual(init.constant_(empty([2, 2]), 0.25).tolist(), [[0.25, 0.25], [0.25, 0.25]]);
  assert.deepEqual(init.ones_(empty([3])).tolist(), [1, 1, 1]);
  assert.deepEqual(init.zeros_(torch.ones([2])).tolist(), [0, 0]);
});

test('orthogonal_: W Wᵀ = I, and PyTorch\'s values within 1e-6·gain (LAPACK float32 vs float64 Householder)', () => {
  for (const c of vectors.orthogonal) {
    manualSeed(c.seed);
    const t = init.orthogonal_(empty(c.shape), { gain: c.gain });
    const got = t.dataSync() as Float32Array;
    const want = fromHex32(c.value);
    let maxDiff = 0;
    for (let i = 0; i < got.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i] - want[i]));
    assert.ok(maxDiff <= 1e-6 * c.gain, `${JSON.stringify(c.shape)}: max |Δ| ${maxDiff}`);
    assert.deepEqual(hexes(rand([3])), c.after, 'the stream stays in sync with PyTorch');
    // (semi-)orthogonality in float64 of the float32 result
    const rows = c.shape[0], cols = got.length / rows;
    const w = torch.tensor(Float64Array.from(got)).reshape([rows, cols]).div(c.gain);
    const gram = rows <= cols ? w.matmul(w.t()) : w.t().matmul(w);
    const k = Math.min(rows, cols);
    const dev = gram.sub(torch.eye(k, k, { dtype: 'float64' })).abs().amax().item();
    assert.ok(dev < 1e-6, `${JSON.stringify(c.shape)}: max |W Wᵀ - I| ${dev}`);
  }
  assert.throws(() => init.orthogonal_(empty([5])), msg(E.orthogonal1d));
  const g = new Generator(3);
  assert.deepEqual(init.orthogonal_(empty([0, 3]), { generator: g }).shape, [0, 3]);
});

test('householderQ: Q R = A, diag(R) > 0 after the sign fix, orthonormal columns (float64)', () => {
  const m = 7, n = 4;
  const a = Float64Array.from({ length: m * n }, (_, i) => Math.sin(i * 1.7) + (i % 5) * 0.3);
  const q = init.householderQ(a, m, n);
  const Q = torch.tensor(q, { dtype: 'float64' }).reshape([m, n]);
  const A = torch.tensor(a, { dtype: 'float64' }).reshape([m, n]);
  const R = Q.t().matmul(A);
  assert.ok(Q.t().matmul(Q).sub(torch.eye(n, n, { dtype: 'float64' })).abs().amax().item() < 1e-14);
  assert.ok(Q.matmul(R).sub(A).abs().amax().item() < 1e-13);
  const r = R.tolist() as number[][];
  for (let i = 0; i < n; i++) {
    assert.ok(r[i][i] > 0, `R[${i},${i}] = ${r[i][i]}`);
    for (let j = 0; j < i; j++) assert.ok(Math.abs(r[i][j]) < 1e-13, 'R is upper triangular');
  }
});

test('sparse_: ceil(sparsity·rows) zeros in every column, the rest N(0, std²); 2-D only', () => {
  manualSeed(5);
  const rows = 40, cols = 300;
  for (const sparsity of [0.1, 0.25, 0.5]) {
    const t = init.sparse_(empty([rows, cols]), sparsity, { std: 0.5 });
    const v = t.dataSync();
    const zeros = Math.ceil(sparsity * rows);
    let sumSq = 0, nz = 0;
    for (let c = 0; c < cols; c++) {
      let z = 0;
      for (let r = 0; r < rows; r++) {
        const x = v[r * cols + c];
        if (x === 0) z++; else { sumSq += x * x; nz++; }
      }
      assert.equal(z, zeros, `column ${c} at sparsity ${sparsity}`);
    }
    assert.ok(Math.abs(Math.sqrt(sumSq / nz) / 0.5 - 1) < 0.02);
  }
  assert.throws(() => init.sparse_(empty([2, 2, 2]), 0.5), msg(E.sparse3d));
});

/** mean and (population) std of a tensor, in double. */
function stats(t: torch.Tensor): { mean: number; std: number; min: number; max: number } {
  const v = t.dataSync();
  let s = 0, s2 = 0, min = Infinity, max = -Infinity;
  for (const x of v as Float32Array) { s += x; min = Math.min(min, x); max = Math.max(max, x); }
  const mean = s / v.length;
  for (const x of v as Float32Array) s2 += (x - mean) ** 2;
  return { mean, std: Math.sqrt(s2 / v.length), min, max };
}

/** Mean and std of N(mean, std²) truncated to [a, b] (textbook formulas; erf from the op layer). */
function truncMoments(mean: number, std: number, a: number, b: number): [number, number] {
  const al = (a - mean) / std, be = (b - mean) / std;
  const [ea, eb] = torch.tensor([al / Math.SQRT2, be / Math.SQRT2], { dtype: 'float64' }).erf().tolist() as number[];
  const z = (eb - ea) / 2;
  const pdf = (x: number) => Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI);
  const m = (pdf(al) - pdf(be)) / z;
  return [mean + std * m, std * Math.sqrt(1 + (al * pdf(al) - be * pdf(be)) / z - m * m)];
}

test('statistics on 512×512 (conv 64×64×8×8 for fan-based) tensors: mean and std within 1% of std', () => {
  manualSeed(2024);
  const fanW = () => empty([64, 64, 8, 8]); // fan_in = fan_out = 4096
  const cases: [string, () => torch.Tensor, number, number, [number, number]?][] = [
    ['uniform_', () => init.uniform_(empty([512, 512]), -1, 3), 1, 4 / Math.sqrt(12), [-1, 3]],
    ['normal_', () => init.normal_(empty([512, 512]), -2, 0.3), -2, 0.3],
    ['truncNormal_ (±2σ)', () => init.truncNormal_(empty([512, 512])), ...truncMoments(0, 1, -2, 2), [-2, 2]],
    ['truncNormal_ (shifted)', () => init.truncNormal_(empty([512, 512]), 1, 2, -1, 4), ...truncMoments(1, 2, -1, 4), [-1, 4]],
    ['truncNormal_ float64', () => init.truncNormal_(empty([512, 512], { dtype: 'float64' }), 0, 0.02, -0.03, 0.05), ...truncMoments(0, 0.02, -0.03, 0.05), [-0.03, 0.05]],
    ['xavierUniform_', () => init.xavierUniform_(fanW(), { gain: 2 }), 0, 2 * Math.sqrt(2 / 8192), [-2 * Math.sqrt(6 / 8192), 2 * Math.sqrt(6 / 8192)]],
    ['xavierNormal_', () => init.xavierNormal_(fanW()), 0, Math.sqrt(2 / 8192)],
    ['kaimingUniform_', () => init.kaimingUniform_(fanW()), 0, Math.sqrt(2 / 4096), [-Math.sqrt(6 / 4096), Math.sqrt(6 / 4096)]],
    ['kaimingUniform_ a=√5', () => init.kaimingUniform_(fanW(), { a: Math.sqrt(5) }), 0, 1 / Math.sqrt(3 * 4096), [-1 / 64, 1 / 64]],
    ['kaimingNormal_ fan_out tanh', () => init.kaimingNormal_(empty([256, 1024]), { mode: 'fan_out', nonlinearity: 'tanh' }), 0, 5 / 3 / 16],
    ['orthogonal_', () => init.orthogonal_(empty([256, 256]), { gain: 3 }), 0, 3 / 16],
    ['sparse_', () => init.sparse_(empty([500, 500]), 0.2, { std: 0.1 }), 0, 0.1 * Math.sqrt(0.8)],
  ];
  for (const [name, make, mean, std, bounds] of cases) {
    const t = make();
    const s = stats(t);
    assert.ok(Math.abs(s.mean - mean) < 0.01 * std, `${name}: mean ${s.mean} vs ${mean}`);
    assert.ok(Math.abs(s.std / std - 1) < 0.01, `${name}: std ${s.std} vs ${std}`);
    if (bounds) assert.ok(s.min >= bounds[0] && s.max <= bounds[1], `${name}: range [${s.min}, ${s.max}] in ${bounds}`);
    const rec = init.initRecord(t)!;
    assert.ok(Math.abs(rec.targetStd / std - 1) < 1e-3, `${name}: recorded target ${rec.targetStd} vs ${std}`);
  }
});

test('on an nn.Parameter (a leaf that requires grad): in place, no graph, same object returned', () => {
  const p = new Parameter(empty([4, 5]));
  const v0 = p.version;
  const r = init.kaimingUniform_(p, { a: Math.sqrt(5) });
  assert.equal(r, p);
  assert.equal(p.requiresGrad, true);
  assert.equal(p.gradFn, null);
  assert.ok(p.version > v0);
  assert.throws(() => p.uniform_(), /leaf Variable that requires grad/, 'the raw op outside noGrad still refuses');
  for (const f of [init.xavierNormal_, init.orthogonal_, (t: torch.Tensor) => init.truncNormal_(t), (t: torch.Tensor) => init.sparse_(t, 0.5), init.eye_, init.zeros_]) {
    assert.equal(f(p), p);
    assert.equal(p.gradFn, null);
  }
});

test('initRecord: scheme, target std and fans; found through an nn.Parameter wrapping the tensor', () => {
  const t = init.kaimingNormal_(empty([16, 3, 3, 3]), { nonlinearity: 'relu' });
  const rec = init.initRecord(t)!;
  assert.equal(rec.scheme, 'kaiming_normal_');
  assert.equal(rec.fanIn, 27);
  assert.equal(rec.fanOut, 144);
  assert.equal(rec.targetStd, Math.sqrt(2) / Math.sqrt(27));
  assert.equal(init.initRecord(new Parameter(t)), rec);
  assert.equal(init.initRecord(empty([2, 2])), undefined);
  assert.equal(init.initRecord(init.uniform_(empty([3]), 0, 6))!.fanIn, null);
  assert.throws(() => init.uniform_(null as unknown as torch.Tensor), /expected a Tensor/);
});

test('truncNormal_: bounds are absolute; a mean far outside [a, b] warns once (as PyTorch warns)', () => {
  const warn = console.warn;
  const warned: string[] = [];
  console.warn = (m: string) => { warned.push(m); };
  try {
    manualSeed(0);
    const t = init.truncNormal_(empty([1000]), 5, 1, -1, 1);
    const v = t.dataSync();
    assert.ok(Array.from(v).every((x) => x >= -1 && x <= 1));
    init.truncNormal_(empty([10]), 5, 1, -1, 1);
  } finally { console.warn = warn; }
  assert.equal(warned.length, 1);
  assert.match(warned[0], /mean is more than 2 std from \[a, b\]/);
});
