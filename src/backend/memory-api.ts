/** @file torch.memory: live/peak bytes per device. */
export { stats, resetPeak, type MemoryStats } from './memory.js';
