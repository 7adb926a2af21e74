/**
 * @file torchlet/vision VisionTransformer against torchvision 0.21 / PyTorch 2.6 fixtures
 * (scripts/fixtures/vision.py): imageSize 32, patch 8, 2 layers, 2 heads, hidden 32, MLP 64, 10 classes (AdamW
 * steps; a checkpoint saved by torchvision, committed), and one with a pre-logits layer (representationSize).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';
import { models } from '../../src/vision.js';
import { caseTests } from './protocol.js';

caseTests('vit');
caseTests('vit_pre_logits');

test('VisionTransformer: required and checked options, input size checks', () => {
  assert.throws(() => new models.VisionTransformer({ imageSize: 32, patchSize: 8, numLayers: 1, numHeads: 2, hiddenDim: 32 } as never), /mlpDim is required/);
  assert.throws(() => new models.VisionTransformer({ imageSize: 30, patchSize: 8, numLayers: 1, numHeads: 2, hiddenDim: 32, mlpDim: 8 }), /indivisible by patch size/);
  assert.throws(() => new models.VisionTransformer({ image_size: 32 } as never), /did you mean 'imageSize'/);
  const m = new models.VisionTransformer({ imageSize: 16, patchSize: 8, numLayers: 1, numHeads: 2, hiddenDim: 8, mlpDim: 8, numClasses: 3 });
  assert.throws(() => m.call(torch.randn([1, 3, 32, 16])), /Wrong image height! Expected 16 but got 32/);
  assert.deepEqual(m.call(torch.randn([2, 3, 16, 16])).shape, [2, 3]);
});

test('setRandomProfile: the glibc 2.41 profile changes only trunc_normal_\'s last bits; unknown names are refused', () => {
  const spec = { imageSize: 16, patchSize: 8, numLayers: 1, numHeads: 2, hiddenDim: 8, mlpDim: 8, numClasses: 3 };
  const weights = (profile: string) => {
    const prev = torch.setRandomProfile(profile);
    try { torch.manualSeed(0); return new models.VisionTransformer(spec).stateDict(); } finally { torch.setRandomProfile(prev); }
  };
  const a = weights('x86-64-avx2'), b = weights('x86-64-avx2-glibc2.41');
  const differ = [...a.keys()].filter((k) => a.get(k)!.sub(b.get(k)!).abs().max().item() !== 0);
  assert.deepEqual(differ, ['conv_proj.weight']);
  assert.ok(a.get('conv_proj.weight')!.sub(b.get('conv_proj.weight')!).abs().max().item() < 1e-7);
  assert.throws(() => torch.setRandomProfile('glibc'), /unknown profile 'glibc'; use one of 'x86-64-avx2'/);
});
