/** Moving a model back from a device with asynchronous reads: `await model.toAsync('cpu')`; `to('cpu')` says so. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';
import { requireDevice, webgpuDevice } from '../helpers/devices.js';

const { nn } = torch;

test('[webgpu] model.to("webgpu") then await model.toAsync("cpu") keeps objects, values, ties and grads', async (t) => {
  const dev = await webgpuDevice();
  if (requireDevice(t, dev)) return;
  torch.manualSeed(0);
  const model = new nn.Sequential(new nn.Linear(4, 4), new nn.BatchNorm1d(4), new nn.Linear(4, 4));
  model.at(2).weight = model.at(0).weight; // tied
  const before = new Map([...model.stateDict()].map(([k, v]) => [k, Array.from(v.dataSync())]));
  const objects = model.parameters();
  model.to('webgpu');
  assert.ok(model.parameters().every((p) => p.device === 'webgpu'));
  const x = torch.randn([5, 4]).to('webgpu');
  model.train();
  model.call(x).sum().backward();
  assert.throws(() => model.to('cpu'), /Sequential\.to\('cpu'\): its tensors are on webgpu, whose reads are asynchronous; use `await model\.toAsync\('cpu'\)`/);
  await model.toAsync('cpu');
  const after = model.parameters();
  assert.equal(after.length, objects.length);
  after.forEach((p, i) => { assert.equal(p, objects[i]); assert.equal(p.device, 'cpu'); assert.equal(p.grad?.device, 'cpu'); });
  assert.equal(model.at(2).weight, model.at(0).weight);
  const sd = model.stateDict();
  for (const [k, v] of sd) {
    assert.equal(v.device, 'cpu', k);
    if (!k.includes('running') && !k.includes('num_batches')) assert.deepEqual(Array.from(v.dataSync()), before.get(k), k);
  }
  assert.equal(sd.get('1.num_batches_tracked')!.item(), 1); // the training forward ran on the GPU and its buffers came back
});
