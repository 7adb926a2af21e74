/**
 * loadStateDict(sd, { assign: true }) against PyTorch 2.6 (test/fixtures/state/assign.json, made by
 * scripts/fixtures/state_assign.py; live when the torch 2.6 root exists): Parameters stay Parameters with their
 * requiresGrad, take the checkpoint's dtype and storage; meta models become real; refusals happen before
 * anything is written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { requireOrSkip, torch26 } from '../helpers/python.js';

const { nn } = torch;
const FIXTURE = join(import.meta.dirname, '../fixtures/state/assign.json');
const lin = () => { torch.manualSeed(0); return new nn.Sequential(new nn.Linear(2, 3), new nn.BatchNorm1d(3)); };
const W = (m: torch.nn.Module, k: string) => m.getParameter(k);

function ours(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const m = lin();
  W(m, '0.bias').requiresGrad_(false);
  const sd = new Map([...lin().stateDict()].map(([k, v]) => [k, v.isFloatingPoint() ? v.clone().double() : v.clone()] as [string, Tensor]));
  m.loadStateDict(sd, { assign: true });
  const w = W(m, '0.weight');
  out.param_is_parameter = w instanceof nn.Parameter;
  out.weight_requires_grad = w.requiresGrad;
  out.bias_requires_grad = W(m, '0.bias').requiresGrad;
  out.dtype_after = w.dtype;
  out.shares_storage = w.storage === sd.get('0.weight')!.storage;
  const mm = torch.withDevice('meta', lin);
  mm.loadStateDict(lin().stateDict(), { assign: true });
  out.meta_then_device = W(mm, '0.weight').device;
  out.meta_requires_grad = W(mm, '0.weight').requiresGrad;
  return out;
}

test('assign: the semantics PyTorch 2.6 has (fixture, or live)', (t) => {
  let ref: Record<string, unknown> | null = null;
  const py = torch26();
  if (py.skip === null) {
    const dir = py.tmpdir();
    copyFileSync(join(import.meta.dirname, '../../scripts/fixtures/state_assign.py'), join(dir, 's.py'));
    const r = py.run(join(dir, 's.py'));
    assert.equal(r.status, 0, r.stderr);
    ref = JSON.parse(r.stdout);
  } else if (existsSync(FIXTURE)) ref = JSON.parse(readFileSync(FIXTURE, 'utf8'));
  if (!ref) { requireOrSkip(t, `no fixture ${FIXTURE} and ${py.skip}`); return; }
  const mine = ours();
  for (const k of Object.keys(mine)) assert.deepEqual(mine[k], ref[k], k);
  assert.match(String(ref.int_into_param), /Only Tensors of floating point/);
  // torch.func.functional_call's wording, which func.functionalCall keeps (camelCase option names)
  assert.deepEqual(ref.func_tied_one, [[4, 4]]);
  assert.match(String(ref.func_tied_two), /functional_call got multiple values for keys \['a.weight', 'b.weight'\], which are tied/);
  class MLP extends nn.Module {
    fc1 = new nn.Linear(4, 8); fc2 = new nn.Linear(8, 3);
    forward(x: Tensor): Tensor { return this.fc2.call(torch.tanh(this.fc1.call(x))); }
  }
  assert.throws(() => torch.func.functionalCall(new MLP(), { 'fc1.weight': torch.zeros([8, 4]) }, torch.ones([1, 4]), { strict: true }),
    (e: Error) => `RuntimeError: ${e.message}` === ref.func_strict);
  assert.match(String(ref.to_from_meta), /Please use torch.nn.Module.to_empty\(\) instead of torch.nn.Module.to\(\) when moving module from meta to a different device/);
});

test('assign keeps requiresGrad, ties and identity; the int-into-trainable and copy-into-meta refusals load nothing', () => {
  class Tied extends nn.Module { a = new nn.Linear(2, 2); b = new nn.Linear(2, 2); constructor() { super(); this.b.weight = this.a.weight; } }
  const m = new Tied();
  const w = m.a.weight;
  const src = new Tied().stateDict();
  m.loadStateDict(src, { assign: true });
  assert.equal(m.b.weight, w);
  assert.ok(w.requiresGrad && w instanceof nn.Parameter);
  const before = m.a.bias!.tolist();
  const bad = new Map(src); bad.set('a.bias', torch.zeros([2], { dtype: 'int64' })); bad.set('a.weight', torch.zeros([2, 2], { dtype: 'int64' }));
  assert.throws(() => m.loadStateDict(bad, { assign: true }), /While assigning the parameter named "a.weight": the checkpoint holds int64, and only Tensors of floating point dtype can require gradients/);
  assert.deepEqual(m.a.bias!.tolist(), before, 'a refused load changed a tensor');
  const meta = torch.withDevice('meta', () => new nn.Linear(2, 2));
  assert.throws(() => meta.loadStateDict(new nn.Linear(2, 2).stateDict()), /it is on meta, where copying values in is a no-op; load with \{ assign: true \}/);
  assert.equal(meta.weight.device, 'meta');
});
