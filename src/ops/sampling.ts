/**
 * @file torch.multinomial, with PyTorch's CPU algorithm for draws without replacement (or of one sample): the
 * exponential race q ~ Exp(1) (`empty_like(p).exponential_()`), then argmax(p / q) for one sample or
 * topk(p / q, n) for n, so a seeded generator gives the same indices as PyTorch's CPU kernel where both draw
 * Exp(1) from the mt19937 stream (PyTorch 1.13; see the GPT-2 tests for PyTorch 2.6).
 */
import { ArgumentError, checkBoolean, checkNumber, checkOptions, describeValue } from '../core/args.js';
import { DTypeError, ShapeError } from '../core/errors.js';
import { fmt } from '../core/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { Generator } from '../random/index.js';
import { empty } from './creation.js';
import { div } from './elementwise.js';
import { exponential_ } from './inplace.js';
import { argmax, topk } from './reduce.js';
import { customOp, type OpFn } from './registry.js';

export interface MultinomialOpts { replacement?: boolean; generator?: Generator }

const FN = 'multinomial';

function multinomialFn(input: Tensor, numSamples: number, opts: MultinomialOpts = {}): Tensor {
  const o = checkOptions<MultinomialOpts>(FN, opts, ['replacement', 'generator']);
  if (!(input instanceof Tensor)) throw new ArgumentError(`${FN}: input must be a Tensor of weights, got ${describeValue(input)}`);
  const n = checkNumber(FN, 'numSamples', numSamples, { integer: true, min: 1 });
  const replacement = o.replacement === undefined ? false : checkBoolean(FN, 'replacement', o.replacement);
  if (input.ndim !== 1 && input.ndim !== 2) throw new ShapeError(`${FN}: prob_dist must be 1 or 2 dim, got shape ${fmt(input.shape)}`);
  if (input.dtype !== 'float32' && input.dtype !== 'float64') throw new DTypeError(`${FN}: only supports floating-point dtypes for input, got: ${input.dtype}`);
  const C = input.shape[input.ndim - 1];
  if (C === 0) throw new ShapeError(`${FN}: number of categories cannot be zero`);
  if (!replacement && n > C) throw new ShapeError(`${FN}: cannot sample numSamples = ${n} > input.size(-1) = ${C} samples without replacement`);
  if (replacement && n > 1) {
    throw new ArgumentError(`${FN}: replacement: true with numSamples > 1 is not implemented (PyTorch's CPU kernel draws it by inverse CDF); draw numSamples: 1 repeatedly or use replacement: false`);
  }
  if (input.device === 'cpu') {
    const vals = input.dataSync() as Float32Array | Float64Array;
    const rows = input.ndim === 1 ? 1 : input.shape[0];
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let c = 0; c < C; c++) {
        const x = vals[r * C + c];
        if (!Number.isFinite(x) || x < 0) throw new ArgumentError(`${FN}: probability tensor contains either inf, nan or element < 0 (row ${r}, index ${c}: ${x})`);
        s += x;
      }
      if (!(s > 0)) throw new ArgumentError(`${FN}: invalid multinomial distribution (sum of probabilities <= 0) in row ${r}`);
    }
  }
  const q = exponential_(empty([...input.shape], { dtype: input.dtype, device: input.device }), 1, { generator: o.generator });
  const race = div(input.detach(), q);
  if (n === 1) return argmax(race, -1, { keepdim: true });
  return topk(race, n, -1).indices;
}
/**
 * numSamples indices per row of `input` ([C] or [N, C] non-negative weights, not necessarily normalised), drawn
 * with probability proportional to the weights: int64 [numSamples] or [N, numSamples]. Without replacement an
 * index is drawn at most once per row. With replacement, only numSamples = 1 is implemented (the same draw).
 */
export const multinomial: OpFn<typeof multinomialFn, true, false> = customOp({
  name: 'multinomial', fn: multinomialFn, method: true, kernels: ['readSync'], nonDifferentiable: 'integer indices drawn at random', samples: [],
});
