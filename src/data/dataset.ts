/**
 * @file torch.utils.data datasets: the abstract Dataset (len(), getItem(i)), TensorDataset, Subset,
 * ConcatDataset, and randomSplit (PyTorch's randperm-based split, fractions allowed).
 */
import { checkSpec } from '../core/args.js';
import { TorchletError, IndexError } from '../core/errors.js';
import { keepClassNames } from '../core/class-names.js';
import { Tensor } from '../tensor/tensor.js';
import { defaultGenerator, Generator, randperm } from '../random/index.js';

export class DataError extends TorchletError {}
keepClassNames({ DataError });

/** A map-style dataset: `len()` items, `getItem(i)` for i in [0, len()). */
export abstract class Dataset<T = unknown> {
  abstract len(): number;
  abstract getItem(index: number): T;
  /** Iterate over the items in order. */
  *[Symbol.iterator](): Iterator<T> { const n = this.len(); for (let i = 0; i < n; i++) yield this.getItem(i); }
}

/** Items are the i-th rows of each tensor: `getItem(i)` returns `[t0[i], t1[i], ...]`. */
export class TensorDataset extends Dataset<Tensor[]> {
  readonly tensors: Tensor[];
  constructor(...tensors: Tensor[]) {
    super();
    if (tensors.length === 0) throw new DataError('TensorDataset: expected at least one tensor');
    for (const t of tensors) if (!(t instanceof Tensor) || t.ndim === 0) throw new DataError('TensorDataset: every argument must be a tensor with at least one dimension (rows are items)');
    const n = tensors[0].shape[0];
    tensors.forEach((t, i) => {
      if (t.shape[0] !== n) throw new DataError(`TensorDataset: Size mismatch between tensors: tensor 0 has ${n} rows, tensor ${i} has ${t.shape[0]}; all tensors must share their first dimension`);
    });
    this.tensors = tensors;
  }
  len(): number { return this.tensors[0].shape[0]; }
  getItem(index: number): Tensor[] {
    const n = this.len();
    const i = index < 0 ? index + n : index;
    if (!Number.isInteger(i) || i < 0 || i >= n) throw new IndexError(`TensorDataset: index ${index} is out of range for a dataset of ${n} items`);
    return this.tensors.map((t) => t.select(0, i));
  }
}

/** The items of `dataset` at `indices`. */
export class Subset<T = unknown> extends Dataset<T> {
  constructor(readonly dataset: Dataset<T>, readonly indices: number[]) { super(); }
  len(): number { return this.indices.length; }
  getItem(index: number): T {
    const i = index < 0 ? index + this.indices.length : index;
    if (i < 0 || i >= this.indices.length) throw new IndexError(`Subset: index ${index} is out of range for a subset of ${this.indices.length} items`);
    return this.dataset.getItem(this.indices[i]);
  }
}

/** Several datasets one after another. */
export class ConcatDataset<T = unknown> extends Dataset<T> {
  readonly cumulativeSizes: number[];
  constructor(readonly datasets: Dataset<T>[]) {
    super();
    if (datasets.length === 0) throw new DataError('ConcatDataset: datasets should not be an empty iterable');
    let s = 0;
    this.cumulativeSizes = datasets.map((d) => (s += d.len()));
  }
  len(): number { return this.cumulativeSizes[this.cumulativeSizes.length - 1]; }
  getItem(index: number): T {
    const n = this.len();
    const i = index < 0 ? index + n : index;
    if (i < 0 || i >= n) throw new IndexError(`ConcatDataset: index ${index} is out of range for a dataset of ${n} items`);
    const d = this.cumulativeSizes.findIndex((c) => i < c);
    return this.datasets[d].getItem(d === 0 ? i : i - this.cumulativeSizes[d - 1]);
  }
}

/**
 * Split a dataset into non-overlapping subsets of the given lengths (or fractions summing to 1, floored, then the
 * remainder handed out round-robin), with the permutation `torch.randperm(n, generator)` as PyTorch draws it.
 */
export function randomSplit<T>(dataset: Dataset<T>, lengths: readonly number[], opts: { generator?: Generator } = {}): Subset<T>[] {
  const { generator = defaultGenerator } = checkSpec<{ generator: Generator }>('randomSplit', opts, { generator: 'any' });
  let lens = [...lengths];
  const total = lens.reduce((a, b) => a + b, 0);
  const n = dataset.len();
  if (Math.abs(total - 1) <= 1e-9 * Math.max(1, Math.abs(total)) && total <= 1) {
    lens = lens.map((frac, i) => {
      if (frac < 0 || frac > 1) throw new DataError(`randomSplit: Fraction at index ${i} is not between 0 and 1`);
      return Math.floor(n * frac);
    });
    const remainder = n - lens.reduce((a, b) => a + b, 0);
    for (let i = 0; i < remainder; i++) lens[i % lens.length] += 1;
    lens.forEach((l, i) => { if (l === 0) (globalThis as { process?: { emitWarning?(m: string): void } }).process?.emitWarning?.(`randomSplit: Length of split at index ${i} is 0. This might result in an empty dataset.`); });
  }
  const sum = lens.reduce((a, b) => a + b, 0);
  if (sum !== n) throw new DataError(`randomSplit: Sum of input lengths (${sum}) does not equal the length of the input dataset (${n}); pass lengths that add up to ${n} or fractions that add up to 1`);
  const perm = Array.from(randperm(generator, sum));
  let offset = 0;
  return lens.map((l) => { const s = new Subset(dataset, perm.slice(offset, offset + l)); offset += l; return s; });
}
