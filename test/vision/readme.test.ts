/**
 * @file The README's "Bring a PyTorch model" code, run as written: the TypeScript block is taken from README.md,
 * its imports pointed at the sources and its example batch made 32x32 (two lines change: the 224x224 images and the
 * batch size stay the README's otherwise), and run with Node in a folder holding `resnet18.pt`:
 * - live: a checkpoint saved by torchvision 0.21 (PyTorch 2.6), and the fine-tuned `resnet18-finetuned.pt` loaded
 *   back into torchvision's `resnet18(num_classes=10)` with strict=True, giving torchlet's outputs;
 * - without Python: the same code on a checkpoint torchlet saved.
 * Either way the frozen layers must come back bit for bit unchanged and the new head must have trained.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as torch from '../../src/index.js';
import { models } from '../../src/vision.js';
import { requireOrSkip, torch26, IN_CI } from '../helpers/python.js';
import { SCRIPT, TOL, data, evalLogits, relErr, sha, type Spec } from './protocol.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const py = torch26();

/** The README block, made runnable here: imports to the sources, the example batch at 32x32. */
function readmeProgram(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Bring a PyTorch model'));
  const m = /```ts\n([\s\S]*?)```/.exec(section);
  assert.ok(m, 'README.md: no ```ts block in "Bring a PyTorch model"');
  const src = pathToFileURL(join(ROOT, 'src')).href;
  let code = m[1];
  const edits: [string, string][] = [
    ["from 'torchlet';", `from '${src}/index.ts';`],
    ["from 'torchlet/vision';", `from '${src}/vision.ts';`],
    ['torch.randn([8, 3, 224, 224])', 'torch.randn([2, 3, 32, 32])'],
    ['torch.randint(0, 10, [8], ', 'torch.randint(0, 10, [2], '],
  ];
  for (const [a, b] of edits) {
    assert.ok(code.includes(a), `README code no longer contains ${a}`);
    code = code.replace(a, b);
  }
  return code;
}

function runReadme(dir: string): string {
  const file = join(dir, 'readme-example.mts');
  writeFileSync(file, readmeProgram());
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href, file], { cwd: dir, encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, `README code failed:\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /ImageNet classes: \[/);
  assert.match(r.stdout, /step 4: loss \d/);
  return r.stdout;
}

async function checkResult(dir: string): Promise<torch.nn.Module> {
  const before = await torch.load(join(dir, 'resnet18.pt')) as Map<string, torch.Tensor>;
  const after = await torch.load(join(dir, 'resnet18-finetuned.pt')) as Map<string, torch.Tensor>;
  assert.deepEqual([...after.keys()], [...before.keys()]);
  for (const [k, v] of after) {
    if (k.startsWith('fc.')) assert.deepEqual(v.shape, k === 'fc.weight' ? [10, 512] : [10]);
    else assert.equal(sha(v), sha(before.get(k)!), `${k} changed, but it was frozen`);
  }
  const m = models.resnet18({ numClasses: 10 });
  m.loadStateDict(after, { strict: true });
  return m;
}

const SPEC: Spec = { arch: 'resnet18', opts: { numClasses: 10 }, input: [2, 3, 32, 32] };

test(`README "Bring a PyTorch model" runs as written on a torchvision-made ResNet-18 checkpoint (${py.label})`, async (t) => {
  if (requireOrSkip(t, py.skip)) return;
  const dir = py.tmpdir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // torchvision's resnet18() (1000 classes, perturbed weights, moved BN statistics), saved with torch.save
  const r = py.run(SCRIPT, ['checkpoint', JSON.stringify({ ...SPEC, opts: {} }), py.inner(join(dir, 'resnet18.pt'))]);
  assert.equal(r.status, 0, r.stderr);
  runReadme(dir);
  const m = await checkResult(dir);
  const back = py.run(SCRIPT, ['eval', JSON.stringify(SPEC), py.inner(join(dir, 'resnet18-finetuned.pt'))]);
  assert.equal(back.status, 0, back.stderr);
  const e = relErr(evalLogits(m, data(SPEC).x), JSON.parse(back.stdout.trim().split('\n').pop()!).logits);
  assert.ok(e <= TOL.logits, `torchvision's outputs for the fine-tuned checkpoint differ from torchlet's by ${e}`);
});

test('README "Bring a PyTorch model" runs as written on a torchlet-made checkpoint (without Python)', async (t) => {
  if (!py.skip && !IN_CI) { t.skip('covered by the torchvision-made checkpoint above'); return; }
  const dir = mkdtempSync(join(tmpdir(), 'torchlet-readme-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  torch.manualSeed(0);
  await torch.save(models.resnet18().stateDict(), join(dir, 'resnet18.pt'));
  runReadme(dir);
  await checkResult(dir);
});
