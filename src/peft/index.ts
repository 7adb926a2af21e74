/**
 * @file `torchlet/peft`: LoRA fine-tuning with PEFT's module tree, initialization, state-dict keys and adapter files.
 *
 *   import { LoraConfig, getPeftModel } from 'torchlet/peft';
 *   const lora = getPeftModel(model, new LoraConfig({ r: 8, loraAlpha: 16, targetModules: ['c_attn'], fanInFanOut: true }));
 *   lora.printTrainableParameters();
 *   await lora.savePretrained('adapter/');        // adapter_model.safetensors + adapter_config.json
 */
import type { Module } from '../nn/module.js';
import { LoraConfig } from './config.js';
import { PeftModel } from './peft-model.js';
import { checkAdapterName } from './model.js';

export { LoraConfig, type LoraConfigOptions, type LoraBias, type InitLoraWeights } from './config.js';
export { LoraLayer, LoraLinear, LoraConv2d, LoraEmbedding } from './layer.js';
export { LoraModel, ModulesToSaveWrapper } from './model.js';
export { PeftModel } from './peft-model.js';
export {
  getPeftModelStateDict, setPeftModelStateDict, ADAPTER_WEIGHTS_NAME, ADAPTER_CONFIG_NAME,
  type AdapterFiles, type LoadAdapterOptions,
} from './save.js';

/**
 * PEFT's get_peft_model: wraps the layers `config.targetModules` names in LoRA layers (drawing their A and B
 * from the global generator as PEFT does), freezes every other parameter, and returns the PeftModel
 * (state-dict keys `base_model.model.<path>...`). The model is changed in place: its layers are replaced.
 */
export function getPeftModel(model: Module, config: LoraConfig, adapterName = 'default'): PeftModel {
  checkAdapterName('getPeftModel', adapterName);
  return new PeftModel(model, config, adapterName);
}
