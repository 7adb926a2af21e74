/**
 * @file `torchlet summary MODEL` and `torchlet summary FILE --model MODEL`: build a torchlet/vision model by
 * torchvision's name (resnet18, mobilenet_v3_small, vit_b_16, ...), optionally load a checkpoint into it
 * (strict), and print nn.utils.summary with one forward pass on a random batch (parameters, buffers, and the
 * memory the autograd graph keeps alive for that batch).
 */
import { existsSync } from 'node:fs';
import * as torch from '../index.js';
import { models } from '../vision.js';

export interface ModelSummaryOpts { model?: string; input?: string; numClasses?: number; forward?: boolean }

/** Whether `arg` names a torchlet/vision model (and is not a file). */
export function isModelName(arg: string): boolean {
  return Object.prototype.hasOwnProperty.call(models.builders, arg) && !existsSync(arg);
}

function parseShape(s: string): number[] {
  const dims = s.split(/[,x]/).map((d) => Number(d.trim()));
  if (dims.length !== 4 || dims.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new Error(`--input must be a batch shape N,C,H,W like 1,3,224,224, got '${s}'`);
  }
  return dims;
}

export async function summarizeModel(arg: string, opts: ModelSummaryOpts = {}): Promise<string> {
  const name = opts.model ?? arg;
  const build = models.builders[name];
  if (!build) {
    throw new Error(`unknown model '${name}': use one of ${Object.keys(models.builders).join(', ')}`);
  }
  let numClasses = opts.numClasses;
  let sd: Map<string, unknown> | null = null;
  if (opts.model) {
    // FILE --model NAME: the checkpoint decides the number of classes (its last Linear's rows)
    const loaded = await torch.load(arg);
    const m: unknown = loaded instanceof Map && loaded.get('model') instanceof Map ? loaded.get('model') : loaded;
    if (!(m instanceof Map)) throw new Error(`${arg} does not hold a state dict (a map of tensors)`);
    sd = m as Map<string, unknown>;
    const head = [...sd.entries()].filter(([k, v]) => /(^fc|classifier\.\d+|heads\.head)\.weight$/.test(k) && v instanceof torch.Tensor).pop();
    if (numClasses === undefined && head) numClasses = (head[1] as torch.Tensor).shape[0];
  }
  const model = build(numClasses === undefined ? {} : { numClasses });
  if (sd) model.loadStateDict(sd, { strict: true });
  const imageSize = name.startsWith('vit_') ? (model as unknown as { imageSize: number }).imageSize : 224;
  const input = parseShape(opts.input ?? `1,3,${imageSize},${imageSize}`);
  const header = `${name}${sd ? ` with the weights of ${arg} (strict load: every key matched)` : ' (random init)'}`;
  if (opts.forward === false) return `${header}\n${torch.nn.utils.summary(model).toString()}`;
  model.eval();
  return `${header}\n${torch.nn.utils.summary(model, torch.randn(input)).toString()}`;
}
