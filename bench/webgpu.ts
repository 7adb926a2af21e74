/**
 * @file WebGPU GEMM throughput (float32, C = A·B through the device's tiled register-blocked kernel), wall clock
 * from submit to queue idle, uploads excluded; then MLP training steps on the device (batch 128 and 1024). List it in bench/run.ts SUITES as `webgpu: () => import('./webgpu.js')`.
 * On a software adapter (SwiftShader, lavapipe: info().isFallbackAdapter) only the small shapes run, and the
 * figures say nothing about GPUs; on a real GPU every shape runs.
 */
import { existsSync } from 'node:fs';
import * as torch from '../src/index.js';
import type { BenchContext, Row, SuiteResult } from './harness.js';

const SHAPES: [number, number, number][] = [[256, 256, 256], [512, 512, 512], [1024, 1024, 1024], [2048, 2048, 2048], [128, 784, 512]];

export async function run(ctx: BenchContext): Promise<SuiteResult> {
  const rows: Row[] = [], notes: string[] = [];
  const icd = '/usr/lib/chromium/vk_swiftshader_icd.json';
  if (!process.env.VK_ICD_FILENAMES && existsSync(icd)) process.env.VK_ICD_FILENAMES = icd;
  let info;
  try { info = await torch.webgpu.init(); } catch (e) {
    notes.push(`webgpu skipped: ${(e as Error).message}`);
    return { suite: 'webgpu-gemm', rows, notes };
  }
  notes.push(`adapter: ${info.name}${info.isFallbackAdapter ? ' (software fallback adapter: CPU emulation, not a GPU figure)' : ''}`);
  const shapes = info.isFallbackAdapter ? SHAPES.filter(([m, k, n]) => m * k * n <= 512 ** 3) : SHAPES;
  for (const [m, k, n] of shapes) {
    const name = m === k && k === n ? `${m}²` : `${m}x${k}·${k}x${n}`;
    const a = torch.randn([m, k]).to('webgpu'), b = torch.randn([k, n]).to('webgpu');
    torch.matmul(a, b).dispose();
    await torch.webgpu.synchronize();
    // calibrate: repetitions filling ~200 ms (at least 1)
    let t0 = performance.now();
    torch.matmul(a, b).dispose();
    await torch.webgpu.synchronize();
    const one = performance.now() - t0;
    const reps = Math.max(1, Math.min(200, Math.round((ctx.quick ? 100 : 300) / Math.max(one, 0.01))));
    const samples: number[] = [];
    for (let s = 0; s < (ctx.quick ? 3 : 5); s++) {
      t0 = performance.now();
      for (let i = 0; i < reps; i++) torch.matmul(a, b).dispose();
      await torch.webgpu.synchronize();
      samples.push((performance.now() - t0) / reps / 1000);
    }
    samples.sort((x, y) => x - y);
    const med = samples[samples.length >> 1];
    const flops = 2 * m * n * k;
    const row: Row = { suite: 'gemm', case: name, impl: `torchlet webgpu (${info.isFallbackAdapter ? 'software' : 'gpu'})`, threads: 'gpu', value: flops / med / 1e9, unit: 'GFLOPS',
      detail: { reps: samples.length, perCallMs: +(med * 1000).toFixed(3), adapter: info.name } };
    rows.push(row);
    ctx.log(`  ${name.padEnd(16)} ${row.impl.padEnd(28)} ${row.value.toFixed(2)} GFLOPS`);
    a.dispose(); b.dispose();
  }
  rows.push(...await trainSteps(ctx, info.isFallbackAdapter));
  return { suite: 'webgpu-gemm', rows, notes };
}

/**
 * Training steps on the device: MLP 784-512-512-10 with SGD momentum and cross-entropy, batch 128 (the train
 * suite's CPU case) and batch 1024, each step in torch.tidy, timed from the first op to queue idle.
 */
async function trainSteps(ctx: BenchContext, software: boolean): Promise<Row[]> {
  const rows: Row[] = [];
  const { nn, optim } = torch;
  for (const batch of software ? [128] : [128, 1024]) {
    torch.manualSeed(0);
    const model = new nn.Sequential(new nn.Linear(784, 512), new nn.ReLU(), new nn.Linear(512, 512), new nn.ReLU(), new nn.Linear(512, 10)).to('webgpu');
    const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
    const x = torch.randn([batch, 784]).to('webgpu'), y = torch.randint(0, 10, [batch]).to('webgpu');
    const step = () => torch.tidy(() => { opt.zeroGrad(); nn.functional.crossEntropy(model.call(x), y).backward(); opt.step(); });
    for (let i = 0; i < (software ? 1 : 5); i++) step();
    await torch.webgpu.synchronize();
    const reps = software ? 1 : 50, samples: number[] = [];
    for (let s = 0; s < (ctx.quick || software ? 3 : 7); s++) {
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) step();
      await torch.webgpu.synchronize();
      samples.push((performance.now() - t0) / reps);
    }
    samples.sort((p, q) => p - q);
    const med = samples[samples.length >> 1];
    const name = `MLP step b${batch}`;
    rows.push({ suite: 'train', case: name, impl: `torchlet webgpu (${software ? 'software' : 'gpu'})`, threads: 'gpu', value: med, unit: 'ms',
      detail: { min: +samples[0].toFixed(3), max: +samples[samples.length - 1].toFixed(3), reps: samples.length } });
    ctx.log(`  ${name.padEnd(16)} torchlet webgpu: ${med.toFixed(3)} ms per step (min ${samples[0].toFixed(3)}, max ${samples[samples.length - 1].toFixed(3)})`);
    x.dispose(); y.dispose();
  }
  return rows;
}
