/**
 * @file torch.utils.data as `data`: datasets, samplers, DataLoader, randomSplit.
 */
export { Dataset, TensorDataset, Subset, ConcatDataset, randomSplit, DataError } from './dataset.js';
export { DataLoader, defaultCollate, RandomSampler, SequentialSampler, type DataLoaderOptions, type CollateFn, type Collated } from './dataloader.js';
