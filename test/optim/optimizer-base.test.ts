/**
 * @file Optimizer base semantics: zeroGrad (setToNone and in place), addParamGroup (defaults filled, a parameter in
 * two groups rejected with PyTorch's message), frozen parameters skipped, closures, stateDict round trip (fresh
 * optimizer continues identically), loading checks, option validation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';
import { optim } from '../../src/index.js';
import { values } from './helpers.js';

const quad = (p: torch.Tensor) => { p.grad = torch.noGrad(() => p.detach().mul(2).sub(1)); };

test('zeroGrad: setToNone (default) drops grads; {setToNone: false} zeroes them in place', () => {
  const p = torch.ones([3]).requiresGrad_(true);
  const opt = new optim.SGD([p], { lr: 0.1 });
  p.grad = torch.tensor([1, 2, 3], { dtype: 'float32' });
  opt.zeroGrad();
  assert.equal(p.grad, null);
  const g = torch.tensor([1, 2, 3], { dtype: 'float32' });
  p.grad = g;
  opt.zeroGrad({ setToNone: false });
  assert.equal(p.grad, g);
  assert.deepEqual(values(g), [0, 0, 0]);
});

test('addParamGroup fills defaults and rejects a parameter already in a group', () => {
  const a = torch.ones([2]).requiresGrad_(true), b = torch.ones([2]).requiresGrad_(true);
  const opt = new optim.Adam([a], { lr: 0.5, betas: [0.8, 0.9] });
  opt.addParamGroup({ params: [b], weightDecay: 0.1 });
  assert.equal(opt.paramGroups.length, 2);
  assert.equal(opt.paramGroups[1].lr, 0.5);
  assert.deepEqual(opt.paramGroups[1].betas, [0.8, 0.9]);
  assert.notEqual(opt.paramGroups[1].betas, opt.paramGroups[0].betas, 'defaults are copied, not shared');
  assert.equal(opt.paramGroups[1].weightDecay, 0.1);
  assert.throws(() => opt.addParamGroup({ params: [a] }), /some parameters appear in more than one parameter group/);
  assert.throws(() => new optim.SGD([a], {}), /didn't specify a value of required optimization parameter lr/);
  assert.throws(() => new optim.SGD([], { lr: 1 }), /empty parameter list/);
  assert.throws(() => new optim.SGD(a as any, { lr: 1 }), /iterable of Tensors/);
  assert.throws(() => new optim.SGD([a.mul(2)], { lr: 1 }), /non-leaf/);
  assert.throws(() => new optim.SGD([a], { lr: -1 }), /Invalid learning rate: -1/);
  assert.throws(() => new optim.SGD([a], { lr: 1, nesterov: true }), /Nesterov momentum requires a momentum and zero dampening/);
  assert.throws(() => new optim.Adam([a], { betas: [1, 0.9] }), /Invalid beta parameter at index 0/);
});

test('parameters with requiresGrad false or no gradient are skipped; parameters keep identity', () => {
  const a = torch.ones([2]).requiresGrad_(true), frozen = torch.ones([2]), none = torch.ones([2]).requiresGrad_(true);
  const opt = new optim.SGD([a, frozen, none], { lr: 0.1, momentum: 0.9 });
  frozen.grad = torch.ones([2]); // a gradient on a frozen tensor is ignored
  quad(a);
  opt.step();
  assert.deepEqual(values(a), [0.9, 0.9].map(Math.fround));
  assert.deepEqual(values(frozen), [1, 1]);
  assert.deepEqual(values(none), [1, 1]);
  assert.equal(opt.state.has(frozen), false);
  assert.equal(opt.state.has(none), false);
  assert.equal(a.isLeaf && a.requiresGrad && a.gradFn === null, true);
});

test('step(closure) runs the closure with grad enabled and returns its loss', () => {
  const w = torch.tensor([3.0], { dtype: 'float32' }).requiresGrad_(true);
  const opt = new optim.SGD([w], { lr: 0.25 });
  const loss = torch.noGrad(() => opt.step(() => {
    opt.zeroGrad();
    const l = w.mul(w).sum();
    l.backward();
    return l;
  }));
  assert.ok(loss instanceof torch.Tensor);
  assert.equal((loss).item(), 9);
  assert.deepEqual(values(w), [1.5]);
});

for (const [name, make] of [
  ['SGD', (p: torch.Tensor[]) => new optim.SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true })],
  ['Adam', (p: torch.Tensor[]) => new optim.Adam(p, { lr: 0.1, amsgrad: true })],
  ['AdamW', (p: torch.Tensor[]) => new optim.AdamW(p, { lr: 0.1 })],
  ['RMSprop', (p: torch.Tensor[]) => new optim.RMSprop(p, { lr: 0.1, momentum: 0.5, centered: true })],
  ['Adagrad', (p: torch.Tensor[]) => new optim.Adagrad(p, { lr: 0.1, lrDecay: 0.1 })],
] as const) {
  test(`${name}: stateDict round trip — a fresh optimizer loaded from it continues bit-identically`, () => {
    const a = torch.tensor([1, -2, 3], { dtype: 'float32' }).requiresGrad_(true);
    const oa = make([a]);
    for (let i = 0; i < 4; i++) { quad(a); oa.step(); }
    const sd = oa.stateDict();
    assert.deepEqual([...sd.state.keys()], [0]);
    assert.deepEqual(sd.param_groups[0].params, [0]);
    const b = a.detach().clone().requiresGrad_(true);
    const ob = make([b]);
    ob.loadStateDict(sd);
    // loading copies the state: stepping the original does not change the loaded one
    for (const [k, v] of Object.entries(ob.state.get(b)!)) if (v instanceof torch.Tensor) assert.notEqual(v, sd.state.get(0)![k]);
    for (let i = 0; i < 4; i++) { quad(a); oa.step(); quad(b); ob.step(); assert.deepEqual(values(b), values(a)); }
  });
}

test('loadStateDict checks group count and sizes; options are restored (camelCase here, snake_case in the dict)', () => {
  const a = torch.ones([2]).requiresGrad_(true), b = torch.ones([2]).requiresGrad_(true);
  const opt = new optim.Adam([a, b], { lr: 0.1, weightDecay: 0.5 });
  const sd = opt.stateDict();
  assert.equal(sd.param_groups[0].weight_decay, 0.5);
  assert.equal('weightDecay' in sd.param_groups[0], false);
  const other = new optim.Adam([{ params: [a] }, { params: [b] }], { lr: 1 });
  assert.throws(() => other.loadStateDict(sd), /different number of parameter groups/);
  const short = new optim.Adam([a], { lr: 1 });
  assert.throws(() => short.loadStateDict(sd), /doesn't match the size of optimizer's group/);
  const same = new optim.Adam([a, b], { lr: 1 });
  same.loadStateDict(sd);
  assert.equal(same.paramGroups[0].lr, 0.1);
  assert.equal(same.paramGroups[0].weightDecay, 0.5);
});

test('state tensors stay on the parameter device and PyTorch dtype rules apply on load (step kept as is)', () => {
  const a = torch.ones([2], { dtype: 'float64' }).requiresGrad_(true);
  const opt = new optim.Adam([a], { lr: 0.1 });
  opt.loadStateDict({
    state: new Map([[0, { step: torch.tensor(3, { dtype: 'float32' }), exp_avg: torch.tensor([0.5, 0.5]), exp_avg_sq: torch.tensor([1, 1], { dtype: 'float32' }) }]]),
    param_groups: [{ ...opt.stateDict().param_groups[0] }],
  });
  const st = opt.state.get(a)!;
  assert.equal((st.exp_avg as torch.Tensor).dtype, 'float64');
  assert.equal((st.step as torch.Tensor).dtype, 'float32');
  a.grad = torch.ones([2], { dtype: 'float64' });
  opt.step();
  assert.equal((st.step as torch.Tensor).item(), 4);
  assert.equal((st.exp_avg as torch.Tensor).device, a.device);
});
