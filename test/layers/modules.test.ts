/**
 * @file Layers against PyTorch fixtures (test/fixtures/layers/modules.json): PyTorch's state dict is loaded
 * with loadStateDict, the same inputs give the same outputs (float32, atol 1e-5 / rtol 1e-4), the same upstream
 * gradient gives the same input and parameter gradients, buffers after the forward match (BatchNorm running
 * stats, num_batches_tracked, Embedding maxNorm), and String(layer) is PyTorch's repr.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import type { Module } from '../../src/nn/index.js';
import { assertValuesClose } from '../helpers/index.js';
import { fromFixture, layersFixture, type FT } from './fixtures.js';
import { build } from './build.js';

interface Case {
  name: string; cls: string; args: unknown[]; kwargs: Record<string, unknown>; training: boolean;
  state: Record<string, FT>; inputs: FT[]; outputs: FT[]; gouts: FT[];
  inputGrads: (FT | null)[]; paramGrads: Record<string, FT>; buffersAfter: Record<string, FT>;
  repr: string; weightAfter?: FT;
}

type Fwd = (m: any, xs: Tensor[], c: Case) => unknown; // eslint-disable-line @typescript-eslint/no-explicit-any

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

function close(actual: Tensor, expected: FT, what: string): void {
  assert.deepEqual([...actual.shape], expected.shape, `${what}: shape`);
  if (expected.dtype === 'int64' || expected.dtype === 'bool') {
    assert.deepEqual(Array.from(actual.dataSync()), expected.data!.map(Number), `${what}: exact`);
    return;
  }
  assertValuesClose(actual.dataSync() as Float32Array, fromFixture(expected).dataSync() as Float32Array, { atol: 1e-5, rtol: 1e-4 }, what);
}

const { cases } = layersFixture<{ cases: Case[] }>('modules.json');

for (const c of cases) {
  test(`nn.${c.cls}: ${c.name}`, () => {
    const m: Module = build(c.cls, c.args, c.kwargs);
    assert.equal(String(m), c.repr, 'repr');
    const sd = new Map(Object.entries(c.state).map(([k, v]) => [k, fromFixture(v)]));
    assert.deepEqual([...m.stateDict().keys()], [...sd.keys()], 'state-dict keys (PyTorch order)');
    const r = m.loadStateDict(sd);
    assert.deepEqual([r.missingKeys, r.unexpectedKeys], [[], []]);
    m.train(c.training);

    const xs = c.inputs.map(fromFixture);
    xs.forEach((x, i) => { if (c.inputGrads[i]) x.requiresGrad_(true); });
    const outs = flatOutputs(forwardOf(c)(m, xs, c));
    assert.equal(outs.length, c.outputs.length, 'number of outputs');
    outs.forEach((o, i) => {
      if (c.cls === 'Dropout') assert.deepEqual(Array.from(o.dataSync()), Array.from(fromFixture(c.outputs[i]).dataSync()), 'dropout output bit for bit');
      else close(o, c.outputs[i], `output ${i}`);
    });

    for (const [k, v] of Object.entries(c.buffersAfter)) close(m.getBuffer(k), v, `buffer ${k} after forward`);
    if (c.weightAfter) close(m.getParameter('weight'), c.weightAfter, 'weight after maxNorm renorm');

    const diff = outs.filter((o) => o.requiresGrad);
    assert.equal(diff.length, c.gouts.length, 'number of differentiable outputs');
    if (!diff.length) return;
    const named = m.namedParameters();
    const wrtInputs = xs.filter((_, i) => c.inputGrads[i]);
    const gs = torch.autograd.grad(diff, [...wrtInputs, ...named.map(([, p]) => p)], c.gouts.map(fromFixture), { allowUnused: true });
    let k = 0;
    c.inputGrads.forEach((g, i) => {
      if (!g) return;
      const got = gs[k++];
      if (!got) assert.fail(`input ${i} got no gradient`);
      close(got, g, `grad of input ${i}`);
    });
    named.forEach(([name], j) => {
      const exp = c.paramGrads[name];
      const got = gs[wrtInputs.length + j];
      if (!exp) { assert.ok(got === null || got.abs().max().item() === 0, `${name} should get no gradient`); return; }
      if (!got) assert.fail(`${name} got no gradient`);
      close(got, exp, `grad of ${name}`);
    });
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
