/**
 * The progress bar of `torchlet train` (what `npm start` shows) on a real terminal: the command runs under a
 * pseudo-terminal (util-linux `script`, 120 columns), its output is replayed through a small terminal model
 * (carriage return, newline, cursor save/restore, cursor-to-column, clear-to-end-of-line) and the rendered
 * screen is checked line by line: the header, the bar redrawn in place and left at 8/8 with loss, accuracy and
 * samples/s, then the epoch line below it. On a pipe the same command prints no bar (one line per epoch).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireOrSkip } from '../helpers/python.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ARGS = ['--import', 'tsx', 'src/cli/main.ts', 'train', '--train-samples', '256', '--epochs', '1', '--batch-size', '32'];
const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The screen a terminal shows after `out`: the few controls cli-progress and console.log emit. */
export function render(out: string): string[] {
  const screen: string[][] = [[]];
  let row = 0, col = 0, saved: [number, number] = [0, 0];
  const put = (ch: string): void => {
    while (screen.length <= row) screen.push([]);
    const line = screen[row];
    while (line.length < col) line.push(' ');
    line[col++] = ch;
  };
  for (let i = 0; i < out.length; i++) {
    const c = out[i];
    if (c === '\r') { col = 0; continue; }
    if (c === '\n') { row++; col = 0; while (screen.length <= row) screen.push([]); continue; }
    if (c !== '\x1b') { put(c); continue; }
    const next = out[i + 1];
    if (next === '7') { saved = [row, col]; i++; continue; }
    if (next === '8') { [row, col] = saved; i++; continue; }
    if (next !== '[') { i++; continue; }
    const m = /^\[(\??)(\d*(?:;\d*)*)([A-Za-z])/.exec(out.slice(i + 1));
    if (!m) continue;
    i += m[0].length;
    const [, priv, num, cmd] = m;
    if (priv) continue; // private modes: cursor visibility, line wrap
    const n = num === '' ? 0 : Number(num.split(';')[0]);
    if (cmd === 'G') col = Math.max(0, n - 1);
    else if (cmd === 'K') { const line = screen[row] ?? []; if (n === 0) line.length = Math.min(line.length, col); else if (n === 2) line.length = 0; }
    else if (cmd === 'A') row = Math.max(0, row - Math.max(1, n));
  }
  return screen.map((l) => l.join('').trimEnd());
}

function scriptMissing(): string | null {
  const r = spawnSync('script', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? null : 'util-linux `script` not found (apt-get install bsdutils): it provides the pseudo-terminal';
}

test('the training progress bar on a pseudo-terminal: rendered in place, ends at 8/8 with loss, accuracy and samples/s', { timeout: 120_000 }, (t) => {
  if (requireOrSkip(t, scriptMissing())) return;
  const out = mkdtempSync(join(tmpdir(), 'torchlet-tty-'));
  try {
    const cmd = `stty cols 120 rows 40; exec ${quote(process.execPath)} ${ARGS.map(quote).join(' ')} --out ${quote(out)}`;
    const r = spawnSync('script', ['-qfec', cmd, '/dev/null'], { cwd: ROOT, encoding: 'utf8', timeout: 110_000 });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    const raw = r.stdout;
    const redraws = raw.split('\x1b[1G').length - 1;
    // cli-progress throttles redraws (10 per second), so a run this short on a quiet machine draws the bar at the
    // start and at the end only: at least 2 draws in place; the screen below must still hold one bar line at 8/8.
    assert.ok(redraws >= 2, `the bar is redrawn in place (cursor to column 1) at least twice, saw ${redraws}`);
    const lines = render(raw);
    const header = lines.findIndex((l) => l.startsWith('torchlet train: mlp on 256 MNIST digits'));
    assert.ok(header >= 0, `no header line in:\n${lines.join('\n')}`);
    const bar = lines[header + 1];
    assert.match(bar, /^epoch 1\/1 █{40} 8\/8 \| loss \d\.\d{4} \| acc [01]\.\d{3} \| \d+ samples\/s$/, `the rendered bar line:\n${bar}`);
    assert.match(lines[header + 2], /^epoch 1\/1: train loss \d\.\d{4}, train acc [01]\.\d{4}, test acc [01]\.\d{4}, \d+ samples\/s; saved /, 'the epoch line under the bar');
    assert.ok(lines.some((l) => l.startsWith('verified: a fresh mlp loaded from')), 'the run ends with the reload check');
    assert.equal(lines.filter((l) => l.startsWith('epoch 1/1 ')).length, 1, 'one bar line on the screen, not one per update');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('on a pipe (not a terminal) there is no bar: one line per epoch', { timeout: 120_000 }, () => {
  const out = mkdtempSync(join(tmpdir(), 'torchlet-pipe-'));
  try {
    const r = spawnSync(process.execPath, [...ARGS, '--out', out], { cwd: ROOT, encoding: 'utf8', timeout: 110_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(!r.stdout.includes('\x1b[') && !r.stdout.includes('█') && !r.stdout.includes('░'), 'no control sequences or bar characters');
    assert.match(r.stdout, /^epoch 1\/1: train loss /m);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
