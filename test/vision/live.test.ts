/**
 * @file torchlet/vision against torchvision 0.21 on PyTorch 2.6, live (the trixie root of scripts/torch2-env.sh;
 * a skip outside CI, a failure in CI when missing): for ResNet-18, MobileNetV3-Small and a small ViT,
 * - a state dict saved by torchvision (`torch.save(model.state_dict())`, perturbed weights and moved BN
 *   statistics) loads into torchlet with strict: true and gives torchvision's eval outputs;
 * - torchlet then trains it 3 steps, saves it as .pt and .safetensors, and torchvision loads each (torch.load with
 *   its default weights_only=True; the safetensors library) with strict=True and gives torchlet's eval outputs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import * as torch from '../../src/index.js';
import { requireOrSkip, torch26 } from '../helpers/python.js';
import { SCRIPT, TOL, build, buildAsReference, data, evalLogits, relErr, sha, trainSteps, type Spec, type Train } from './protocol.js';

const py = torch26();

interface PyOut { logits: number[]; missing?: string[]; unexpected?: string[] }
function runPy(args: string[]): PyOut & PyOut[] & Record<string, any> {  
  const r = py.run(SCRIPT, args);
  if (r.status !== 0) throw new Error(`vision.py ${args[0]} failed (status ${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

const CASES: [string, Spec, Train][] = [
  ['resnet18', { arch: 'resnet18', opts: { numClasses: 10 }, input: [2, 3, 48, 48] }, { kind: 'sgd', lr: 0.001, momentum: 0.9, weightDecay: 1e-4 }],
  ['mobilenet_v3_small', { arch: 'mobilenet_v3_small', opts: { numClasses: 10 }, input: [2, 3, 64, 64] }, { kind: 'sgd', lr: 0.01, momentum: 0.9, weightDecay: 0 }],
  ['vit', { arch: 'VisionTransformer', opts: { imageSize: 32, patchSize: 8, numLayers: 2, numHeads: 2, hiddenDim: 32, mlpDim: 64, numClasses: 10 }, input: [2, 3, 32, 32] },
    { kind: 'adamw', lr: 1e-3, weightDecay: 0.05 }],
];

for (const [name, spec, tr] of CASES) {
  test(`${name} (${py.label}): torchvision's state dict loads strictly; torchlet's trained .pt and .safetensors load back into torchvision`, async (t) => {
    if (requireOrSkip(t, py.skip)) return;
    const dir = py.tmpdir();
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const specJson = JSON.stringify(spec);
    const fromTv = join(dir, `${name}-torchvision.pt`);
    const made = runPy(['checkpoint', specJson, py.inner(fromTv)]);

    const model = build(spec);
    const r = model.loadStateDict(await torch.load(fromTv) as Map<string, torch.Tensor>, { strict: true });
    assert.deepEqual([r.missingKeys, r.unexpectedKeys], [[], []]);
    const { x, y } = data(spec);
    const e0 = relErr(evalLogits(model, x), made.logits);
    assert.ok(e0 <= TOL.logits, `eval logits of torchvision's checkpoint differ by ${e0}`);

    trainSteps(model, x, y, tr);
    const mine = evalLogits(model, x);
    const exts = ['pt', 'safetensors'];
    const files = exts.map((ext) => join(dir, `${name}-torchlet.${ext}`));
    for (const f of files) await torch.save(model.stateDict(), f);
    const backs = runPy(['eval', specJson, ...files.map((f) => py.inner(f))]);
    backs.forEach((back, i) => {
      assert.deepEqual([back.missing, back.unexpected], [[], []]);
      const e = relErr(back.logits, mine);
      assert.ok(e <= TOL.logits, `torchvision's eval logits from torchlet's .${exts[i]} differ by ${e}`);
    });
  });
}

test(`full-size default init equals torchvision's bit for bit: resnet34, resnet50, mobilenet_v3_large, vit_b_16 (${py.label})`, (t) => {
  if (requireOrSkip(t, py.skip)) return;
  const specs: Spec[] = ['resnet34', 'resnet50', 'mobilenet_v3_large', 'vit_b_16'].map((arch) => ({ arch, opts: {}, input: [1, 3, 224, 224] }));
  const ref = runPy(['hashes', ...specs.map((s) => JSON.stringify(s))]);
  for (const spec of specs) {
    const sd = buildAsReference(spec, ref.glibc).stateDict();
    const want = ref[spec.arch] as Record<string, string>;
    assert.deepEqual([...sd.keys()].filter((k) => sd.get(k)!.dtype !== 'int64'), Object.keys(want), `${spec.arch}: keys`);
    const bad = Object.entries(want).filter(([k, h]) => sha(sd.get(k)!) !== h).map(([k]) => k);
    assert.deepEqual(bad, [], `${spec.arch}: tensors whose bits differ from torchvision's: ${bad.join(', ')}`);
  }
});
