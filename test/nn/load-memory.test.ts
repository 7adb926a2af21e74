/**
 * Loading a checkpoint into a model built on meta with loadStateDict(sd, { assign: true }) keeps one copy of the
 * weights: the accounted peak (torch.memory.stats) stays under 1.2x the weights, for safetensors and .pt,
 * where building the model on the CPU and copying in costs two copies. (The README's 100M-parameter figures
 * come from scripts/measure-load-memory.ts; this suite uses a 2M-parameter model to stay fast.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import * as torch from '../../src/index.js';

const { nn } = torch;
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const settle = async () => { for (let i = 0; i < 3; i++) { gc(); await new Promise((r) => setTimeout(r, 20)); } };

const build = () => new nn.Sequential(...Array.from({ length: 2 }, () => new nn.Linear(1024, 1024)));

async function peakOf(load: () => Promise<unknown>): Promise<number> {
  await settle();
  const live0 = torch.memory.stats('cpu').liveBytes;
  torch.memory.resetPeak('cpu');
  const keep = await load();
  const peak = torch.memory.stats('cpu').peakBytes - live0;
  void keep;
  return peak;
}

test('meta + assign: the accounted peak of loading is about one copy of the weights (safetensors and .pt)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'torchlet-loadmem-'));
  try {
    torch.manualSeed(0);
    const src = build();
    const weights = [...src.stateDict().values()].reduce((a, t) => a + t.nbytes(), 0);
    for (const ext of ['safetensors', 'pt']) await torch.save(src.stateDict(), join(dir, `m.${ext}`));
    const x = torch.randn([2, 1024]);
    const ref = torch.noGrad(() => src.call(x)).tolist();
    for (const ext of ['safetensors', 'pt']) {
      const file = join(dir, `m.${ext}`);
      let model: torch.nn.Module | null = null;
      const metaPeak = await peakOf(async () => {
        model = torch.withDevice('meta', build);
        model.loadStateDict(await torch.load(file) as Map<string, torch.Tensor>, { assign: true });
        return model;
      });
      assert.ok(metaPeak / weights < 1.2, `${ext}: meta + assign peaked at ${(metaPeak / weights).toFixed(2)}x the weights`);
      assert.deepEqual((torch.noGrad(() => model!.call(x)) as torch.Tensor).tolist(), ref, `${ext}: loaded values`);
      for (const p of model!.parameters()) { assert.ok(p instanceof nn.Parameter && p.requiresGrad); assert.equal(p.device, 'cpu'); }
      const copyPeak = await peakOf(async () => {
        const m = build();
        m.loadStateDict(await torch.load(file) as Map<string, torch.Tensor>);
        return m;
      });
      assert.ok(copyPeak / weights > 1.8, `${ext}: the ordinary load peaked at only ${(copyPeak / weights).toFixed(2)}x`);
    }
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
