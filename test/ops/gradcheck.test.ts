/**
 * @file Gradient check of every differentiable sample of the op table in float64: autograd's gradients of the
 * base inputs vs central finite differences (eps 1e-6, atol 1e-5, rtol 1e-3), through the same non-contiguous
 * layouts (transposed, strided, expanded) as the PyTorch comparison.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../helpers/torch.js';
import type { Tensor } from '../helpers/torch.js';
import { gradcheck } from '../helpers/index.js';
import { samples, applyLayout, baseShape, type InputSpec } from './op-db.js';
import { OPS } from '../../src/ops/registry.js';

/** Each sample draws its inputs from its own seed (a hash of its id), so adding or moving rows changes no other row's inputs. */
let gen = new torch.Generator().manualSeed(20240611);
function seedFor(id: string): void {
  let h = 20240611;
  for (let i = 0; i < id.length; i++) h = (Math.imul(h, 31) + id.charCodeAt(i)) >>> 0;
  gen = new torch.Generator().manualSeed(h);
}

function makeBase(s: InputSpec): Tensor {
  const float = (s.dtype ?? 'float32') === 'float32' || s.dtype === 'float64';
  const dtype = float ? 'float64' : s.dtype!;
  if (s.values) return torch.tensor(s.values, { dtype }).reshape(s.shape);
  const shape = baseShape(s);
  switch (s.kind ?? 'randn') {
    case 'randn': return torch.randn(shape, { dtype: 'float64', generator: gen });
    case 'pos': return torch.rand(shape, { dtype: 'float64', generator: gen }).mul(1.5).add(0.5);
    case 'unit': return torch.rand(shape, { dtype: 'float64', generator: gen }).mul(1.8).sub(0.9);
    case 'int': return torch.randint(-4, 5, shape, { generator: gen }).to(dtype);
    case 'bool': return torch.rand(shape, { generator: gen }).lt(0.5);
  }
}

let checked = 0;
let worst = 0;
for (const s of samples) {
  const diff = (s.grad ?? true) && (s.gradcheck ?? true);
  const hasFloat = s.inputs.some((i) => (i.dtype ?? 'float32').startsWith('float'));
  if (!diff || !hasFloat) continue;
  // outputs that do not require grad (argmax, comparisons on floats) have nothing to check
  seedFor(s.id);
  const probe = s.inputs.map((i) => { const b = makeBase(i); if (b.dtype === 'float64') b.requiresGrad_(true); return b; });
  const outs = s.ts(...probe.map((b, i) => applyLayout(b, s.inputs[i])));
  const anyDiff = (outs instanceof torch.Tensor ? [outs] : Array.isArray(outs) ? outs : [outs.values, outs.indices]).some((o) => o.requiresGrad);
  if (!anyDiff) continue;
  checked++;
  test(`gradcheck ${s.id}`, () => {
    seedFor(s.id);
    const bases = s.inputs.map((i) => { const b = makeBase(i); if (b.dtype === 'float64') b.requiresGrad_(true); return b; });
    const { maxErr } = gradcheck((...bs) => s.ts(...bs.map((b, i) => applyLayout(b, s.inputs[i]))), bases);
    worst = Math.max(worst, maxErr);
  });
}

test('the gradient check covers the differentiable ops of issue 2', () => {
  const ops = new Set(samples.filter((s) => (s.grad ?? true) && (s.gradcheck ?? true)).map((s) => s.op));
  for (const op of ['add', 'sub', 'mul', 'div', 'pow', 'neg', 'abs', 'sqrt', 'rsqrt', 'exp', 'log', 'log1p', 'sin', 'cos', 'tanh', 'sigmoid',
    'relu', 'gelu', 'geluTanh', 'silu', 'erf', 'erfinv', 'clamp', 'maximum', 'minimum', 'sign', 'floor', 'round', 'where', 'maskedFill',
    'sum', 'mean', 'prod', 'max', 'min', 'amax', 'amin', 'var', 'std', 'logsumexp', 'norm', 'softmax', 'logSoftmax', 'matmul', 'bmm',
    'cat', 'stack', 'split', 'chunk', 'gather', 'scatter', 'scatterAdd', 'indexSelect', 'tril', 'triu', 'cumsum', 'sort', 'topk',
    'view', 'reshape', 'transpose', 'permute', 't', 'squeeze', 'unsqueeze', 'expand', 'narrow', 'select', 'slice', 'flatten', 'unflatten',
    'contiguous', 'clone']) {
    assert.ok(ops.has(op), `no gradient-checked sample for ${op}`);
  }
  // every registered differentiable op with a float sample (src/ops/registry.ts) is checked too
  for (const op of OPS) {
    if (op.nonDifferentiable !== null || !op.samples.some((s) => s.inputs.some((i) => (i.dtype ?? 'float32').startsWith('float')))) continue;
    assert.ok(ops.has(op.name), `no gradient-checked sample for the registered op ${op.name}`);
  }
  assert.ok(checked > 150, `only ${checked} samples gradchecked`);
});

test('report the largest gradcheck error', () => {
  if (process.env.OPS_REPORT) console.log(`gradcheck: ${checked} samples, max |analytic - numeric|/(1+|numeric|) = ${worst.toExponential(2)}`);
});
