/**
 * @file The `torchlet/peft` entry (package.json exports "./peft" → dist/peft.js): LoRA adapters, see src/peft/.
 */
export * from './peft/index.js';
