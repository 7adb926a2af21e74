/**
 * @file The CPU's float32 row loops for strided views (backend/cpu/f32.ts copyViewF32 and copyStrided, the
 * bias-gradient sum, backend/cpu/indexing.ts index_add by rows) against the generic kernels, which the same ops
 * run in float64 (offset tables, one element at a time). Values are integers, so both must agree exactly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { f32Accel, setF32Accel } from '../../src/backend/cpu/f32.js';

type DT = 'float32' | 'float64';
const vals = (t: Tensor) => Array.from(t.dataSync());
const ar = (shape: number[], dtype: DT) => torch.arange(0, shape.reduce((a, b) => a * b, 1), { dtype }).reshape(shape);

/** Runs `f` for float32 (the fast loops) and float64 (the generic kernels) and compares the values exactly. */
function same(name: string, f: (dtype: DT) => Tensor): void {
  const a = vals(f('float32')), b = vals(f('float64'));
  assert.deepEqual(a, b, name);
}

test('copy_ between strided views of every layout matches the generic kernel', () => {
  // [dst view, src view] pairs: windows, transposes, permutes of 2 to 5 dims, steps, broadcast sources
  const cases: [string, (d: DT) => Tensor][] = [
    ['narrow <- transpose', (d) => { const z = torch.zeros([4, 7, 5], { dtype: d }); z.narrow(1, 2, 3).copy_(ar([4, 5, 3], d).transpose(1, 2)); return z; }],
    ['transpose <- contiguous', (d) => { const z = torch.zeros([6, 5], { dtype: d }); z.t().copy_(ar([5, 6], d)); return z; }],
    ['step slice 1-D', (d) => { const z = torch.zeros([9], { dtype: d }); z.slice(0, 1, null, 2).copy_(ar([8], d).slice(0, 0, null, 2)); return z; }],
    ['5-D permute into a window', (d) => {
      const z = torch.zeros([2, 3, 4, 3, 6], { dtype: d });
      z.narrow(4, 1, 4).copy_(ar([4, 4, 2, 3, 3], d).permute(2, 4, 0, 3, 1));
      return z;
    }],
    ['4-D heads merge', (d) => { const z = torch.zeros([3, 2, 4, 5], { dtype: d }); z.copy_(ar([2, 3, 4, 5], d).transpose(0, 1)); return z; }],
    ['broadcast source', (d) => { const z = torch.zeros([3, 4, 5], { dtype: d }); z.narrow(2, 1, 3).copy_(ar([4, 1], d).expand(3, 4, 3)); return z; }],
    ['empty', (d) => { const z = torch.zeros([3, 0, 2], { dtype: d }); z.copy_(ar([3, 0, 2], d)); return z; }],
  ];
  for (const [name, f] of cases) same(name, f);
});

test('contiguous() of 3-D and 4-D transposes (the attention heads) matches the generic kernel', () => {
  same('3-D', (d) => ar([6, 10, 4], d).transpose(0, 1).contiguous());
  same('4-D', (d) => ar([3, 5, 2, 7], d).permute(1, 3, 0, 2).contiguous());
  same('5-D', (d) => ar([2, 3, 2, 3, 4], d).permute(4, 2, 0, 3, 1).contiguous());
});

test('sums over rows (bias gradients) match float64 for row counts around the four-row sweep', () => {
  for (const rows of [1, 3, 4, 5, 8, 11]) {
    const x = torch.randn([rows, 37]);
    const got = vals(x.sum(0));
    const ref = vals(x.to({ dtype: 'float64' }).sum(0).to({ dtype: 'float32' }));
    assert.deepEqual(got, ref, `rows ${rows}`);
    same(`strided rows ${rows}`, (d) => ar([37, rows], d).t().sum(0));
  }
});

test('index_add by rows (embedding backward) matches the generic kernel, repeated indices included', () => {
  const idx = torch.tensor([3, 0, 3, 1, 3], { dtype: 'int64' });
  const gradOf = (d: DT, dim: number) => {
    const x = ar([5, 5], d).requiresGrad_();
    x.indexSelect(dim, idx).mul(ar([5, 5], d)).sum().backward();
    return x.grad!;
  };
  same('dim 0', (d) => gradOf(d, 0));
  same('dim 1', (d) => gradOf(d, 1));
  const e = new torch.nn.Embedding(6, 3);
  const i = torch.tensor([[5, 1], [5, 5]], { dtype: 'int64' });
  e.call(i).mul(torch.arange(1, 13).reshape(2, 2, 3)).sum().backward();
  assert.deepEqual(vals(e.weight.grad!), [0, 0, 0, 4, 5, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 + 7 + 10, 2 + 8 + 11, 3 + 9 + 12]);
});

test('binary ops with one strided operand of short rows (gathered first) equal the same ops on contiguous copies', () => {
  const acc = f32Accel();
  try {
    for (const accel of [acc, null]) {
      setF32Accel(accel);
      torch.manualSeed(1);
      const x = torch.randn([6, 5, 7]).transpose(0, 1); // [5, 6, 7], rows of 7 strided
      const y = torch.randn([5, 6, 7]);
      const s = torch.randn([1, 6, 1]);
      for (const op of ['add', 'sub', 'mul', 'div', 'maximum', 'pow'] as const) {
        const f = (a: Tensor, b: Tensor | number) => (torch as unknown as Record<string, (a: Tensor, b: Tensor | number) => Tensor>)[op](a, b);
        const yy = op === 'pow' ? y.abs() : y;
        assert.deepEqual(vals(f(x, yy)), vals(f(x.contiguous(), yy)), `${op} strided, contiguous (accel ${accel !== null})`);
        assert.deepEqual(vals(f(yy, x)), vals(f(yy, x.contiguous())), `${op} contiguous, strided`);
        assert.deepEqual(vals(f(x, 1.7)), vals(f(x.contiguous(), 1.7)), `${op} strided, scalar`);
        assert.deepEqual(vals(f(x, s)), vals(f(x.contiguous(), s)), `${op} strided, broadcast`);
      }
      const r = torch.randn([6, 5, 7], { requiresGrad: true });
      const g = torch.randn([6, 5, 7]).transpose(0, 1).contiguous();
      r.transpose(0, 1).relu().backward(g);
      const ref = vals(r).map((v, i) => (v > 0 ? vals(g.transpose(0, 1).contiguous())[i] : 0));
      assert.deepEqual(vals(r.grad!), ref);
    }
  } finally { setF32Accel(acc); }
});
