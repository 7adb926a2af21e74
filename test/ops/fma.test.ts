/**
 * The fused multiply-add behind `add`/`sub` with `{ alpha }` and `addcmul` (backend/cpu/fma.ts): PyTorch's CPU
 * rounds x * y + z once, and so does torchlet — bit for bit against test/fixtures/fma/fma.json
 * (scripts/fixtures/fma.py, PyTorch 1.13), halfway cases included, and the optimizers built on them follow
 * PyTorch's trajectories exactly (test/optim/optimizers.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as torch from '../../src/index.js';
import { fma32, fma64 } from '../../src/backend/cpu/fma.js';
import { gradcheck } from '../helpers/index.js';

interface Case { name: string; dtype: 'float32' | 'float64'; op: 'add' | 'sub' | 'addcmul'; arg: number; inputs: string[]; out: string }
const F = JSON.parse(readFileSync(new URL('../fixtures/fma/fma.json', import.meta.url), 'utf8')) as { torch: string; cases: Case[] };

function decode(b64: string, dtype: Case['dtype']): Float32Array | Float64Array {
  const buf = Buffer.from(b64, 'base64');
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  return dtype === 'float32' ? new Float32Array(ab) : new Float64Array(ab);
}

function run(c: Case, ts: torch.Tensor[], form: 'fn' | 'inplace'): torch.Tensor {
  const [a, b, d] = ts;
  if (c.op === 'addcmul') return form === 'fn' ? torch.addcmul(a, b, d, { value: c.arg }) : a.clone().addcmul_(b, d, { value: c.arg });
  if (c.op === 'add') return form === 'fn' ? a.add(b, { alpha: c.arg }) : a.clone().add_(b, { alpha: c.arg });
  return form === 'fn' ? a.sub(b, { alpha: c.arg }) : a.clone().sub_(b, { alpha: c.arg });
}

for (const c of F.cases) {
  test(`${c.name}: bit-identical to PyTorch ${F.torch} (function and in-place forms)`, () => {
    const ts = c.inputs.map((s) => torch.tensor(decode(s, c.dtype), { dtype: c.dtype }));
    const want = [...decode(c.out, c.dtype)];
    for (const form of ['fn', 'inplace'] as const) {
      const got = run(c, ts, form).dataSync() as Float32Array | Float64Array;
      const diff = want.reduce((k, v, i) => k + (Object.is(v, got[i]) ? 0 : 1), 0);
      assert.equal(diff, 0, `${c.name} (${form}): ${diff} of ${want.length} elements differ from PyTorch`);
    }
  });
}

test('fma32 decides float32 halfway points by the float64 sum\'s rounding error', () => {
  const h = 1 + 2 ** -12; // h * h = 1 + 2^-11 + 2^-24: halfway between two float32 values
  assert.equal(fma32(h, h, 2 ** -80), 1 + 2 ** -11 + 2 ** -23);
  assert.equal(fma32(h, h, -(2 ** -80)), 1 + 2 ** -11);
  assert.equal(fma32(h, h, 0), 1 + 2 ** -11, 'an exact tie rounds to even');
  assert.equal(fma32(-h, h, -(2 ** -80)), -(1 + 2 ** -11 + 2 ** -23));
  assert.ok(Number.isNaN(fma32(NaN, 1, 0)));
  assert.equal(fma32(3e38, 10, 0), Infinity);
  assert.equal(fma64(1 + 2 ** -30, 1 + 2 ** -30, -1), 2 ** -29 + 2 ** -60, 'the exact product survives cancellation');
});

test('broadcast, strided and scalar operands give the same once-rounded values as contiguous ones', () => {
  torch.manualSeed(3);
  const s = torch.randn([4, 5]), t1 = torch.randn([5, 4]).t(), t2 = torch.randn([5]);
  const want = torch.addcmul(s, t1.contiguous(), t2.expand([4, 5]).contiguous(), { value: 0.3 }).dataSync();
  assert.deepEqual(torch.addcmul(s, t1, t2, { value: 0.3 }).dataSync(), want);
  const w2 = s.add(torch.full([4, 5], 2.5), { alpha: 0.1 }).dataSync();
  assert.deepEqual(s.add(2.5, { alpha: 0.1 }).dataSync(), w2);
});

test('add with alpha: integers stay exact, a fractional alpha on integers is refused as in PyTorch', () => {
  const a = torch.tensor([1, 2, 3], { dtype: 'int64' }), b = torch.tensor([4, 5, 6], { dtype: 'int64' });
  const r = a.add(b, { alpha: 2 });
  assert.equal(r.dtype, 'int64');
  assert.deepEqual([...r.dataSync()].map(Number), [9, 12, 15]);
  assert.deepEqual([...a.sub(b, { alpha: 3 }).dataSync()].map(Number), [-11, -13, -15]);
  assert.throws(() => a.add(b, { alpha: 0.5 }), /add: for integral input tensors, argument alpha must not be a floating point number/);
  assert.throws(() => a.add(b, { alpah: 2 } as never), /alpah/);
});

test('gradients of add/sub with alpha and addcmul: PyTorch\'s formulas, float64 gradcheck', () => {
  torch.manualSeed(5);
  const mk = (...shape: number[]) => torch.randn(shape, { dtype: 'float64', requiresGrad: true });
  assert.ok(gradcheck((a, b) => a.add(b, { alpha: 0.7 }), [mk(3, 4), mk(4)]).maxErr < 1e-6);
  assert.ok(gradcheck((a, b) => a.sub(b, { alpha: -2 }), [mk(3, 1), mk(3, 4)]).maxErr < 1e-6);
  assert.ok(gradcheck((a, b, c) => torch.addcmul(a, b, c, { value: 0.3 }), [mk(4), mk(3, 1), mk(3, 4)]).maxErr < 1e-6);
  const x = torch.tensor([1, 2], { requiresGrad: true }), y = torch.tensor([3, 4], { requiresGrad: true });
  x.add(y, { alpha: 0.5 }).sum().backward();
  assert.deepEqual([...x.grad!.dataSync()], [1, 1]);
  assert.deepEqual([...y.grad!.dataSync()], [0.5, 0.5]);
  assert.equal(String(x.sub(y, { alpha: 2 }).gradFn), '<SubBackward0>');
  assert.equal(String(torch.addcmul(x, x, y).gradFn), '<AddcmulBackward0>');
});
