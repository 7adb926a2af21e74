/**
 * @file The `models` suite: whole-model inference, torchlet vs PyTorch 2.6 (the trixie root of
 * scripts/torch2-env.sh) and PyTorch 1.13 (Debian's /usr/bin/python3) in the same run, same thread count:
 * - ResNet-18, batch 8 at 224x224 (eval, noGrad), ms per forward;
 * - ViT-B/16, one 224x224 image (eval, noGrad), ms per forward;
 * - GPT-2 small (124M config, random weights), greedy generation of N tokens after an 8-token prompt with a
 *   key/value cache, tokens per second.
 * ResNet-18 and ViT-B/16 are torchlet/vision's `resnet18`/`vitB16` (src/vision.ts). PyTorch's side is
 * bench/models.py.
 */
import { copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '../src/index.js';
import { models as text } from '../src/text/index.js';
import { models as vision } from '../src/vision.js';
import { hardwareThreads } from '../src/backend/wasm/index.js';
import { torch113, torch26, type PyEnv } from '../test/helpers/python.js';
import { measure, type BenchContext, type Row, type SuiteResult } from './harness.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const PY_SCRIPT = join(HERE, 'models.py');
const GPT2_REF = join(HERE, '..', 'scripts', 'fixtures', 'gpt2.py');

export const RESNET = 'ResNet-18 b8 224x224';
export const VIT = 'ViT-B/16 b1 224x224';
export const GPT2 = 'GPT-2 small generate';

type VisionModels = { resnet18: () => torch.nn.Module; vitB16: () => torch.nn.Module };

/** torchlet/vision's models (torchvision's names). */
function visionModels(): VisionModels {
  return { resnet18: () => vision.resnet18(), vitB16: () => vision.vitB16() };
}

interface PyTiming { median_s: number; min_s: number; max_s: number; reps: number; torch: string; source: string; threads: number; tokens?: number }

function runPy(py: PyEnv, kind: 'resnet18' | 'vitb16' | 'gpt2', threads: number, budgetS: number, newTokens: number): PyTiming | string {
  if (py.skip) return py.skip;
  const dir = py.tmpdir();
  copyFileSync(GPT2_REF, join(dir, 'gpt2.py'));
  const args = [kind, String(threads), String(budgetS), py.inner(join(dir, 'gpt2.py')), String(newTokens)];
  const r = py.run(PY_SCRIPT, args, { timeout: 900_000 });
  if (r.error) return `${py.label}: ${r.error.message}`;
  if (r.status !== 0) return `${py.label} failed: ${(r.stderr || '').trim().split('\n').pop()}`;
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as PyTiming;
}

export function run(ctx: BenchContext): Promise<SuiteResult> {
  const rows: Row[] = [], notes: string[] = [];
  const threads = hardwareThreads();
  const newTokens = ctx.quick ? 8 : 32;
  const budgetS = ctx.quick ? 2 : 8;
  const opts = { warmMs: 0, repMs: 0, minReps: ctx.quick ? 1 : 3, maxReps: ctx.quick ? 2 : 5, budgetMs: budgetS * 1000 };
  const prevThreads = torch.getNumThreads();
  torch.setNumThreads(threads);
  const ms = (impl: string, c: string, t: { median: number; min: number; max: number; reps: number }, extra: Record<string, string | number> = {}) => {
    rows.push({ suite: 'models', case: c, impl, threads, value: t.median * 1000, unit: 'ms', detail: { minMs: +(t.min * 1000).toFixed(1), maxMs: +(t.max * 1000).toFixed(1), reps: t.reps, ...extra } });
    ctx.log(`  ${c.padEnd(24)} ${impl.padEnd(16)} x${threads}  ${(t.median * 1000).toFixed(1)} ms`);
  };
  const tps = (impl: string, t: { median: number; min: number; max: number; reps: number }, extra: Record<string, string | number> = {}) => {
    const v = newTokens / t.median;
    rows.push({ suite: 'models', case: GPT2, impl, threads, value: v, unit: 'tokens/s', detail: { tokens: newTokens, prompt: 8, medianS: +t.median.toFixed(3), minS: +t.min.toFixed(3), maxS: +t.max.toFixed(3), reps: t.reps, ...extra } });
    ctx.log(`  ${GPT2.padEnd(24)} ${impl.padEnd(16)} x${threads}  ${v.toFixed(2)} tokens/s (${newTokens} tokens in ${t.median.toFixed(2)} s)`);
  };

  // ---- torchlet
  const vm = visionModels();
  torch.manualSeed(0);
  for (const [c, make, shape] of [[RESNET, vm.resnet18, [8, 3, 224, 224]], [VIT, vm.vitB16, [1, 3, 224, 224]]] as const) {
    const model = make().eval();
    const x = torch.randn([...shape]);
    ms('torchlet', c, measure(() => { torch.noGrad(() => model.call(x)); }, opts));
  }
  torch.manualSeed(0);
  const t0 = performance.now();
  const gpt = text.gpt2();
  const initS = (performance.now() - t0) / 1000;
  const prompt = torch.randint(0, 50257, [1, 8]);
  gpt.generate(prompt, { maxNewTokens: 2 }); // warm-up
  tps('torchlet', measure(() => { gpt.generate(prompt, { maxNewTokens: newTokens }); }, opts), { initS: +initS.toFixed(1) });
  torch.setNumThreads(prevThreads);

  // ---- PyTorch 2.6 and 1.13, one process per case
  for (const py of [torch26(), torch113()]) {
    for (const kind of ['resnet18', 'vitb16', 'gpt2'] as const) {
      const r = runPy(py, kind, threads, budgetS, newTokens);
      if (typeof r === 'string') { notes.push(`${py.label} rows missing: ${r}`); ctx.log(`  ${py.label}: ${r}`); break; }
      const impl = `PyTorch ${r.torch.split('+')[0]}`;
      const t = { median: r.median_s, min: r.min_s, max: r.max_s, reps: r.reps };
      if (kind === 'gpt2') tps(impl, t, { source: r.source });
      else ms(impl, kind === 'resnet18' ? RESNET : VIT, t, { source: r.source });
    }
  }

  notes.push(`all implementations on ${threads} threads (torchlet setNumThreads, PyTorch torch.set_num_threads); eval mode without autograd; random weights.`);
  notes.push(`GPT-2: greedy, ${newTokens} new tokens after an 8-token prompt, key/value cache in both; torchlet's time excludes model construction (init took ${initS.toFixed(1)} s); PyTorch's model is the reference of scripts/fixtures/gpt2.py (transformers is not installed).`);
  notes.push('PyTorch 1.13 (Debian) has no torchvision: its ResNet-18 and ViT-B/16 are the same architectures written in bench/models.py.');
  return Promise.resolve({ suite: 'models', rows, notes });
}

/** The ratio table run.ts prints: torchlet's speed over each PyTorch's (> 1: torchlet is faster). */
export function ratios(rows: Row[]): { case: string; unit: string; values: Record<string, number>; ratios: Record<string, number> }[] {
  const out = [];
  for (const c of [RESNET, VIT, GPT2]) {
    const rs = rows.filter((r) => r.case === c);
    if (!rs.length) continue;
    const values = Object.fromEntries(rs.map((r) => [r.impl, r.value]));
    const ours = values['torchlet'];
    const higherIsBetter = rs[0].unit === 'tokens/s';
    const ratios: Record<string, number> = {};
    for (const r of rs) if (r.impl !== 'torchlet' && ours) ratios[r.impl] = higherIsBetter ? ours / r.value : r.value / ours;
    out.push({ case: c, unit: rs[0].unit, values, ratios });
  }
  return out;
}
