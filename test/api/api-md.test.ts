/**
 * The public API at a glance (shared/API.md) runs as written: the Net with every kind of state, the summary,
 * AdamW + CosineAnnealingLR + CrossEntropyLoss(labelSmoothing) + DataLoader loop with clipGradNorm_, noGrad
 * eval, save/load in both formats with a non-strict load, and the raw-tensor error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../../src/index.js';

const { nn, optim } = torch;
const F = nn.functional;

class Net extends nn.Module {
  conv = new nn.Conv2d(1, 16, 3, { padding: 1 });
  bn = new nn.BatchNorm2d(16);
  fc = new nn.Linear(16 * 14 * 14, 10);
  scale = new nn.Parameter(torch.ones([10]));
  mask = new nn.Buffer(torch.ones([10]));
  cache = new nn.Buffer(torch.zeros([10]), { persistent: false });
  dropoutP = 0.1;

  forward(x: torch.Tensor): torch.Tensor {
    x = F.maxPool2d(F.relu(this.bn.call(this.conv.call(x))), 2);
    x = F.dropout(x.flatten(1), { p: this.dropoutP, training: this.training });
    return this.fc.call(x).mul(this.scale).mul(this.mask);
  }
}

test('API.md: the Net example trains, evaluates, saves and loads as written', async () => {
  torch.manualSeed(0);
  const model = new Net();
  assert.match(String(model), /^Net\(\n  \(conv\): Conv2d\(1, 16, kernel_size=\(3, 3\), stride=\(1, 1\), padding=\(1, 1\)\)/);
  // PyTorch's order: the module's own parameters/buffers first, then its children's
  assert.deepEqual(model.namedParameters().map(([k]) => k), ['scale', 'conv.weight', 'conv.bias', 'bn.weight', 'bn.bias', 'fc.weight', 'fc.bias']);
  assert.deepEqual([...model.stateDict().keys()], ['scale', 'mask', 'conv.weight', 'conv.bias', 'bn.weight', 'bn.bias',
    'bn.running_mean', 'bn.running_var', 'bn.num_batches_tracked', 'fc.weight', 'fc.bias']);
  assert.ok(!model.stateDict().has('cache'));
  assert.throws(() => { (model as unknown as { oops: torch.Tensor }).oops = torch.ones([10]); },
    /Net\.oops is a raw Tensor: wrap it in nn\.Parameter\(\.\.\.\) \(trainable\), nn\.Buffer\(\.\.\.\) \(fixed, saved\) or nn\.Buffer\(\.\.\., \{persistent: false\}\)/);

  const summary = String(nn.utils.summary(model, torch.randn([4, 1, 28, 28])));
  assert.match(summary, /autograd graph of \d+ nodes keeps [\d.]+ [KM]iB alive until backward/);

  const x = torch.randn([32, 1, 28, 28]), y = torch.randint(0, 10, [32]);
  const trainSet = new torch.data.TensorDataset(x, y);
  const opt = new optim.AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0.01 });
  const sched = new optim.lrScheduler.CosineAnnealingLR(opt, { tMax: 1000 });
  const lossFn = new nn.CrossEntropyLoss({ labelSmoothing: 0.1 });
  const loader = new torch.data.DataLoader(trainSet, { batchSize: 8, shuffle: true });
  const losses: number[] = [];
  for (let epoch = 0; epoch < 3; epoch++) {
    for (const [xb, yb] of loader) {
      opt.zeroGrad();
      const loss = lossFn.call(model.call(xb), yb);
      loss.backward();
      nn.utils.clipGradNorm_(model.parameters(), 1.0);
      opt.step();
      sched.step();
      losses.push(loss.item());
    }
  }
  assert.ok(losses.at(-1)! < losses[0], `loss should fall: ${losses[0]} -> ${losses.at(-1)}`);

  const logits = torch.noGrad(() => model.eval().call(x));
  assert.equal(logits.gradFn, null);
  assert.equal(logits.requiresGrad, false);
  assert.deepEqual(logits.shape, [32, 10]);

  const dir = mkdtempSync(join(tmpdir(), 'torchlet-api-'));
  await torch.save(model.stateDict(), join(dir, 'net.safetensors'));
  await torch.save(model.stateDict(), join(dir, 'net.pt'));
  for (const f of ['net.safetensors', 'net.pt']) {
    const sd = (await torch.load(join(dir, f))) as Map<string, torch.Tensor>;
    torch.manualSeed(1);
    const fresh = new Net();
    const { missingKeys, unexpectedKeys } = fresh.loadStateDict(sd, { strict: false });
    assert.deepEqual(missingKeys, []);
    assert.deepEqual(unexpectedKeys, []);
    const again = torch.noGrad(() => fresh.eval().call(x));
    assert.deepEqual(Array.from(again.dataSync()), Array.from(logits.dataSync()), f);
  }
  const stats = torch.memory.stats('cpu');
  assert.ok(stats.peakBytes >= stats.liveBytes && stats.liveBytes > 0);
});
