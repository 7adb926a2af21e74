/**
 * @file torchlet/vision ResNet against torchvision 0.21 / PyTorch 2.6 fixtures (scripts/fixtures/vision.py):
 * ResNet-18 (10 classes, 48x48 inputs, batch 4; SGD momentum + weight decay, BatchNorm in train mode) and a
 * Bottleneck ResNet ([1, 1, 1, 1], groups 2, widthPerGroup 32, zeroInitResidual) for the ResNet-50 family.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';
import { models } from '../../src/vision.js';
import { caseTests } from './protocol.js';

caseTests('resnet18');
caseTests('bottleneck');

test('resnet: options are checked (unknown key with a suggestion, weights refused, bad block counts)', () => {
  assert.throws(() => models.resnet18({ num_classes: 10 } as never), /unknown option 'num_classes' \(did you mean 'numClasses'\?\)/);
  assert.throws(() => models.resnet18({ weights: 'IMAGENET1K_V1' } as never), /downloads no weights/);
  assert.throws(() => new models.ResNet(models.BasicBlock, [2, 2, 2]), /4 block counts/);
  assert.throws(() => models.resnet18({ numClasses: 0 }), /numClasses must be >= 1/);
});

test('resnet: zeroInitResidual zeroes the last BN weight of every block; the parameter count is torchvision\'s', () => {
  torch.manualSeed(0);
  const m = models.resnet18({ zeroInitResidual: true });
  const sd = m.stateDict();
  for (const k of ['layer1.0.bn2.weight', 'layer4.1.bn2.weight']) assert.equal(sd.get(k)!.abs().sum().item(), 0);
  assert.equal(sd.get('layer1.0.bn1.weight')!.sum().item(), 64);
  assert.equal(m.parameters().reduce((a, p) => a + p.numel(), 0), 11_689_512);
});
