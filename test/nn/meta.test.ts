/**
 * The meta device: every op of the op table runs on meta inputs and gives the CPU's output shapes and dtypes
 * (or, for the few ops whose output depends on values, fails naming meta); modules built on meta allocate
 * nothing, run a forward for shapes, refuse to(), leave it with toEmpty; reads fail naming meta and the fix.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { outputsOf } from '../helpers/index.js';
import { samples, applyLayout, baseShape, type InputSpec } from '../ops/op-db.js';

const { nn } = torch;
const gen = new torch.Generator().manualSeed(7);

function makeBase(s: InputSpec): Tensor {
  const dtype = s.dtype ?? 'float32';
  if (s.values) return torch.tensor(s.values, { dtype }).reshape(s.shape);
  const shape = baseShape(s);
  switch (s.kind ?? 'randn') {
    case 'randn': return torch.randn(shape, { generator: gen }).to(dtype);
    case 'pos': return torch.rand(shape, { generator: gen }).mul(1.5).add(0.5).to(dtype);
    case 'unit': return torch.rand(shape, { generator: gen }).mul(1.8).sub(0.9).to(dtype);
    case 'int': return torch.randint(-4, 5, shape, { generator: gen }).to(dtype);
    case 'bool': return torch.rand(shape, { generator: gen }).lt(0.5);
  }
}

test('every op of the op table runs on meta with the CPU\'s output shapes and dtypes (value-dependent ops fail naming meta)', () => {
  let same = 0;
  const valueDependent: string[] = [];
  for (const s of samples) {
    const bases = s.inputs.map(makeBase);
    let cpu: Tensor[];
    try { cpu = outputsOf(s.ts(...bases.map((b, i) => applyLayout(b, s.inputs[i])))); } catch { continue; }
    const metaBases = bases.map((b) => b.to('meta'));
    let meta: Tensor[];
    try {
      meta = outputsOf(s.ts(...metaBases.map((b, i) => applyLayout(b, s.inputs[i]))));
    } catch (e) {
      assert.match((e as Error).message, /meta tensor; no data/, `${s.id}: ${(e as Error).message}`);
      valueDependent.push(s.op);
      continue;
    }
    assert.equal(meta.length, cpu.length, s.id);
    meta.forEach((m, i) => {
      assert.equal(m.device, 'meta', s.id);
      assert.deepEqual(m.shape, cpu[i].shape, `${s.id} output ${i} shape`);
      assert.equal(m.dtype, cpu[i].dtype, `${s.id} output ${i} dtype`);
    });
    same++;
  }
  if (process.env.META_REPORT) console.log(same, valueDependent);
  assert.ok(same > 200, `only ${same} samples ran on meta`);
  assert.ok(valueDependent.length <= 4, `value-dependent on meta: ${valueDependent.join(', ')}`);
});

test('layers built on meta hold no memory; the forward gives shapes; backward runs; reads fail naming meta', () => {
  const before = torch.memory.stats('cpu').liveBytes;
  const big = new nn.Linear(4096, 4096, { device: 'meta' });
  assert.equal(torch.memory.stats('cpu').liveBytes - before, 0);
  assert.equal(big.weight.device, 'meta');
  assert.ok(big.weight instanceof nn.Parameter && big.weight.requiresGrad);
  assert.equal(String(big.weight), "Parameter containing:\ntensor(..., device='meta', size=(4096, 4096), requires_grad=True)");
  const y = big.call(torch.randn([8, 4096], { device: 'meta' }));
  assert.deepEqual(y.shape, [8, 4096]);
  y.sum().backward();
  assert.equal(big.weight.grad!.device, 'meta');
  assert.deepEqual(big.weight.grad!.shape, [4096, 4096]);
  assert.throws(() => y.dataSync(), /Cannot copy out of meta tensor; no data!.*toEmpty/);
  assert.throws(() => y.sum().item(), /meta tensor; no data/);
  assert.throws(() => y.to('cpu'), /meta tensor; no data/);
  assert.equal(String(torch.zeros([3], { device: 'meta', dtype: 'int64' })), "tensor(..., device='meta', size=(3,), dtype=torch.int64)");
});

test('withDevice(meta) builds a model without memory and without drawing random numbers; the default is restored', () => {
  torch.manualSeed(0);
  const ref = torch.rand([3]).tolist();
  torch.manualSeed(0);
  const net = torch.withDevice('meta', () => new nn.Sequential(new nn.Conv2d(3, 8, 3, { padding: 1 }), new nn.BatchNorm2d(8), new nn.ReLU(),
    new nn.Flatten(), new nn.Dropout(0.5), new nn.Linear(8 * 16 * 16, 10)));
  assert.deepEqual(torch.rand([3]).tolist(), ref, 'building on meta consumed random numbers');
  assert.equal(torch.getDefaultDevice(), 'cpu');
  for (const [k, t] of net.stateDict()) assert.equal(t.device, 'meta', k);
  const out = net.call(torch.randn([2, 3, 16, 16], { device: 'meta' }));
  assert.deepEqual(out.shape, [2, 10]);
  assert.throws(() => torch.withDevice('metal' as never, () => 1), /unknown device "metal"/);
  assert.throws(() => torch.withDevice('meta', () => { throw new Error('boom'); }), /boom/);
  assert.equal(torch.getDefaultDevice(), 'cpu');
});

test('model.to() from meta is an error pointing to toEmpty (PyTorch 2.6 wording); toEmpty gives real storage', () => {
  const m = torch.withDevice('meta', () => new nn.Sequential(new nn.Linear(4, 3), new nn.BatchNorm1d(3)));
  const w = m.getParameter('0.weight');
  assert.throws(() => m.to('cpu'), /Cannot copy out of meta tensor; no data! Please use nn.Module.toEmpty\(\) instead of nn.Module.to\(\) when moving module from meta to a different device/);
  assert.throws(() => m.toEmpty({ devcie: 'cpu' } as never), /unknown option 'devcie' \(did you mean 'device'\?\)/);
  m.toEmpty({ device: 'cpu' });
  assert.equal(m.getParameter('0.weight'), w, 'same Parameter object');
  assert.equal(w.device, 'cpu');
  assert.ok(w.requiresGrad);
  assert.equal(m.getBuffer('1.num_batches_tracked').dtype, 'int64');
  assert.deepEqual(m.call(torch.ones([2, 4])).shape, [2, 3]);
});

test('nn.utils.summary works on a meta model: counts and bytes without allocating them', () => {
  const before = torch.memory.stats('cpu').liveBytes;
  const m = torch.withDevice('meta', () => new nn.Sequential(new nn.Linear(1024, 4096), new nn.GELU(), new nn.Linear(4096, 1024)));
  const s = nn.utils.summary(m, torch.randn([4, 1024], { device: 'meta' }));
  const text = String(s);
  assert.match(text, /8,393,728/);
  assert.ok(torch.memory.stats('cpu').liveBytes - before < 1 << 16, 'summary allocated the weights');
});
