/**
 * @file LoRA fine-tuning of a small GPT-2 (torchlet/text) on a generated text, with PEFT's adapter files.
 *
 * 1. A base model: GPT-2's architecture at a small size, "pretrained" by a few full training steps on one text
 *    (nursery sentences), so there is something to adapt; its weights are kept to build fresh copies.
 * 2. LoRA (torchlet/peft) on c_attn, c_proj and c_fc: only the adapters train, on another text (weather reports).
 * 3. The adapter is saved in PEFT's format (adapter_model.safetensors + adapter_config.json), loaded onto a fresh
 *    copy of the base model, and the generations are compared: the same tokens.
 * 4. Memory of one training step, LoRA against full fine-tuning of the same (larger) model: trainable bytes, AdamW
 *    state bytes (measured from the optimizer after a step), the bytes the autograd graph keeps alive until backward
 *    (nn.utils.graphMemory, parameters apart), and the time per step.
 *
 *   node --import tsx examples/lora-gpt2.ts [--steps 80] [--out lora-adapter] [--no-memory]
 */
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../src/index.js';
import { models, type GPT2LMHeadModel } from '../src/text.js';
import { LoraConfig, PeftModel, getPeftModel } from '../src/peft.js';

const { nn, optim } = torch;
const F = nn.functional;
const arg = (name: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
const STEPS = Number(arg('--steps') ?? 80);
const MEMORY = !process.argv.includes('--no-memory');
const OUT = arg('--out') ?? join(mkdtempSync(join(tmpdir(), 'torchlet-lora-')), 'adapter');

// ---- two generated texts and a character vocabulary
function sentences(seed: number, n: number, parts: string[][]): string {
  const g = new torch.Generator().manualSeed(seed);
  const pick = (a: string[]) => a[Math.floor(torch.rand([1], { generator: g }).item() * a.length)];
  return Array.from({ length: n }, () => parts.map(pick).join(' ') + '.').join(' ');
}
const nursery = sentences(1, 400, [['the cat', 'a dog', 'the cow', 'a little lamb'], ['sat on', 'ran to', 'jumped over', 'looked at'], ['the mat', 'the moon', 'a hill', 'the barn']]);
const weather = sentences(2, 400, [['today', 'tomorrow', 'tonight', 'this morning'], ['will be', 'turns', 'stays'], ['sunny and warm', 'cold with rain', 'windy and dry', 'cloudy with snow']]);
const chars = [...new Set(nursery + weather)].sort();
const encode = (s: string) => [...s].map((c) => chars.indexOf(c));
const decode = (ids: number[]) => ids.map((i) => chars[i]).join('');
const CFG = { vocabSize: chars.length, nPositions: 32, nEmbd: 64, nLayer: 2, nHead: 4, embdPdrop: 0, attnPdrop: 0, residPdrop: 0 };
const SEQ = 32, BATCH = 8;

function batch(text: number[], g: torch.Generator): torch.Tensor {
  const starts = Array.from({ length: BATCH }, () => Math.floor(torch.rand([1], { generator: g }).item() * (text.length - SEQ - 1)));
  return torch.tensor(starts.map((s) => text.slice(s, s + SEQ + 1)), { dtype: 'int64' });
}
function lossOf(model: { call(x: torch.Tensor): unknown }, b: torch.Tensor): torch.Tensor {
  const logits = model.call(b.slice(1, 0, -1)) as torch.Tensor;
  return F.crossEntropy(logits.reshape([-1, CFG.vocabSize]), b.slice(1, 1, null).reshape([-1]));
}
function train(model: { call(x: torch.Tensor): unknown; parameters(): torch.nn.Parameter[] }, text: number[], steps: number, lr: number, label: string): void {
  const opt = new optim.AdamW(model.parameters().filter((p) => p.requiresGrad), { lr });
  const g = new torch.Generator().manualSeed(7);
  for (let i = 1; i <= steps; i++) {
    opt.zeroGrad();
    const loss = lossOf(model, batch(text, g));
    loss.backward();
    opt.step();
    if (i % 10 === 0 || i === 1) console.log(`${label} step ${String(i).padStart(3)}  loss ${loss.item().toFixed(4)}`);
  }
}
const generate = (m: GPT2LMHeadModel, prompt: string) => {
  const out = torch.noGrad(() => m.generate(torch.tensor([encode(prompt)], { dtype: 'int64' }), { maxNewTokens: 24 }));
  return decode((out.tolist() as number[][])[0]);
};

// ---- 1. the base model: trained once; every "fresh base model" below is a new GPT-2 loading these weights
console.log(`vocabulary: ${chars.length} characters; GPT-2 ${JSON.stringify(CFG)}`);
torch.manualSeed(0);
const pretrained = models.gpt2(CFG);
train(pretrained, encode(nursery), 40, 3e-3, 'base');
const baseWeights = torch.saveBytes(pretrained.stateDict(), { format: 'safetensors' });
function baseModel(): GPT2LMHeadModel {
  const m = models.gpt2(CFG);
  m.loadStateDict(torch.loadBytes(baseWeights) as Map<string, torch.Tensor>);
  return m.eval();
}
const base = baseModel();
console.log(`base:        ${JSON.stringify(generate(base, 'today '))}`);

// ---- 2. LoRA
torch.manualSeed(1);
const config = new LoraConfig({ r: 8, loraAlpha: 16, targetModules: ['c_attn', 'c_proj', 'c_fc'], fanInFanOut: true, taskType: 'CAUSAL_LM' });
const lora = getPeftModel(base, config);
lora.printTrainableParameters();
lora.train();
train(lora, encode(weather), STEPS, 1e-2, 'lora');
lora.eval();
const tuned = generate(lora.getBaseModel() as GPT2LMHeadModel, 'today ');
console.log(`with LoRA:   ${JSON.stringify(tuned)}`);
console.log(`adapter off: ${JSON.stringify(lora.disableAdapter(() => generate(lora.getBaseModel() as GPT2LMHeadModel, 'today ')))}`);

// ---- 3. PEFT's files, reloaded on a fresh base model
await lora.savePretrained(OUT);
console.log(`saved ${readdirSync(OUT).sort().map((f) => `${f} (${statSync(join(OUT, f)).size} bytes)`).join(', ')} in ${OUT}`);
const reloaded = await PeftModel.fromPretrained(baseModel(), OUT); // a fresh base model + the adapter folder
const again = generate(reloaded.getBaseModel() as GPT2LMHeadModel, 'today ');
console.log(`reloaded:    ${JSON.stringify(again)}`);
console.log(`same generations after reload: ${again === tuned}`);
if (again !== tuned) process.exitCode = 1;

// ---- 4. memory of one training step, LoRA (PEFT's default for GPT-2: r 8 on c_attn) against full fine-tuning of the
// same model, at a larger size: GPT-2 with 4 layers of width 256 (3.2 M parameters), batch 8 × 32 tokens
const BIG = { ...CFG, nPositions: 64, nEmbd: 256, nLayer: 4, nHead: 4 };
type Trainable = { call(x: torch.Tensor): unknown; parameters(): torch.nn.Parameter[] };
function measure(model: Trainable): { trainable: number; optimizer: number; graph: number; ms: number } {
  const params = model.parameters().filter((p) => p.requiresGrad);
  const opt = new optim.AdamW(params, { lr: 1e-4 });
  const g = new torch.Generator().manualSeed(11);
  let graph = 0;
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    opt.zeroGrad();
    const loss = lossOf(model, batch(encode(weather), g));
    // activations the graph keeps alive until backward; the parameters (alive anyway) are reported apart
    graph = nn.utils.graphMemory(loss, { parameters: model.parameters() }).bytes;
    loss.backward();
    opt.step();
    times.push(performance.now() - t0);
  }
  let optimizer = 0;
  for (const s of opt.state.values()) for (const v of Object.values(s)) if (v instanceof torch.Tensor && v.numel() > 1) optimizer += v.nbytes();
  return { trainable: params.reduce((a, p) => a + p.nbytes(), 0), optimizer, graph, ms: Math.min(...times) };
}
const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
if (MEMORY) {
  torch.manualSeed(0);
  const full = models.gpt2(BIG).train();
  const bigLora = getPeftModel(models.gpt2(BIG), new LoraConfig({ r: 8, loraAlpha: 16, targetModules: ['c_attn'], fanInFanOut: true }));
  bigLora.train();
  const fullMem = measure(full);
  const loraMem = measure(bigLora);
  console.log(`memory per training step, GPT-2 ${JSON.stringify(BIG)}, batch ${BATCH} × ${SEQ} tokens:`);
  console.log(`  full fine-tuning: trainable ${kib(fullMem.trainable)}, AdamW state ${kib(fullMem.optimizer)}, graph ${kib(fullMem.graph)}, ${fullMem.ms.toFixed(0)} ms/step`);
  console.log(`  LoRA r=8 c_attn:  trainable ${kib(loraMem.trainable)}, AdamW state ${kib(loraMem.optimizer)}, graph ${kib(loraMem.graph)}, ${loraMem.ms.toFixed(0)} ms/step`);
}
