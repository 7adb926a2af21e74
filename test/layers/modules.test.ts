/**
 * @file Layers against PyTorch fixtures (test/fixtures/layers/modules.json): PyTorch's state dict is loaded
 * with loadStateDict, the same inputs give the same outputs (float32, atol 1e-5 / rtol 1e-4), the same upstream
 * gradient gives the same input and parameter gradients, buffers after the forward match (BatchNorm running
 * stats, num_batches_tracked, Embedding maxNorm), and String(layer) is PyTorch's repr.
 * Every case runs on each device of test/helpers/devices.ts: on webgpu the layer is loaded on the CPU, moved
 * with m.to('webgpu'), fed inputs moved there, and read back asynchronously (float64 cases are skipped there).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import type { Module } from '../../src/nn/index.js';
import { assertValuesClose } from '../helpers/index.js';
import { fromFixture, layersFixture, type FT } from './fixtures.js';
import { build } from './build.js';
import { setFusedKernels } from '../../src/ops/fused.js';
import { f32Accel, setF32Accel } from '../../src/backend/cpu/f32.js';
import { assertRefusedOn, deviceTests, testDevices, type TestDevice } from '../helpers/devices.js';

interface Case {
  name: string; cls: string; args: unknown[]; kwargs: Record<string, unknown>; training: boolean;
  state: Record<string, FT>; inputs: FT[]; outputs: FT[]; gouts: FT[];
  inputGrads: (FT | null)[]; paramGrads: Record<string, FT>; buffersAfter: Record<string, FT>;
  repr: string; weightAfter?: FT;
}

type Fwd = (m: any, xs: Tensor[], c: Case) => unknown;

/** How each fixture case calls its layer (PyTorch's keyword arguments as options). */
function forwardOf(c: Case): Fwd {
  const f = forwardCall(c);
  // a fixture seed means torch.manual_seed(seed) right before PyTorch's forward
  return c.kwargs.seed === undefined ? f : (m, xs, cc) => { torch.manualSeed(c.kwargs.seed as number); return f(m, xs, cc); };
}

function forwardCall(c: Case): Fwd {
  if (c.cls === 'LSTM') return (m, [x, h, cc]) => (h ? m.call(x, [h, cc]) : m.call(x));
  if (c.cls === 'MultiheadAttention') {
    if (c.name.includes('masks')) return (m, [q, k, v, am, kp]) => m.call(q, k, v, { attnMask: am, keyPaddingMask: kp });
    if (c.name.includes('self')) return (m, [x, am]) => m.call(x, x, x, { attnMask: am, averageAttnWeights: false });
    return (m, [q, k, v]) => m.call(q, k, v);
  }
  if (c.cls === 'TransformerEncoderLayer') {
    if (c.name.includes('norm_first')) return (m, [x, kp]) => m.call(x, { srcKeyPaddingMask: kp });
    if (c.name.includes('dropout')) return (m, [x]) => m.call(x);
    return (m, [x, mask]) => m.call(x, { srcMask: mask });
  }
  if (c.name.includes('cumulative')) return (m, [a, b]) => [m.call(a), m.call(b)];
  return (m, xs) => m.call(...xs);
}

function flatOutputs(o: unknown, acc: Tensor[] = []): Tensor[] {
  if (o instanceof torch.Tensor) acc.push(o);
  else if (Array.isArray(o)) for (const e of o) flatOutputs(e, acc);
  else if (o && typeof o === 'object' && 'values' in o) { const r = o as { values: Tensor; indices: Tensor }; acc.push(r.values, r.indices); }
  return acc;
}

// the same tolerance on every device (webgpu, SwiftShader: every case passes it, recurrent and attention layers included)
const TOL = { atol: 1e-5, rtol: 1e-4 };

async function close(actual: Tensor, expected: FT, what: string, tol = TOL): Promise<void> {
  assert.deepEqual([...actual.shape], expected.shape, `${what}: shape`);
  if (expected.dtype === 'int64' || expected.dtype === 'bool') {
    assert.deepEqual(Array.from(await actual.data()), expected.data!.map(Number), `${what}: exact`);
    return;
  }
  assertValuesClose(await actual.data(), fromFixture(expected).dataSync(), tol, what);
}

const { cases } = layersFixture<{ cases: Case[] }>('modules.json');

const float64Case = (c: Case): boolean =>
  [...Object.values(c.state), ...c.inputs, ...c.outputs].some((t) => t.dtype === 'float64');

async function runCase(c: Case, dev: TestDevice): Promise<void> {
  const tol = TOL;
  const m: Module = build(c.cls, c.args, c.kwargs);
  assert.equal(String(m), c.repr, 'repr');
  const sd = new Map(Object.entries(c.state).map(([k, v]) => [k, fromFixture(v)]));
  assert.deepEqual([...m.stateDict().keys()], [...sd.keys()], 'state-dict keys (PyTorch order)');
  const r = m.loadStateDict(sd);
  assert.deepEqual([r.missingKeys, r.unexpectedKeys], [[], []]);
  m.train(c.training);
  m.to(dev.name);

  const xs = c.inputs.map((t) => fromFixture(t).to(dev.name));
  xs.forEach((x, i) => { if (c.inputGrads[i]) x.requiresGrad_(true); });
  const outs = flatOutputs(forwardOf(c)(m, xs, c));
  assert.equal(outs.length, c.outputs.length, 'number of outputs');
  for (const [i, o] of outs.entries()) {
    assert.equal(o.device, dev.name, `output ${i} device`);
    if (c.cls === 'Dropout') assert.deepEqual(Array.from(await o.data()), Array.from(fromFixture(c.outputs[i]).dataSync()), 'dropout output bit for bit');
    else await close(o, c.outputs[i], `output ${i}`, tol);
  }

  for (const [k, v] of Object.entries(c.buffersAfter)) await close(m.getBuffer(k), v, `buffer ${k} after forward`, tol);
  if (c.weightAfter) await close(m.getParameter('weight'), c.weightAfter, 'weight after maxNorm renorm', tol);

  const diff = outs.filter((o) => o.requiresGrad);
  assert.equal(diff.length, c.gouts.length, 'number of differentiable outputs');
  if (!diff.length) return;
  const named = m.namedParameters();
  const wrtInputs = xs.filter((_, i) => c.inputGrads[i]);
  const gs = torch.autograd.grad(diff, [...wrtInputs, ...named.map(([, p]) => p)], c.gouts.map((g) => fromFixture(g).to(dev.name)), { allowUnused: true });
  let k = 0;
  for (const [i, g] of c.inputGrads.entries()) {
    if (!g) continue;
    const got = gs[k++];
    if (!got) assert.fail(`input ${i} got no gradient`);
    await close(got, g, `grad of input ${i}`, tol);
  }
  for (const [j, [name]] of named.entries()) {
    const exp = c.paramGrads[name];
    const got = gs[wrtInputs.length + j];
    if (!exp) { assert.ok(got === null || await got.abs().max().itemAsync() === 0, `${name} should get no gradient`); continue; }
    if (!got) assert.fail(`${name} got no gradient`);
    assert.equal(got.device, dev.name, `grad of ${name} device`);
    await close(got, exp, `grad of ${name}`, tol);
  }
}

for (const dev of await testDevices()) {
  deviceTests(dev, 'layers vs PyTorch fixtures', (test) => {
    for (const c of cases) {
      if (dev.name !== 'cpu' && float64Case(c)) {
        const why = 'float64 is not supported on webgpu (WGSL has no 64-bit floats)';
        test(`${dev.prefix}nn.${c.cls}: ${c.name} is refused on ${dev.name} (${why})`, async () => {
          await assertRefusedOn(dev, why, () => runCase(c, dev));
        });
        continue;
      }
      test(`${dev.prefix}nn.${c.cls}: ${c.name}`, async () => {
        await runCase(c, dev);
      });
    }
  });
}

// The CPU cases above run nn.LSTM / nn.GRU through the fused layer and training-mode BatchNorm through the fused
// batch norm (src/ops/fused.ts); the op-by-op paths they replace (still the path of devices without the kernels)
// are checked against the same fixtures here.
for (const c of cases.filter((x) => x.cls === 'LSTM' || x.cls === 'GRU' || x.cls.startsWith('BatchNorm'))) {
  test(`nn.${c.cls}: ${c.name} (op-by-op, fused kernels off)`, async () => {
    const prev = setFusedKernels(false);
    try { await runCase(c, { name: 'cpu', prefix: '', selected: true, skip: null }); } finally { setFusedKernels(prev); }
  });
}

// The fused layer computes float32 gates through the accelerated float32 kernels (WebAssembly SIMD sigmoid/tanh)
// when they are installed, in float64 per element otherwise (src/backend/cpu/rnn.ts): both against the fixtures.
for (const c of cases.filter((x) => (x.cls === 'LSTM' || x.cls === 'GRU') && !float64Case(x))) {
  test(`nn.${c.cls}: ${c.name} (fused, without the accelerated float32 kernels)`, async () => {
    const prev = f32Accel();
    setF32Accel(null);
    try { await runCase(c, { name: 'cpu', prefix: '', selected: true, skip: null }); } finally { setF32Accel(prev); }
  });
}

test('the fixtures cover every layer family', () => {
  const classes = new Set(cases.map((c) => c.cls));
  for (const cls of ['Linear', 'Bilinear', 'Conv1d', 'Conv2d', 'ConvTranspose2d', 'MaxPool1d', 'MaxPool2d', 'AvgPool1d', 'AvgPool2d', 'AdaptiveAvgPool2d',
    'BatchNorm1d', 'BatchNorm2d', 'LayerNorm', 'GroupNorm', 'Embedding', 'Dropout', 'RNN', 'LSTM', 'GRU', 'MultiheadAttention', 'TransformerEncoderLayer',
    'ReLU', 'LeakyReLU', 'GELU', 'SiLU', 'Tanh', 'Sigmoid', 'Softmax', 'LogSoftmax', 'ELU', 'Softplus', 'Hardswish', 'Flatten', 'Unflatten', 'Identity',
    'MSELoss', 'L1Loss', 'SmoothL1Loss', 'HuberLoss', 'CrossEntropyLoss', 'NLLLoss', 'BCELoss', 'BCEWithLogitsLoss', 'KLDivLoss']) {
    assert.ok(classes.has(cls), `no fixture case for nn.${cls}`);
  }
});
