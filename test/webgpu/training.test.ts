/**
 * Training on the webgpu device: optimizer state follows its parameters when the model moves mid-training
 * (a CPU step, model.to('webgpu'), a webgpu step equals the all-CPU run), a 1,000-step training loop inside
 * torch.webgpu.tidy keeps torch.memory.stats('webgpu').liveBytes flat (checked at steps 100 and 1000), and the
 * calls that used to read synchronously (oneHot, nn.init, BatchNorm momentum null, clipGradNorm_, torch.save)
 * work there. Without an adapter every test is skipped with the reason printed.
 *
 * Tolerances: one optimizer step after a forward/backward on webgpu: atol 1e-5, rtol 1e-4 (float32 in another
 * summation order); exact where nothing is computed on the GPU (nn.init values, saved and reloaded weights).
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { assertValuesClose } from '../helpers/index.js';
import { deviceTests, valuesOf, webgpuDevice } from '../helpers/devices.js';

const { nn, optim } = torch;
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
/** Collect garbage and let FinalizationRegistry callbacks run (they return unreferenced GPU buffers). */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) { gc(); await new Promise((r) => setTimeout(r, 5)); }
}
const dev = await webgpuDevice();
const TOL = { atol: 1e-5, rtol: 1e-4 };

function mlp(): torch.nn.Sequential {
  torch.manualSeed(7);
  return new nn.Sequential(new nn.Linear(12, 16), new nn.ReLU(), new nn.Linear(16, 4));
}

function batch(seed: number): [Tensor, Tensor] {
  const g = new torch.Generator().manualSeed(seed);
  return [torch.randn([8, 12], { generator: g }), torch.randint(0, 4, [8], { generator: g })];
}

async function paramValues(m: torch.nn.Module): Promise<number[]> {
  return (await Promise.all(m.parameters().map(valuesOf))).flat();
}

deviceTests(dev, 'training on webgpu', (test) => {
  for (const [name, make] of [
    ['Adam', (ps: Tensor[]) => new optim.Adam(ps, { lr: 0.01 })],
    ['AdamW amsgrad', (ps: Tensor[]) => new optim.AdamW(ps, { lr: 0.01, amsgrad: true })],
    ['SGD momentum nesterov', (ps: Tensor[]) => new optim.SGD(ps, { lr: 0.05, momentum: 0.9, nesterov: true })],
    ['RMSprop centered', (ps: Tensor[]) => new optim.RMSprop(ps, { lr: 0.01, centered: true, momentum: 0.5 })],
    ['Adagrad', (ps: Tensor[]) => new optim.Adagrad(ps, { lr: 0.05 })],
  ] as const) {
    test(`${name}: state follows the model to webgpu (2 CPU steps, model.to('webgpu'), 2 webgpu steps = 4 CPU steps)`, async () => {
      const lossFn = new nn.CrossEntropyLoss();
      const run = (m: torch.nn.Module, opt: torch.optim.Optimizer, seed: number, d: 'cpu' | 'webgpu') => {
        const [x, y] = batch(seed);
        opt.zeroGrad();
        lossFn.call(m.call(x.to(d)) as Tensor, y.to(d)).backward();
        opt.step();
      };
      const ref = mlp(), refOpt = make(ref.parameters());
      for (let s = 0; s < 4; s++) run(ref, refOpt, s, 'cpu');

      const m = mlp(), opt = make(m.parameters());
      run(m, opt, 0, 'cpu'); run(m, opt, 1, 'cpu');
      m.to('webgpu');
      run(m, opt, 2, 'webgpu'); run(m, opt, 3, 'webgpu');
      for (const p of m.parameters()) {
        assert.equal(p.device, 'webgpu');
        for (const [k, v] of Object.entries(opt.state.get(p)!)) {
          if (v instanceof torch.Tensor) assert.equal(v.device, k === 'step' ? 'cpu' : 'webgpu', `state ${k} device`);
        }
      }
      assertValuesClose(await paramValues(m), await paramValues(ref), TOL, `${name}: parameters after 4 steps`);
    });
  }

  test('memory: a 1,000-step training loop (MLP, SGD momentum, cross-entropy) in torch.webgpu.tidy keeps liveBytes flat', async () => {
    const m = mlp().to('webgpu');
    const opt = new optim.SGD(m.parameters(), { lr: 0.05, momentum: 0.9 });
    const lossFn = new nn.CrossEntropyLoss();
    const [xc, yc] = batch(1);
    const x = xc.to('webgpu'), y = yc.to('webgpu');
    const live = () => torch.memory.stats('webgpu').liveBytes;
    const losses: number[] = [];
    let at100 = 0, at1000 = 0;
    await settle(); // earlier tests' unreferenced GPU tensors: returned by their finalizers now, not mid-loop
    for (let step = 1; step <= 1000; step++) {
      const loss = torch.webgpu.tidy(() => {
        opt.zeroGrad();
        const l = lossFn.call(m.call(x), y);
        l.backward();
        opt.step();
        return l.detach();
      });
      if (step % 100 === 0 || step === 1) losses.push(await loss.itemAsync());
      loss.dispose();
      opt.zeroGrad(); // the gradients were disposed with the step's scope
      if (step === 100) at100 = live();
      if (step === 1000) at1000 = live();
    }
    // what must stay: parameters, one momentum buffer per parameter, the batch (4 bytes per element on webgpu)
    const nParams = m.parameters().reduce((a, p) => a + p.numel(), 0);
    const expected = 4 * (2 * nParams + x.numel() + y.numel());
    console.log(`# webgpu memory: liveBytes at step 100 ${at100}, at step 1000 ${at1000} (parameters + momentum + batch = ${expected}); peak ${torch.memory.stats('webgpu').peakBytes}; loss ${losses[0].toFixed(4)} -> ${losses[losses.length - 1].toFixed(4)}`);
    assert.equal(at100, expected, 'liveBytes at step 100: only parameters, optimizer state and the batch are live');
    assert.equal(at1000, at100, 'liveBytes at step 1000 equals step 100');
    assert.ok(losses[losses.length - 1] < losses[0], 'the loss went down');
  });

  test('oneHot with numClasses, nn.init (same seed = same values as on the CPU), BatchNorm momentum null', async () => {
    const idx = torch.tensor([[0, 3], [2, 1]], { dtype: 'int64' });
    assert.deepEqual(await torch.oneHot(idx.to('webgpu'), 4).tolistAsync(), torch.oneHot(idx, 4).tolist());
    assert.throws(() => torch.oneHot(idx.to('webgpu')), /numClasses/);
    for (const [name, f] of [
      ['kaimingUniform_', (t: Tensor) => nn.init.kaimingUniform_(t)], ['xavierNormal_', (t: Tensor) => nn.init.xavierNormal_(t)],
      ['truncNormal_', (t: Tensor) => nn.init.truncNormal_(t)], ['orthogonal_', (t: Tensor) => nn.init.orthogonal_(t)],
      ['sparse_', (t: Tensor) => nn.init.sparse_(t, 0.5)], ['eye_', (t: Tensor) => nn.init.eye_(t)],
    ] as const) {
      torch.manualSeed(5); const c = f(torch.empty([6, 5]));
      torch.manualSeed(5); const g = f(torch.empty([6, 5]).to('webgpu'));
      assert.equal(g.device, 'webgpu');
      assert.deepEqual(await valuesOf(g), await valuesOf(c), `nn.init.${name} on webgpu equals the CPU`);
    }
    const bnC = new nn.BatchNorm1d(3, { momentum: null }), bnG = new nn.BatchNorm1d(3, { momentum: null }).to('webgpu');
    for (let i = 0; i < 3; i++) {
      const x = torch.randn([5, 3]);
      assertValuesClose(await valuesOf(bnG.call(x.to('webgpu'))), await valuesOf(bnC.call(x)), TOL, `BatchNorm momentum null output ${i}`);
    }
    for (const k of ['running_mean', 'running_var', 'num_batches_tracked']) {
      assertValuesClose(await valuesOf(bnG.getBuffer(k)), await valuesOf(bnC.getBuffer(k)), TOL, `BatchNorm momentum null ${k}`);
    }
  });

  test('clipGradNorm_ and clipGradNormAsync_ on webgpu; a copy onto webgpu is a detached leaf; torch.save of webgpu tensors', async () => {
    const m = mlp(), mc = mlp();
    m.to('webgpu');
    const [x, y] = batch(3);
    new nn.CrossEntropyLoss().call(m.call(x.to('webgpu')), y.to('webgpu')).backward();
    new nn.CrossEntropyLoss().call(mc.call(x), y).backward();
    const tg = nn.utils.clipGradNorm_(m.parameters(), 0.1), tc = nn.utils.clipGradNorm_(mc.parameters(), 0.1);
    assertValuesClose([await tg.itemAsync()], [tc.item()], TOL, 'total norm');
    assertValuesClose(await paramGrads(m), await paramGrads(mc), TOL, 'clipped gradients');
    assert.throws(() => nn.utils.clipGradNorm_(m.parameters(), 1, { errorIfNonfinite: true }), /clipGradNormAsync_/);
    await nn.utils.clipGradNormAsync_(m.parameters(), 1, { errorIfNonfinite: true });
    m.parameters()[0].grad!.fill_(NaN);
    await assert.rejects(() => nn.utils.clipGradNormAsync_(m.parameters(), 1, { errorIfNonfinite: true }), /non-finite/);

    const w = torch.randn([3]).requiresGrad_();
    const wg = w.to('webgpu');
    assert.ok(wg.isLeaf && !wg.requiresGrad, 'detached: no gradient flows back across devices');

    const dir = mkdtempSync(join(tmpdir(), 'torchlet-webgpu-'));
    const path = join(dir, 'ck.pt');
    await torch.save(new Map<string, unknown>([['model', m.stateDict()], ['step', 3]]), path);
    const back = await torch.load(path) as Map<string, Map<string, Tensor>>;
    for (const [k, t] of m.stateDict()) {
      const l = back.get('model')!.get(k)!;
      assert.equal(l.device, 'cpu');
      assert.deepEqual(Array.from(l.dataSync()), await valuesOf(t), `saved ${k}`);
    }
  });
});

async function paramGrads(m: torch.nn.Module): Promise<number[]> {
  return (await Promise.all(m.parameters().map((p) => valuesOf(p.grad!)))).flat();
}
