/**
 * @file nn.functional against PyTorch fixtures (scripts/fixtures/layers.py -> test/fixtures/layers/functional.json):
 * every case runs the op on the same inputs, compares the outputs, then backpropagates the same upstream
 * gradient and compares the input gradients (float32, atol 1e-5 / rtol 1e-4 unless stated).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import * as F from '../../src/nn/functional/index.js';
import { assertValuesClose } from '../helpers/index.js';
import { fromFixture, layersFixture, type FT } from '../layers/fixtures.js';

interface Case {
  name: string; op: string; kwargs: Record<string, unknown>;
  inputs: FT[]; outputs: FT[]; gouts: FT[]; grads: (FT | null)[];
}

type K = Record<string, any>;
type Op = (xs: Tensor[], k: K) => Tensor | Tensor[];

const red = (k: K) => ({ reduction: k.reduction });

const OPS: Record<string, Op> = {
  conv1d: ([x, w, b], k) => F.conv1d(x, w, b ?? null, k),
  conv2d: ([x, w, b], k) => F.conv2d(x, w, b ?? null, k),
  convTranspose1d: ([x, w, b], k) => F.convTranspose1d(x, w, b ?? null, k),
  convTranspose2d: ([x, w, b], k) => F.convTranspose2d(x, w, b ?? null, k),
  // the positional arguments are taken out of the options (an options object rejects keys it does not know)
  unfold: ([x], { kernelSize, ...k }) => F.unfold(x, kernelSize, k),
  fold: ([x], { outputSize, kernelSize, ...k }) => F.fold(x, outputSize, kernelSize, k),
  maxPool1d: ([x], { kernelSize, ...k }) => { const r = F.maxPool1d(x, kernelSize, { ...k, returnIndices: true }); return k.returnIndices ? [r.values, r.indices] : r.values; },
  maxPool2d: ([x], { kernelSize, ...k }) => { const r = F.maxPool2d(x, kernelSize, { ...k, returnIndices: true }); return k.returnIndices ? [r.values, r.indices] : r.values; },
  avgPool1d: ([x], { kernelSize, ...k }) => F.avgPool1d(x, kernelSize, k),
  avgPool2d: ([x], { kernelSize, ...k }) => F.avgPool2d(x, kernelSize, k),
  adaptiveAvgPool2d: ([x], k) => F.adaptiveAvgPool2d(x, k.outputSize),
  adaptiveAvgPool1d: ([x], k) => F.adaptiveAvgPool1d(x, k.outputSize),
  linear: ([x, w, b]) => F.linear(x, w, b ?? null),
  bilinear: ([a, b, w, bias]) => F.bilinear(a, b, w, bias),
  batchNormTrain: ([x, w, b, m, v], k) => {
    const rm = m.clone(), rv = v.clone();
    const out = F.batchNorm(x, rm, rv, { weight: w, bias: b, training: true, momentum: k.momentum, eps: k.eps });
    return [out, rm, rv];
  },
  batchNormEval: ([x, w, b, m, v]) => F.batchNorm(x, m, v, { weight: w, bias: b, training: false }),
  layerNorm: ([x, w, b], k) => F.layerNorm(x, k.normalizedShape, { weight: w, bias: b, eps: k.eps }),
  groupNorm: ([x, w, b], k) => F.groupNorm(x, k.numGroups, { weight: w, bias: b }),
  embedding: ([i, w], k) => F.embedding(i, w, k),
  embeddingMaxNorm: ([i, w], k) => { const w2 = w.clone(); return [F.embedding(i, w2, k), w2]; },
  dropout: ([x], k) => { torch.manualSeed(k.seed); return F.dropout(x, { p: k.p }); },
  dropout2d: ([x], k) => { torch.manualSeed(k.seed); return F.dropout2d(x, { p: k.p }); },
  relu: ([x]) => F.relu(x),
  leakyRelu: ([x], k) => F.leakyRelu(x, k),
  gelu: ([x], k) => F.gelu(x, k),
  silu: ([x]) => F.silu(x),
  tanh: ([x]) => F.tanh(x),
  sigmoid: ([x]) => F.sigmoid(x),
  softmax: ([x], k) => F.softmax(x, k.dim),
  logSoftmax: ([x], k) => F.logSoftmax(x, k.dim),
  elu: ([x], k) => F.elu(x, k),
  softplus: ([x], k) => F.softplus(x, k),
  hardswish: ([x]) => F.hardswish(x),
  mseLoss: ([a, b], k) => F.mseLoss(a, b, red(k)),
  l1Loss: ([a, b], k) => F.l1Loss(a, b, red(k)),
  smoothL1Loss: ([a, b], k) => F.smoothL1Loss(a, b, k),
  huberLoss: ([a, b], k) => F.huberLoss(a, b, k),
  crossEntropy: ([a, t, w], k) => F.crossEntropy(a, t, { ...k, weight: w ?? null }),
  nllLoss: ([a, t, w], k) => F.nllLoss(a, t, { ...k, weight: w ?? null }),
  binaryCrossEntropy: ([a, t, w], k) => F.binaryCrossEntropy(a, t, { ...k, weight: w ?? null }),
  binaryCrossEntropyWithLogits: ([a, t, pw, w], k) => F.binaryCrossEntropyWithLogits(a, t, { ...k, posWeight: pw ?? null, weight: w ?? null }),
  klDiv: ([a, t], k) => F.klDiv(a, t, k),
};

const { cases } = layersFixture<{ cases: Case[] }>('functional.json');

test('functional fixtures cover every op of the table', () => {
  const ops = new Set(cases.map((c) => c.op));
  for (const op of Object.keys(OPS)) assert.ok(ops.has(op), `no fixture case for ${op}`);
  assert.ok(cases.length >= 129, `expected the full case list, got ${cases.length}`);
});

for (const c of cases) {
  test(`F.${c.op}: ${c.name}`, () => {
    const fn = OPS[c.op];
    assert.ok(fn, `no torchlet op registered for fixture op ${c.op}`);
    const xs = c.inputs.map(fromFixture);
    xs.forEach((x, i) => { if (c.grads[i]) x.requiresGrad_(true); });
    const out = fn(xs, c.kwargs);
    const outs = Array.isArray(out) ? out : [out];
    assert.equal(outs.length, c.outputs.length, 'number of outputs');
    outs.forEach((o, i) => {
      const e = c.outputs[i];
      assert.deepEqual([...o.shape], e.shape, `output ${i} shape`);
      if (e.dtype === 'int64') assert.deepEqual(Array.from(o.dataSync()), e.data, `output ${i} (indices) must match exactly`);
      else if (c.op.startsWith('dropout')) assert.deepEqual(Array.from(o.dataSync()), Array.from(fromFixture(e).dataSync()), 'dropout output must match bit for bit');
      else assertValuesClose(o.dataSync(), fromFixture(e).dataSync(), { atol: 1e-5, rtol: 1e-4 }, `output ${i}`);
    });
    const diff = outs.filter((o) => o.requiresGrad);
    assert.equal(diff.length, c.gouts.length, 'number of differentiable outputs');
    if (diff.length === 0) return;
    const wrt = xs.filter((_, i) => c.grads[i]);
    const gs = torch.autograd.grad(diff, wrt, c.gouts.map(fromFixture), { allowUnused: true });
    let k = 0;
    c.grads.forEach((g, i) => {
      if (!g) return;
      const got = gs[k++];
      if (!got) assert.fail(`input ${i} got no gradient`);
      assert.deepEqual([...got.shape], g.shape, `grad ${i} shape`);
      assertValuesClose(got.dataSync(), fromFixture(g).dataSync(), { atol: 1e-5, rtol: 1e-4 }, `grad of input ${i}`);
    });
  });
}
