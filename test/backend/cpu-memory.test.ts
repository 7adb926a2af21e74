/**
 * Issue 9's memory requirement: a training loop written like PyTorch's (no dispose, no tidy) keeps memory flat on
 * the CPU. A child process (started with --expose-gc) runs 10,000 steps of a tiny MLP with SGD and, after a full
 * garbage collection, samples the JS heap plus ArrayBuffer bytes and torchlet's own count of live CPU storage
 * bytes at step 1,000 and at step 10,000.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CHILD = '--memory-loop-child';

interface Sample { step: number; heapUsed: number; arrayBuffers: number; liveBytes: number; liveStorages: number }

async function childMain(): Promise<void> {
  const torch = await import('../../src/index.js');
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  const settle = async () => {
    // two rounds: the FinalizationRegistry callbacks that settle torchlet's counters run after a collection
    for (let i = 0; i < 2; i++) { gc(); await new Promise((r) => setTimeout(r, 0)); }
  };
  torch.manualSeed(0);
  const model = new torch.nn.Sequential(new torch.nn.Linear(8, 16), new torch.nn.ReLU(), new torch.nn.Linear(16, 1));
  const opt = new torch.optim.SGD(model.parameters(), { lr: 0.01 });
  const x = torch.randn([32, 8]), y = torch.randn([32, 1]);
  const samples: Sample[] = [];
  for (let step = 1; step <= 10_000; step++) {
    opt.zeroGrad();
    const loss = torch.nn.functional.mseLoss(model.call(x), y);
    loss.backward();
    opt.step();
    if (step % 1000 === 0) loss.item();
    if (step === 1000 || step === 10_000) {
      await settle();
      const m = process.memoryUsage(), s = torch.memory.stats('cpu');
      samples.push({ step, heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers, liveBytes: s.liveBytes, liveStorages: s.liveStorages });
    }
  }
  process.stdout.write(JSON.stringify(samples) + '\n');
}

if (process.argv.includes(CHILD)) {
  await childMain();
} else {
  test('a 10,000-step CPU training loop without dispose keeps memory flat', () => {
    const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), CHILD], {
      encoding: 'utf8', timeout: 120_000, env: { ...process.env, TORCHLET_NUM_THREADS: '1' },
    });
    assert.equal(r.status, 0, `child failed: ${r.stderr}`);
    const [a, b] = JSON.parse(r.stdout.trim().split('\n').pop()!) as Sample[];
    assert.equal(a.step, 1000);
    assert.equal(b.step, 10_000);
    // torchlet's live CPU storages: parameters, gradients, the data; identical counts once the loop is steady
    assert.ok(b.liveStorages <= a.liveStorages + 4, `live storages grew from ${a.liveStorages} to ${b.liveStorages}`);
    assert.ok(b.liveBytes <= a.liveBytes + 4096, `live storage bytes grew from ${a.liveBytes} to ${b.liveBytes}`);
    // the process: heap and array buffers within 1 MiB (9,000 more steps allocate ~100k storages on the way)
    const before = a.heapUsed + a.arrayBuffers, after = b.heapUsed + b.arrayBuffers;
    assert.ok(after <= before + (1 << 20), `heap + array buffers grew from ${before} to ${after} bytes`);
  });
}
