/**
 * @file torchlet/peft against the PyTorch 2.6 reference of PEFT's LoRA in scripts/fixtures/peft_lora.py (PEFT itself
 * is not installable here; the reference is written from PEFT's LoraLayer and checkpoint format). A small net with
 * every wrapped kind (Embedding, Linear, GPT-2's Conv1D, Conv2d 3×3 and 1×1) and the GPT-2 reference with c_attn
 * adapted: initial adapters bit for bit under a seed, forward/backward, three AdamW steps, merge, dropout, and
 * the adapter the reference saved in PEFT's format. Committed fixtures in test/fixtures/peft/; live (torch26()): an
 * adapter torchlet trained and saved loads into the reference with the same logits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '../../src/index.js';
import { models, Conv1D } from '../../src/text/index.js';
import { LoraConfig, PeftModel, getPeftModel, type AdapterFiles } from '../../src/peft/index.js';
import { assertValuesClose, loadFixture } from '../helpers/index.js';
import { requireOrSkip, torch26 } from '../helpers/python.js';

const { nn } = torch;
const F = nn.functional;
const HERE = dirname(fileURLToPath(import.meta.url));
const FIX = join(HERE, '..', 'fixtures', 'peft');
const SCRIPT = join(HERE, '..', '..', 'scripts', 'fixtures', 'peft_lora.py');
const sdFile = (name: string) => torch.loadBytes(new Uint8Array(readFileSync(join(FIX, name)))) as Map<string, torch.Tensor>;
const values = (t: torch.Tensor) => Array.from(t.contiguous().dataSync() as Float32Array);

interface PeftFixture {
  torch: string;
  forward: { logits: number[]; loss: number; grads: Record<string, number[]> };
  train: { losses: number[]; logits: number[] };
  dropout: { logits: number[] };
  gpt2: { ids: number[][]; logits: number[]; gradA0: number[]; gradB0: number[]; merged0: number[] };
}
const fx = loadFixture<PeftFixture>('peft/peft.json');

/** The reference's Net: Embedding, Linear, Conv1D ([in, out]), Conv2d 3×3, Conv2d 1×1, Linear head. */
class Net extends nn.Module {
  emb = new nn.Embedding(10, 8);
  fc1 = new nn.Linear(8, 12);
  proj = new Conv1D(12, 12);
  conv = new nn.Conv2d(3, 4, 3, { padding: 1 });
  pw = new nn.Conv2d(4, 2, 1);
  head = new nn.Linear(2 * 4 * 4, 5);
  forward(ids: torch.Tensor): torch.Tensor {
    let h = F.relu(this.fc1.call(this.emb.call(ids)));
    h = torch.tanh(this.proj.call(h));
    h = h.view([h.shape[0], 4, 3, 4]).permute([0, 2, 1, 3]);
    h = this.pw.call(F.relu(this.conv.call(h)));
    return this.head.call(h.flatten(1));
  }
}
const TARGETS = ['emb', 'fc1', 'proj', 'conv', 'pw'];
const ids = torch.tensor([[1, 2, 3, 4], [5, 6, 7, 9], [0, 0, 8, 8]], { dtype: 'int64' });
const targets = torch.tensor([0, 3, 4], { dtype: 'int64' });
const cfg = (o: ConstructorParameters<typeof LoraConfig>[0] = {}) => new LoraConfig({ r: 4, loraAlpha: 8, targetModules: TARGETS, ...o });

function netLora(seed: number, o: ConstructorParameters<typeof LoraConfig>[0] = {}): PeftModel {
  torch.manualSeed(seed);
  return getPeftModel(new Net(), cfg(o));
}

test('initial adapters are PEFT\'s, bit for bit under a seed: init true, \'gaussian\' and false; keys and order as PEFT\'s', () => {
  for (const [seed, init, tag] of [[0, true, 'true'], [1, 'gaussian', 'gaussian'], [2, false, 'false']] as const) {
    const p = netLora(seed, { initLoraWeights: init });
    const ref = sdFile(`net-init-${tag}.safetensors`);
    const sd = p.stateDict();
    assert.deepEqual([...sd.keys()].sort(), [...ref.keys()].sort(), tag);
    for (const [k, v] of ref) assert.deepEqual(values(sd.get(k)!), values(v), `${tag}: ${k}`);
  }
});

test('forward and backward match the reference; only the adapters get gradients', () => {
  const p = netLora(2, { initLoraWeights: false });
  const logits = p.call(ids) as torch.Tensor;
  assertValuesClose(values(logits), fx.forward.logits, { atol: 1e-5, rtol: 1e-5 }, 'logits');
  const loss = F.crossEntropy(logits, targets);
  assert.ok(Math.abs(loss.item() - fx.forward.loss) < 1e-5);
  loss.backward();
  const grads = new Map(p.namedParameters().filter(([, q]) => q.requiresGrad).map(([k, q]) => [k, q.grad!]));
  assert.deepEqual([...grads.keys()].sort(), Object.keys(fx.forward.grads).sort());
  for (const [k, g] of grads) assertValuesClose(values(g), fx.forward.grads[k], { atol: 1e-5, rtol: 1e-4 }, k);
  for (const [k, q] of p.namedParameters()) if (!q.requiresGrad) assert.equal(q.grad, null, k);
});

test('three AdamW steps: same losses as the reference, base weights bit-identical, the adapter saved by the reference loads', () => {
  const p = netLora(2, { initLoraWeights: false });
  const frozen = p.namedParameters().filter(([, q]) => !q.requiresGrad).map(([k, q]) => [k, values(q)] as const);
  const opt = new torch.optim.AdamW(p.parameters().filter((q) => q.requiresGrad), { lr: 1e-2 });
  const losses: number[] = [];
  for (let i = 0; i < 3; i++) {
    opt.zeroGrad();
    const l = F.crossEntropy(p.call(ids) as torch.Tensor, targets);
    l.backward();
    opt.step();
    losses.push(l.item());
  }
  assertValuesClose(losses, fx.train.losses, { atol: 1e-5, rtol: 1e-5 }, 'losses');
  assertValuesClose(values(p.call(ids) as torch.Tensor), fx.train.logits, { atol: 1e-4, rtol: 1e-4 }, 'trained logits');
  for (const [k, v] of frozen) assert.deepEqual(values(p.getParameter(k)), v, `${k} changed`);

  // the reference's adapter folder (PEFT's layout) on a fresh base: the trained logits
  torch.manualSeed(2);
  const files: AdapterFiles = {
    'adapter_model.safetensors': new Uint8Array(readFileSync(join(FIX, 'adapter', 'adapter_model.safetensors'))),
    'adapter_config.json': readFileSync(join(FIX, 'adapter', 'adapter_config.json'), 'utf8'),
  };
  const loaded = PeftModel.fromAdapterFiles(new Net(), files);
  assert.equal(loaded.training, false);
  assert.ok(loaded.parameters().every((q) => !q.requiresGrad), 'from files without isTrainable: frozen');
  assertValuesClose(values(loaded.call(ids) as torch.Tensor), fx.train.logits, { atol: 1e-4, rtol: 1e-4 }, 'loaded adapter');
  // what torchlet saves has the reference's keys, shapes and config fields
  const mine = torch.loadBytes(p.adapterFiles()['adapter_model.safetensors']) as Map<string, torch.Tensor>;
  const theirs = torch.loadBytes(files['adapter_model.safetensors']) as Map<string, torch.Tensor>;
  assert.deepEqual([...mine.keys()].sort(), [...theirs.keys()].sort());
  for (const [k, v] of theirs) assert.deepEqual(mine.get(k)!.shape, v.shape, k);
  assert.deepEqual(Object.keys(JSON.parse(p.adapterFiles()['adapter_config.json']) as object).sort(),
    [...Object.keys(JSON.parse(files['adapter_config.json']) as object), 'lora_bias'].sort());
});

test('merge adds the reference\'s delta weights (Linear, Conv1D transposed, Conv2d 3×3 and 1×1, Embedding); unmerge restores within float32 rounding', () => {
  const p = netLora(2, { initLoraWeights: false });
  const before = p.call(ids) as torch.Tensor;
  const base = new Map(p.namedParameters().filter(([k]) => k.endsWith('base_layer.weight')).map(([k, q]) => [k, values(q)]));
  p.merge();
  const merged = sdFile('net-merged.safetensors');
  for (const [k, v] of merged) {
    const w = p.getParameter(`base_model.model.${k.replace(/\.weight$/, '.base_layer.weight')}`);
    assertValuesClose(values(w), values(v), { atol: 1e-6, rtol: 1e-6 }, `merged ${k}`);
  }
  assertValuesClose(values(p.call(ids) as torch.Tensor), values(before), { atol: 1e-5, rtol: 1e-5 }, 'merged forward');
  p.unmerge();
  for (const [k, v] of base) {
    const w = values(p.getParameter(k));
    const err = Math.max(...w.map((x, i) => Math.abs(x - v[i]) / Math.max(1, Math.abs(v[i]))));
    assert.ok(err < 1e-6, `${k} after unmerge: ${err}`);
  }
});

test('dropout on the adapter input draws PyTorch\'s masks', () => {
  torch.manualSeed(3);
  const p = getPeftModel(new Net(), new LoraConfig({ r: 4, loraAlpha: 8, loraDropout: 0.5, targetModules: ['fc1', 'proj'], initLoraWeights: false }));
  torch.manualSeed(5);
  assertValuesClose(values(p.call(ids) as torch.Tensor), fx.dropout.logits, { atol: 1e-5, rtol: 1e-5 }, 'dropout logits');
});

test('GPT-2: LoRA on c_attn (Conv1D, fanInFanOut): state dict, logits, gradients and merged weight as the reference', () => {
  torch.manualSeed(0);
  const g = models.gpt2({ vocabSize: 64, nPositions: 32, nEmbd: 32, nLayer: 2, nHead: 4, embdPdrop: 0, attnPdrop: 0, residPdrop: 0 });
  const p = getPeftModel(g, new LoraConfig({ r: 4, loraAlpha: 16, targetModules: ['c_attn'], fanInFanOut: true, initLoraWeights: false }));
  const ref = sdFile('gpt2-lora.safetensors');
  const sd = p.stateDict();
  assert.deepEqual([...sd.keys()].sort(), [...ref.keys()].sort());
  for (const [k, v] of ref) assert.deepEqual(values(sd.get(k)!), values(v), k);
  const gids = torch.tensor(fx.gpt2.ids, { dtype: 'int64' });
  const logits = p.call(gids) as torch.Tensor;
  assertValuesClose(values(logits), fx.gpt2.logits, { atol: 2e-5, rtol: 1e-4 }, 'logits');
  F.crossEntropy(logits.select(0, 0).slice(0, 0, -1), gids.select(0, 0).slice(0, 1, null)).backward();
  const a0 = p.getSubmodule('base_model.model.transformer.h.0.attn.c_attn') as unknown as { lora_A: torch.nn.ModuleDict<torch.nn.Linear>; lora_B: torch.nn.ModuleDict<torch.nn.Linear> };
  assertValuesClose(values(a0.lora_A.get('default').weight.grad!), fx.gpt2.gradA0, { atol: 1e-5, rtol: 1e-4 }, 'grad A');
  assertValuesClose(values(a0.lora_B.get('default').weight.grad!), fx.gpt2.gradB0, { atol: 1e-5, rtol: 1e-4 }, 'grad B');
  p.merge();
  assertValuesClose(values(p.getParameter('base_model.model.transformer.h.0.attn.c_attn.base_layer.weight')), fx.gpt2.merged0, { atol: 1e-6, rtol: 1e-6 }, 'merged c_attn');
});

const py = torch26();
test('an adapter trained and saved by torchlet loads into the PyTorch 2.6 reference (PEFT\'s loading rule) with the same logits (live)', async (t) => {
  if (requireOrSkip(t, py.skip)) return;
  const p = netLora(2, { initLoraWeights: false });
  const opt = new torch.optim.AdamW(p.parameters().filter((q) => q.requiresGrad), { lr: 1e-2 });
  for (let i = 0; i < 3; i++) {
    opt.zeroGrad();
    F.crossEntropy(p.call(ids) as torch.Tensor, targets).backward();
    opt.step();
  }
  const want = values(torch.noGrad(() => p.call(ids) as torch.Tensor));
  const dir = py.tmpdir();
  try {
    await p.savePretrained(dir);
    const r = py.run(SCRIPT, ['load', py.inner(dir), '2', JSON.stringify(ids.tolist())]);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { logits: number[]; metadata: Record<string, string> };
    assert.deepEqual(out.metadata, { format: 'pt' });
    assertValuesClose(out.logits, want, { atol: 1e-5, rtol: 1e-5 }, 'reference logits with torchlet\'s adapter');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
