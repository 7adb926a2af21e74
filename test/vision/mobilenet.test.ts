/**
 * @file torchlet/vision MobileNetV3 against torchvision 0.21 / PyTorch 2.6 fixtures (scripts/fixtures/vision.py):
 * Small (10 classes, 64x64, batch 2; SGD momentum, BatchNorm and dropout in train mode), Large (init and eval),
 * and Small at widthMult 0.25 (a checkpoint saved by torchvision, committed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';
import { models, ops } from '../../src/vision.js';
import { caseTests } from './protocol.js';

caseTests('mobilenet_v3_small');
caseTests('mobilenet_v3_large');
caseTests('mobilenet_v3_small_w025');

test('mobilenetV3: _make_divisible and the option checks', () => {
  assert.deepEqual([ops.makeDivisible(16 * 0.25), ops.makeDivisible(72 * 0.75), ops.makeDivisible(1024 * 0.25), ops.makeDivisible(10)], [8, 56, 256, 16]);
  assert.throws(() => models.mobilenetV3Small({ widthMult: 0 }), /widthMult must be > 0/);
  assert.throws(() => models.mobilenetV3Large({ width_mult: 0.5 } as never), /did you mean 'widthMult'/);
});

test('mobilenetV3: in-place Hardswish/ReLU/Dropout train (gradients reach the first conv)', () => {
  torch.manualSeed(0);
  const m = models.mobilenetV3Small({ numClasses: 4, widthMult: 0.25 });
  const x = torch.randn([2, 3, 32, 32]);
  const loss = torch.nn.functional.crossEntropy(m.train().call(x), torch.tensor([1, 3], { dtype: 'int64' }));
  loss.backward();
  const g = m.stateDict().get('features.0.0.weight')!;
  assert.ok(m.features.at(0).parameters()[0].grad!.abs().sum().item() > 0);
  assert.deepEqual(g.shape, [8, 3, 3, 3]);
});
