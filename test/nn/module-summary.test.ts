/**
 * nn.utils.summary and graphMemory: counts and bytes of parameters, buffers and gradients, per-module output
 * shapes, and the bytes the autograd graph keeps alive (deterministic: unique storages referenced by nodes).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';
import { Lin, Stats } from './module-models.js';

const { nn } = torch;

test('graphMemory: unique storages saved for backward or held by nodes; parameters apart', () => {
  const x = torch.tensor([1, 2, 3], { dtype: 'float32' });
  const w = new nn.Parameter(torch.ones([3]));
  const y = x.mul(w);  // Mul saves x (w's gradient needs it); holds w
  const z = y.exp();   // Exp saves its result; holds y
  assert.deepEqual(nn.utils.graphMemory(z), { nodes: 2, storages: 3, bytes: 36, leafBytes: 12 });
  // a view shares its storage: counted once
  const v = z.view([3, 1]).mul(x.view([3, 1]));
  const g = nn.utils.graphMemory(v);
  assert.equal(g.bytes, 36);
  assert.equal(g.nodes, 4); // Mul, View, Exp, Mul (x.view records nothing: x needs no grad)
  assert.deepEqual(nn.utils.graphMemory(torch.noGrad(() => x.mul(w).exp())), { nodes: 0, storages: 0, bytes: 0, leafBytes: 0 });
  assert.deepEqual(nn.utils.graphMemory([z, y]), nn.utils.graphMemory(z));
});

test('summary: tensor rows, totals, per-module output shapes, graph bytes with and without grad; buffers restored', () => {
  torch.manualSeed(0);
  const m = new nn.Sequential(new Lin(4, 8), new Stats(8), new Lin(8, 2));
  m.getParameter('0.weight').requiresGrad_(false);
  m.registerBuffer('scratch', torch.zeros([5]), { persistent: false });
  const x = torch.randn([16, 4]);
  const before = m.getBuffer('1.running_mean').tolist();
  const s = nn.utils.summary(m, x);
  // forward in training mode updated nothing for good: buffers restored
  assert.deepEqual(m.getBuffer('1.running_mean').tolist(), before);
  assert.equal(m.getBuffer('1.num_batches_tracked').item(), 0);
  assert.deepEqual(s.totals, {
    params: 74, trainableParams: 42, frozenParams: 32, paramBytes: 296, trainableParamBytes: 168, frozenParamBytes: 128, adamStateBytes: 336,
    buffers: 22, bufferBytes: 92, persistentBufferBytes: 72, gradBytes: 0,
  });
  assert.deepEqual(s.tensors.map((t) => [t.name, t.kind, t.trainable, t.persistent]), [
    ['0.weight', 'parameter', false, null], ['0.bias', 'parameter', true, null], ['1.weight', 'parameter', true, null],
    ['1.bias', 'parameter', true, null], ['2.weight', 'parameter', true, null], ['2.bias', 'parameter', true, null],
    ['scratch', 'buffer', null, false], ['1.running_mean', 'buffer', null, true], ['1.running_var', 'buffer', null, true],
    ['1.num_batches_tracked', 'buffer', null, true],
  ]);
  assert.deepEqual(s.modules.map((r) => [r.name, r.type, r.params, r.outputShape]), [
    ['', 'Sequential', 74, [[16, 2]]], ['0', 'Lin', 40, [[16, 8]]], ['1', 'Stats', 16, [[16, 8]]], ['2', 'Lin', 18, [[16, 2]]],
  ]);
  const direct = nn.utils.graphMemory(m.call(x));
  assert.deepEqual(s.forward!.withGrad, direct);
  assert.ok(direct.bytes >= 16 * 4 * 4 + 16 * 8 * 4); // at least the input and one hidden activation
  assert.deepEqual(s.forward!.noGrad, { nodes: 0, storages: 0, bytes: 0, leafBytes: 0 });
  assert.deepEqual(s.forward!.outputShapes, [[16, 2]]);
  assert.equal(s.forward!.outputBytes, 128);
  // gradients appear once a backward ran
  m.call(x).sum().backward();
  assert.equal(nn.utils.summary(m).totals.gradBytes, 168);
  const text = String(s);
  assert.match(text, /Total params: 74 \(296 B\)/);
  assert.match(text, /Trainable params: 42/);
  assert.match(text, /Non-trainable params: 32/);
  assert.match(text, /└─1 \(Stats\)\s+\[16, 8\]\s+16/);
  // the four columns: optimizer, .to(), autograd graph, saved
  assert.match(text, /Tensor\s+Kind\s+Shape\s+dtype\s+device\s+Optimizer\s+\.to\(\)\s+Graph\s+Saved\s+Bytes\s+Grad/);
  assert.match(text, /scratch\s+buffer\s+\[5\]\s+float32\s+cpu\s+no\s+yes\s+no\s+no\s+20 B/);
  assert.match(text, /1\.running_mean\s+buffer\s+\[8\]\s+float32\s+cpu\s+no\s+yes\s+no\s+yes\s+32 B/);
  assert.match(text, /0\.weight\s+parameter\s+\[8, 4\]\s+float32\s+cpu\s+frozen: skipped\s+yes\s+no\s+yes\s+/);
  assert.match(text, /0\.bias\s+parameter\s+\[8\]\s+float32\s+cpu\s+yes\s+yes\s+yes\s+yes\s+/);
  assert.match(text, new RegExp(`with grad: +autograd graph of ${direct.nodes} nodes keeps ${nn.utils.formatBytes(direct.bytes).replace('.', '\\.')} alive`));
  assert.match(text, /under noGrad: 0 nodes, 0 B kept alive/);
  assert.equal(nn.utils.formatBytes(1536), '1.50 KiB');
  assert.equal(nn.utils.formatBytes(5 * 1024 * 1024), '5.00 MiB');
});
