/**
 * @file examples/lora-gpt2.ts runs as a user would run it (a child process, few steps, without the memory part):
 * it exits 0, the LoRA loss falls, PEFT's two files are written, and the adapter reloaded on a fresh base model
 * generates the same text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

test('examples/lora-gpt2.ts: LoRA trains, the adapter folder is PEFT\'s, the reloaded adapter generates the same text', () => {
  const dir = mkdtempSync(join(tmpdir(), 'torchlet-lora-example-'));
  try {
    const out = join(dir, 'adapter');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'examples/lora-gpt2.ts', '--steps', '20', '--out', out, '--no-memory'],
      { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
    assert.equal(r.status, 0, `exit ${r.status}\n${r.stderr}\n${r.stdout}`);
    assert.match(r.stdout, /^trainable params: [\d,]+ \|\| all params: [\d,]+ \|\| trainable%: \d+\.\d{4}$/m);
    const losses = [...r.stdout.matchAll(/^lora step\s+\d+\s+loss (\d+\.\d+)$/gm)].map((m) => Number(m[1]));
    assert.ok(losses.length >= 3 && losses.at(-1)! < losses[0], `the LoRA loss falls: ${losses.join(' -> ')}`);
    assert.deepEqual(readdirSync(out).sort(), ['adapter_config.json', 'adapter_model.safetensors']);
    const gen = (label: string) => new RegExp(`^${label}:\\s+(".*")$`, 'm').exec(r.stdout)?.[1];
    assert.ok(gen('with LoRA') !== undefined);
    assert.equal(gen('reloaded'), gen('with LoRA'));
    assert.match(r.stdout, /^same generations after reload: true$/m);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
