/**
 * @file The cost of run-time argument checking on a training step: V8's sampling CPU profiler (node:inspector)
 * runs over MLP 784-512-512-10 SGD steps at batch 128 (the train suite's case) on 1 thread, and the share of
 * samples spent inside src/core/args.ts — inclusive: a sample counts when any frame of its stack is a function of
 * that file — is the checks' share of the step. List it in bench/run.ts SUITES as `argcheck`.
 */
import { Session } from 'node:inspector/promises';
import * as torch from '../src/index.js';
import type { BenchContext, Row, SuiteResult } from './harness.js';

interface ProfileNode { id: number; callFrame: { url: string; functionName: string }; hitCount?: number; children?: number[] }

export async function run(ctx: BenchContext): Promise<SuiteResult> {
  const threads = torch.getNumThreads();
  torch.setNumThreads(1);
  const { nn, optim } = torch;
  torch.manualSeed(0);
  const model = new nn.Sequential(new nn.Linear(784, 512), new nn.ReLU(), new nn.Linear(512, 512), new nn.ReLU(), new nn.Linear(512, 10));
  const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const x = torch.randn([128, 784]), y = torch.randint(0, 10, [128]);
  const step = () => { opt.zeroGrad(); nn.functional.crossEntropy(model.call(x), y).backward(); opt.step(); };
  for (let i = 0; i < 5; i++) step();
  const session = new Session();
  session.connect();
  const steps = ctx.quick ? 30 : 100;
  let shares: number[] = [];
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    for (let r = 0; r < 3; r++) {
      await session.post('Profiler.start');
      for (let i = 0; i < steps; i++) step();
      const { profile } = await session.post('Profiler.stop') as unknown as { profile: { nodes: ProfileNode[] } };
      const byId = new Map(profile.nodes.map((n) => [n.id, n]));
      let total = 0, inArgs = 0;
      const walk = (id: number, under: boolean): void => {
        const n = byId.get(id)!;
        const here = under || n.callFrame.url.endsWith('/src/core/args.ts');
        const hits = n.hitCount ?? 0;
        total += hits;
        if (here) inArgs += hits;
        for (const c of n.children ?? []) walk(c, here);
      };
      walk(profile.nodes[0].id, false);
      shares.push(inArgs / total);
    }
  } finally {
    session.disconnect();
    torch.setNumThreads(threads);
  }
  shares = shares.sort((a, b) => a - b);
  const med = shares[1];
  const line = `argument checks: ${(med * 100).toFixed(2)} % of the MLP step's CPU samples (3 profiles of ${steps} steps: ${shares.map((s) => (s * 100).toFixed(2)).join(', ')} %; target < 2 %)`;
  ctx.log(`  ${line}`);
  const rows: Row[] = [{ suite: 'argcheck', case: 'MLP step b128, share in src/core/args.ts', impl: 'torchlet', threads: 1, value: med * 100, unit: '%', detail: { min: shares[0] * 100, max: shares[2] * 100, steps } }];
  return { suite: 'argcheck', rows, notes: [line] };
}
