/**
 * @file Error messages: each names the op and the shapes / dtypes / indices involved, and is of the right class.
 */
import { test } from 'node:test';
import * as torch from '../helpers/torch.js';
import { assertThrowsWith } from '../helpers/index.js';

const { ShapeError, DTypeError, IndexError } = torch;

test('broadcast shape mismatch names the op and both shapes', () => {
  assertThrowsWith(() => torch.add(torch.ones([2, 3]), torch.ones([4])), ['add', '[2, 3]', '[4]', 'broadcast'], ShapeError);
  assertThrowsWith(() => torch.ones([3, 1]).mul(torch.ones([2, 2])), ['mul', '[3, 1]', '[2, 2]'], ShapeError);
  assertThrowsWith(() => torch.where(torch.ones([2]).gt(0), torch.ones([3]), 0), ['where', '[2]', '[3]'], ShapeError);
  assertThrowsWith(() => torch.ones([2, 3]).expand([4, 3]), ['expand', '[4, 3]', '[2, 3]'], ShapeError);
  assertThrowsWith(() => torch.cat([torch.ones([2, 3]), torch.ones([2, 4])]), ['cat', '[2, 3]', '[2, 4]'], ShapeError);
  assertThrowsWith(() => torch.stack([torch.ones([2]), torch.ones([3])]), ['stack', '[2]', '[3]'], ShapeError);
});

test('matmul inner-dimension mismatch names both shapes', () => {
  assertThrowsWith(() => torch.matmul(torch.ones([2, 3]), torch.ones([4, 5])), ['matmul', '[2, 3]', '[4, 5]'], ShapeError);
  assertThrowsWith(() => torch.ones([2, 2, 3]).matmul(torch.ones([2])), ['matmul', '[2, 2, 3]', '[2, 1]'], ShapeError);
  assertThrowsWith(() => torch.matmul(torch.ones([3]), torch.ones([4])), ['matmul', '3', '4'], ShapeError);
  assertThrowsWith(() => torch.matmul(torch.ones([2, 2, 3]), torch.ones([3, 3, 1])), ['matmul', '[2]', '[3]'], ShapeError);
  assertThrowsWith(() => torch.bmm(torch.ones([2, 3]), torch.ones([2, 3, 4])), ['bmm', '[2, 3]', '[2, 3, 4]'], ShapeError);
  assertThrowsWith(() => torch.bmm(torch.ones([2, 3, 4]), torch.ones([3, 4, 4])), ['bmm', '[2, 3, 4]', '[3, 4, 4]'], ShapeError);
  assertThrowsWith(() => torch.matmul(torch.ones([]), torch.ones([3])), ['matmul', '[]', '[3]'], ShapeError);
});

test('reshape / view to an incompatible size names both shapes', () => {
  assertThrowsWith(() => torch.ones([2, 3]).reshape([4, 2]), ['reshape', '[4, 2]', '6', '[2, 3]'], ShapeError);
  assertThrowsWith(() => torch.ones([2, 3]).view([-1, 4]), ['view', '[-1, 4]', '[2, 3]'], ShapeError);
  assertThrowsWith(() => torch.ones([2, 3]).reshape([-1, -1]), ['reshape', 'only one dimension'], ShapeError);
  assertThrowsWith(() => torch.ones([2, 3]).t().view([6]), ['view', '[6]', '[3, 2]', 'reshape'], ShapeError);
  assertThrowsWith(() => torch.ones([6]).unflatten(0, [4, -1]), ['unflatten', '[4, -1]'], ShapeError);
});

test('dtype mismatch: matmul float32 vs float64 names both dtypes and shapes', () => {
  assertThrowsWith(() => torch.matmul(torch.ones([2, 3]), torch.ones([3, 2], { dtype: 'float64' })), ['matmul', 'float32', 'float64', '[2, 3]', '[3, 2]'], DTypeError);
  assertThrowsWith(() => torch.ones([2]).gather(0, torch.tensor([0.5])), ['gather', 'float32', 'int64'], DTypeError);
  assertThrowsWith(() => torch.ones([2]).maskedFill(torch.ones([2]), 0), ['maskedFill', 'bool', 'float32'], DTypeError);
  assertThrowsWith(() => torch.tensor([1, 2], { dtype: 'int64' }).mean(), ['mean', 'int64'], torch.TorchletError);
  assertThrowsWith(() => torch.ones([2]).gather(0, torch.tensor([0])), ['gather', 'float32', "{ dtype: 'int64' }"], DTypeError);
});

test('out-of-range dims name the op, the range and the dim', () => {
  const x = torch.ones([2, 3]);
  assertThrowsWith(() => x.sum(2), ['sum', '[-2, 1]', '2'], IndexError);
  assertThrowsWith(() => x.softmax(-3), ['softmax', '-3'], IndexError);
  assertThrowsWith(() => x.transpose(0, 5), ['transpose', '5'], IndexError);
  assertThrowsWith(() => x.unsqueeze(4), ['unsqueeze', '[-3, 2]', '4'], IndexError);
  assertThrowsWith(() => torch.cat([x, x], 2), ['cat', '2'], IndexError);
  assertThrowsWith(() => x.permute([0, 2]), ['permute', '2'], IndexError);
  assertThrowsWith(() => x.permute([0]), ['permute', '[2, 3]'], ShapeError);
  assertThrowsWith(() => x.max(3), ['max', '3'], IndexError);
  assertThrowsWith(() => x.size(2), ['size', '2']);
  assertThrowsWith(() => x.flatten(0, 4), ['flatten', '4'], IndexError);
  assertThrowsWith(() => x.squeeze(2), ['squeeze', '2'], IndexError);
  assertThrowsWith(() => x.sum([0, 0]), ['sum', 'multiple times'], ShapeError);
});

test('out-of-range indices name the op, the index and the size', () => {
  const x = torch.ones([2, 3]);
  assertThrowsWith(() => x.select(1, 3), ['select', 'index 3', 'size 3', '[2, 3]'], IndexError);
  assertThrowsWith(() => x.select(0, -3), ['select', '-3', 'size 2'], IndexError);
  assertThrowsWith(() => x.narrow(1, 2, 2), ['narrow', '(2)', '(3)', '[2, 3]'], IndexError);
  assertThrowsWith(() => x.gather(1, torch.tensor([[0, 3]], { dtype: 'int64' })), ['gather', 'index 3', 'size 3'], IndexError);
  assertThrowsWith(() => x.indexSelect(0, torch.tensor([2], { dtype: 'int64' })), ['index_select', 'index 2', 'size 2'], IndexError);
  assertThrowsWith(() => x.scatter(1, torch.tensor([[5]], { dtype: 'int64' }), 1), ['scatter', 'index 5', 'size 3'], IndexError);
  assertThrowsWith(() => x.scatterAdd(0, torch.tensor([[-3]], { dtype: 'int64' }), torch.ones([1, 1])), ['scatter_add', '-3', 'size 2'], IndexError);
  assertThrowsWith(() => torch.oneHot(torch.tensor([0, 4], { dtype: 'int64' }), 3), ['oneHot', '4', '3'], IndexError);
  assertThrowsWith(() => x.topk(4), ['topk', '4', 'size 3'], ShapeError);
  assertThrowsWith(() => x.index(0, 0, 0), ['index', 'too many indices', '2'], IndexError);
  assertThrowsWith(() => x.split([1, 1], 1), ['split', '[1, 1]', '3'], ShapeError);
});
