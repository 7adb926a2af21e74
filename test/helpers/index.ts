/**
 * @file Shared test helpers: assertClose (values and shape), gradcheck (central differences in float64 against
 * autograd), and a loader for the JSON fixtures PyTorch generated (scripts/fixtures/*.py).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from './torch.js';
import type { Tensor } from './torch.js';

export interface Tol { atol?: number; rtol?: number }

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Parse a JSON fixture under test/fixtures/ (numbers written as strings 'nan'/'inf'/'-inf' are decoded). */
export function loadFixture<T = unknown>(rel: string): T {
  return JSON.parse(readFileSync(join(ROOT, 'fixtures', rel), 'utf8'), (_k, v) => {
    if (v === 'nan') return NaN;
    if (v === 'inf') return Infinity;
    if (v === '-inf') return -Infinity;
    return v;
  }) as T;
}

export function flat(v: unknown): number[] {
  if (Array.isArray(v)) return v.flatMap(flat);
  if (typeof v === 'boolean') return [v ? 1 : 0];
  return [v as number];
}

/** Worst |a - e| - (atol + rtol |e|) over all elements, with the index; NaN matches NaN, inf matches inf. */
function worst(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol: number): { i: number; excess: number } {
  let wi = -1, we = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i];
    if (Number.isNaN(e) ? Number.isNaN(a) : a === e) continue;
    const excess = Number.isNaN(a) || !Number.isFinite(e) ? Infinity : Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (excess > we) { we = excess; wi = i; }
  }
  return { i: wi, excess: we };
}

/** Largest |a - e| / (1 + |e|) (for reporting the tolerance actually reached). */
export function maxRelErr(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i];
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (a === e) continue;
    m = Math.max(m, Math.abs(a - e) / (1 + Math.abs(e)));
  }
  return m;
}

export function assertValuesClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tol = {}, what = 'values'): void {
  const atol = tol.atol ?? 1e-5, rtol = tol.rtol ?? 1e-4;
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} elements, expected ${expected.length}`);
  const { i, excess } = worst(actual, expected, atol, rtol);
  if (i >= 0) {
    assert.fail(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]} (atol ${atol}, rtol ${rtol}, over by ${excess})`);
  }
}

/** Tensor vs expected (Tensor, nested array or number): same shape, then values within atol + rtol |expected|. */
export function assertClose(actual: Tensor, expected: unknown, tol: Tol = {}): void { // a Tensor or nested numbers
  let eShape: number[] | null = null, eVals: number[];
  if (expected instanceof torch.Tensor) { eShape = [...expected.shape]; eVals = flat(expected.tolist()); } else eVals = flat(expected);
  if (eShape) assert.deepEqual([...actual.shape], eShape, `shape ${JSON.stringify(actual.shape)}, expected ${JSON.stringify(eShape)}`);
  assertValuesClose(flat(actual.tolist()), eVals, tol);
}

export type OpOut = Tensor | Tensor[] | { values: Tensor; indices: Tensor };

export function outputsOf(o: OpOut): Tensor[] {
  if (o instanceof torch.Tensor) return [o];
  if (Array.isArray(o)) return o;
  return [o.values, o.indices];
}

export interface GradcheckOpts { eps?: number; atol?: number; rtol?: number; seed?: number }

/**
 * Gradient check in float64: for a random upstream gradient v, compares autograd's input gradients of
 * sum(v * f(inputs)) with central differences (f(x + eps e_i) - f(x - eps e_i)) / 2 eps, element by element.
 * `inputs` that require grad are checked (they must be float64 leaves); fn may return one tensor or several.
 */
export function gradcheck(fn: (...xs: Tensor[]) => OpOut, inputs: Tensor[], opts: GradcheckOpts = {}): { maxErr: number } {
  const eps = opts.eps ?? 1e-6, atol = opts.atol ?? 1e-5, rtol = opts.rtol ?? 1e-3;
  const gen = new torch.Generator().manualSeed(opts.seed ?? 1234);
  for (const x of inputs) if (x.requiresGrad) assert.equal(x.dtype, 'float64', 'gradcheck: inputs requiring grad must be float64');
  const outs = outputsOf(fn(...inputs)).filter((o) => o.requiresGrad);
  assert.ok(outs.length > 0, 'gradcheck: no output requires grad');
  const vs = outs.map((o) => torch.randn([...o.shape], { dtype: 'float64', generator: gen }));
  const diffInputs = inputs.filter((x) => x.requiresGrad);
  const analytic = torch.autograd.grad(outs, diffInputs, vs, { allowUnused: true });

  const scalar = (xs: Tensor[]): number => {
    const os = torch.noGrad(() => outputsOf(fn(...xs)).filter((o) => o.dtype === 'float64'));
    let s = 0;
    os.forEach((o, k) => {
      const a = o.dataSync(), v = vs[k].dataSync();
      for (let i = 0; i < a.length; i++) s += a[i] * v[i];
    });
    return s;
  };
  let maxErr = 0;
  diffInputs.forEach((x, xi) => {
    const base = Float64Array.from(x.dataSync() as Float64Array);
    const numeric = new Float64Array(base.length);
    const withValue = (i: number, val: number): Tensor[] => inputs.map((inp) => {
      if (inp !== x) return inp;
      const d = Float64Array.from(base); d[i] = val;
      return torch.tensor(d, { dtype: 'float64' }).reshape([...x.shape]);
    });
    for (let i = 0; i < base.length; i++) {
      numeric[i] = (scalar(withValue(i, base[i] + eps)) - scalar(withValue(i, base[i] - eps))) / (2 * eps);
    }
    const g = analytic[xi];
    const ana = g === null ? new Float64Array(base.length) : Float64Array.from(g.dataSync() as Float64Array);
    if (g !== null) assert.deepEqual([...g.shape], [...x.shape], `gradcheck: gradient of input ${xi} has shape ${JSON.stringify(g.shape)}, input ${JSON.stringify(x.shape)}`);
    assertValuesClose(ana, numeric, { atol, rtol }, `gradcheck input ${xi} (analytic vs numeric)`);
    maxErr = Math.max(maxErr, maxRelErr(ana, numeric));
  });
  return { maxErr };
}

/** Assert fn throws an error whose message contains every one of `parts`. */
export function assertThrowsWith(fn: () => unknown, parts: (string | RegExp)[], cls?: new (...a: never[]) => Error): Error {
  let err: unknown = null;
  try { fn(); } catch (e) { err = e; }
  assert.ok(err instanceof Error, `expected an error mentioning ${parts.join(', ')}, nothing was thrown`);
  if (cls) assert.ok(err instanceof cls, `expected ${cls.name}, got ${err.name}: ${err.message}`);
  for (const p of parts) {
    const ok = typeof p === 'string' ? err.message.includes(p) : p.test(err.message);
    assert.ok(ok, `error message should mention ${String(p)}: ${err.message}`);
  }
  return err;
}
