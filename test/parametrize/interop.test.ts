/**
 * @file Parametrized modules across PyTorch 2.6 and torchlet: a network parametrized and saved in PyTorch
 * (test/fixtures/parametrize/net.pt, net.safetensors) loads into the same network parametrized in torchlet and
 * gives the same output; torchlet's saved state dict (.pt and .safetensors) loads in PyTorch and gives torchlet's
 * output there (live, scripts/fixtures/parametrize_live.py, when the torch 2.6 root is available; without it, the
 * committed from-torchlet.safetensors and PyTorch's outputs on it, written by the live test with UPDATE_FIXTURES=1).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { loadFixture } from '../helpers/index.js';
import { requireOrSkip, torch26 } from '../helpers/python.js';
import { T, close, type JT } from './helpers.js';

const { nn } = torch;
const PZ = nn.utils.parametrizations;
const DIR = join(import.meta.dirname, '../fixtures/parametrize');
const NET = (loadFixture<{ cases: { net: { x: JT; y: JT; keys: string[]; repr: string } } }>('parametrize/parametrize.json')).cases.net;

class Net extends nn.Module {
  fc1 = PZ.weightNorm(new nn.Linear(4, 6));
  fc2 = PZ.spectralNorm(new nn.Linear(6, 5));
  fc3 = PZ.orthogonal(new nn.Linear(5, 5));
  fc4 = PZ.orthogonal(new nn.Linear(5, 3), { orthogonalMap: 'cayley' });
  forward(x: Tensor): Tensor {
    return this.fc4.call(this.fc3.call(this.fc2.call(this.fc1.call(x).tanh()).tanh()).tanh());
  }
}

test('a network parametrized and saved by PyTorch 2.6 (.pt and .safetensors) loads into torchlet and gives the same output', async () => {
  for (const file of ['net.pt', 'net.safetensors']) {
    const net = new Net();
    assert.deepEqual([...net.stateDict().keys()], NET.keys, 'same keys in the same order');
    assert.equal(String(net), NET.repr);
    net.loadStateDict(await torch.load(join(DIR, file)) as Map<string, Tensor>);
    net.eval();
    close(torch.noGrad(() => net.call(T(NET.x))), NET.y, `${file}: output`);
  }
});

/** A Net trained a few steps from seed 4 (deterministic), so the originals are not where registration put them. */
function trainedNet(): { net: Net; x: Tensor; y: Tensor } {
  torch.manualSeed(4);
  const net = new Net();
  const opt = new torch.optim.Adam(net.parameters(), { lr: 0.05 });
  const x = torch.randn([3, 4]), target = torch.randn([3, 3]);
  for (let i = 0; i < 3; i++) { opt.zeroGrad(); nn.functional.mseLoss(net.call(x), target).backward(); opt.step(); }
  net.eval();
  return { net, x, y: torch.noGrad(() => net.call(x)) };
}

const FROM_TORCHLET = loadFixture<{ pt: number[]; safetensors: number[]; keys: string[] }>('parametrize/from-torchlet.json');

test("torchlet's saved parametrized network gives torchlet's output in PyTorch 2.6 (fixture: PyTorch's output on from-torchlet.safetensors)", async () => {
  const { net, y } = trainedNet();
  const saved = await torch.load(join(DIR, 'from-torchlet.safetensors')) as Map<string, Tensor>;
  const sd = net.stateDict();
  assert.deepEqual([...saved.keys()], [...sd.keys()]);
  // the committed file is what torchlet saves (up to float32 rounding: ops may change their summation order)
  for (const [k, v] of sd) assert.ok(torch.allclose(saved.get(k)!, v, { atol: 1e-5, rtol: 1e-4 }), `${k}: the committed file is what torchlet saves`);
  assert.deepEqual(FROM_TORCHLET.keys, [...sd.keys()]);
  for (const k of ['pt', 'safetensors'] as const) close(y, { shape: [3, 3], dtype: 'float32', data: FROM_TORCHLET[k] }, `PyTorch's output from torchlet's ${k}`);
});

test('torchlet saves a parametrized network that PyTorch 2.6 loads (.pt and .safetensors), same output (live)', async (t) => {
  const py = torch26();
  if (requireOrSkip(t, py.skip)) return;
  const { net, x, y } = trainedNet();
  const dir = py.tmpdir();
  try {
    await torch.save(net.stateDict(), join(dir, 'net.pt'));
    await torch.save(net.stateDict(), join(dir, 'net.safetensors'));
    await torch.save(new Map([['x', x]]), join(dir, 'x.pt'));
    const r = py.run(join(import.meta.dirname, '../../scripts/fixtures/parametrize_live.py'), [py.inner(dir)]);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { pt: number[]; safetensors: number[]; keys: string[] };
    assert.deepEqual(out.keys, [...net.stateDict().keys()]);
    for (const k of ['pt', 'safetensors'] as const) close(y, { shape: [3, 3], dtype: 'float32', data: out[k] }, `PyTorch's output from torchlet's ${k}`);
    if (process.env.UPDATE_FIXTURES === '1') {
      copyFileSync(join(dir, 'net.safetensors'), join(DIR, 'from-torchlet.safetensors'));
      writeFileSync(join(DIR, 'from-torchlet.json'), `${JSON.stringify(out)}\n`);
    }
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
