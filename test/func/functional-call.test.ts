/**
 * torch.func.functionalCall: substitutes used for the call only, gradients to the substitutes (per-example
 * gradients, a two-model ensemble), ties, strict, and the module untouched afterwards (also on error).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';

const { nn } = torch;
const close = (a: Tensor, b: Tensor, tol = 1e-6) => {
  const x = a.dataSync(), y = b.dataSync();
  assert.deepEqual(a.shape, b.shape);
  for (let i = 0; i < x.length; i++) assert.ok(Math.abs(x[i] - y[i]) <= tol * (1 + Math.abs(y[i])), `${x[i]} vs ${y[i]} at ${i}`);
};
class MLP extends nn.Module {
  fc1 = new nn.Linear(4, 8); fc2 = new nn.Linear(8, 3);
  forward(x: Tensor): Tensor { return this.fc2.call(torch.tanh(this.fc1.call(x))); }
}

test('per-example gradients: functionalCall with substitute leaves gives each example\'s gradient; the module is untouched', () => {
  torch.manualSeed(0);
  const model = new MLP();
  const x = torch.randn([5, 4]);
  const y = torch.tensor([0, 2, 1, 1, 0], { dtype: 'int64' });
  const before = new Map([...model.stateDict()].map(([k, v]) => [k, v.clone()]));
  const names = [...model.namedParameters()].map(([k]) => k);
  for (let i = 0; i < 5; i++) {
    const params = new Map([...model.namedParameters()].map(([k, p]) => [k, p.detach().clone().requiresGrad_()]));
    const out = torch.func.functionalCall(model, params, [x.slice(0, i, i + 1)]) as Tensor;
    const loss = nn.functional.crossEntropy(out, y.slice(0, i, i + 1));
    const grads = torch.autograd.grad(loss, names.map((k) => params.get(k)!));
    // reference: an ordinary backward on a copy of the model with example i alone
    const ref = new MLP(); ref.loadStateDict(model.stateDict());
    nn.functional.crossEntropy(ref.call(x.slice(0, i, i + 1)), y.slice(0, i, i + 1)).backward();
    names.forEach((k, j) => close(grads[j]!, ref.getParameter(k).grad!));
  }
  for (const p of model.parameters()) assert.equal(p.grad, null, 'the module\'s own parameters got a gradient');
  for (const [k, v] of model.stateDict()) assert.deepEqual(v.tolist(), before.get(k)!.tolist(), k);
});

test('a two-model ensemble evaluated with one module: outputs match each model, gradients reach both weight sets', () => {
  torch.manualSeed(1);
  const a = new MLP(), b = new MLP();
  const base = new MLP();
  const x = torch.randn([3, 4]);
  const sets = [a, b].map((m) => new Map([...m.namedParameters()].map(([k, p]) => [k, p.detach().clone().requiresGrad_()])));
  const outs = sets.map((s) => torch.func.functionalCall(base, s, x) as Tensor);
  close(outs[0], torch.noGrad(() => a.call(x)));
  close(outs[1], torch.noGrad(() => b.call(x)));
  torch.stack(outs).mean(0).sum().backward();
  for (const s of sets) for (const [k, t] of s) assert.ok(t.grad, `no gradient for ${k}`);
  for (const p of base.parameters()) assert.equal(p.grad, null);
});

test('partial substitution, buffers, kwargs-free single argument, several dicts', () => {
  torch.manualSeed(2);
  const bn = new nn.BatchNorm1d(3).eval();
  const mean = torch.tensor([1, 2, 3], { dtype: 'float32' });
  const out = torch.func.functionalCall(bn, [{ running_mean: mean }, new Map([['running_var', torch.full([3], 4)]])], torch.tensor([[1, 2, 3]], { dtype: 'float32' })) as Tensor;
  close(out, torch.zeros([1, 3]), 1e-5);
  assert.deepEqual(bn.running_mean!.tolist(), [0, 0, 0]);
  assert.throws(() => torch.func.functionalCall(bn, [{ running_mean: mean }, { running_mean: mean }], torch.ones([1, 3])),
    /'running_mean' appeared in multiple dictionaries/);
});

test('tied weights: one substitute serves every name (tieWeights), two different ones are an error; strict lists keys', () => {
  class Tied extends nn.Module {
    a = new nn.Linear(2, 2, { bias: false }); b = new nn.Linear(2, 2, { bias: false });
    constructor() { super(); this.b.weight = this.a.weight; }
    forward(x: Tensor): Tensor { return this.b.call(this.a.call(x)); }
  }
  const m = new Tied();
  const w = torch.eye(2).mul(2);
  const x = torch.tensor([[1, 1]], { dtype: 'float32' });
  assert.deepEqual((torch.func.functionalCall(m, { 'a.weight': w }, x) as Tensor).tolist(), [[4, 4]]);
  const noTie = torch.noGrad(() => m.b.call(x.mul(2)));
  close(torch.func.functionalCall(m, { 'a.weight': w }, x, { tieWeights: false }) as Tensor, noTie);
  assert.throws(() => torch.func.functionalCall(m, { 'a.weight': w, 'b.weight': w.clone() }, x),
    /functional_call got multiple values for keys \['a.weight', 'b.weight'\], which are tied. Consider using tieWeights: false/);
  assert.throws(() => torch.func.functionalCall(new MLP(), { 'fc1.weight': torch.zeros([8, 4]) }, torch.ones([1, 4]), { strict: true }),
    /Error\(s\) in reparametrizing for MLP:\n\tMissing key\(s\): 'fc1.bias', 'fc2.bias', 'fc2.weight'\./);
  assert.throws(() => torch.func.functionalCall(new MLP(), { 'fc1.wieght': torch.zeros([8, 4]) }, torch.ones([1, 4])), /'fc1.wieght' \(did you mean 'fc1.weight'\?\) is neither a parameter nor a buffer of MLP/);
  assert.throws(() => torch.func.functionalCall(new MLP(), {}, torch.ones([1, 4]), { stric: true } as never), /unknown option 'stric' \(did you mean 'strict'\?\)/);
});

test('the originals are restored when forward throws', () => {
  const m = new MLP();
  const w = m.fc1.weight;
  assert.throws(() => torch.func.functionalCall(m, { 'fc1.weight': torch.zeros([8, 5]) }, torch.ones([1, 4])));
  assert.equal(m.fc1.weight, w);
});
