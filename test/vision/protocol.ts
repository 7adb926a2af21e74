/**
 * @file The protocol of scripts/fixtures/vision.py, in torchlet: build a model from a SPEC (seed 0), the data
 * (seed 1: x = randn(input), y = randint(0, numClasses, [N]) as int64), eval logits, three training steps,
 * per-tensor SHA-256 prefixes of the state dict (float32 bytes, as numpy's tobytes). Not a test file.
 */
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '../../src/index.js';
import { models } from '../../src/vision.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'vision');
export const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 'fixtures', 'vision.py');

export interface Spec { arch: string; opts: Record<string, unknown>; input: number[] }
export interface Train { kind: 'sgd' | 'adamw'; lr: number; momentum?: number; weightDecay: number }
export interface Case {
  name: string;
  spec: Spec;
  keys: [string, number[], string][];
  sha: Record<string, string>;
  x_sha: string;
  y: number[];
  logits0: number[];
  train?: Train;
  losses?: number[];
  logits1?: number[];
  watch?: Record<string, number[]>;
  checkpoint?: { file: string; logits: number[] };
}

/** The torchlet model of a SPEC (the current seed decides its weights). */
export function build(spec: Spec): torch.nn.Module {
  const o = { ...spec.opts };
  if (spec.arch === 'VisionTransformer') return new models.VisionTransformer(o as unknown as models.VisionTransformerOpts);
  if (spec.arch === 'ResNet') {
    const block = o.block === 'Bottleneck' ? models.Bottleneck : models.BasicBlock;
    const layers = o.layers as number[];
    delete o.block; delete o.layers;
    return new models.ResNet(block, layers, o);
  }
  const b = models.builders[spec.arch];
  if (!b) throw new Error(`unknown arch ${spec.arch}`);
  return b(o);
}

export function data(spec: Spec): { x: torch.Tensor; y: torch.Tensor } {
  torch.manualSeed(1);
  const x = torch.randn(spec.input);
  const y = torch.randint(0, (spec.opts.numClasses as number | undefined) ?? 1000, [spec.input[0]], { dtype: 'int64' });
  return { x, y };
}

export function sha(t: torch.Tensor): string {
  const a = t.contiguous().dataSync();
  return createHash('sha256').update(Buffer.from(a.buffer, a.byteOffset, a.byteLength)).digest('hex').slice(0, 16);
}

export function evalLogits(model: torch.nn.Module, x: torch.Tensor): Float32Array {
  model.eval();
  return torch.noGrad(() => (model.call(x) as torch.Tensor).contiguous().dataSync() as Float32Array);
}

/** Three steps of cross-entropy training in train mode; returns the losses. */
export function trainSteps(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, tr: Train, steps = 3): number[] {
  model.train();
  const opt = tr.kind === 'sgd'
    ? new torch.optim.SGD(model.parameters(), { lr: tr.lr, momentum: tr.momentum ?? 0, weightDecay: tr.weightDecay })
    : new torch.optim.AdamW(model.parameters(), { lr: tr.lr, weightDecay: tr.weightDecay });
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    opt.zeroGrad();
    const loss = torch.nn.functional.crossEntropy(model.call(x) as torch.Tensor, y);
    loss.backward();
    opt.step();
    losses.push(loss.item());
  }
  return losses;
}

/** Max relative error over an array, relative to the largest magnitude of the expected values. */
export function relErr(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let scale = 0, err = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  for (let i = 0; i < expected.length; i++) err = Math.max(err, Math.abs(actual[i] - expected[i]));
  return scale === 0 ? err : err / scale;
}
