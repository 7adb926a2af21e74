/**
 * @file `torchlet summary MODEL` and `torchlet summary FILE --model MODEL` on torchlet/vision models (the CLI's
 * functions, called in process): the parameter totals are torchvision's, the forward pass measures the whole
 * autograd graph (through the in-place activations), a checkpoint loads strictly and gives the class count.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../../src/index.js';
import { models } from '../../src/vision.js';
import { isModelName, summarizeModel } from '../../src/cli/summary-model.js';

test('summary mobilenet_v3_small: torchvision\'s 2,542,856 parameters, the graph of one batch', async () => {
  assert.equal(isModelName('mobilenet_v3_small'), true);
  assert.equal(isModelName('mobilenet'), false);
  const out = await summarizeModel('mobilenet_v3_small', { input: '2,3,32,32' });
  assert.match(out, /^mobilenet_v3_small \(random init\)/);
  assert.match(out, /Total params: 2,542,856 /);
  assert.match(out, /Forward pass: input \[2, 3, 32, 32\] -> output \[2, 1000\]/);
  // the walk follows the recorded edges through in-place Hardswish/ReLU: every layer's nodes, not the head's few
  const nodes = Number(/autograd graph of ([\d,]+) nodes/.exec(out)![1].replace(/,/g, ''));
  assert.ok(nodes > 200, `graph of ${nodes} nodes`);
});

test('summary FILE --model NAME: strict load, the class count from the checkpoint; errors name the fix', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'torchlet-summary-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'm.safetensors');
  torch.manualSeed(0);
  await torch.save(models.mobilenetV3Small({ numClasses: 7 }).stateDict(), file);
  const out = await summarizeModel(file, { model: 'mobilenet_v3_small', forward: false });
  assert.match(out, /with the weights of .*m\.safetensors \(strict load: every key matched\)/);
  assert.match(out, /classifier\.3\.weight\s+parameter\s+\[7, 1024\]/);
  await assert.rejects(summarizeModel(file, { model: 'resnet18', forward: false }), /Missing key|missing/i);
  await assert.rejects(summarizeModel('resnet19'), /unknown model 'resnet19': use one of resnet18/);
  await assert.rejects(summarizeModel('resnet18', { input: '1,3,224' }), /--input must be a batch shape N,C,H,W/);
});
