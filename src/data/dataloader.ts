/**
 * @file torch.utils.data.DataLoader (single process): batches of `batchSize` items collated by `collateFn`
 * (default: stack tensors, numbers into tensors, recurse into arrays and objects), `shuffle` with the permutation
 * PyTorch's RandomSampler draws, `dropLast`. The random draws match PyTorch 1.13 exactly: creating an iterator
 * draws the base seed `random_()` (int64) from the loader's generator (or the default one), and a RandomSampler
 * without a generator then draws a seed from the default generator and shuffles with a fresh Generator seeded by it.
 */
import { checkSpec } from '../core/args.js';
import { Tensor } from '../tensor/tensor.js';
import { stack } from '../ops/movement.js';
import { indexSelect } from '../ops/indexing.js';
import { tensor } from '../ops/creation.js';
import { defaultGenerator, Generator, randperm } from '../random/index.js';
import { DataError, Dataset, TensorDataset } from './dataset.js';

const TWO_POW_63 = 1n << 63n;

/** `torch.empty((), dtype=torch.int64).random_(generator=g).item()`: random64() mod 2^63. */
function drawInt64(g: Generator): bigint { return g.random64() % TWO_POW_63; }

/** Items in order. */
export class SequentialSampler implements Iterable<number> {
  constructor(readonly dataSource: { len(): number }) {}
  *[Symbol.iterator](): Iterator<number> { const n = this.dataSource.len(); for (let i = 0; i < n; i++) yield i; }
  len(): number { return this.dataSource.len(); }
}

/**
 * A random permutation per pass, as torch.utils.data.RandomSampler without replacement: `numSamples // n` full
 * permutations, then the first `numSamples % n` items of one more. That last randperm is drawn even when it
 * contributes nothing (PyTorch draws it when the pass is exhausted), so generator states stay in step with PyTorch.
 */
export class RandomSampler implements Iterable<number> {
  constructor(readonly dataSource: { len(): number }, readonly generator: Generator | null = null, readonly numSamples?: number) {
    if (numSamples !== undefined && (!Number.isInteger(numSamples) || numSamples <= 0)) {
      throw new DataError(`RandomSampler: numSamples should be a positive integer value, but got numSamples=${numSamples}`);
    }
  }
  *[Symbol.iterator](): Iterator<number> {
    const n = this.dataSource.len();
    const total = this.numSamples ?? n;
    if (n === 0) return;
    let g = this.generator;
    if (g === null) {
      const seed = drawInt64(defaultGenerator);
      g = new Generator(seed);
    }
    for (let k = 0; k < Math.floor(total / n); k++) yield* randperm(g, n);
    yield* randperm(g, n).subarray(0, total % n);
  }
  len(): number { return this.numSamples ?? this.dataSource.len(); }
}

export type CollateFn<T, B> = (batch: T[]) => B;

/** What `defaultCollate` makes of a batch of `T`: tensors and numbers stack into a Tensor, arrays and objects collate per field. */
export type Collated<T> = T extends Tensor | number | boolean ? Tensor
  : T extends string ? string[]
    : T extends readonly (infer E)[] ? Collated<E>[]
      : T extends object ? { [K in keyof T]: Collated<T[K]> }
        : unknown;

/** Collate a list of samples: tensors stacked along a new dim 0, numbers into a tensor (all integers: int64,
 *  else float64, as PyTorch's int/float), booleans into bool, strings kept as a list, arrays and objects per entry. */
export function defaultCollate(batch: unknown[]): unknown {
  if (batch.length === 0) throw new DataError('defaultCollate: got an empty batch');
  const elem = batch[0];
  if (elem instanceof Tensor) return stack(batch as Tensor[], 0);
  if (typeof elem === 'number') {
    const nums = batch as number[];
    return tensor(nums, { dtype: nums.every(Number.isInteger) ? 'int64' : 'float64' });
  }
  if (typeof elem === 'boolean') return tensor(batch as boolean[], { dtype: 'bool' });
  if (typeof elem === 'string') return batch;
  if (Array.isArray(elem)) {
    const len = elem.length;
    for (const b of batch) if (!Array.isArray(b) || b.length !== len) throw new DataError('defaultCollate: each element in list of batch should be of equal size');
    return elem.map((_, i) => defaultCollate(batch.map((b) => (b as unknown[])[i])));
  }
  if (elem !== null && typeof elem === 'object') {
    return Object.fromEntries(Object.keys(elem).map((k) => [k, defaultCollate(batch.map((b) => (b as Record<string, unknown>)[k]))]));
  }
  throw new DataError(`defaultCollate: batch must contain tensors, numbers, booleans, strings, arrays or objects; found ${elem === null ? 'null' : typeof elem}`);
}

export interface DataLoaderOptions<T, B> {
  batchSize?: number | null;
  shuffle?: boolean;
  dropLast?: boolean;
  collateFn?: CollateFn<T, B>;
  generator?: Generator;
  /** A custom index sampler (mutually exclusive with shuffle). */
  sampler?: Iterable<number> & { len?(): number };
}

/** Iterate a dataset in batches: `for (const [x, y] of loader)`. */
export class DataLoader<T = unknown, B = Collated<T>> implements Iterable<B> {
  readonly dataset: Dataset<T>;
  readonly batchSize: number | null;
  readonly dropLast: boolean;
  readonly collateFn: CollateFn<T, B>;
  readonly generator: Generator | null;
  readonly sampler: Iterable<number> & { len?(): number };

  constructor(dataset: Dataset<T>, options: DataLoaderOptions<T, B> = {}) {
    const opts = checkSpec<DataLoaderOptions<T, B>>('DataLoader', options, {
      batchSize: 'any', shuffle: 'bool', dropLast: 'bool', collateFn: 'function',
      generator: 'any', sampler: 'any',
    });
    const { batchSize = 1, shuffle = false, dropLast = false, generator, sampler } = opts;
    if (!(dataset instanceof Dataset) && typeof (dataset as { getItem?: unknown })?.getItem !== 'function') {
      throw new DataError('DataLoader: dataset must be a data.Dataset (with len() and getItem(i))');
    }
    if (batchSize !== null && (!Number.isInteger(batchSize) || batchSize <= 0)) {
      throw new DataError(`DataLoader: batchSize should be a positive integer value, but got batchSize=${batchSize}`);
    }
    if (sampler && shuffle) throw new DataError('DataLoader: sampler option is mutually exclusive with shuffle');
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.dropLast = dropLast;
    this.generator = generator ?? null;
    this.sampler = sampler ?? (shuffle ? new RandomSampler(dataset, this.generator) : new SequentialSampler(dataset));
    this.collateFn = opts.collateFn ?? (batchSize === null ? ((x: T[]) => x[0] as unknown as B) : (defaultCollate as CollateFn<T, B>));
  }

  /** Number of batches per pass. */
  len(): number {
    const n = this.sampler.len ? this.sampler.len() : this.dataset.len();
    if (this.batchSize === null) return n;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }
  get length(): number { return this.len(); }

  [Symbol.iterator](): Iterator<B> {
    // PyTorch's _BaseDataLoaderIter draws its base seed when the iterator is created
    drawInt64(this.generator ?? defaultGenerator);
    return this.batches();
  }

  /** A plain TensorDataset on the CPU, the default collate and a built-in sampler (whose indices are in range). */
  private rowsFastPath(): boolean {
    const ds = this.dataset as unknown;
    return ds instanceof TensorDataset && ds.constructor === TensorDataset && this.collateFn === (defaultCollate as unknown)
      && (this.sampler instanceof RandomSampler || this.sampler instanceof SequentialSampler)
      && ds.tensors.every((t) => t.device === 'cpu');
  }

  private *batches(): IterableIterator<B> {
    const bs = this.batchSize;
    if (bs === null) {
      for (const i of this.sampler) yield this.collateFn([this.dataset.getItem(i)]);
      return;
    }
    if (this.rowsFastPath()) {
      // TensorDataset + default collate: gather each batch with one indexSelect per tensor (the same values,
      // dtypes and shapes as stacking the per-item rows), in the sampler's order
      const tensors = (this.dataset as unknown as TensorDataset).tensors;
      const rows = (idx: number[]) => {
        const index = tensor(idx, { dtype: 'int64' });
        return tensors.map((t) => indexSelect(t, 0, index)) as B;
      };
      let idx: number[] = [];
      for (const i of this.sampler) {
        idx.push(i);
        if (idx.length === bs) { yield rows(idx); idx = []; }
      }
      if (idx.length > 0 && !this.dropLast) yield rows(idx);
      return;
    }
    let batch: T[] = [];
    for (const i of this.sampler) {
      batch.push(this.dataset.getItem(i));
      if (batch.length === bs) { yield this.collateFn(batch); batch = []; }
    }
    if (batch.length > 0 && !this.dropLast) yield this.collateFn(batch);
  }
}
