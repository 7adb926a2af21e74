/**
 * The main job: `torchlet train` on a small slice of the digits. An uninterrupted run and a run killed
 * (SIGKILL) after its first epoch's checkpoint, then resumed with --resume, end with the same weights, bit
 * for bit. Bad flags and paths exit non-zero with a message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../../src/index.js';

const CLI = ['--import', 'tsx', 'src/cli/main.ts'];
const QUICK = ['train', '--train-samples', '384', '--epochs', '2', '--batch-size', '32', '--quiet'];

function run(args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [...CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

async function weights(path: string): Promise<Map<string, torch.Tensor>> {
  return (await torch.load(path)) as Map<string, torch.Tensor>;
}

test('a run killed after epoch 1 and resumed ends with exactly the weights of the uninterrupted run', async () => {
  const dirA = mkdtempSync(join(tmpdir(), 'torchlet-a-'));
  const a = run([...QUICK, '--out', dirA]);
  assert.equal(a.code, 0, a.out);
  assert.match(a.out, /verified: a fresh mlp loaded from .* gives identical predictions/);

  const dirB = mkdtempSync(join(tmpdir(), 'torchlet-b-'));
  const child = spawn(process.execPath, [...CLI, ...QUICK, '--out', dirB], { stdio: ['ignore', 'pipe', 'pipe'] });
  let seen = '';
  const killed = await new Promise<boolean>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      seen += d.toString();
      if (/epoch 1\/2: .*saved/.test(seen) && !child.killed) { child.kill('SIGKILL'); resolve(true); }
    });
    child.on('exit', () => resolve(false));
  });
  assert.ok(killed, `the child never reported epoch 1: ${seen}`);
  await new Promise((r) => child.once('exit', r));
  assert.ok(!existsSync(join(dirB, 'mlp.safetensors')), 'the killed run must not have finished');

  const b = run(['train', '--resume', join(dirB, 'mlp-checkpoint.pt'), '--quiet', '--out', dirB]);
  assert.equal(b.code, 0, b.out);
  assert.match(b.out, /resumed .*epoch 1 of 2 done/);

  const wa = await weights(join(dirA, 'mlp.safetensors'));
  const wb = await weights(join(dirB, 'mlp.safetensors'));
  assert.deepEqual([...wb.keys()], [...wa.keys()]);
  for (const [k, t] of wa) {
    const u = wb.get(k)!;
    assert.deepEqual(u.shape, t.shape, k);
    assert.deepEqual(Array.from(u.dataSync()), Array.from(t.dataSync()), `${k} differs after resume`);
  }
});

test('bad flags and paths exit non-zero with a message naming the problem', () => {
  const badEpochs = run(['train', '--epochs', 'zero']);
  assert.notEqual(badEpochs.code, 0);
  assert.match(badEpochs.out, /--epochs must be a positive integer, got 'zero'/);

  const badModel = run(['train', '--model', 'resnet', '--quiet', '--train-samples', '32', '--epochs', '1']);
  assert.notEqual(badModel.code, 0);
  assert.match(badModel.out, /--model must be 'mlp' or 'cnn', got 'resnet'/);

  const badResume = run(['train', '--resume', '/nonexistent/ckpt.pt']);
  assert.notEqual(badResume.code, 0);
  assert.match(badResume.out, /cannot read '\/nonexistent\/ckpt\.pt': no such file/);

  const unknown = run(['train', '--bogus']);
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.out, /unknown option '--bogus'/);

  const inspectMissing = run(['inspect', '/nonexistent.safetensors']);
  assert.notEqual(inspectMissing.code, 0);
  assert.match(inspectMissing.out, /no such file/);
});
