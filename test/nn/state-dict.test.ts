/**
 * stateDict / loadStateDict: shared storage, keepVars, prefix, in-place copy with dtype cast, assign,
 * all-or-nothing on every kind of error, extra state, non-persistent buffers, round trips between models.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';
import { Counter, Lin, Net, Stats } from './module-models.js';

const { nn } = torch;
const msg = (fn: () => unknown): string => { try { fn(); } catch (e) { return (e as Error).message; } assert.fail('expected a throw'); };
const snapshot = (m: torch.nn.Module) => [...m.stateDict()].map(([k, v]) => [k, v instanceof torch.Tensor ? v.tolist() : v]);

test('stateDict: detached tensors sharing storage; keepVars returns the Parameters; prefix', () => {
  const m = new Lin(2, 2);
  const sd = m.stateDict();
  const w = sd.get('weight')!;
  assert.ok(!(w instanceof nn.Parameter));
  assert.equal(w.requiresGrad, false);
  assert.equal(w.storage, m.weight.storage);
  torch.noGrad(() => m.weight.fill_(3));
  assert.deepEqual(w.tolist(), [[3, 3], [3, 3]]);
  const kv = m.stateDict({ keepVars: true });
  assert.equal(kv.get('weight'), m.weight);
  assert.deepEqual([...m.stateDict({ prefix: 'enc.' }).keys()], ['enc.weight', 'enc.bias']);
});

test('loadStateDict copies in place with dtype cast, keeps identity/dtype, accepts a Record, 1-element into 0-dim', () => {
  const m = new Stats(2);
  const w = m.weight;
  const r = m.loadStateDict({
    weight: torch.tensor([5, 6], { dtype: 'float64' }),
    bias: torch.tensor([1, 2], { dtype: 'float32' }),
    running_mean: torch.tensor([0.5, 0.5], { dtype: 'float32' }),
    running_var: torch.tensor([2, 2], { dtype: 'float32' }),
    num_batches_tracked: torch.tensor([7], { dtype: 'int64' }),
  });
  assert.equal(String(r), '<All keys matched successfully>');
  assert.deepEqual(r.missingKeys, []); assert.deepEqual(r.unexpectedKeys, []);
  assert.equal(m.weight, w);
  assert.equal(w.dtype, 'float32');
  assert.deepEqual(w.tolist(), [5, 6]);
  assert.ok(w.isLeaf && w.requiresGrad && w.gradFn === null);
  assert.equal(m.getBuffer('num_batches_tracked').item(), 7);
  assert.deepEqual(m.getBuffer('num_batches_tracked').shape, []);
});

test('loadStateDict is all-or-nothing: a size mismatch, a missing key or a bad value changes nothing', () => {
  const net = new Net();
  const before = snapshot(net);
  const good = new Map([...net.stateDict()].map(([k, v]) => [k, v instanceof torch.Tensor ? torch.fullLike(v, 9) : v]));
  const bad1 = new Map(good); bad1.set('heads.reg.weight', torch.zeros([2, 8]));
  assert.match(msg(() => net.loadStateDict(bad1, { strict: false })), /size mismatch for heads\.reg\.weight: copying a param with shape \[2, 8\] from checkpoint, the shape in current model is \[1, 8\]\./);
  const bad2 = new Map(good); bad2.delete('encoder.2.b.running_var');
  assert.match(msg(() => net.loadStateDict(bad2)), /Missing key\(s\) in state_dict: "encoder\.2\.b\.running_var"\./);
  const bad3 = new Map(good); bad3.set('mask', [1, 2, 3] as unknown as torch.Tensor);
  assert.match(msg(() => net.loadStateDict(bad3)), /While copying the parameter named "mask", expected torch\.Tensor or Tensor-like object from checkpoint but received an Array/);
  assert.equal(net.counter.steps, 0);
  assert.deepEqual(snapshot(net), before);
  // the same dict without the faults loads everything, tie included
  net.counter.steps = 0;
  net.loadStateDict(new Map([...good].map(([k, v]) => [k, k === 'counter._extra_state' ? { steps: 4 } : v])));
  assert.deepEqual((net.getParameter('encoder.0.weight').tolist() as number[][])[0], [9, 9, 9, 9]);
  assert.equal((net.tied).weight, (net.blocks.at(0)).weight);
  assert.equal(net.counter.steps, 4);
});

test('StateDictError carries the lists; message ends with the fix', () => {
  const m = new nn.Sequential({ fc: new Lin(2, 2) });
  assert.throws(() => m.loadStateDict({ 'fc.weight': torch.zeros([2, 2]), extra: torch.zeros([1]) }), (e: Error & { missingKeys?: string[]; unexpectedKeys?: string[] }) => {
    assert.ok(e instanceof torch.StateDictError);
    assert.deepEqual(e.missingKeys, ['fc.bias']);
    assert.deepEqual(e.unexpectedKeys, ['extra']);
    assert.equal(e.message, 'Error(s) in loading state_dict for Sequential:\n\tMissing key(s) in state_dict: "fc.bias".\n\tUnexpected key(s) in state_dict: "extra".\n' +
      'Nothing was loaded. Use {strict: false} to load the matching keys and ignore missing/unexpected ones.');
    return true;
  });
  assert.equal(msg(() => m.loadStateDict(42 as unknown as Map<string, torch.Tensor>)), 'loadStateDict: Expected state_dict to be dict-like (a Map or a plain object), got number.');
  assert.equal(msg(() => m.loadStateDict(torch.ones([1]) as unknown as Map<string, torch.Tensor>)),
    'loadStateDict: Expected state_dict to be dict-like (a Map or a plain object), got Tensor (float32 [1] on cpu).');
});

test('assign: parameters adopt the checkpoint storage and dtype, keeping object identity, requiresGrad and ties', () => {
  class Tied extends nn.Module { a = new Lin(2, 2); b = new Lin(2, 2); constructor() { super(); this.b.weight = this.a.weight; } }
  const m = new Tied();
  const w = m.a.weight;
  const src = new Map([...m.stateDict()].map(([k, v]) => [k, torch.fullLike(v, 2, { dtype: 'float64' })]));
  m.loadStateDict(src, { assign: true });
  assert.equal(m.a.weight, w); assert.equal(m.b.weight, w);
  assert.equal(w.storage, src.get('b.weight')!.storage);
  assert.equal(w.dtype, 'float64');
  assert.ok(w.requiresGrad && w.isLeaf);
});

test('extra state: saved under _extra_state, restored, missing/unexpected as PyTorch', () => {
  const c = new Counter();
  c.steps = 5;
  const sd = c.stateDict();
  assert.deepEqual([...sd.keys()], ['scale', '_extra_state']);
  const d = new Counter();
  d.loadStateDict(sd);
  assert.equal(d.steps, 5);
  const r = d.loadStateDict({ scale: torch.ones([2]) }, { strict: false });
  assert.deepEqual(r.missingKeys, ['_extra_state']);
  const lin = new Lin(1, 1);
  const r2 = lin.loadStateDict({ weight: torch.ones([1, 1]), bias: torch.ones([1]), _extra_state: { a: 1 } as unknown as torch.Tensor }, { strict: false });
  assert.deepEqual(r2.unexpectedKeys, ['_extra_state']);
  assert.match(msg(() => lin.getExtraState()), /override getExtraState\(\) and setExtraState\(\) together/);
});

test('non-persistent buffers: moved, never saved, never required on load', () => {
  class M extends nn.Module { keep = new nn.Buffer(torch.ones([1])); tmp = new nn.Buffer(torch.ones([1]), { persistent: false }); }
  const m = new M();
  assert.deepEqual([...m.stateDict().keys()], ['keep']);
  assert.equal(String(m.loadStateDict({ keep: torch.zeros([1]) })), '<All keys matched successfully>');
  const r = m.loadStateDict({ keep: torch.zeros([1]), tmp: torch.zeros([1]) }, { strict: false });
  assert.deepEqual(r.unexpectedKeys, ['tmp']);
  m.double();
  assert.equal(m.getBuffer('tmp').dtype, 'float64');
});

test('round trip between two models of the same architecture', () => {
  torch.manualSeed(1);
  const a = new Net(), b = new Net();
  for (const p of a.parameters()) torch.noGrad(() => p.normal_());
  b.loadStateDict(a.stateDict());
  assert.deepEqual(snapshot(b), snapshot(a));
  const x = torch.randn([2, 4]);
  const y1 = a.encoder.call(x).tolist(), y2 = b.encoder.call(x).tolist();
  assert.deepEqual(y2, y1);
});

test('consumePrefixInStateDict works on Maps and Records, keeps order, leaves other keys', () => {
  const m = new Map([['module.a', 1], ['b', 2], ['module.c.d', 3]]);
  assert.equal(nn.utils.consumePrefixInStateDict(m, 'module.'), m);
  assert.deepEqual([...m], [['a', 1], ['b', 2], ['c.d', 3]]);
  const r = { 'module.x': 1, 'module.y': 2 };
  assert.deepEqual(Object.keys(nn.utils.consumePrefixInStateDict(r, 'module.')), ['x', 'y']);
});
