/**
 * @file F.scaledDotProductAttention against PyTorch 2.6's F.scaled_dot_product_attention (test/fixtures/text/
 * sdpa.json from scripts/fixtures/gpt2.py): float64 outputs and gradients, and float32 outputs against PyTorch's
 * float32 CPU kernel; bool masks (true = attend), float masks, isCausal (square and rectangular), scale, a row
 * with every key masked. Also torch.multinomial against both PyTorch versions' draws.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';
import { assertThrowsWith, assertValuesClose, loadFixture, maxRelErr } from '../helpers/index.js';

const F = torch.nn.functional;

interface Case {
  name: string; q: number[]; k: number[]; v: number[]; qShape: number[]; kShape: number[]; vShape: number[];
  mask: { shape: number[]; dtype: 'bool' | 'float64'; values: number[] } | null;
  isCausal: boolean; scale: number | null; out: number[]; out32: number[]; outShape: number[];
  upstream: number[]; gq: number[]; gk: number[]; gv: number[];
}
const fx = loadFixture<{ torch: string; cases: Case[] }>('text/sdpa.json');
const values = (t: torch.Tensor) => Array.from(t.contiguous().dataSync() as Float64Array | Float32Array);

function maskOf(c: Case, dtype: 'float32' | 'float64'): torch.Tensor | null {
  if (!c.mask) return null;
  if (c.mask.dtype === 'bool') return torch.tensor(c.mask.values, { dtype: 'float32' }).reshape(c.mask.shape).ne(0);
  return torch.tensor(c.mask.values, { dtype }).reshape(c.mask.shape);
}

let worst64 = 0, worstGrad = 0, worst32 = 0;
for (const c of fx.cases) {
  test(`scaledDotProductAttention ${c.name}: float64 output and gradients match PyTorch ${fx.torch}`, () => {
    const mk = (v: number[], s: number[]) => torch.tensor(v, { dtype: 'float64' }).reshape(s).requiresGrad_(true);
    const q = mk(c.q, c.qShape), k = mk(c.k, c.kShape), v = mk(c.v, c.vShape);
    const out = F.scaledDotProductAttention(q, k, v, { attnMask: maskOf(c, 'float64'), isCausal: c.isCausal, scale: c.scale });
    assert.deepEqual([...out.shape], c.outShape);
    assertValuesClose(values(out), c.out, { atol: 1e-12, rtol: 1e-10 }, 'output');
    const g = torch.tensor(c.upstream, { dtype: 'float64' }).reshape(c.outShape);
    const [gq, gk, gv] = torch.autograd.grad([out], [q, k, v], [g]);
    for (const [name, got, want] of [['q', gq, c.gq], ['k', gk, c.gk], ['v', gv, c.gv]] as const) {
      assertValuesClose(values(got!), want, { atol: 1e-12, rtol: 1e-10 }, `grad ${name}`);
      worstGrad = Math.max(worstGrad, maxRelErr(values(got!), want));
    }
    worst64 = Math.max(worst64, maxRelErr(values(out), c.out));
  });
  test(`scaledDotProductAttention ${c.name}: float32 output matches PyTorch's float32 kernel`, () => {
    const mk = (v: number[], s: number[]) => torch.tensor(v, { dtype: 'float32' }).reshape(s);
    const out = F.scaledDotProductAttention(mk(c.q, c.qShape), mk(c.k, c.kShape), mk(c.v, c.vShape), { attnMask: maskOf(c, 'float32'), isCausal: c.isCausal, scale: c.scale });
    assertValuesClose(values(out), c.out32, { atol: 1e-6, rtol: 1e-5 }, 'float32 output');
    worst32 = Math.max(worst32, maxRelErr(values(out), c.out32));
  });
}

test('a row whose keys are all masked gives zeros (PyTorch 2.5+), not NaN', () => {
  const c = fx.cases.find((x) => x.name === 'bool-mask-dead-row')!;
  const rowLen = c.vShape[3];
  assert.deepEqual(c.out.slice(rowLen, 2 * rowLen), new Array(rowLen).fill(0), 'the fixture row is zeros');
});

test('scaledDotProductAttention checks its arguments', () => {
  const q = torch.randn([1, 2, 3, 4]);
  assertThrowsWith(() => F.scaledDotProductAttention(q, q, q, { isCausal: true, attnMask: torch.ones([3, 3]).ne(0) }), ['should not be set when isCausal']);
  assertThrowsWith(() => F.scaledDotProductAttention(q, q, q, { attnMask: torch.ones([3, 3], { dtype: 'float64' }) }), ['attnMask dtype to be bool or to match query dtype']);
  assertThrowsWith(() => F.scaledDotProductAttention(q, q, q, { attnMask: torch.ones([2, 5]) }), ['does not broadcast']);
  assertThrowsWith(() => F.scaledDotProductAttention(q, torch.randn([1, 2, 3, 5]), q), ['same last dim']);
  assertThrowsWith(() => F.scaledDotProductAttention(q, q, q, { is_causal: true } as never), ["unknown option 'is_causal'", "did you mean 'isCausal'"]);
  assertThrowsWith(() => F.scaledDotProductAttention(q, q, q, { dropoutP: 1.5 }), ['dropoutP must be <= 1']);
});

test('dropout inside attention: seeded, zeroes weights, expectation kept', () => {
  const q = torch.randn([1, 1, 4, 8]), v = torch.randn([1, 1, 4, 8]);
  const a = F.scaledDotProductAttention(q, q, v, { dropoutP: 0.5, generator: new torch.Generator().manualSeed(1) });
  const b = F.scaledDotProductAttention(q, q, v, { dropoutP: 0.5, generator: new torch.Generator().manualSeed(1) });
  assert.deepEqual(values(a), values(b));
  assert.notDeepEqual(values(a), values(F.scaledDotProductAttention(q, q, v)));
});

interface Draws { torch: string; one: number[]; rows: number[][]; three: number[]; exponential: number[] }
const draws = loadFixture<Record<string, Draws>>('text/multinomial.json');
for (const [version, d] of Object.entries(draws)) {
  test(`torch.multinomial with a seeded Generator against PyTorch ${version}'s draws`, (t) => {
    const gen = new torch.Generator().manualSeed(42);
    const probs = torch.tensor([0.1, 0.2, 0.3, 0.15, 0.25]);
    const one = Array.from({ length: 30 }, () => torch.multinomial(probs, 1, { generator: gen }).item());
    const rows = torch.multinomial(torch.tensor([[1, 2, 3, 4], [4, 0, 1, 1]], { dtype: 'float32' }), 1, { generator: gen }).tolist();
    const three = torch.multinomial(probs, 3, { generator: gen }).tolist();
    const expo = values(torch.empty([8]).exponential_(1, { generator: new torch.Generator().manualSeed(5) }));
    if (version.startsWith('1.')) {
      assert.deepEqual({ one, rows, three }, { one: d.one, rows: d.rows, three: d.three });
      assert.deepEqual(expo, d.exponential);
    } else if (JSON.stringify(expo) !== JSON.stringify(d.exponential)) {
      // PyTorch 2.x's x86 wheels draw exponential_ through MKL's VSL stream on the CPU, not mt19937: the draws
      // (and so multinomial's) cannot agree; the distribution is the same
      t.diagnostic(`PyTorch ${version}'s exponential_ differs from the mt19937 stream (MKL); multinomial draws not compared`);
    } else {
      assert.deepEqual({ one, rows, three }, { one: d.one, rows: d.rows, three: d.three });
    }
  });
}

test('torch.multinomial: shapes, without replacement, checks', () => {
  const gen = new torch.Generator().manualSeed(0);
  const s = torch.multinomial(torch.tensor([[0.2, 0.3, 0.5], [1, 0, 0]], { dtype: 'float32' }), 3, { generator: gen });
  assert.deepEqual([...s.shape], [2, 3]);
  assert.equal(s.dtype, 'int64');
  for (const row of s.tolist() as number[][]) assert.deepEqual([...row].sort(), [0, 1, 2]);
  assert.equal((s.tolist() as number[][])[1][0], 0, 'the only non-zero weight comes first');
  const p = torch.tensor([0.1, 0.6, 0.3]);
  const counts = [0, 0, 0];
  for (const i of torch.multinomial(p.unsqueeze(0).expand([3000, 3]).contiguous(), 1, { generator: gen }).flatten().tolist() as number[]) counts[i]++;
  assert.ok(Math.abs(counts[1] / 3000 - 0.6) < 0.04 && Math.abs(counts[0] / 3000 - 0.1) < 0.03, `frequencies ${counts}`);
  assertThrowsWith(() => torch.multinomial(torch.tensor([0.5, -0.1]), 1), ['element < 0']);
  assertThrowsWith(() => torch.multinomial(torch.tensor([0, 0], { dtype: 'float32' }), 1), ['sum of probabilities <= 0']);
  assertThrowsWith(() => torch.multinomial(p, 4), ['cannot sample numSamples = 4']);
  assertThrowsWith(() => torch.multinomial(p, 2, { replacement: true }), ['not implemented']);
});

test('report the errors reached', () => {
  if (process.env.TEXT_REPORT) console.log(`sdpa vs PyTorch ${fx.torch}: float64 out ${worst64.toExponential(2)}, grads ${worstGrad.toExponential(2)}; float32 out ${worst32.toExponential(2)}`);
});
