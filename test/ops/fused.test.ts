/**
 * @file Fused kernels (src/ops/fused.ts) against the op-by-op path they replace: the fused LSTM / GRU layer
 * (nn.LSTM, nn.GRU on the CPU) gives the same outputs and gradients as the composed cells (float64: to 1e-12;
 * float32: within the layer fixtures' tolerance), passes a float64 gradcheck, and is off under setFusedKernels(false).
 * The PyTorch fixtures of test/layers/modules.test.ts run through both paths (the CPU cases there use the fused
 * layer; its "op-by-op cells" cases turn it off).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { canFuseRnn, rnnLayerFused, setFusedKernels, fusedKernelsEnabled } from '../../src/ops/fused.js';
import { f32Accel, setF32Accel } from '../../src/backend/cpu/f32.js';
import { assertThrowsWith, assertValuesClose, gradcheck } from '../helpers/index.js';

const { nn } = torch;

type Rec = InstanceType<typeof nn.LSTM> | InstanceType<typeof nn.GRU>;

/** Outputs and every gradient (inputs, h0/c0, parameters) of one forward + backward with a fixed upstream gradient. */
function run(m: Rec, x: Tensor, h: Tensor | null, c: Tensor | null, fused: boolean): number[][] {
  const prev = setFusedKernels(fused);
  try {
    const xs = [x, h, c].filter((t): t is Tensor => t !== null).map((t) => t.detach().requiresGrad_(true));
    const [xx, hh, cc] = xs;
    const res = m instanceof nn.LSTM
      ? (() => { const [o, [hn, cn]] = m.call(xx, hh ? [hh, cc] : null); return [o, hn, cn]; })()
      : (() => { const [o, hn] = (m).call(xx, hh ?? null); return [o, hn]; })();
    const gen = new torch.Generator().manualSeed(7);
    const loss = res.map((r) => r.mul(torch.randn([...r.shape], { dtype: r.dtype, generator: gen })).sum()).reduce((a, b) => a.add(b));
    const params = m.parameters();
    const gs = torch.autograd.grad([loss], [...xs, ...params]);
    return [...res, ...gs].map((t) => Array.from(t!.dataSync() as Float64Array | Float32Array));
  } finally { setFusedKernels(prev); }
}

const configs: [string, () => Rec, number[], boolean][] = [
  ['LSTM 2-layer bidirectional, given h0/c0', () => new nn.LSTM(3, 4, { numLayers: 2, bidirectional: true }), [5, 2, 3], true],
  ['LSTM batch_first no bias, zero state', () => new nn.LSTM(3, 5, { batchFirst: true, bias: false }), [2, 6, 3], false],
  ['LSTM unbatched', () => new nn.LSTM(2, 3), [4, 2], false],
  ['GRU 2-layer bidirectional, given h0', () => new nn.GRU(3, 4, { numLayers: 2, bidirectional: true }), [5, 2, 3], true],
  ['GRU batch_first no bias', () => new nn.GRU(3, 5, { batchFirst: true, bias: false }), [2, 6, 3], false],
];

for (const [name, make, shape, withState] of configs) {
  for (const dtype of ['float64', 'float32'] as const) {
    test(`fused ${name} (${dtype}) = op-by-op cells: outputs and every gradient`, () => {
      torch.manualSeed(3);
      const m = make().to(dtype);
      const x = torch.randn(shape, { dtype });
      const batched = shape.length === 3;
      const N = batched ? (m.batchFirst ? shape[0] : shape[1]) : 0;
      const L = m.numLayers * (m.bidirectional ? 2 : 1);
      const st = batched ? [L, N, m.hiddenSize] : [L, m.hiddenSize];
      const h = withState ? torch.randn(st, { dtype }) : null;
      const c = withState && m instanceof nn.LSTM ? torch.randn(st, { dtype }) : null;
      const a = run(m, x, h, c, true), b = run(m, x, h, c, false);
      assert.equal(a.length, b.length);
      const tol = dtype === 'float64' ? { atol: 1e-12, rtol: 1e-10 } : { atol: 1e-6, rtol: 1e-5 };
      a.forEach((v, i) => assertValuesClose(v, b[i], tol, `tensor ${i}`));
    });
  }
}

// float32 on the CPU: with the accelerated float32 kernels installed (WebAssembly SIMD) the fused layer's gates go
// through their sigmoid / tanh, otherwise float64 per element (src/backend/cpu/rnn.ts): both close to the cells.
test('fused LSTM / GRU (float32) with and without the accelerated float32 kernels = op-by-op cells', (t) => {
  const acc = f32Accel();
  if (!acc) { t.skip('no accelerated float32 kernels in this runtime'); return; }
  for (const make of [() => new nn.LSTM(5, 24, { bidirectional: true }), () => new nn.GRU(5, 24)]) {
    torch.manualSeed(5);
    const m = make();
    const x = torch.randn([6, 3, 5]);
    const fast = run(m, x, null, null, true), cells = run(m, x, null, null, false);
    setF32Accel(null);
    let plain: number[][];
    try { plain = run(m, x, null, null, true); } finally { setF32Accel(acc); }
    const tol = { atol: 1e-6, rtol: 1e-5 };
    fast.forEach((v, i) => { assertValuesClose(v, cells[i], tol, `accel: tensor ${i}`); assertValuesClose(plain[i], cells[i], tol, `float64 gates: tensor ${i}`); });
    assert.ok(fast.some((v, i) => v.some((e, j) => e !== plain[i][j])), 'the accelerated gate path ran (float32 gates differ in some ulp)');
  }
});

test('the fused layer is what nn.LSTM / nn.GRU run on the CPU, and setFusedKernels(false) turns it off', () => {
  assert.equal(fusedKernelsEnabled(), true);
  const x = torch.randn([3, 2, 4]);
  const lstm = new nn.LSTM(4, 3);
  assert.equal(canFuseRnn(x), true);
  assert.equal(String(lstm.call(x)[0].gradFn), '<SliceBackward0>'); // a view of the fused layer's output
  assert.equal(String(lstm.call(x)[0].gradFn?.inputs[0]?.gradFn), '<FusedLstmLayerBackward0>');
  const prev = setFusedKernels(false);
  try {
    assert.equal(canFuseRnn(x), false);
    assert.equal(String(lstm.call(x)[0].gradFn), '<CatBackward0>'); // stack of the per-step outputs
  } finally { setFusedKernels(prev); }
  assert.equal(canFuseRnn(torch.zeros([2, 2, 4], { dtype: 'int64' })), false);
});

test('rnnLayerFused: float64 gradcheck of the LSTM and GRU layers, both directions', () => {
  torch.manualSeed(5);
  const T = 3, N = 2, H = 2;
  for (const mode of ['LSTM', 'GRU'] as const) {
    const G = (mode === 'LSTM' ? 4 : 3) * H;
    for (const reverse of [false, true]) {
      const xw = torch.randn([T, N, G], { dtype: 'float64' }).requiresGrad_(true);
      const h0 = torch.randn([N, H], { dtype: 'float64' }).requiresGrad_(true);
      const c0 = torch.randn([N, H], { dtype: 'float64' }).requiresGrad_(true);
      const w = torch.randn([G, H], { dtype: 'float64' }).mul(0.5).detach().requiresGrad_(true);
      const b = torch.randn([G], { dtype: 'float64' }).requiresGrad_(true);
      const inputs = mode === 'LSTM' ? [xw, h0, c0, w, b] : [xw, h0, w, b];
      gradcheck((...xs) => {
        const r = mode === 'LSTM' ? rnnLayerFused('LSTM', xs[0], xs[1], xs[2], xs[3], xs[4], reverse) : rnnLayerFused('GRU', xs[0], xs[1], null, xs[2], xs[3], reverse);
        return r.c ? [r.out, r.h, r.c] : [r.out, r.h];
      }, inputs);
    }
  }
});

test('rnnLayerFused checks its arguments', () => {
  const xw = torch.randn([3, 2, 8]), h0 = torch.zeros([2, 2]), c0 = torch.zeros([2, 2]), w = torch.randn([8, 2]);
  assertThrowsWith(() => rnnLayerFused('LSTM', xw, h0, null, w, null, false), ['FusedLstmLayer', 'shapes do not fit']);
  assertThrowsWith(() => rnnLayerFused('GRU', xw, h0, null, w, null, false), ['FusedGruLayer', 'shapes do not fit']);
  assertThrowsWith(() => rnnLayerFused('LSTM', xw, h0.double(), c0, w, null, false), ['FusedLstmLayer', 'float32', 'float64']);
});

/** Value and input/weight gradients of fn with fused kernels on and off. */
function bothPaths(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): [number[][], number[][]] {
  const once = (on: boolean): number[][] => {
    const prev = setFusedKernels(on);
    try {
      const xs = inputs.map((t) => t.detach().requiresGrad_(true));
      const y = fn(...xs);
      const gen = new torch.Generator().manualSeed(11);
      const gs = torch.autograd.grad([y], xs, [torch.randn([...y.shape], { dtype: y.dtype, generator: gen })]);
      return [y, ...gs].map((t) => Array.from(t!.dataSync() as Float32Array));
    } finally { setFusedKernels(prev); }
  };
  return [once(true), once(false)];
}

for (const dtype of ['float64', 'float32'] as const) {
  const tol = dtype === 'float64' ? { atol: 1e-12, rtol: 1e-10 } : { atol: 2e-6, rtol: 1e-5 };
  test(`fused softmax / logSoftmax (${dtype}) = the composed ops, with -inf masks and a fully masked row`, () => {
    torch.manualSeed(1);
    const mask = torch.tensor([[0, -Infinity, 0, 0, -Infinity], [0, 0, 0, 0, 0], [-Infinity, -Infinity, -Infinity, -Infinity, -Infinity]], { dtype }).reshape([1, 3, 5]);
    for (const log of [false, true]) {
      const f = (x: Tensor) => (log ? torch.logSoftmax(x, -1) : torch.softmax(x, -1));
      const [a, b] = bothPaths((x) => f(x.mul(3)), [torch.randn([4, 3, 5], { dtype })]);
      a.forEach((v, i) => assertValuesClose(v, b[i], tol, `${log ? 'log' : ''}softmax tensor ${i}`));
      // masked scores (attention): rows with some -inf; a fully masked row is NaN on both paths (as in PyTorch)
      const x = torch.randn([2, 3, 5], { dtype }).add(mask);
      const on = f(x).dataSync(); const prev = setFusedKernels(false); const off = f(x).dataSync(); setFusedKernels(prev);
      assert.deepEqual(Array.from(on).map(Number.isNaN), Array.from(off).map(Number.isNaN));
      assertValuesClose(Array.from(on).filter((v) => !Number.isNaN(v)), Array.from(off).filter((v) => !Number.isNaN(v)), tol, 'masked');
    }
    // softmax over an inner dim keeps the composed path
    assert.equal(String(torch.softmax(torch.randn([3, 4]).requiresGrad_(true), 0).gradFn), '<DivBackward0>');
    assert.equal(String(torch.softmax(torch.randn([3, 4]).requiresGrad_(true), 1).gradFn), '<SoftmaxBackward0>');
  });

  test(`fused layerNorm (${dtype}) = the composed ops: with and without weight and bias, 2-D normalized shape`, () => {
    torch.manualSeed(2);
    const F = nn.functional;
    const x = torch.randn([3, 4, 6], { dtype }).mul(2).add(1), w = torch.randn([6], { dtype }), b = torch.randn([6], { dtype });
    for (const [name, fn, ins] of [
      ['weight + bias', (a: Tensor, ww: Tensor, bb: Tensor) => F.layerNorm(a, [6], { weight: ww, bias: bb, eps: 1e-5 }), [x, w, b]],
      ['no affine', (a: Tensor) => F.layerNorm(a, [6]), [x]],
      ['weight only, [4, 6]', (a: Tensor, ww: Tensor) => F.layerNorm(a, [4, 6], { weight: ww }), [x, torch.randn([4, 6], { dtype })]],
    ] as [string, (...xs: Tensor[]) => Tensor, Tensor[]][]) {
      const [p, q] = bothPaths(fn, ins);
      p.forEach((v, i) => assertValuesClose(v, q[i], tol, `${name}: tensor ${i}`));
    }
  });
}

test('fused softmax, logSoftmax and layerNorm: float64 gradchecks; the saved output is version-checked', () => {
  torch.manualSeed(4);
  const x = torch.randn([3, 5], { dtype: 'float64' }).requiresGrad_(true);
  gradcheck((a) => torch.softmax(a, -1), [x]);
  gradcheck((a) => torch.logSoftmax(a, 1), [x]);
  const w = torch.randn([5], { dtype: 'float64' }).requiresGrad_(true), b = torch.randn([5], { dtype: 'float64' }).requiresGrad_(true);
  gradcheck((a, ww, bb) => nn.functional.layerNorm(a, [5], { weight: ww, bias: bb }), [x, w, b]);
  const y = torch.softmax(x, -1);
  y.mul_(2);
  assertThrowsWith(() => y.sum().backward(), ['Softmax', 'modified by an inplace operation']);
});
