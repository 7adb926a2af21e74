/**
 * @file The port suite: programs written the way PyTorch's tutorials and docs write them, each a PyTorch script
 * (scripts/ports/<name>.py) and a torchlet program (test/ports/<name>.ts) to read side by side. Each torchlet program
 * must reach PyTorch's losses, final weights and extras from the same seed: against the committed fixtures
 * (test/fixtures/ports/<name>.json, written by `python3 scripts/ports/run_all.py` with torch 1.13) everywhere, and
 * against live PyTorch 1.13 and 2.6 where installed (required in CI).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireOrSkip, torch113, torch26, type PyEnv } from '../helpers/python.js';
import type { PortResult } from './report.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Port { name: string; script: string; run: () => Promise<PortResult>; tol: number; tol26?: number }
/**
 * tol: relative tolerance (|a - b| <= tol * (1 + |b|)), about 10x the largest error reached against torch 1.13 and
 * 2.6 (3.6e-8 to 3.2e-7: float32 rounding, grown over the training steps). The references run PyTorch's native CPU
 * kernels (scripts/ports/run_all.py turns oneDNN off; see there why).
 */
const PORTS: Port[] = [
  { name: 'autograd', script: 'autograd', tol: 3e-6, run: async () => (await import('./autograd.js')).main() },
  { name: 'nn tutorial', script: 'nn_tutorial', tol: 1e-6, run: async () => (await import('./nn-tutorial.js')).main() },
  { name: 'save and load a checkpoint', script: 'save_load', tol: 2e-6, run: async () => (await import('./save-load.js')).main() },
  { name: 'transfer learning (frozen backbone)', script: 'transfer', tol: 5e-7, run: async () => (await import('./transfer.js')).main() },
  { name: 'LSTM language model (word_language_model)', script: 'lstm_lm', tol: 2e-6, run: async () => (await import('./lstm-lm.js')).main() },
  { name: 'Transformer language model (nn.TransformerEncoder)', script: 'transformer_lm', tol: 2e-6, run: async () => (await import('./transformer-lm.js')).main() },
  { name: 'parameter groups (no weight decay on biases and norms)', script: 'param_groups', tol: 2e-6, run: async () => (await import('./param-groups.js')).main() },
  { name: 'schedulers (warmup, warm restarts, plateau)', script: 'schedulers', tol: 2e-6, run: async () => (await import('./schedulers.js')).main() },
  { name: 'gradient clipping', script: 'grad_clipping', tol: 2e-6, run: async () => (await import('./grad-clipping.js')).main() },
  { name: 'custom init with apply', script: 'apply_init', tol: 1e-6, run: async () => (await import('./apply-init.js')).main() },
  { name: 'weight tying', script: 'weight_tying', tol: 3e-6, run: async () => (await import('./weight-tying.js')).main() },
  { name: 'custom module with Parameter and buffers', script: 'custom_module', tol: 2e-6, run: async () => (await import('./custom-module.js')).main() },
];

function loadFixture(script: string): PortResult & { torch: string } {
  return JSON.parse(readFileSync(`${ROOT}test/fixtures/ports/${script}.json`, 'utf8'));
}

/** Largest |a - b| / (1 + |b|) over losses, weights and extras; asserts the same keys and lengths. */
function worstError(got: PortResult, want: PortResult, what: string): number {
  let worst = 0;
  const cmp = (a: number[], b: number[], label: string) => {
    assert.equal(a.length, b.length, `${what} ${label}: ${a.length} values, PyTorch has ${b.length}`);
    a.forEach((x, i) => {
      const e = Math.abs(x - b[i]) / (1 + Math.abs(b[i]));
      if (Number.isNaN(e)) assert.fail(`${what} ${label}[${i}]: ${x} vs PyTorch ${b[i]}`);
      worst = Math.max(worst, e);
    });
  };
  cmp(got.losses, want.losses, 'losses');
  assert.deepEqual(Object.keys(got.weights), Object.keys(want.weights), `${what}: state-dict keys (in order)`);
  for (const k of Object.keys(want.weights)) cmp(got.weights[k], want.weights[k], `weights ${k}`);
  assert.deepEqual(Object.keys(got.extra).sort(), Object.keys(want.extra).sort(), `${what}: extras`);
  for (const k of Object.keys(want.extra)) cmp(got.extra[k], want.extra[k], `extra ${k}`);
  return worst;
}

const cache = new Map<string, PortResult>();
async function ours(p: Port): Promise<PortResult> {
  if (!cache.has(p.name)) cache.set(p.name, await p.run());
  return cache.get(p.name)!;
}

/** Every port script run by one Python process of this installation (scripts/ports/run_all.py --stdout DIR). */
const liveRuns = new Map<string, Map<string, PortResult>>();
function live(py: PyEnv, script: string): PortResult {
  if (!liveRuns.has(py.label)) {
    const dir = py.tmpdir();
    for (const f of readdirSync(`${ROOT}scripts/ports`)) if (f.endsWith('.py')) copyFileSync(`${ROOT}scripts/ports/${f}`, join(dir, f));
    const r = py.run(`${ROOT}scripts/ports/run_all.py`, ['--stdout', py.inner(dir)], { timeout: 600_000 });
    rmSync(dir, { recursive: true, force: true });
    assert.equal(r.status, 0, `${py.label} scripts/ports/run_all.py failed: ${r.stderr}`);
    const results = new Map<string, PortResult>();
    for (const l of r.stdout.split('\n')) if (l.startsWith('{')) { const o = JSON.parse(l); results.set(o.name, o.result); }
    liveRuns.set(py.label, results);
  }
  const res = liveRuns.get(py.label)!.get(script);
  assert.ok(res, `${py.label}: scripts/ports/${script}.py printed no result`);
  return res;
}

for (const p of PORTS) {
  test(`port ${p.name}: torchlet matches PyTorch 1.13's fixture (losses, final weights, extras)`, async (t) => {
    const err = worstError(await ours(p), loadFixture(p.script), p.name);
    t.diagnostic(`max relative error ${err.toExponential(2)} (tolerance ${p.tol})`);
    assert.ok(err <= p.tol, `${p.name}: max relative error ${err} > ${p.tol}`);
  });
  for (const py of [torch113(), torch26()]) {
    test(`port ${p.name}: torchlet matches live ${py.label}`, async (t) => {
      if (requireOrSkip(t, py.skip)) return;
      const tol = py.label === 'torch 2.6' ? (p.tol26 ?? p.tol) : p.tol;
      const err = worstError(await ours(p), live(py, p.script), `${p.name} vs ${py.label}`);
      t.diagnostic(`max relative error ${err.toExponential(2)} (tolerance ${tol})`);
      assert.ok(err <= tol, `${p.name} vs ${py.label}: max relative error ${err} > ${tol}`);
    });
  }
}
