/**
 * `torchlet train --device webgpu` (the function behind `npm start`): a short run (512 digits, 1 epoch) trains the
 * digits MLP on the webgpu device, writes a checkpoint that loads on the CPU, and the CPU-reloaded model's
 * argmax predictions agree with the webgpu model's (train() checks and reports the agreement; it throws below
 * 99.9 %). The same run on the CPU reaches the same test accuracy within one digit in 2000 (float rounding).
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../../src/index.js';
import { train } from '../../src/cli/train.js';
import { deviceTests, webgpuDevice } from '../helpers/devices.js';

const dev = await webgpuDevice();

deviceTests(dev, 'torchlet train --device webgpu', (test) => {
  test('train --device webgpu --train-samples 512 --epochs 1: trains, saves, reloads on the CPU with the same predictions', async () => {
    const out = mkdtempSync(join(tmpdir(), 'torchlet-train-webgpu-'));
    const lines: string[] = [];
    const log = console.log;
    console.log = (...a: unknown[]) => { lines.push(a.join(' ')); };
    let g: Awaited<ReturnType<typeof train>>, c: Awaited<ReturnType<typeof train>>;
    try {
      g = await train({ device: 'webgpu', trainSamples: 512, epochs: 1, quiet: true, out: join(out, 'gpu') });
      c = await train({ device: 'cpu', trainSamples: 512, epochs: 1, quiet: true, out: join(out, 'cpu') });
    } finally {
      console.log = log;
    }
    const verified = lines.find((l) => l.startsWith('verified:') && l.includes('webgpu'));
    console.log(`# webgpu run: ${lines.find((l) => l.startsWith('epoch 1/1')) ?? ''}`);
    console.log(`# ${verified}`);
    assert.ok(verified, 'train reports the CPU reload check');
    assert.match(verified, /agrees with the webgpu model's predictions \(argmax\) on (\d+)\/2000/);
    assert.ok(Math.abs(g.testAccuracy - c.testAccuracy) <= 1 / 2000 + 1e-12, `webgpu ${g.testAccuracy} vs cpu ${c.testAccuracy}`);
    assert.ok(g.testAccuracy > 0.2, `the model learned something (${g.testAccuracy})`);
    const ck = await torch.load(g.checkpoint) as Map<string, unknown>;
    for (const [k, t] of ck.get('model') as Map<string, torch.Tensor>) assert.equal(t.device, 'cpu', `${k} loads on the CPU`);
  });
});
