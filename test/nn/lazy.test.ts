/**
 * Lazy modules against PyTorch (test/fixtures/state/lazy.json, scripts/fixtures/state_lazy.py): parameters
 * materialized at the first call with PyTorch's random numbers, reprs before/after, state-dict keys before the
 * first call, the class change; loading into a lazy module; the optimizer refusal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { flat, assertValuesClose } from '../helpers/index.js';

const { nn } = torch;
interface Case { before: string; after: string; keys_before: string[]; out_shape: number[]; state: Record<string, unknown> }
const fx = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/state/lazy.json'), 'utf8')) as Record<string, Case> & { inputs: Record<string, unknown> };
const inp = (k: string) => torch.tensor(fx.inputs[k] as number[][], { dtype: 'float32' });

const cases: [string, () => torch.nn.Module, string, object][] = [
  ['LazyLinear', () => new nn.LazyLinear(3), 'x2', nn.Linear],
  ['LazyConv2d', () => new nn.LazyConv2d(4, 3, { padding: 1 }), 'x4', nn.Conv2d],
  ['LazyConv1d', () => new nn.LazyConv1d(4, 3, { stride: 2, bias: false }), 'x3', nn.Conv1d],
  ['LazyBatchNorm2d', () => new nn.LazyBatchNorm2d(), 'x4', nn.BatchNorm2d],
  ['LazyBatchNorm1d', () => new nn.LazyBatchNorm1d({ momentum: 0.5 }), 'x2', nn.BatchNorm1d],
];

for (const [name, make, x, cls] of cases) {
  test(`${name}: repr, keys before the first call, materialized values (PyTorch's random stream) and class after`, () => {
    const c = fx[name];
    torch.manualSeed(0);
    const m = make();
    assert.equal(String(m), c.before);
    assert.deepEqual([...m.stateDict().keys()], c.keys_before);
    torch.manualSeed(0);
    const y = m.call(inp(x)) as Tensor;
    assert.deepEqual(y.shape, c.out_shape);
    assert.equal(String(m), c.after);
    assert.ok(m instanceof (cls as new (...a: never[]) => object));
    for (const [k, v] of m.stateDict()) assertValuesClose(flat(v.tolist()), flat(c.state[k]), { atol: 1e-6, rtol: 1e-5 }, `${name}.${k}`);
    for (const p of m.parameters()) assert.ok(p instanceof nn.Parameter && !(p instanceof nn.UninitializedParameter) && p.requiresGrad);
  });
}

test('lazy modules allocate nothing until the first call; an optimizer before it is an error that says why', () => {
  const m = new nn.Sequential(new nn.LazyLinear(64), new nn.ReLU(), new nn.LazyLinear(10));
  assert.ok(nn.hasUninitializedParams(m));
  for (const p of m.parameters()) assert.equal(p.device, 'meta');
  assert.equal(String(m.getParameter('0.weight')), '<UninitializedParameter>');
  assert.throws(() => new torch.optim.Adam(m.parameters()), /Adam: a parameter is uninitialized \(a lazy module's.*Run one forward with a dummy batch before creating the optimizer/);
  m.call(torch.zeros([1, 20]));
  assert.ok(!nn.hasUninitializedParams(m));
  const opt = new torch.optim.Adam(m.parameters());
  assert.equal(opt.paramGroups[0].params.length, 4);
  assert.deepEqual(m.getParameter('2.weight').shape, [10, 64]);
});

test('loading a state dict into a lazy module shapes it from the checkpoint; the first call then keeps the loaded values', () => {
  torch.manualSeed(3);
  const ref = new nn.Conv2d(3, 5, 3);
  const lazy = new nn.LazyConv2d(5, 3);
  lazy.loadStateDict(ref.stateDict());
  assert.equal(lazy.inChannels, 3);
  assert.deepEqual(lazy.weight.shape, [5, 3, 3, 3]);
  const x = torch.randn([1, 3, 6, 6]);
  assert.deepEqual((lazy.call(x)).tolist(), torch.noGrad<Tensor>(() => ref.call(x)).tolist());
  assert.ok(lazy instanceof nn.Conv2d);
  assert.throws(() => new nn.LazyConv2d(4, 3, { groups: 2 }).call(torch.zeros([1, 3, 5, 5])), /in_channels \(3\) must be divisible by groups \(2\)/);
  assert.throws(() => new nn.LazyConv1d(4, 3).call(torch.zeros([5])), /Expected 2D \(unbatched\) or 3D \(batched\) input to LazyConv1d, but got input of size: \[5\]/);
});
