/**
 * @file Shared helpers of the optim/data tests: read the PyTorch fixtures (test/fixtures/optim, written by
 * scripts/fixtures/optim.py), decode their tensors and non-finite numbers, and compare with a stated tolerance.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';

const DIR = fileURLToPath(new URL('../fixtures/optim/', import.meta.url));

export function fixture<T = any>(name: string): T {
  return JSON.parse(readFileSync(DIR + name, 'utf8')) as T;
}

/** Fixture JSON -> values: {__tensor__} objects become tensors, "Infinity"/"-Infinity"/"NaN" numbers. */
export function decode(v: any): any {
  if (Array.isArray(v)) return v.map(decode);
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  if (v === 'NaN') return NaN;
  if (v && typeof v === 'object') {
    if (v.__tensor__) {
      const t = torch.tensor(v.data, { dtype: v.dtype });
      return v.shape.length === 0 ? t.reshape([]) : t.reshape(v.shape);
    }
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decode(x)]));
  }
  return v;
}

export function values(t: torch.Tensor): number[] { return Array.from(t.dataSync() as ArrayLike<number>, Number); }

/** Largest |a - b| / (atol + rtol * |b|) over the elements; <= 1 means within tolerance. */
export function closeness(a: ArrayLike<number>, b: ArrayLike<number>, atol: number, rtol: number): number {
  assert.equal(a.length, b.length, `length ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const r = Math.abs(a[i] - b[i]) / (atol + rtol * Math.abs(b[i]));
    if (!(r <= worst)) worst = Number.isNaN(r) ? Infinity : Math.max(worst, r);
  }
  return worst;
}

export function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, atol: number, rtol: number, what: string): void {
  const c = closeness(a, b, atol, rtol);
  assert.ok(c <= 1, `${what}: not within atol ${atol} + rtol ${rtol} (worst ratio ${c.toFixed(3)})\n got      ${Array.from(a).slice(0, 8)}\n expected ${Array.from(b).slice(0, 8)}`);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
