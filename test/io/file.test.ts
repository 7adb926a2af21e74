/**
 * @file src/io/file.ts: atomicWrite survives SIGKILL mid-save (the target is always the old or a complete new
 * file, never partial) and detectFormat recognizes torch zips, safetensors and legacy pickles.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { atomicWrite, detectFormat } from '../../src/io/file.js';
import { FIXTURES } from './expected.js';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'atomicWriteChild.ts');

function checkIntact(path: string, oldSize: number, newSize: number): string {
  const b = readFileSync(path);
  if (b.length === oldSize && b.every((x) => x === 0xaa)) return 'old';
  assert.equal(b.length, newSize, `target has ${b.length} bytes: a partial write`);
  const v = b[0];
  assert.ok(v >= 1 && v <= 255);
  assert.ok(b.every((x) => x === v), 'target mixes two writes');
  return `new#${v}`;
}

test('atomicWrite: SIGKILL mid-save leaves the old or the new complete file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'torchlet-atomic-'));
  const target = join(dir, 'model.pt');
  const OLD = 1000;
  const SIZE = 8 * 1024 * 1024;
  try {
    const outcomes: string[] = [];
    for (const [round, delay] of [[0, 0], [1, 7], [2, 23], [3, 41]] as const) {
      writeFileSync(target, new Uint8Array(OLD).fill(0xaa));
      const child = spawn(process.execPath, ['--import', 'tsx', CHILD, target, String(SIZE)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => { stderr += d; });
      const exited = new Promise<NodeJS.Signals | number | null>((res) => child.on('exit', (code, sig) => res(sig ?? code)));
      // Kill after `round` complete writes (0: during the very first one) plus a few ms.
      await new Promise<void>((res, rej) => {
        let seen = 0;
        const go = () => setTimeout(() => { child.kill('SIGKILL'); res(); }, delay);
        if (round === 0) {
          // wait until the child has created its temporary file, i.e. is mid-way through the first write
          const poll = setInterval(() => {
            if (readdirSync(dir).some((f) => f.endsWith('.tmp'))) { clearInterval(poll); go(); }
          }, 1);
          child.on('exit', () => clearInterval(poll));
        } else {
          child.stdout.on('data', (d: Buffer) => {
            seen += d.toString().split('\n').filter(Boolean).length;
            if (seen === round) go();
          });
        }
        child.on('exit', (code, sig) => { if (sig !== 'SIGKILL') rej(new Error(`child exited early (${code}): ${stderr}`)); });
      });
      assert.equal(await exited, 'SIGKILL');
      outcomes.push(checkIntact(target, OLD, SIZE));
    }
    assert.equal(outcomes[0], 'old', 'killed during the first write: old content stays');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('atomicWrite replaces content and leaves no temporary file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'torchlet-atomic-'));
  try {
    const p = join(dir, 'a.safetensors');
    atomicWrite(p, Uint8Array.from([1, 2, 3]));
    atomicWrite(p, Uint8Array.from([4, 5]));
    assert.deepEqual([...readFileSync(p)], [4, 5]);
    assert.deepEqual(readdirSync(dir), ['a.safetensors']);
    assert.throws(() => atomicWrite(join(dir, 'missing', 'x.pt'), new Uint8Array(1)), /ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('detectFormat by magic bytes, then by extension', () => {
  const read = (f: string) => new Uint8Array(readFileSync(join(FIXTURES, f)));
  assert.equal(detectFormat(read('model.pt'), 'whatever.bin'), 'torch-zip');
  assert.equal(detectFormat(read('model.safetensors'), 'model.pt'), 'safetensors');
  assert.equal(detectFormat(read('legacy.pt'), 'legacy.pt'), 'torch-legacy');
  assert.equal(detectFormat(new Uint8Array(0), 'x.safetensors'), 'safetensors');
  assert.equal(detectFormat(new Uint8Array(0), 'x.pth'), 'torch-zip');
  assert.equal(detectFormat(new TextEncoder().encode('hello'), 'notes.txt'), 'unknown');
});
