/**
 * @file torchlet/peft's PeftModel API: trainable-parameter figures (PEFT's line, nn.utils.summary), adapter files
 * (only adapter tensors, PEFT's keys and config fields, Node folders and bytes), named adapters, disableAdapter,
 * mergeAndUnload, modulesToSave, bias options and the argument checks. Small configurations; GPT-2 small's
 * figures are counted on the meta device (no memory).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../../src/index.js';
import { models, Conv1D, type GPT2LMHeadModel } from '../../src/text/index.js';
import { LoraConfig, PeftModel, getPeftModel, ModulesToSaveWrapper } from '../../src/peft/index.js';
import { parseSafetensors } from '../../src/io/codecs/index.js';
import { assertThrowsWith } from '../helpers/index.js';

const { nn } = torch;
const CFG = { vocabSize: 64, nPositions: 32, nEmbd: 32, nLayer: 2, nHead: 4, embdPdrop: 0, attnPdrop: 0, residPdrop: 0 };
const ids = torch.tensor([[3, 14, 15, 9, 26, 5]], { dtype: 'int64' });
const values = (t: torch.Tensor) => Array.from(t.contiguous().dataSync() as Float32Array);
const gpt = (seed = 0) => { torch.manualSeed(seed); return models.gpt2(CFG); };
const lora = (o: ConstructorParameters<typeof LoraConfig>[0] = {}) => new LoraConfig({ r: 4, loraAlpha: 16, targetModules: ['c_attn'], fanInFanOut: true, ...o });
/** Give B random values (B starts at zero, so an untrained adapter changes nothing). */
function perturb(p: PeftModel, seed = 9): void {
  torch.manualSeed(seed);
  torch.noGrad(() => { for (const [k, q] of p.namedParameters()) if (k.includes('lora_B')) q.copy_(torch.randn(q.shape).mul(0.1)); });
}
const logits = (m: { call(x: torch.Tensor): unknown }) => values(torch.noGrad(() => m.call(ids) as torch.Tensor));
function quiet<T>(fn: () => T): T {
  const log = console.log;
  console.log = () => {};
  try { return fn(); } finally { console.log = log; }
}

test('GPT-2 small with r = 8 on c_attn: PEFT\'s trainable-parameter line, and the same figures in nn.utils.summary', () => {
  const base = torch.withDevice('meta', () => models.gpt2());
  const p = getPeftModel(base, new LoraConfig({ r: 8, loraAlpha: 16, targetModules: ['c_attn'], fanInFanOut: true }));
  // 12 layers × (A 8×768 + B 2304×8) = 294,912; GPT-2 small's 124,439,808 (lm_head tied, counted once) + that
  assert.equal(quiet(() => p.printTrainableParameters()), 'trainable params: 294,912 || all params: 124,734,720 || trainable%: 0.2364');
  assert.deepEqual(p.getNbTrainableParameters(), [294_912, 124_734_720]);
  const s = nn.utils.summary(p);
  assert.equal(s.totals.trainableParams, 294_912);
  assert.equal(s.totals.params, 124_734_720);
  assert.equal(s.totals.trainableParamBytes, 294_912 * 4);
  assert.equal(s.totals.adamStateBytes, 2 * 294_912 * 4);
  assert.equal(s.totals.frozenParamBytes, 124_439_808 * 4);
  assert.match(String(s).split('\n').find((l) => l.startsWith('Optimizer state'))!, /Optimizer state \(Adam\/AdamW: exp_avg \+ exp_avg_sq\): 2\.25 MiB; training every parameter would hold 952 MiB \(frozen parameters save 949 MiB of optimizer state and 475 MiB of gradients\)$/);
  // the default target for GPT-2 is c_attn, as PEFT's mapping
  const q = getPeftModel(torch.withDevice('meta', () => models.gpt2({ nLayer: 1 })), new LoraConfig({ fanInFanOut: true }));
  assert.deepEqual(q.base_model.loraLayers().map(([k]) => k), ['transformer.h.0.attn.c_attn']);
});

test('savePretrained writes PEFT\'s two files with only the adapter tensors; fromPretrained on a fresh base gives the same logits', async () => {
  const p = getPeftModel(gpt(), lora({ taskType: 'CAUSAL_LM' }));
  perturb(p);
  const dir = mkdtempSync(join(tmpdir(), 'torchlet-peft-'));
  try {
    const out = await p.savePretrained(dir);
    assert.equal(out, dir);
    assert.deepEqual(readdirSync(dir).sort(), ['adapter_config.json', 'adapter_model.safetensors']);
    const f = parseSafetensors(new Uint8Array(readFileSync(join(dir, 'adapter_model.safetensors'))));
    assert.deepEqual(f.metadata, { format: 'pt' });
    assert.deepEqual([...f.tensors.keys()].sort(), [0, 1].flatMap((i) => ['A', 'B'].map((m) => `base_model.model.transformer.h.${i}.attn.c_attn.lora_${m}.weight`)).sort());
    assert.deepEqual(f.tensors.get('base_model.model.transformer.h.0.attn.c_attn.lora_A.weight')!.shape, [4, 32]);
    assert.deepEqual(f.tensors.get('base_model.model.transformer.h.0.attn.c_attn.lora_B.weight')!.shape, [96, 4]);
    const c = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual([c.peft_type, c.r, c.lora_alpha, c.target_modules, c.fan_in_fan_out, c.task_type, c.bias, c.init_lora_weights],
      ['LORA', 4, 16, ['c_attn'], true, 'CAUSAL_LM', 'none', true]);
    const q = await PeftModel.fromPretrained(gpt(), dir);
    assert.deepEqual(logits(q), logits(p));
    assert.notDeepEqual(logits(q), logits(gpt()));
    assert.ok(q.parameters().every((t) => !t.requiresGrad));
    const t = await PeftModel.fromPretrained(gpt(), dir, { isTrainable: true });
    assert.equal(t.getNbTrainableParameters()[0], 2 * (4 * 32 + 96 * 4));
    // a file missing a tensor, or holding one the model has no place for, is refused
    const sd = p.adapterStateDict();
    const k0 = [...sd.keys()][0];
    sd.delete(k0);
    writeFileSync(join(dir, 'adapter_model.safetensors'), torch.saveBytes(sd, { format: 'safetensors' }));
    await assert.rejects(PeftModel.fromPretrained(gpt(), dir), /lacks 1 adapter tensor/);
    sd.set('base_model.model.transformer.h.0.mlp.c_fc.lora_A.weight', torch.zeros([4, 32]));
    writeFileSync(join(dir, 'adapter_model.safetensors'), torch.saveBytes(sd, { format: 'safetensors' }));
    await assert.rejects(PeftModel.fromPretrained(gpt(), dir), /no place in the model/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('named adapters: addAdapter, setAdapter (only the active one trains), save under dir/<name>, loadAdapter, deleteAdapter', async () => {
  const p = getPeftModel(gpt(), lora());
  perturb(p, 1);
  const a = logits(p);
  p.addAdapter('other', lora({ r: 2, targetModules: ['c_attn', 'c_fc'] }));
  assert.deepEqual(logits(p), a, 'the new adapter is not active');
  const trainable = () => p.namedParameters().filter(([, q]) => q.requiresGrad).map(([k]) => k);
  assert.ok(trainable().every((k) => k.includes('.default.')));
  p.setAdapter('other');
  assert.ok(trainable().length === 8 && trainable().every((k) => k.includes('.other.')), trainable().join());
  assert.deepEqual(logits(p), logits(gpt()), 'other: B is zero');
  torch.noGrad(() => { for (const [k, q] of p.namedParameters()) if (k.includes('lora_B.other')) q.fill_(0.05); });
  const b = logits(p);
  assert.notDeepEqual(b, a);
  const files = p.adapterFiles('other');
  assert.ok([...(torch.loadBytes(files['adapter_model.safetensors']) as Map<string, torch.Tensor>).keys()].every((k) => !k.includes('default') && !k.includes('other')));
  const dir = mkdtempSync(join(tmpdir(), 'torchlet-peft-'));
  try {
    assert.equal(await p.savePretrained(dir, { adapterName: 'other' }), join(dir, 'other'));
    const q = await PeftModel.fromPretrained(gpt(), join(dir, 'other'), { adapterName: 'other' });
    assert.deepEqual(logits(q), b);
    await q.loadAdapter(join(dir, 'other'), { adapterName: 'again' });
    q.setAdapter('again');
    assert.deepEqual(logits(q), b);
  } finally { rmSync(dir, { recursive: true, force: true }); }
  p.setAdapter('default');
  assert.deepEqual(logits(p), a);
  p.deleteAdapter('other');
  assert.ok(p.namedParameters().every(([k]) => !k.includes('.other')));
  assertThrowsWith(() => p.deleteAdapter('default'), ['active adapter']);
  assertThrowsWith(() => p.setAdapter('nope'), ["no adapter named 'nope'", 'default']);
});

test('disableAdapter runs the base model (and unmerges first); mergeAndUnload returns the plain model with the update in its weights', () => {
  const p = getPeftModel(gpt(), lora());
  perturb(p);
  const withAdapter = logits(p), base = logits(gpt());
  assert.deepEqual(p.disableAdapter(() => logits(p)), base);
  assert.deepEqual(logits(p), withAdapter, 'back on afterwards');
  p.merge();
  const close = (x: number[], y: number[]) => x.every((v, i) => Math.abs(v - y[i]) < 1e-6);
  assert.ok(close(p.disableAdapter(() => logits(p)), base), 'unmerged: the base weights within rounding');
  assert.throws(() => p.disableAdapter(() => { throw new Error('boom'); }), /boom/);
  assert.ok(close(logits(p), withAdapter));
  const m = p.mergeAndUnload() as GPT2LMHeadModel;
  assert.ok(m.getSubmodule('transformer.h.0.attn.c_attn') instanceof Conv1D);
  assert.deepEqual([...m.stateDict().keys()], [...gpt().stateDict().keys()]);
  const merged = logits(m);
  assert.ok(merged.every((v, i) => Math.abs(v - withAdapter[i]) < 1e-5));
});

test('modulesToSave: a trainable copy beside the frozen original, saved under the module\'s own keys; bias \'all\' and \'lora_only\'', () => {
  class Net extends nn.Module {
    fc = new nn.Linear(4, 6);
    head = new nn.Linear(6, 3);
    forward(x: torch.Tensor): torch.Tensor { return this.head.call(torch.relu(this.fc.call(x))); }
  }
  const x = torch.randn([2, 4]);
  torch.manualSeed(0);
  const p = getPeftModel(new Net(), new LoraConfig({ targetModules: ['fc'], modulesToSave: ['head'] }));
  const w = p.getSubmodule('base_model.model.head');
  assert.ok(w instanceof ModulesToSaveWrapper);
  assert.deepEqual(p.namedParameters().filter(([, q]) => q.requiresGrad).map(([k]) => k), [
    'base_model.model.fc.lora_A.default.weight', 'base_model.model.fc.lora_B.default.weight',
    'base_model.model.head.modules_to_save.default.weight', 'base_model.model.head.modules_to_save.default.bias',
  ]);
  torch.noGrad(() => p.getParameter('base_model.model.head.modules_to_save.default.bias').fill_(1));
  assert.deepEqual([...p.adapterStateDict().keys()], ['base_model.model.fc.lora_A.weight', 'base_model.model.fc.lora_B.weight', 'base_model.model.head.weight', 'base_model.model.head.bias']);
  const y = values(p.call(x) as torch.Tensor);
  torch.manualSeed(0);
  const q = PeftModel.fromAdapterFiles(new Net(), p.adapterFiles());
  assert.deepEqual(values(q.call(x) as torch.Tensor), y);
  assert.notDeepEqual(p.disableAdapter(() => values(p.call(x) as torch.Tensor)), y);

  const all = getPeftModel(new Net(), new LoraConfig({ targetModules: ['fc'], bias: 'all' }));
  assert.deepEqual(all.namedParameters().filter(([, t]) => t.requiresGrad).map(([k]) => k).filter((k) => k.endsWith('bias')), ['base_model.model.fc.base_layer.bias', 'base_model.model.head.bias']);
  assert.ok(all.adapterStateDict().has('base_model.model.head.bias'));
  const only = getPeftModel(new Net(), new LoraConfig({ targetModules: ['fc'], bias: 'lora_only' }));
  assert.deepEqual([...only.adapterStateDict().keys()].filter((k) => k.endsWith('bias')), ['base_model.model.fc.base_layer.bias']);
});

test('argument checks: options, targets, unsupported layers and adapter configs torchlet cannot honour', () => {
  assertThrowsWith(() => new LoraConfig({ lora_alpha: 16 } as never), ["unknown option 'lora_alpha'", "did you mean 'loraAlpha'"]);
  assertThrowsWith(() => new LoraConfig({ r: 0 }), ['r must be >= 1']);
  assertThrowsWith(() => new LoraConfig({ initLoraWeights: 'pissa' as never }), ['initLoraWeights', "'gaussian'"]);
  assertThrowsWith(() => new LoraConfig({ targetModules: [] }), ['targetModules', "['c_attn']"]);
  assertThrowsWith(() => getPeftModel(gpt(), lora({ targetModules: ['q_proj'] })), ['["q_proj"] not found', 'check targetModules']);
  assertThrowsWith(() => getPeftModel(gpt(), lora({ targetModules: ['ln_1'] })), ["'transformer.h.0.ln_1' is a LayerNorm", 'not support']);
  assertThrowsWith(() => getPeftModel(new nn.Linear(2, 2), new LoraConfig()), ['targetModules is null']);
  assertThrowsWith(() => LoraConfig.fromJSON({ peft_type: 'LORA', r: 8, use_dora: true }), ['use_dora', 'does not implement']);
  assertThrowsWith(() => LoraConfig.fromJSON({ peft_type: 'IA3' }), ['LoRA adapters']);
  const p = getPeftModel(gpt(), lora());
  assertThrowsWith(() => getPeftModel(p.getBaseModel(), lora()), ['already holds LoRA layers', 'addAdapter']);
  assertThrowsWith(() => p.addAdapter('default', lora()), ["'default' exists already"]);
  assertThrowsWith(() => p.addAdapter('a.b', lora()), ['without dots']);
  assertThrowsWith(() => PeftModel.fromAdapterFiles(gpt(), {} as never), ['adapter_model.safetensors']);
  // a regular expression string matches whole paths; 'all-linear' takes every Linear/Conv1D but the output layer
  const re = getPeftModel(gpt(), lora({ targetModules: String.raw`transformer\.h\.1\.mlp\.c_(fc|proj)` }));
  assert.deepEqual(re.base_model.loraLayers().map(([k]) => k), ['transformer.h.1.mlp.c_fc', 'transformer.h.1.mlp.c_proj']);
  const al = getPeftModel(gpt(), lora({ targetModules: 'all-linear' }));
  assert.equal(al.base_model.loraLayers().length, 8);
  assert.ok(al.base_model.loraLayers().every(([k]) => k !== 'lm_head'));
  // a config round-trips through adapter_config.json
  const c = new LoraConfig({ r: 3, loraAlpha: 5, loraDropout: 0.1, targetModules: ['b', 'a'], bias: 'all', initLoraWeights: 'gaussian', modulesToSave: ['head'], useRslora: true });
  assert.deepEqual(LoraConfig.fromJSON(c.toJSONString()).options(), { ...c.options(), targetModules: ['a', 'b'] });
  assert.equal(c.scaling, 5 / Math.sqrt(3));
});
