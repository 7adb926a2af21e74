/** `torchlet inspect`, `convert` and `summary` on real checkpoint fixtures (PyTorch-written). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../../src/index.js';
import { inspectFile, summarizeFile } from '../../src/cli/inspect.js';
import { convertFile } from '../../src/cli/convert.js';

const PT = 'test/fixtures/interop/model.pt';

test('inspect lists every tensor with dtype, shape, numel and bytes, and totals; --json for machines', () => {
  const j = JSON.parse(inspectFile(PT, true));
  assert.equal(j.format, 'torch-zip');
  const byKey = new Map(j.tensors.map((t: { key: string }) => [t.key, t]));
  assert.deepEqual(byKey.get('bn.num_batches_tracked'), { key: 'bn.num_batches_tracked', dtype: 'int64', shape: [], numel: 1, bytes: 8 });
  assert.deepEqual(byKey.get('lstm.weight_ih_l0'), { key: 'lstm.weight_ih_l0', dtype: 'float32', shape: [24, 8], numel: 192, bytes: 768 });
  const numel = j.tensors.reduce((a: number, t: { numel: number }) => a + t.numel, 0);
  assert.equal(j.total.numel, numel);
  assert.equal(j.total.tensors, j.tensors.length);
  const text = inspectFile(PT);
  assert.match(text, /lstm\.weight_ih_l0\s+float32\s+\[24, 8\]\s+192\s+768 B/);
  assert.match(text, new RegExp(`${j.tensors.length} tensors, ${numel.toLocaleString('en-US')} elements`));
});

test('convert .pt -> .safetensors -> .pt keeps every key, dtype and value', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'torchlet-convert-'));
  const st = join(dir, 'm.safetensors'), pt = join(dir, 'm.pt');
  assert.match(await convertFile(PT, st), /wrote .*m\.safetensors/);
  await convertFile(st, pt);
  const a = (await torch.load(PT)) as Map<string, torch.Tensor>;
  const b = (await torch.load(pt)) as Map<string, torch.Tensor>;
  assert.deepEqual([...b.keys()], [...a.keys()]);
  for (const [k, t] of a) {
    assert.equal(b.get(k)!.dtype, t.dtype, k);
    assert.deepEqual(Array.from(b.get(k)!.dataSync()), Array.from(t.dataSync()), k);
  }
});

test('convert refuses non-tensor entries for safetensors and names --key; --key picks the model', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'torchlet-convert-'));
  const ck = join(dir, 'ck.pt');
  await torch.save(new Map<string, unknown>([['model', new Map([['w', torch.ones([2])]])], ['epoch', 3]]), ck);
  await assert.rejects(convertFile(ck, join(dir, 'x.safetensors')), /safetensors holds only tensors.*--key/);
  await convertFile(ck, join(dir, 'x.safetensors'), 'model');
  const sd = (await torch.load(join(dir, 'x.safetensors'))) as Map<string, torch.Tensor>;
  assert.deepEqual([...sd.keys()], ['w']);
  await assert.rejects(convertFile(ck, join(dir, 'y.safetensors'), 'optimizer'), /key 'optimizer' not found/);
});

test('summary groups tensors by module and tells buffers from parameters', () => {
  const s = summarizeFile(PT);
  assert.match(s, /bn\s+running_mean\s+buffer\s+float32\s+\[3\]/);
  assert.match(s, /lstm\s+weight_hh_l1\s+parameter\s+float32\s+\[24, 6\]/);
  assert.match(s, /buffers: 7 \(/); // running_mean 3 + running_var 3 + num_batches_tracked 1
});
