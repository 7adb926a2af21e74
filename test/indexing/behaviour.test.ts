/**
 * @file What the indexing table does not show: issue 13's snippets, the old spellings as errors that show the new
 * one, everything index() does not understand, views vs copies, in-place semantics of the setters (version
 * counters, leaves, views), float64 gradient checks, and device-resident indices on webgpu.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../helpers/torch.js';
import type { Tensor } from '../helpers/torch.js';
import { assertThrowsWith, gradcheck } from '../helpers/index.js';
import { valuesOf, webgpuDevice } from '../helpers/devices.js';
import { arange } from './cases.js';
import { ArgumentError } from '../../src/core/args.js';

const i64 = (v: number[] | number[][]) => torch.tensor(v, { dtype: 'int64' });
const anyIndex = (x: Tensor, ...items: unknown[]) => (x.index as (...a: unknown[]) => Tensor)(...items);

test("issue 13's snippets: a tensor index gathers, an array is an integer-array index", () => {
  const X = torch.randn([6, 2]), idx = i64([4, 1]);
  assert.deepEqual(X.index(idx).shape, [2, 2]);
  assert.deepEqual(X.index(idx).tolist(), [X.index(4).tolist(), X.index(1).tolist()]);
  assert.deepEqual(X.index([0, 1]).tolist(), X.index('0:2').tolist()); // rows 0 and 1, as x[[0, 1]]
  assert.deepEqual(X.index([0, 1]).shape, [2, 2]);
});

test('the old spellings are errors that show the string slice', () => {
  const x = arange([4, 6]);
  assertThrowsWith(() => anyIndex(x, [1, null]), ["'1:'", 'slices are strings'], ArgumentError);
  assertThrowsWith(() => anyIndex(x, [null, 3]), ["':3'"], ArgumentError);
  assertThrowsWith(() => anyIndex(x, ':', [null, null, 2]), ["'::2'"], ArgumentError);
  assertThrowsWith(() => anyIndex(x, [1, 5, null]), ["'1:5'"], ArgumentError);
  assertThrowsWith(() => anyIndex(x, { start: 1, stop: 3 }), ["'1:3'", 'slice'], ArgumentError);
  assertThrowsWith(() => anyIndex(x, { start: 0, end: 4, step: 2 }), ["'0:4:2'"], ArgumentError);
  // null is a new axis now (PyTorch's None), not a whole dimension
  assert.deepEqual(x.index(null).shape, [1, 4, 6]);
  assert.deepEqual(x.index(':', 1).shape, [4]);
});

test('anything index() does not understand is an error naming the item and the spelling', () => {
  const x = arange([4, 6]);
  const cases: [unknown, string[]][] = [
    ['None', ['null']], ['newaxis', ['null']], ['3', ['use 3']], ['1:2:3:4', ['not a Python slice']], ['a:b', ['not a Python slice']],
    ['::0', ['slice step cannot be zero']], ['::-1', ['step must be greater than zero', 'torch.arange']],
    [1.5, ['not an integer']], [NaN, ['not an integer']], [Infinity, ['not an integer']],
    [undefined, ["':'", 'null']], [{ a: 1 }, ['an object']], [() => 0, ['a function']],
    [new Float32Array([0, 1]), ['Int32Array']], [new Uint8Array([1]), ['Int32Array']],
    [[0, [1]], ['ragged']], [[[0, 1], [2]], ['ragged']], [[true, 1], ['mixes booleans and integers']], [[0.5], ['not an integer']],
    [['1:2'], ['not an integer']],
  ];
  for (const [item, parts] of cases) assertThrowsWith(() => anyIndex(x, item), ['index', 'index 0', ...parts]);
  assertThrowsWith(() => anyIndex(x, '...', 0, '...'), ['single ellipsis'], torch.IndexError);
});

test("index tensors: floats show { dtype: 'int64' }; uint8 asks which is meant; int8 is refused", () => {
  const x = arange([4, 6]);
  assertThrowsWith(() => x.index(torch.tensor([0, 1], { dtype: 'float32' })), ["{ dtype: 'int64' }", '.long()', 'float32'], torch.DTypeError);
  assertThrowsWith(() => x.index(torch.tensor([1, 0, 1, 0], { dtype: 'uint8' })), ['uint8', 'mask.bool()', 'idx.long()'], torch.DTypeError);
  assertThrowsWith(() => x.index(torch.tensor([1], { dtype: 'int8' })), ['int8', 'int64, int32 or bool'], torch.DTypeError);
});

test('integer items: bigint, Int32Array and BigInt64Array; int32 tensors', () => {
  const x = arange([4, 6]);
  assert.deepEqual(x.index(2n).tolist(), x.index(2).tolist());
  assert.deepEqual(x.index(new Int32Array([3, 0])).tolist(), x.index([3, 0]).tolist());
  assert.deepEqual(x.index(':', BigInt64Array.of(5n, -1n)).tolist(), x.index(':', [5, -1]).tolist());
  assert.deepEqual(x.index(torch.tensor([2, 1], { dtype: 'int32' })).tolist(), x.index([2, 1]).tolist());
});

test('basic indices give views of x; advanced indices give copies', () => {
  const x = arange([3, 4]);
  const v = x.index(1, '1:3');
  assert.equal(v.storage, x.storage);
  assert.equal(x.index(null, '...', '::2').storage, x.storage);
  assert.notEqual(x.index([1]).storage, x.storage);
  v.fill_(-1);
  assert.deepEqual(x.index(1).tolist(), [4, -1, -1, 7]);
});

test('setIndex_ writes in place, through views, broadcasting and casting the value as PyTorch does', () => {
  const base = arange([3, 4]);
  const row = base.index(1);                      // a view: writing into it writes into base
  row.setIndex_('::2', 0);
  assert.deepEqual(base.index(1).tolist(), [0, 5, 0, 7]);
  base.setIndex_([0, 2], ':', torch.tensor([[9, 8, 7, 6]], { dtype: 'float64' })); // cast, broadcast
  assert.deepEqual(base.tolist(), [[9, 8, 7, 6], [0, 5, 0, 7], [9, 8, 7, 6]]);
  base.setIndex_(base.lt(6), 1);                  // a mask
  assert.deepEqual(base.tolist(), [[9, 8, 7, 6], [1, 1, 1, 7], [9, 8, 7, 6]]);
  const ints = torch.zeros([3], { dtype: 'int64' });
  ints.setIndex_(0, 2.7).setIndex_(1, -2.7);      // truncated towards zero, as PyTorch converts it
  assert.deepEqual(ints.tolist(), [2, -2, 0]);
  const a = arange([5]);
  a.setIndex_('1:', a.index(':-1'));              // overlapping source: read before written
  assert.deepEqual(a.tolist(), [0, 0, 1, 2, 3]);
  const v0 = a.version;
  a.setIndex_(0, 1);
  assert.ok(a.version > v0, 'the version counter moves');
});

test('setter errors: a leaf that requires grad, no value, value shapes, indexPut_ spelling and options', () => {
  const w = arange([3, 4]).requiresGrad_(true);
  assertThrowsWith(() => w.setIndex_(0, 1), ['setIndex_', 'leaf', 'noGrad'], torch.AutogradError);
  torch.noGrad(() => w.setIndex_(0, 1));          // as optimizers and init functions do
  assert.deepEqual(w.index(0).tolist(), [1, 1, 1, 1]);
  const x = arange([3, 4]);
  assertThrowsWith(() => (x.setIndex_ as (...a: unknown[]) => Tensor)(), ['setIndex_', 'value']);
  assertThrowsWith(() => x.setIndex_(0), ['setIndex_', 'only 0', "x.setIndex_('...', value)"]); // a forgotten value never fills x
  assertThrowsWith(() => (x.setIndex_ as (...a: unknown[]) => Tensor)(0, [1, 2, 3, 4]), ['setIndex_', 'torch.tensor']);
  assertThrowsWith(() => x.setIndex_(0, torch.ones([2])), ['shape mismatch', '[2]', '[4]'], torch.ShapeError);
  assertThrowsWith(() => x.indexPut_([null, i64([0])], 1), ['indexPut_', 'indices[0]', "setIndex_(':', idx, v)"], ArgumentError);
  assertThrowsWith(() => x.indexPut_([0], 1), ['indexPut_', 'setIndex_'], ArgumentError);
  assertThrowsWith(() => x.indexPut_(i64([0]) as never, 1), ['indexPut_', 'array of index tensors'], ArgumentError);
  assertThrowsWith(() => x.indexPut_([i64([0])], torch.ones([4], { dtype: 'float64' })), ['dtypes', 'float32', 'float64', ".to('float32')"], torch.DTypeError);
  assertThrowsWith(() => x.indexPut_([i64([0])], 1, { accumulat: true } as never), ['accumulat', 'accumulate']);
  assertThrowsWith(() => x.indexPut_([i64([0])], 1, { accumulate: 1 } as never), ['accumulate', 'boolean']);
  const y = x.indexPut([i64([0, 0])], torch.ones([4]), { accumulate: true });  // out of place
  assert.deepEqual(y.index(0).tolist(), [2, 3, 4, 5]);
  assert.deepEqual(x.index(0).tolist(), [0, 1, 2, 3]);
});

test('a tensor saved for backward and then changed by setIndex_ fails at backward, as in PyTorch', () => {
  const a = arange([4]).requiresGrad_(true);
  const b = a.mul(2);
  const d = b.mul(b);                              // saves b
  b.setIndex_(0, 5);
  assert.throws(() => d.sum().backward(), torch.AutogradError);
});

test('float64 gradient checks of index, setIndex_ and indexPut_', () => {
  const gen = new torch.Generator().manualSeed(7);
  const x = torch.randn([3, 4, 5], { dtype: 'float64', generator: gen }).requiresGrad_(true);
  const mask = torch.rand([4, 5], { generator: gen }).gt(0.5);
  const getters: unknown[][] = [
    [1, '::2', i64([4, 0, 4])], [i64([0, 2]), ':', i64([[1], [3]])], [':', mask], ['...', null, [2, 2]], [true, '1:', [3, 0]],
  ];
  for (const items of getters) gradcheck((t) => anyIndex(t, ...items), [x]);
  const v = torch.randn([2, 5], { dtype: 'float64', generator: gen }).requiresGrad_(true);
  gradcheck((t, val) => { const c = t.clone(); (c.setIndex_ as (...a: unknown[]) => Tensor)(i64([2, 0]), ':', 1, val.index(':', '0:4').index(':', 0, null)); return c; }, [x, v]);
  gradcheck((t, val) => t.clone().indexPut_([i64([1, 1]), i64([3, 3])], val, { accumulate: true }), [x, v]);
  gradcheck((t, val) => t.indexPut([i64([0, 2])], val.index(':', null, ':')), [x, v]);
});

test('[webgpu] device-resident index tensors: gathers and scatters; out-of-range reads 0 and writes nothing (no error is possible there)', async (t) => {
  const dev = await webgpuDevice();
  if (dev.skip) { t.skip(dev.skip); return; }
  const x = arange([4, 3]).to('webgpu');
  assert.deepEqual(await valuesOf(x.index(i64([2, -1]).to('webgpu'), i64([0, 2]).to('webgpu'))), [6, 11]);
  assert.deepEqual(await valuesOf(x.index(i64([9]).to('webgpu'), i64([0]).to('webgpu'))), [0]);
  const y = arange([4]).to('webgpu');
  y.setIndex_(i64([1, 7]).to('webgpu'), 5);
  assert.deepEqual(await valuesOf(y), [0, 5, 2, 3]);
  const z = arange([3, 4]).to('webgpu');           // basic items without a graph: written through the view
  z.setIndex_(':', '1:3', 0).setIndex_(2, '::3', torch.tensor([-1, -2], { dtype: 'float32' }).to('webgpu'));
  assert.deepEqual(await valuesOf(z), [0, 0, 0, 3, 4, 0, 0, 7, -1, 0, 0, -2]);
  assert.throws(() => x.index(x.gt(3)), (e: Error) => e.message.includes("toAsync('cpu')"));
  assert.deepEqual(await valuesOf(x.index(await x.gt(9).toAsync('cpu'))), [10, 11]); // a CPU mask indexes a webgpu tensor
});
