/**
 * @file The `torchlet/peft` entry (package.json exports "./peft" → dist/peft.js): LoRA adapters, see src/peft/.
 */
import { setup } from './setup.js';
setup();
export * from './peft/index.js';
