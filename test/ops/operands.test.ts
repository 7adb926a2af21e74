/** A binary op's scalar operand must be a number or a boolean: anything else is an error naming the op, never NaN. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';

test('binary ops refuse an operand that is neither a Tensor, a number nor a boolean', () => {
  const a = torch.tensor([1, 2]);
  assert.throws(() => torch.mul(a, undefined as never), /mul: argument other must be a Tensor, a number or a boolean, got undefined/);
  assert.throws(() => torch.add('1' as never, a), /add: argument input must be a Tensor, a number or a boolean, got string/);
  assert.throws(() => a.sub(null as never), /sub: argument other must be a Tensor, a number or a boolean, got null/);
  assert.deepEqual([...torch.mul(a, true).dataSync()], [1, 2]);
  assert.deepEqual([...a.add(0.5).dataSync()], [1.5, 2.5]);
});

test('lerp: the weight is a number (PyTorch\'s tensor weight is written out), checked', () => {
  const a = torch.tensor([1, 2]), b = torch.tensor([3, 4]);
  assert.deepEqual([...torch.lerp(a, b, 0.25).dataSync()], [1.5, 2.5]);
  assert.deepEqual([...a.lerp(b, 0.5).dataSync()], [2, 3]);
  assert.throws(() => torch.lerp(a, b, undefined as never), /lerp: weight must be a number, got undefined/);
  assert.throws(() => torch.lerp(a, b, torch.tensor([0.5]) as never), /lerp: weight must be a number, got Tensor .*a\.add\(end\.sub\(a\)\.mul\(weight\)\)/);
});
