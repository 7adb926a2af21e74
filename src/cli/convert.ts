/**
 * @file `torchlet convert IN OUT`: between safetensors and torch.save files. A training checkpoint's model
 * (or any nested map) is picked with --key when the target is safetensors.
 */
import { save, Tensor } from '../index.js';
import { readCheckpoint } from './inspect.js';

export async function convertFile(input: string, output: string, key?: string): Promise<string> {
  let { value } = readCheckpoint(input);
  if (key) {
    for (const part of key.split('.')) {
      if (!(value instanceof Map) || !value.has(part)) throw new Error(`convert: key '${key}' not found in ${input} (at '${part}')`);
      value = value.get(part);
    }
  }
  if (output.endsWith('.safetensors') && value instanceof Map) {
    const nonTensor = [...value.entries()].filter(([, v]) => !(v instanceof Tensor)).map(([k]) => String(k));
    if (nonTensor.length) {
      throw new Error(`convert: safetensors holds only tensors, but ${input} has non-tensor entries (${nonTensor.slice(0, 5).join(', ')}${nonTensor.length > 5 ? ', ...' : ''}); pick the state dict with --key (e.g. --key model)`);
    }
  }
  await save(value, output);
  const n = value instanceof Map ? value.size : 1;
  return `wrote ${output} (${n} entries) from ${input}`;
}
