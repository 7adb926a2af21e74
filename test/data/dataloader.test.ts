/**
 * @file data: TensorDataset, DataLoader (batch shapes, dropLast, len, default collate, custom collate) and the
 * shuffle order vs PyTorch 1.13 (fixture test/fixtures/optim/data.json): with torch.manualSeed(0) and no generator
 * (the loader's base-seed draw plus RandomSampler's seed draw from the default generator), with a Generator seeded
 * 42, and the default generator's state afterwards; randomSplit by lengths, by fractions, and with the default
 * generator.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';
import { data } from '../../src/index.js';
import { fixture, values } from '../optim/helpers.js';

const F = fixture('data.json');
const ds = () => new data.TensorDataset(torch.arange(10), torch.arange(10).mul(10));
const batchIds = (loader: data.DataLoader<torch.Tensor[]>) => [...loader].map(([x]: torch.Tensor[]) => values(x));

test('TensorDataset items and DataLoader batch shapes, len and dropLast', () => {
  const x = torch.arange(14, undefined, undefined, { dtype: 'float32' }).reshape([7, 2]);
  const y = torch.arange(7);
  const set = new data.TensorDataset(x, y);
  assert.equal(set.len(), 7);
  const [xi, yi] = set.getItem(3);
  assert.deepEqual(values(xi), [6, 7]);
  assert.equal(yi.item(), 3);
  assert.throws(() => set.getItem(7), /out of range/);
  assert.throws(() => new data.TensorDataset(x, torch.arange(6)), /Size mismatch/);

  const loader = new data.DataLoader(set, { batchSize: 3 });
  assert.equal(loader.len(), 3);
  const batches = [...loader];
  assert.deepEqual(batches.map(([bx, by]) => [bx.shape, by.shape]), [[[3, 2], [3]], [[3, 2], [3]], [[1, 2], [1]]]);
  assert.equal(batches[0][0].dtype, 'float32');
  assert.equal(batches[0][1].dtype, 'int64');
  assert.deepEqual(values(batches[2][0]), [12, 13]);

  const dropped = new data.DataLoader(set, { batchSize: 3, dropLast: true });
  assert.equal(dropped.len(), 2);
  assert.equal([...dropped].length, 2);
  for (const [bx] of dropped) assert.deepEqual(bx.shape, [3, 2]);
  assert.throws(() => new data.DataLoader(set, { batchSize: 0 }), /batchSize should be a positive integer/);
});

test('default collate: numbers, booleans, strings, nested arrays and objects; custom collateFn', () => {
  class Items extends data.Dataset<{ a: number; b: [number, boolean]; s: string; t: torch.Tensor }> {
    len() { return 4; }
    getItem(i: number) { return { a: i, b: [i + 0.5, i % 2 === 0] as [number, boolean], s: `x${i}`, t: torch.full([2], i) }; }
  }
  const [batch] = [...new data.DataLoader(new Items(), { batchSize: 4 })];
  assert.equal(batch.a.dtype, 'int64');
  assert.deepEqual(values(batch.a), [0, 1, 2, 3]);
  assert.equal(batch.b[0].dtype, 'float64');
  assert.deepEqual(values(batch.b[0]), [0.5, 1.5, 2.5, 3.5]);
  assert.equal(batch.b[1].dtype, 'bool');
  assert.deepEqual(batch.s, ['x0', 'x1', 'x2', 'x3']);
  assert.deepEqual(batch.t.shape, [4, 2]);
  const sums = [...new data.DataLoader(new Items(), { batchSize: 3, collateFn: (items) => items.reduce((s, it) => s + it.a, 0) })];
  assert.deepEqual(sums, [3, 3]);
});

test('shuffle with torch.manualSeed(0) and no generator: PyTorch\'s order for 3 epochs, and the default generator afterwards', () => {
  torch.manualSeed(0);
  const epochs = [0, 1, 2].map(() => batchIds(new data.DataLoader(ds(), { batchSize: 3, shuffle: true })));
  assert.deepEqual(epochs, F.shuffle_default_seed0.epochs);
  assert.deepEqual(values(torch.rand([4])), F.shuffle_default_seed0.after);
});

test('shuffle with a Generator seeded 42 (dropLast): PyTorch\'s order for 2 epochs and the generator state afterwards', () => {
  const g = new torch.Generator(42);
  const loader = new data.DataLoader(ds(), { batchSize: 4, shuffle: true, generator: g, dropLast: true });
  const epochs = [batchIds(loader), batchIds(loader)];
  assert.deepEqual(epochs, F.shuffle_generator42.epochs);
  assert.deepEqual(values(torch.rand([4], { generator: g })), F.shuffle_generator42.after);
});

test('a sequential loader still draws its base seed per pass (as PyTorch), 100-item shuffle matches', () => {
  torch.manualSeed(0);
  assert.deepEqual(batchIds(new data.DataLoader(ds(), { batchSize: 4 })), F.sequential_seed0.batches);
  assert.deepEqual(values(torch.rand([4])), F.sequential_seed0.after);
  torch.manualSeed(0);
  const big = new data.TensorDataset(torch.arange(100));
  assert.deepEqual(batchIds(new data.DataLoader(big, { batchSize: 32, shuffle: true })), F.shuffle_100_seed0);
});

test('randomSplit: lengths, fractions (remainder round-robin) and the default generator match PyTorch', () => {
  const range = (n: number) => new data.TensorDataset(torch.arange(n));
  const idx = (subsets: data.Subset[]) => subsets.map((s) => s.indices);
  assert.deepEqual(idx(data.randomSplit(range(10), [3, 7], { generator: new torch.Generator(42) })), F.split_lengths);
  const fr = data.randomSplit(range(11), [0.3, 0.3, 0.4], { generator: new torch.Generator(42) });
  assert.deepEqual(idx(fr), F.split_fractions);
  assert.deepEqual(fr.map((s) => s.len()), [4, 3, 4]);
  assert.equal(fr[0].getItem(0)[0].item(), F.split_fractions[0][0]);
  torch.manualSeed(3);
  assert.deepEqual(idx(data.randomSplit(range(8), [5, 3])), F.split_default_seed3);
  assert.throws(() => data.randomSplit(range(8), [5, 4]), /does not equal the length of the input dataset/);
});
