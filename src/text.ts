/**
 * @file The `torchlet/text` entry (package.json exports "./text" → dist/text.js): GPT-2 and generation, see src/text/.
 */
import { setup } from './setup.js';
setup();
export * from './text/index.js';
