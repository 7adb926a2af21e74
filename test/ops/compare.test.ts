/**
 * @file torch.equal / isclose / allclose vs PyTorch 1.13 (test/fixtures/ops/compare.json from
 * scripts/fixtures/compare.py): infinities, NaN with and without equalNan, zero tolerances, float64, integers,
 * broadcasting, equal across dtypes; the script under live PyTorch 2.6 gives the same values; argument errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';
import { loadFixture } from '../helpers/index.js';
import { requireOrSkip, torch26 } from '../helpers/python.js';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const R = loadFixture<Record<string, any>>('ops/compare.json');
const num = (s: string) => Number(s === 'inf' ? Infinity : s === '-inf' ? -Infinity : s === 'nan' ? NaN : s);
const a = torch.tensor(Float32Array.from(R.a.map(num)));
const b = torch.tensor(Float32Array.from(R.b.map(num)));
const bools = (t: torch.Tensor) => Array.from(t.dataSync() as ArrayLike<number | boolean>, (v) => Boolean(v));

test('isclose matches PyTorch: default, equalNan, zero tolerances, loose, float64, int64, broadcast', () => {
  assert.equal(torch.isclose(a, b).dtype, 'bool');
  assert.deepEqual(bools(torch.isclose(a, b)), R.default);
  assert.deepEqual(bools(torch.isclose(a, b, { equalNan: true })), R.equal_nan);
  assert.deepEqual(bools(torch.isclose(a, b, { rtol: 0, atol: 0 })), R.zero_tol);
  assert.deepEqual(bools(a.isclose(b, { rtol: 1e-3, atol: 1e-6 })), R.loose);
  assert.deepEqual(bools(torch.isclose(a.double(), b.double(), { rtol: 1e-3, atol: 1e-6 })), R.float64_loose);
  const i = torch.tensor([1, 2, 3, 10], { dtype: 'int64' }), j = torch.tensor([1, 3, 3, 14], { dtype: 'int64' });
  assert.deepEqual(bools(torch.isclose(i, j, { rtol: 0.4, atol: 0 })), R.int);
  const bc = torch.isclose(torch.tensor([[1], [2]], { dtype: 'float32' }), torch.tensor([1, 2, 2.0000001], { dtype: 'float32' }));
  assert.deepEqual(bc.shape, [2, 3]);
  assert.deepEqual(bools(bc), R.bcast.flat());
});

test('allclose and equal match PyTorch', () => {
  const idx = torch.tensor([0, 1, 2, 4, 5, 6, 7], { dtype: 'int64' });
  assert.deepEqual([
    torch.allclose(a.slice(0, 0, 2), b.slice(0, 0, 2)), torch.allclose(a.slice(0, 0, 2), b.slice(0, 0, 2), { rtol: 1e-3 }),
    a.allclose(b, { equalNan: true, rtol: 1e-3, atol: 1e-6 }),
    torch.allclose(torch.indexSelect(a, 0, idx), torch.indexSelect(b, 0, idx), { equalNan: true, rtol: 1e-3, atol: 1e-6 }),
  ], R.allclose);
  const a4 = a.slice(0, 0, 4);
  assert.deepEqual([
    torch.equal(a, a), a4.equal(a4), torch.equal(torch.ones([2, 3]), torch.ones([3, 2])), torch.equal(torch.ones([2]), torch.ones([1])),
    torch.equal(torch.tensor([1, 2], { dtype: 'int64' }), torch.tensor([1, 2], { dtype: 'int64' })), torch.equal(torch.zeros([0, 3]), torch.zeros([0, 3])),
  ], R.equal);
  assert.equal(typeof torch.allclose(a, a), 'boolean');
  // torch.equal compares values across dtypes (PyTorch promotes)
  assert.deepEqual([
    torch.equal(torch.tensor([1, 2], { dtype: 'int64' }), torch.tensor([1, 2], { dtype: 'float32' })),
    torch.equal(torch.tensor([1.5], { dtype: 'float32' }), torch.tensor([1.5], { dtype: 'float64' })),
  ], R.equal_mixed);
});

test('PyTorch 2.6 gives the same values as the committed 1.13 fixture (live)', (t) => {
  const py = torch26();
  if (requireOrSkip(t, py.skip)) return;
  const dir = py.tmpdir();
  try {
    const r = py.run(fileURLToPath(new URL('../../scripts/fixtures/compare.py', import.meta.url)), [py.inner(join(dir, 'out.json'))]);
    assert.equal(r.status, 0, r.stderr);
    const live = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8'));
    for (const k of Object.keys(R)) if (k !== 'a' && k !== 'b') assert.deepEqual(live[k], R[k], k);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('isclose/allclose/equal check their arguments', () => {
  assert.throws(() => torch.isclose(a, b, { rtol: -1 }), /isclose: rtol must be >= 0/);
  assert.throws(() => torch.isclose(a, b, { equal_nan: true } as never), /unknown option 'equal_nan' \(did you mean 'equalNan'\?\)/);
  assert.throws(() => torch.allclose(a, b.double()), /same dtype, got float32 and float64/);
  assert.throws(() => torch.equal(a, [1, 2] as never), /equal: other must be a Tensor/);
});
