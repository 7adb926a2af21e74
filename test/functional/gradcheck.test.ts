/**
 * @file Float64 gradient checks (central differences vs autograd) of the new ops: convolutions, unfold/fold,
 * pooling, normalization, embedding, attention, and the losses whose gradients are composed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import * as F from '../../src/nn/functional/index.js';
import { gradcheck } from '../helpers/index.js';

const gen = new torch.Generator().manualSeed(99);
const r = (shape: number[], grad = true): Tensor => torch.randn(shape, { dtype: 'float64', generator: gen, requiresGrad: grad });

test('gradcheck conv1d (stride, padding, groups, bias)', () => {
  gradcheck((x, w, b) => F.conv1d(x, w, b, { stride: 2, padding: 1, groups: 2 }), [r([2, 4, 7]), r([4, 2, 3]), r([4])]);
});

test("gradcheck conv2d (dilation, padding 'same' with an even kernel)", () => {
  gradcheck((x, w) => F.conv2d(x, w, null, { padding: 'same', dilation: [1, 2] }), [r([1, 2, 4, 5]), r([3, 2, 2, 2])]);
});

test('gradcheck conv2d (stride, groups, asymmetric padding)', () => {
  gradcheck((x, w, b) => F.conv2d(x, w, b, { stride: [2, 1], padding: [1, 0], groups: 2 }), [r([1, 4, 5, 4]), r([2, 2, 3, 2]), r([2])]);
});

test('gradcheck convTranspose2d (stride, outputPadding, groups, dilation)', () => {
  gradcheck((x, w, b) => F.convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1, groups: 2 }), [r([1, 4, 3, 2]), r([4, 1, 3, 3]), r([2])]);
  gradcheck((x, w) => F.convTranspose1d(x, w, null, { dilation: 2, stride: 3 }), [r([2, 2, 3]), r([2, 3, 2])]);
});

test('gradcheck unfold / fold', () => {
  gradcheck((x) => F.unfold(x, [2, 3], { padding: 1, stride: [2, 1] }), [r([1, 2, 4, 4])]);
  gradcheck((x) => F.fold(x, [3, 4], 2, { dilation: [1, 2] }), [r([1, 8, 4])]);
});

test('gradcheck maxPool1d/2d (ceil mode, padding, dilation)', () => {
  // distinct values keep the argmax away from ties, where max is not differentiable
  const distinct = (n: number[]) => torch.randperm(n.reduce((a, b) => a * b), { generator: gen }).double().div(7).reshape(n).requiresGrad_(true);
  gradcheck((x) => F.maxPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true }), [distinct([1, 2, 5, 6])]);
  gradcheck((x) => F.maxPool2d(x, [2, 2], { stride: 1, dilation: 2 }), [distinct([2, 1, 5, 5])]);
  gradcheck((x) => F.maxPool1d(x, 3, { stride: 2, padding: 1 }), [distinct([2, 2, 7])]);
});

test('gradcheck avgPool1d/2d and adaptive pooling', () => {
  gradcheck((x) => F.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false, ceilMode: true }), [r([1, 2, 5, 6])]);
  gradcheck((x) => F.avgPool2d(x, 2, { divisorOverride: 3 }), [r([1, 1, 4, 4])]);
  gradcheck((x) => F.avgPool1d(x, 3, { stride: 2, padding: 1 }), [r([2, 1, 7])]);
  gradcheck((x) => F.adaptiveAvgPool2d(x, [3, 2]), [r([1, 2, 5, 5])]);
  gradcheck((x) => F.adaptiveAvgPool1d(x, 3), [r([1, 2, 7])]);
});

test('gradcheck batchNorm (training and eval), layerNorm, groupNorm', () => {
  gradcheck((x, w, b) => F.batchNorm(x, null, null, { weight: w, bias: b, training: true }), [r([4, 3, 2]), r([3]), r([3])]);
  const rm = r([3], false), rv = torch.rand([3], { dtype: 'float64', generator: gen }).add(0.5);
  gradcheck((x, w, b) => F.batchNorm(x, rm, rv, { weight: w, bias: b, training: false }), [r([4, 3, 2]), r([3]), r([3])]);
  gradcheck((x, w, b) => F.layerNorm(x, [2, 3], { weight: w, bias: b }), [r([2, 2, 3]), r([2, 3]), r([2, 3])]);
  gradcheck((x, w, b) => F.groupNorm(x, 2, { weight: w, bias: b }), [r([2, 4, 3]), r([4]), r([4])]);
});

test('gradcheck embedding with paddingIdx: no gradient to the padding row', () => {
  const idx = torch.tensor([[0, 2, 1], [2, 3, 0]], { dtype: 'int64' });
  const w = r([4, 3]);
  gradcheck((wt) => F.embedding(idx, wt), [w]);
  const out = F.embedding(idx, w, { paddingIdx: 2 });
  out.sum().backward();
  assert.deepEqual(w.grad!.tolist(), [[2, 2, 2], [1, 1, 1], [0, 0, 0], [1, 1, 1]]);
  // the forward still returns the padding row's values (PyTorch does not zero them)
  assert.deepEqual(out.index(0, 1).tolist(), w.index(2).tolist());
});

test('gradcheck linear, bilinear, attention', () => {
  gradcheck((x, w, b) => F.linear(x, w, b), [r([2, 3, 4]), r([5, 4]), r([5])]);
  gradcheck((a, b, w, bias) => F.bilinear(a, b, w, bias), [r([3, 2]), r([3, 4]), r([2, 2, 4]), r([2])]);
  const mask = torch.tensor([[false, true, true], [false, false, true]]);
  gradcheck((q, k, v) => F.scaledDotProductAttention(q, k, v, { attnMask: mask }), [r([2, 2, 4]), r([2, 3, 4]), r([2, 3, 4])]);
});

test('gradcheck losses: crossEntropy (smoothing, weight, probabilities), bce, klDiv, huber', () => {
  const t = torch.tensor([1, 0, 3], { dtype: 'int64' });
  const w = torch.tensor([1, 2, 0.5, 1.5], { dtype: 'float64' });
  gradcheck((x) => F.crossEntropy(x, t, { weight: w, labelSmoothing: 0.1 }), [r([3, 4])]);
  gradcheck((x, p) => F.crossEntropy(x, p.softmax(1), { labelSmoothing: 0.2 }), [r([3, 4]), r([3, 4])]);
  gradcheck((x) => F.binaryCrossEntropy(x.sigmoid(), torch.tensor([[0, 1, 1], [1, 0, 0]], { dtype: 'float64' })), [r([2, 3])]);
  const y = torch.rand([2, 3], { dtype: 'float64', generator: gen });
  gradcheck((x, pw) => F.binaryCrossEntropyWithLogits(x, y, { posWeight: pw }), [r([2, 3]), r([3])]);
  gradcheck((x) => F.klDiv(x.logSoftmax(1), y, { reduction: 'batchmean' }), [r([2, 3])]);
  gradcheck((a, b) => F.huberLoss(a, b, { delta: 0.5, reduction: 'sum' }), [r([2, 3]), r([2, 3])]);
  gradcheck((a, b) => F.smoothL1Loss(a, b, { beta: 0.5, reduction: 'none' }), [r([2, 3]), r([2, 3])]);
});
