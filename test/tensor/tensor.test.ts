/**
 * @file Tensors: factories and dtype inference, geometry (shape, strides, storage offset), views sharing
 * storage, in-place ops, reading values, float16/bfloat16 round trips.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../helpers/torch.js';
import { assertClose, loadFixture, flat } from '../helpers/index.js';

test('tensor() infers dtype and shape from nested arrays', () => {
  const i = torch.tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'int64' });
  assert.equal(i.dtype, 'int64');
  assert.equal(torch.tensor([[1, 2, 3]]).dtype, 'float32'); // JavaScript numbers: the default float dtype
  assert.equal(torch.tensor([[1n, 2n]]).dtype, 'int64'); // bigints: int64
  assert.deepEqual(i.shape, [2, 3]);
  assert.deepEqual(i.tolist(), [[1, 2, 3], [4, 5, 6]]);
  assert.equal(torch.tensor([1, 2.5]).dtype, 'float32');
  assert.equal(torch.tensor([true, false]).dtype, 'bool');
  assert.deepEqual(torch.tensor([true, false]).tolist(), [true, false]);
  const s = torch.tensor(3.5);
  assert.deepEqual(s.shape, []);
  assert.equal(s.item(), 3.5);
  assert.deepEqual(torch.tensor([]).shape, [0]);
  assert.equal(torch.tensor([]).dtype, 'float32');
  assert.equal(torch.tensor([1, 2], { dtype: 'float64' }).dtype, 'float64');
  assert.deepEqual(torch.tensor([1.7, -1.7], { dtype: 'int32' }).tolist(), [1, -1]);
  assert.throws(() => torch.tensor([[1, 2], [3]]), /length 2/);
});

test('tensor() from typed arrays keeps their dtype', () => {
  const cases: [ArrayLike<number>, string][] = [
    [new Float32Array([1.5, 2]), 'float32'], [new Float64Array([1.5, 2]), 'float64'], [new Int32Array([1, -2]), 'int32'],
    [new Uint8Array([1, 255]), 'uint8'],
  ];
  for (const [arr, dt] of cases) {
    const t = torch.tensor(arr as Float32Array);
    assert.equal(t.dtype, dt);
    assert.deepEqual(t.tolist(), Array.from(arr));
  }
  const big = torch.tensor(new BigInt64Array([5n, -7n]));
  assert.equal(big.dtype, 'int64');
  assert.deepEqual(big.tolist(), [5, -7]);
  // the tensor does not alias the caller's array
  const src = new Float32Array([1, 2]);
  const t = torch.tensor(src);
  src[0] = 100;
  assert.equal((t.tolist() as number[])[0], 1, 'tensor() copies its data');
});

test('zeros/ones/full/empty/arange/linspace/eye and *Like', () => {
  assert.deepEqual(torch.zeros([2, 2]).tolist(), [[0, 0], [0, 0]]);
  assert.equal(torch.zeros([2]).dtype, 'float32');
  assert.deepEqual(torch.ones([3], { dtype: 'int64' }).tolist(), [1, 1, 1]);
  const f = torch.full([2], 7);
  assert.equal(f.dtype, 'float32'); // a JavaScript number is a float (torch.full([2], 7.0))
  assert.equal(torch.full([2], 7n).dtype, 'int64'); // a bigint fill value is an integer
  assert.equal(torch.full([2], 0.5).dtype, 'float32');
  assert.equal(torch.full([2], true).dtype, 'bool');
  assert.deepEqual(torch.empty([0, 3]).shape, [0, 3]);
  assert.deepEqual(torch.arange(5).tolist(), [0, 1, 2, 3, 4]);
  assert.equal(torch.arange(5).dtype, 'int64');
  assert.deepEqual(torch.arange(1, 2, 0.25).tolist(), [1, 1.25, 1.5, 1.75]);
  assert.equal(torch.arange(1, 2, 0.25).dtype, 'float32');
  assert.deepEqual(torch.arange(5, 0, -2).tolist(), [5, 3, 1]);
  assert.deepEqual(torch.linspace(0, 1, 5).tolist(), [0, 0.25, 0.5, 0.75, 1]);
  assert.deepEqual(torch.linspace(2, 2, 1).tolist(), [2]);
  assert.deepEqual(torch.eye(2, 3).tolist(), [[1, 0, 0], [0, 1, 0]]);
  assert.deepEqual(torch.eye(2).tolist(), [[1, 0], [0, 1]]);
  const base = torch.tensor([[1, 2]], { dtype: 'float64' });
  for (const [t, v] of [[torch.zerosLike(base), 0], [torch.onesLike(base), 1], [torch.fullLike(base, 3), 3]] as const) {
    assert.equal(t.dtype, 'float64');
    assert.deepEqual(t.shape, [1, 2]);
    assert.deepEqual(flat(t.tolist()), [v, v]);
  }
  assert.equal(torch.zerosLike(base, { dtype: 'int32' }).dtype, 'int32');
  assert.throws(() => torch.zeros([2, -1]), /invalid shape/);
  const r = torch.ones([2], { requiresGrad: true });
  assert.equal(r.requiresGrad, true);
  assert.equal(r.isLeaf, true);
});

test('linspace matches PyTorch bit for bit (symmetric from both ends)', () => {
  // torch.linspace(-1, 1, 7) in float32
  assert.deepEqual(torch.linspace(-1, 1, 7).tolist(), [-1, -0.6666666865348816, -0.3333333432674408, 0, 0.3333333432674408, 0.6666666865348816, 1]);
});

test('shape, strides and storage offset of views', () => {
  const x = torch.arange(24).reshape([2, 3, 4]);
  assert.deepEqual(x.stride(), [12, 4, 1]);
  assert.equal(x.isContiguous(), true);
  const t = x.transpose(0, 2);
  assert.deepEqual(t.shape, [4, 3, 2]);
  assert.deepEqual(t.stride(), [1, 4, 12]);
  assert.equal(t.isContiguous(), false);
  const s = x.select(1, 2);
  assert.deepEqual(s.shape, [2, 4]);
  assert.deepEqual(s.stride(), [12, 1]);
  assert.equal(s.storageOffset(), 8);
  const sl = x.slice(2, 1, null, 2);
  assert.deepEqual(sl.stride(), [12, 4, 2]);
  assert.equal(sl.storageOffset(), 1);
  const n = x.narrow(0, 1, 1);
  assert.equal(n.storageOffset(), 12);
  const e = torch.arange(3).unsqueeze(1).expand([3, 4]);
  assert.deepEqual(e.stride(), [1, 0]);
  assert.deepEqual(x.permute([1, 2, 0]).stride(), [4, 1, 12]);
  assert.deepEqual(x.unsqueeze(1).shape, [2, 1, 3, 4]);
  assert.deepEqual(x.flatten(1).stride(), [12, 1]);
  assert.equal(x.size(-1), 4);
  assert.deepEqual(x.size(), [2, 3, 4]);
  assert.equal(x.numel(), 24);
  assert.equal(x.dim(), 3);
  assert.equal(x.nbytes(), 24 * 8);
});

test('views share storage: writing through a view changes the base', () => {
  const base = torch.zeros([3, 4]);
  const views = [
    base.view([12]), base.reshape([4, 3]), base.transpose(0, 1), base.t(), base.permute([1, 0]), base.unsqueeze(0),
    base.narrow(1, 1, 2), base.select(0, 2), base.slice(1, 0, null, 2), base.flatten(), base.unflatten(1, [2, 2]),
    base.index(1, '1:3'), base.detach(), base.unsqueeze(0).squeeze(0), base.expand([2, 3, 4]),
  ];
  for (const v of views) assert.equal(v.storage, base.storage);
  base.select(0, 2).fill_(5);
  assert.deepEqual(base.tolist(), [[0, 0, 0, 0], [0, 0, 0, 0], [5, 5, 5, 5]]);
  base.t().select(0, 1).fill_(7);       // column 1
  base.slice(1, 0, null, 2).narrow(0, 0, 1).add_(1); // row 0, columns 0 and 2
  assert.deepEqual(base.tolist(), [[1, 7, 1, 0], [0, 7, 0, 0], [5, 7, 5, 5]]);
  base.view([12]).narrow(0, 4, 1).copy_(torch.tensor([9]));
  assert.equal((base.tolist() as number[][])[1][0], 9);
  // writing the base is seen by the views
  const v = base.transpose(0, 1);
  base.zero_();
  assert.deepEqual(flat(v.tolist()), new Array(12).fill(0));
  // reshape of a non-viewable layout copies
  const c = base.t().reshape([12]);
  assert.notEqual(c.storage, base.storage);
  assert.equal(base.t().contiguous().isContiguous(), true);
  assert.notEqual(base.clone().storage, base.storage);
});

test('in-place ops mutate storage and bump the version counter', () => {
  const x = torch.tensor([1, -2, 3], { dtype: 'float32' });
  const v0 = x.version;
  const same = x.add_(1);
  assert.equal(same, x);
  assert.deepEqual(x.tolist(), [2, -1, 4]);
  x.mul_(2).sub_(torch.tensor([1, 1, 1]), { alpha: 2 });
  assert.deepEqual(x.tolist(), [2, -4, 6]);
  x.clamp_(-1, 3);
  assert.deepEqual(x.tolist(), [2, -1, 3]);
  x.div_(2);
  assert.deepEqual(x.tolist(), [1, -0.5, 1.5]);
  x.neg_().abs_();
  assert.deepEqual(x.tolist(), [1, 0.5, 1.5]);
  x.maskedFill_(torch.tensor([true, false, false]), 9);
  assert.deepEqual(x.tolist(), [9, 0.5, 1.5]);
  x.fill_(2);
  assert.deepEqual(x.tolist(), [2, 2, 2]);
  x.copy_(torch.tensor([1, 2, 3], { dtype: 'float64' }));
  assert.equal(x.dtype, 'float32');
  assert.deepEqual(x.tolist(), [1, 2, 3]);
  x.zero_();
  assert.deepEqual(x.tolist(), [0, 0, 0]);
  assert.ok(x.version > v0 + 8, `version ${x.version}`);
  // broadcasting into self; self's dtype wins
  const m = torch.zeros([2, 3], { dtype: 'int64' });
  m.add_(torch.tensor([1, 2, 3]));
  assert.deepEqual(m.tolist(), [[1, 2, 3], [1, 2, 3]]);
  assert.throws(() => torch.zeros([3]).add_(torch.ones([2, 3])), /\[3\].*\[2, 3\]|\[2, 3\].*\[3\]/);
  // in-place through a non-contiguous view
  const b = torch.zeros([2, 2]);
  b.t().add_(torch.tensor([[1, 2], [3, 4]], { dtype: 'float32' }));
  assert.deepEqual(b.tolist(), [[1, 3], [2, 4]]);
});

test('item() and tolist()', () => {
  assert.equal(torch.tensor([[2.5]]).item(), 2.5);
  assert.equal(torch.tensor(7).item(), 7);
  assert.equal(torch.tensor(true).item(), true); // PyTorch's True
  assert.throws(() => torch.tensor([1, 2]).item(), /2 elements/);
  assert.deepEqual(torch.arange(6).reshape([2, 3]).t().tolist(), [[0, 3], [1, 4], [2, 5]]);
  assert.deepEqual(torch.zeros([2, 0]).tolist(), [[], []]);
  assert.equal(torch.tensor(1.5).tolist(), 1.5);
  assert.deepEqual(torch.tensor([0.1]).tolist(), [Math.fround(0.1)]);
  assert.deepEqual(Array.from(torch.arange(4).reshape([2, 2]).t().dataSync()), [0, 2, 1, 3]);
});

test('float16 and bfloat16 round trips match torch rounding', () => {
  const fx = loadFixture<{ input: number[]; half: number[]; bfloat16: number[] }>('ops/half.json');
  const x = torch.tensor(fx.input, { dtype: 'float32' });
  const h = x.half();
  assert.equal(h.dtype, 'float16');
  assert.equal(h.elementSize(), 2);
  const hb = h.float();
  assert.equal(hb.dtype, 'float32');
  const eq = (a: number[], b: number[], what: string) => a.forEach((v, i) => {
    // the fixture writes float32 values as their shortest decimal: compare as float32, signed zeros included
    assert.ok(Object.is(v, Math.fround(b[i])) || (Number.isNaN(v) && Number.isNaN(b[i])), `${what}[${i}] (${fx.input[i]}): ${v}, torch ${b[i]}`);
  });
  eq(flat(hb.tolist()), fx.half, 'half');
  eq(flat(h.tolist()), fx.half, 'half tolist');
  const b = x.bfloat16();
  assert.equal(b.dtype, 'bfloat16');
  eq(flat(b.float().tolist()), fx.bfloat16, 'bfloat16');
  // float16 -> bfloat16 goes through float32
  eq(flat(h.bfloat16().float().tolist()), flat(torch.tensor(fx.half, { dtype: 'float32' }).bfloat16().float().tolist()), 'half->bf16');
  assert.deepEqual(h.shape, x.shape);
  // 16-bit floats are storage dtypes: arithmetic asks for .float()
  assert.throws(() => h.add(1), /float16.*\.float\(\)/);
});

test('dtype casts', () => {
  const x = torch.tensor([1.7, -1.7, 0, 2.5]);
  assert.deepEqual(x.long().tolist(), [1, -1, 0, 2]);
  assert.deepEqual(x.int().tolist(), [1, -1, 0, 2]);
  assert.deepEqual(x.bool().tolist(), [true, true, false, true]);
  assert.equal(x.double().dtype, 'float64');
  assert.equal(x.to('float64').dtype, 'float64');
  assert.equal(x.to({ dtype: 'int32' }).dtype, 'int32');
  assert.equal(x.float(), x, 'a cast to the same dtype returns the tensor');
  assert.notEqual(x.to({ dtype: 'float32', copy: true }), x);
  const g = torch.tensor([1.5], { requiresGrad: true });
  g.double().mul(2).sum().backward();
  assertClose(g.grad!, [2]);
  assert.equal(g.grad!.dtype, 'float32');
});
