/**
 * @file `torchlet/text`: language-model architectures with Hugging Face's module trees and state-dict keys.
 *
 *   import { models } from 'torchlet/text';
 *   const gpt = models.gpt2({ nLayer: 2, nEmbd: 64, nHead: 4 });   // defaults: GPT-2 small (124M)
 *   const out = gpt.generate(torch.tensor([[464, 3290]], { dtype: 'int64' }), { maxNewTokens: 20 });
 */
import '../index.js'; // the devices and the wasm GEMM, as `import 'torchlet'` sets them up
import { GPT2LMHeadModel, type GPT2Config } from './gpt2.js';

export {
  GPT2LMHeadModel, GPT2Model, GPT2Block, GPT2Attention, GPT2MLP, Conv1D, GPT2_DEFAULTS, gpt2Config,
  type GPT2Config, type KVCache,
} from './gpt2.js';
export { generate, nextToken, type GenerateOpts } from './generate.js';

/** GPT-2 (GPT2LMHeadModel) with Hugging Face's keys and init; every option defaults to GPT-2 small's config. */
function gpt2(config: Partial<GPT2Config> = {}): GPT2LMHeadModel { return new GPT2LMHeadModel(config); }

export const models = { gpt2 };
