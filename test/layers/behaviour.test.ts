/**
 * @file Layer behaviour beyond the fixtures: train/eval switches, buffers and state-dict layout, padding rows,
 * error messages (module path, shapes, what to do), dtype handling, and a small model trained end to end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { assertThrowsWith } from '../helpers/index.js';

const { nn } = torch;
const F = nn.functional;

test('BatchNorm: training normalizes with batch stats and counts batches; eval uses the running stats', () => {
  torch.manualSeed(0);
  const bn = new nn.BatchNorm1d(3, { momentum: 0.5 });
  const x = torch.randn([8, 3]).mul(3).add(2);
  const y = bn.call(x);
  // batch-normalized output: per-channel mean 0, biased variance 1 (up to eps)
  const m = y.mean(0).tolist() as number[];
  for (const v of m) assert.ok(Math.abs(v) < 1e-5);
  assert.equal(bn.num_batches_tracked!.item(), 1);
  const rm = bn.running_mean!.tolist() as number[];
  const bm = x.mean(0).tolist() as number[];
  rm.forEach((v, i) => assert.ok(Math.abs(v - 0.5 * bm[i]) < 1e-6, 'running_mean = 0.5 * 0 + 0.5 * batch mean'));
  bn.eval();
  const ye = bn.call(x);
  assert.equal(bn.num_batches_tracked!.item(), 1, 'eval does not count');
  const expected = x.sub(bn.running_mean!).div(bn.running_var!.add(1e-5).sqrt());
  assert.ok(ye.sub(expected).abs().max().item() < 1e-5);
  assertThrowsWith(() => bn.call(torch.randn([2, 3, 4, 5])), ['BatchNorm1d', '2D or 3D', '[2, 3, 4, 5]']);
});

test('BatchNorm without running stats has no buffers in its state dict and always uses batch stats', () => {
  const bn = new nn.BatchNorm2d(2, { trackRunningStats: false, affine: false });
  assert.deepEqual([...bn.stateDict().keys()], []);
  bn.eval();
  const y = bn.call(torch.randn([3, 2, 2, 2]));
  assert.ok(Math.abs(y.mean().item()) < 1e-5);
});

test('state-dict keys are PyTorch\'s: RNN/LSTM/GRU naming with _reverse, MultiheadAttention layout, BatchNorm buffers', () => {
  const lstm = new nn.LSTM(3, 4, { numLayers: 2, bidirectional: true, bias: false });
  assert.deepEqual([...lstm.stateDict().keys()], [
    'weight_ih_l0', 'weight_hh_l0', 'weight_ih_l0_reverse', 'weight_hh_l0_reverse',
    'weight_ih_l1', 'weight_hh_l1', 'weight_ih_l1_reverse', 'weight_hh_l1_reverse']);
  assert.deepEqual(lstm.getParameter('weight_ih_l1').shape, [16, 8]);
  const gru = new nn.GRU(3, 5);
  assert.deepEqual(gru.namedParameters().map(([k, p]) => [k, p.shape]), [
    ['weight_ih_l0', [15, 3]], ['weight_hh_l0', [15, 5]], ['bias_ih_l0', [15]], ['bias_hh_l0', [15]]]);
  const mha = new nn.MultiheadAttention(8, 2);
  assert.deepEqual([...mha.stateDict().keys()], ['in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias']);
  assert.deepEqual([...new nn.BatchNorm2d(4).stateDict().keys()], ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
  assert.equal(new nn.BatchNorm2d(4).getBuffer('num_batches_tracked').dtype, 'int64');
});

test('Dropout is the identity in eval mode and with p = 0; p = 1 zeroes everything', () => {
  const x = torch.randn([4, 5]);
  const d = new nn.Dropout(0.5);
  d.eval();
  assert.equal(d.call(x), x);
  assert.equal(F.dropout(x, { p: 0 }), x);
  assert.deepEqual(F.dropout(x, { p: 1 }).abs().sum().item(), 0);
  assertThrowsWith(() => new nn.Dropout(1.5), ['Dropout', 'between 0 and 1', '1.5']);
});

test('Embedding: the padding row starts at zero and receives no gradient', () => {
  torch.manualSeed(3);
  const emb = new nn.Embedding(5, 3, { paddingIdx: -1 });
  assert.equal(emb.paddingIdx, 4);
  assert.deepEqual(emb.weight.index(4).tolist(), [0, 0, 0]);
  const out = emb.call(torch.tensor([[4, 1], [1, 4]], { dtype: 'int64' }));
  out.mul(torch.randn([2, 2, 3])).sum().backward();
  assert.deepEqual(emb.weight.grad!.index(4).tolist(), [0, 0, 0]);
  assert.ok((emb.weight.grad!.index(1).abs().sum().item()) > 0);
  assertThrowsWith(() => emb.call(torch.tensor([5], { dtype: 'int64' })), ['embedding', 'index 5', 'out of range', '5 rows']);
  assertThrowsWith(() => emb.call(torch.tensor([1.5])), ['embedding', 'int64', '.long()']);
});

test('errors name the module path, the shapes and what to do', () => {
  class Net extends nn.Module {
    conv = new nn.Conv2d(3, 4, 3);
    forward(x: Tensor): Tensor { return this.conv.call(x); }
  }
  const net = new Net();
  assertThrowsWith(() => net.call(torch.randn([1, 2, 5, 5])), ['in Net.conv (Conv2d)', 'expected input [1, 2, 5, 5] to have 3 channels', 'weight of size [4, 3, 3, 3]']);
  assertThrowsWith(() => new nn.Conv2d(3, 4, 3, { padding: 'same', stride: 2 }), ["padding='same'", 'strided']);
  assertThrowsWith(() => new nn.Conv2d(3, 4, 3, { groups: 2 }), ['in_channels (3)', 'divisible by groups (2)']);
  assertThrowsWith(() => new nn.Linear(4, 2).call(torch.randn([3, 5])), ['linear', '[3, 5]', 'in_features = 4']);
  assertThrowsWith(() => F.crossEntropy(torch.randn([2, 3]), torch.tensor([0, 3], { dtype: 'int64' })), ['crossEntropy', 'target 3 is out of bounds', '3 classes']);
  assertThrowsWith(() => F.crossEntropy(torch.randn([2, 3]), torch.tensor([0, 1, 2], { dtype: 'int64' })), ['crossEntropy', 'expected target of shape [2]', 'got [3]']);
  assertThrowsWith(() => F.mseLoss(torch.randn([2, 3]), torch.randn([3])), ['mseLoss', 'target size [3]', 'input size [2, 3]', 'reshape']);
  assertThrowsWith(() => F.binaryCrossEntropy(torch.tensor([0.5, 1.5]), torch.tensor([0, 1], { dtype: 'float32' })), ['between 0 and 1', 'binaryCrossEntropyWithLogits']);
  assertThrowsWith(() => F.maxPool2d(torch.randn([1, 1, 4, 4]), 2, { padding: 2 }), ['maxPool2d', 'pad should be at most half']);
  assertThrowsWith(() => F.conv2d(torch.randn([1, 1, 2, 2]), torch.randn([1, 1, 3, 3])), ['conv2d', 'smaller than the dilated kernel']);
  assertThrowsWith(() => new nn.LSTM(3, 4).call(torch.randn([5, 2, 4])), ['LSTM', 'input_size', 'Expected 3, got 4']);
  assertThrowsWith(() => F.layerNorm(torch.randn([2, 3]), [4]), ['layerNorm', 'normalizedShape [4]', '[2, 3]']);
});

test('layers run in float64 after .double(), and unbatched inputs work like PyTorch', () => {
  torch.manualSeed(1);
  const conv = new nn.Conv2d(2, 3, 3, { padding: 1 }).double();
  const y = conv.call(torch.randn([2, 5, 5], { dtype: 'float64' }));
  assert.equal(y.dtype, 'float64');
  assert.deepEqual(y.shape, [3, 5, 5]);
  const lstm = new nn.LSTM(3, 4, { bidirectional: true });
  const [out, [h, c]] = lstm.call(torch.randn([6, 3]));
  assert.deepEqual([out.shape, h.shape, c.shape], [[6, 8], [2, 4], [2, 4]]);
  const pool = new nn.MaxPool2d(2, { returnIndices: true });
  const r = pool.call(torch.randn([1, 1, 4, 4])) as { values: Tensor; indices: Tensor };
  assert.deepEqual([r.values.shape, r.indices.dtype], [[1, 1, 2, 2], 'int64']);
  const ct = new nn.ConvTranspose2d(2, 2, 3, { stride: 2 });
  assert.deepEqual(ct.call(torch.randn([1, 2, 4, 4]), [1, 2, 10, 10]).shape, [1, 2, 10, 10]);
  assertThrowsWith(() => ct.call(torch.randn([1, 2, 4, 4]), [12, 12]), ['ConvTranspose2d', 'valid sizes range from 9 to 10']);
});

test('the API.md CNN trains: loss falls under plain SGD', () => {
  torch.manualSeed(0);
  class Net extends nn.Module {
    conv = new nn.Conv2d(1, 4, 3, { padding: 1 });
    bn = new nn.BatchNorm2d(4);
    fc = new nn.Linear(4 * 4 * 4, 3);
    forward(x: Tensor): Tensor {
      x = F.maxPool2d(F.relu(this.bn.call(this.conv.call(x))), 2);
      x = F.dropout(x.flatten(1), { p: 0.1, training: this.training });
      return this.fc.call(x);
    }
  }
  const model = new Net();
  const x = torch.randn([12, 1, 8, 8]);
  const y = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2], { dtype: 'int64' });
  const lossFn = new nn.CrossEntropyLoss({ labelSmoothing: 0.05 });
  const losses: number[] = [];
  for (let step = 0; step < 25; step++) {
    model.zeroGrad();
    const loss = lossFn.call(model.call(x), y);
    loss.backward();
    torch.noGrad(() => { for (const p of model.parameters()) p.sub_(p.grad!.mul(0.2)); });
    losses.push(loss.item());
  }
  assert.ok(losses[losses.length - 1] < losses[0] * 0.5, `loss should fall: ${losses[0]} -> ${losses[losses.length - 1]}`);
  const logits = torch.noGrad(() => model.eval().call(x));
  assert.equal(logits.requiresGrad, false);
});
