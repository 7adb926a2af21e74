/**
 * @file nn.TransformerEncoder / TransformerDecoderLayer / TransformerDecoder / Transformer vs PyTorch 1.13
 * (test/fixtures/layers/transformer.json, scripts/fixtures/transformer.py): state-dict keys in PyTorch's order,
 * default init bit for bit after the same manualSeed (layer copies draw no random numbers; Transformer's xavier
 * re-init), outputs and the gradients of sum(out * w) w.r.t. inputs and every parameter, with causal float masks,
 * bool masks and key padding masks; the same cases against live PyTorch 2.6 where installed; generateSquareSubsequentMask;
 * option and mask errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';
import { nn, type Tensor } from '../../src/index.js';
import { fromFixture, layersFixture, type FT } from './fixtures.js';
import { assertValuesClose, maxRelErr } from '../helpers/index.js';
import { requireOrSkip, torch26 } from '../helpers/python.js';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Case {
  name: string; seed: number; keys: string[]; state: Record<string, FT>; inputs: Record<string, FT>; out: FT; w: FT;
  input_grads: Record<string, FT>; param_grads: Record<string, FT>;
}
const FX = layersFixture<{ cases: Case[]; mask5: FT; init_seed7: { keys: string[]; state: Record<string, FT> } }>('transformer.json');

const E = 8, H = 2, FF = 16;
type Run = { build: () => nn.Module; call: (m: any, x: Record<string, Tensor>) => Tensor };
const CASES: Record<string, Run> = {
  'Transformer default post-norm [L,N,E] causal + padding': {
    build: () => new nn.Transformer({ dModel: E, nhead: H, numEncoderLayers: 2, numDecoderLayers: 2, dimFeedforward: FF, dropout: 0 }),
    call: (m, x) => m.call(x.src, x.tgt, { tgtMask: x.tgt_mask, srcKeyPaddingMask: x.src_key_padding_mask, tgtKeyPaddingMask: x.tgt_key_padding_mask, memoryKeyPaddingMask: x.src_key_padding_mask }),
  },
  'Transformer gelu norm_first batch_first': {
    build: () => new nn.Transformer({ dModel: E, nhead: 4, numEncoderLayers: 1, numDecoderLayers: 2, dimFeedforward: 12, dropout: 0, activation: 'gelu', batchFirst: true, normFirst: true, layerNormEps: 1e-6 }),
    call: (m, x) => m.call(x.src, x.tgt, { tgtMask: x.tgt_mask }),
  },
  'TransformerEncoder 3 layers + LayerNorm, bool causal mask': {
    build: () => new nn.TransformerEncoder(new nn.TransformerEncoderLayer(E, H, { dimFeedforward: FF, dropout: 0 }), 3, { norm: new nn.LayerNorm(E) }),
    call: (m, x) => m.call(x.src, { mask: x.mask, srcKeyPaddingMask: x.src_key_padding_mask }),
  },
  'TransformerEncoder batch_first norm_first, no norm': {
    build: () => new nn.TransformerEncoder(new nn.TransformerEncoderLayer(E, H, { dimFeedforward: FF, dropout: 0, batchFirst: true, normFirst: true }), 2),
    call: (m, x) => m.call(x.src, { mask: x.mask, isCausal: true }),
  },
  'TransformerDecoderLayer post-norm': {
    build: () => new nn.TransformerDecoderLayer(E, H, { dimFeedforward: FF, dropout: 0 }),
    call: (m, x) => m.call(x.tgt, x.memory, { tgtMask: x.tgt_mask, memoryKeyPaddingMask: x.memory_key_padding_mask }),
  },
  'TransformerDecoder 2 layers gelu batch_first + LayerNorm': {
    build: () => new nn.TransformerDecoder(new nn.TransformerDecoderLayer(E, H, { dimFeedforward: FF, dropout: 0, activation: 'gelu', batchFirst: true }), 2, { norm: new nn.LayerNorm(E) }),
    call: (m, x) => m.call(x.tgt, x.memory, { tgtMask: x.tgt_mask, tgtKeyPaddingMask: x.tgt_key_padding_mask }),
  },
};

function bits(t: Tensor): Uint32Array { return new Uint32Array(Float32Array.from(t.dataSync() as Float32Array).buffer); }

const reached: string[] = [];

function checkCase(c: Case, label: string): void {
  const run = CASES[c.name];
  assert.ok(run, `no builder for ${c.name}`);
  torch.manualSeed(c.seed);
  const m = run.build();
  const sd = m.stateDict();
  assert.deepEqual([...sd.keys()], c.keys, 'state-dict keys in PyTorch\'s order');
  for (const k of c.keys) assert.deepEqual(bits(sd.get(k)!), bits(fromFixture(c.state[k])), `${k}: init differs from PyTorch's`);
  const x: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(c.inputs)) {
    const t = fromFixture(v);
    x[k] = c.input_grads[k] ? t.requiresGrad_(true) : t;
  }
  const out = run.call(m, x);
  assert.deepEqual([...out.shape], c.out.shape);
  const w = fromFixture(c.w);
  out.mul(w).sum().backward();
  let worst = maxRelErr(out.dataSync(), fromFixture(c.out).dataSync());
  assertValuesClose(out.dataSync(), fromFixture(c.out).dataSync(), { atol: 2e-5, rtol: 2e-5 }, 'output');
  for (const [k, g] of Object.entries(c.input_grads)) {
    const got = x[k].grad!.dataSync() as Float32Array, want = fromFixture(g).dataSync() as Float32Array;
    worst = Math.max(worst, maxRelErr(got, want));
    assertValuesClose(got, want, { atol: 2e-5, rtol: 2e-5 }, `grad of ${k}`);
  }
  const params = new Map(m.namedParameters());
  for (const [k, g] of Object.entries(c.param_grads)) {
    const got = params.get(k)!.grad!.dataSync() as Float32Array, want = fromFixture(g).dataSync() as Float32Array;
    worst = Math.max(worst, maxRelErr(got, want));
    assertValuesClose(got, want, { atol: 2e-5, rtol: 2e-5 }, `grad of ${k}`);
  }
  reached.push(`${c.name} (${label}): ${worst.toExponential(1)}`);
}

for (const c of FX.cases) {
  test(`${c.name}: keys, default init (bit for bit), output and gradients match PyTorch`, () => checkCase(c, 'torch 1.13 fixture'));
}

test('the same cases against live PyTorch 2.6 (its init is 1.13\'s bit for bit)', async (t) => {
  const py = torch26();
  if (requireOrSkip(t, py.skip)) return;
  const dir = py.tmpdir();
  try {
    const r = py.run(fileURLToPath(new URL('../../scripts/fixtures/transformer.py', import.meta.url)), [py.inner(join(dir, 'out.json'))], { timeout: 300_000 });
    assert.equal(r.status, 0, r.stderr);
    const live = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as typeof FX;
    for (const c of live.cases) await t.test(c.name, () => checkCase(c, `torch ${py.version}`));
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('error reached against PyTorch (report)', (t) => { for (const r of reached) t.diagnostic(r); });

test('nn.Transformer default init after manualSeed(7) equals PyTorch\'s bit for bit (encoder/decoder norms, layer copies, xavier re-init)', () => {
  torch.manualSeed(7);
  const m = new nn.Transformer({ dModel: 16, nhead: 4, numEncoderLayers: 2, numDecoderLayers: 1, dimFeedforward: 24 });
  const sd = m.stateDict();
  assert.deepEqual([...sd.keys()], FX.init_seed7.keys);
  for (const k of FX.init_seed7.keys) assert.deepEqual(bits(sd.get(k)!), bits(fromFixture(FX.init_seed7.state[k])), k);
  // the random stream continues where PyTorch's does: layer copies drew nothing
  assert.ok(String(m).includes('TransformerEncoder'));
});

test('generateSquareSubsequentMask is PyTorch\'s float mask (also as nn.Transformer.generateSquareSubsequentMask)', () => {
  const want = Array.from(fromFixture(FX.mask5).dataSync() as Float32Array);
  assert.deepEqual(Array.from(nn.generateSquareSubsequentMask(5).dataSync() as Float32Array), want);
  assert.deepEqual(Array.from(nn.Transformer.generateSquareSubsequentMask(5).dataSync() as Float32Array), want);
});

test('Transformer modules check options, masks and inputs', () => {
  const layer = new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 8, dropout: 0 });
  assert.throws(() => new nn.TransformerEncoder(layer, 2, { nrom: null } as never), /TransformerEncoder: unknown option 'nrom' \(did you mean 'norm'\?\)/);
  assert.throws(() => new nn.TransformerEncoder(layer, 0), /numLayers must be >= 1/);
  assert.throws(() => new nn.TransformerEncoder(new nn.Linear(2, 2) as never, 2), /cannot copy a Linear/);
  assert.throws(() => new nn.Transformer({ d_model: 8 } as never), /unknown option 'd_model' \(did you mean 'dModel'\?\)/);
  assert.throws(() => new nn.TransformerDecoderLayer(8, 2, { activation: 'tanh' as never }), /activation must be one of 'relu', 'gelu'/);
  const enc = new nn.TransformerEncoder(layer, 2);
  assert.throws(() => enc.call(torch.randn([3, 1, 8]), { isCausal: true }), /isCausal is only a hint: pass the causal mask too/);
  assert.throws(() => enc.call(torch.randn([3, 1, 8]), { srcMask: null } as never), /unknown option 'srcMask'/);
  const tr = new nn.Transformer({ dModel: 8, nhead: 2, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 8 });
  assert.throws(() => tr.call(torch.randn([3, 2, 8]), torch.randn([3, 1, 8])), /batch number of src and tgt must be equal/);
  assert.throws(() => tr.call(torch.randn([3, 2, 6]), torch.randn([3, 2, 6])), /feature number of src and tgt must be equal to dModel \(8\)/);
});

test('TransformerEncoder copies share nothing: each layer trains on its own, and a builder function is accepted', () => {
  torch.manualSeed(0);
  const enc = new nn.TransformerEncoder(new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 8, dropout: 0 }), 2);
  const [a, b] = [...enc.layers];
  assert.notEqual(a.linear1.weight, b.linear1.weight);
  assert.deepEqual(Array.from(a.linear1.weight.dataSync()), Array.from(b.linear1.weight.dataSync()));
  torch.noGrad(() => a.linear1.weight.add_(1));
  assert.notDeepEqual(Array.from(a.linear1.weight.dataSync()), Array.from(b.linear1.weight.dataSync()));
  const viaFn = new nn.TransformerEncoder(() => new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 8 }), 3);
  assert.equal(viaFn.layers.length, 3);
});
