/**
 * @file The protocol of scripts/fixtures/vision.py, in torchlet: build a model from a SPEC (seed 0), the data
 * (seed 1: x = randn(input), y = randint(0, numClasses, [N]) as int64), eval logits, three training steps,
 * per-tensor SHA-256 prefixes of the state dict (float32 bytes, as numpy's tobytes). Not a test file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '../../src/index.js';
import { models } from '../../src/vision.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'vision');
export const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 'fixtures', 'vision.py');

export interface Spec { arch: string; opts: Record<string, unknown>; input: number[] }
export interface Train {
  kind: 'sgd' | 'adamw'; lr: number; momentum?: number; weightDecay: number;
  /** A looser tolerance for the state after training, with the reason in scripts/fixtures/vision.py. */
  trainedTol?: number;
}
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

export interface VisionFixture { torch: string; torchvision: string; glibc: string; cases: Case[] }

/** The random profile of a PyTorch on this glibc: 2.41+ has a correctly rounded erff (trunc_normal_'s last bits). */
export function profileFor(glibc: string): string {
  const [maj, min] = glibc.split('.').map(Number);
  return maj > 2 || (maj === 2 && min >= 41) ? 'x86-64-avx2-glibc2.41' : 'x86-64-avx2';
}

/** Build under the random profile of the PyTorch that made the fixtures (seed 0 first). */
export function buildAsReference(spec: Spec, glibc = loadCases().glibc): torch.nn.Module {
  const prev = torch.setRandomProfile(profileFor(glibc));
  try {
    torch.manualSeed(0);
    return build(spec);
  } finally { torch.setRandomProfile(prev); }
}

let fixture: VisionFixture | null = null;
/** test/fixtures/vision/vision.json (made by scripts/fixtures/vision.py fixtures). */
export function loadCases(): VisionFixture {
  fixture ??= JSON.parse(readFileSync(join(FIXTURES, 'vision.json'), 'utf8')) as VisionFixture;
  return fixture;
}
export function getCase(name: string): Case {
  const c = loadCases().cases.find((x) => x.name === name);
  if (!c) throw new Error(`no case ${name} in test/fixtures/vision/vision.json`);
  return c;
}

// Tolerances (relative to the largest magnitude): eval logits and losses in float32 through 20-50 layers.
export const TOL = { logits: 1e-4, loss: 1e-4, trained: 1e-4 };

/**
 * The tests of one fixture case: the state-dict keys/shapes/dtypes are torchvision's, the default init is
 * torchvision's bit for bit (SHA-256 of every tensor), the same data, eval logits, three training steps
 * (losses, logits after, watched tensors), and the committed checkpoint (saved by torchvision) loading strictly.
 */
export function caseTests(name: string, opts: { train?: boolean } = {}): void {
  const c = getCase(name);
  let model: torch.nn.Module;
  const d = () => data(c.spec);
  test(`${name}: state-dict keys, shapes and dtypes are torchvision's (in order)`, () => {
    model = buildAsReference(c.spec);
    const sd = model.stateDict();
    assert.deepEqual([...sd].map(([k, v]) => [k, [...v.shape], v.dtype]), c.keys);
  });
  test(`${name}: default init equals torchvision's bit for bit (seed 0)`, () => {
    const sd = model.stateDict();
    const bad = Object.entries(c.sha).filter(([k, h]) => sha(sd.get(k)!) !== h).map(([k]) => k);
    assert.deepEqual(bad, [], `tensors whose bits differ from torchvision's: ${bad.join(', ')}`);
    const { x, y } = d();
    assert.equal(sha(x), c.x_sha);
    assert.deepEqual(y.tolist(), c.y);
  });
  test(`${name}: eval outputs agree with torchvision's (rel ${TOL.logits})`, () => {
    const e = relErr(evalLogits(model, d().x), c.logits0);
    assert.ok(e <= TOL.logits, `eval logits differ by ${e}`);
  });
  if (c.train && opts.train !== false) {
    test(`${name}: three ${c.train.kind} steps in train mode agree with PyTorch's`, () => {
      const { x, y } = d();
      const losses = trainSteps(model, x, y, c.train!);
      const le = relErr(losses, c.losses!);
      assert.ok(le <= TOL.loss, `losses ${losses} vs ${c.losses} (rel ${le})`);
      const tol = c.train!.trainedTol ?? TOL.trained;
      const e = relErr(evalLogits(model, x), c.logits1!);
      assert.ok(e <= tol, `eval logits after training differ by ${e}`);
      const sd = model.stateDict();
      for (const [k, v] of Object.entries(c.watch!)) {
        const we = relErr(sd.get(k)!.contiguous().dataSync(), v);
        assert.ok(we <= tol, `${k} after training differs by ${we}`);
      }
    });
  }
  if (c.checkpoint) {
    test(`${name}: a state dict saved by torchvision (${c.checkpoint.file}) loads strictly and gives its outputs`, async () => {
      const m = build(c.spec);
      const sd = await torch.load(join(FIXTURES, c.checkpoint!.file));
      const r = m.loadStateDict(sd as Map<string, torch.Tensor>, { strict: true });
      assert.deepEqual([r.missingKeys, r.unexpectedKeys], [[], []]);
      const e = relErr(evalLogits(m, d().x), c.checkpoint!.logits);
      assert.ok(e <= TOL.logits, `eval logits differ by ${e}`);
    });
  }
}
