/**
 * @file Factories: tensor(), zeros/ones/full/empty, arange/linspace/eye, *Like, and the random factories
 * (rand, randn, randint, randperm, bernoulli) drawing from PyTorch's CPU stream (src/random), so a seed means
 * the same numbers on every device: values are generated on the CPU and uploaded.
 */
import { getBackend, type DeviceType } from '../backend/backend.js';
import { getDefaultDevice } from '../backend/default-device.js';
import { arrayFor, float32ToBfloat16Bits, float32ToFloat16Bits, isFloating, type DType, type TypedArray } from '../core/dtype.js';
import { DTypeError, ShapeError } from '../core/errors.js';
import { fmt, numel } from '../core/shape.js';
import { Tensor, type NestedArray } from '../tensor/tensor.js';
import * as rng from '../random/index.js';
import { make } from './util.js';

export interface FactoryOpts { dtype?: DType; device?: DeviceType; requiresGrad?: boolean }
export interface RandomOpts extends FactoryOpts { generator?: rng.Generator }

function finish(t: Tensor, opts: FactoryOpts): Tensor {
  if (opts.requiresGrad) t.requiresGrad_(true);
  return t;
}

function fromHost(data: TypedArray, dtype: DType, shape: readonly number[], device: DeviceType = getDefaultDevice()): Tensor {
  return make(getBackend(device).fromArray(dtype, data), shape);
}

function encode(dtype: DType, vals: ArrayLike<number>): TypedArray {
  const out = arrayFor(dtype, vals.length);
  if (dtype === 'float16') for (let i = 0; i < vals.length; i++) out[i] = float32ToFloat16Bits(vals[i]);
  else if (dtype === 'bfloat16') for (let i = 0; i < vals.length; i++) out[i] = float32ToBfloat16Bits(vals[i]);
  else if (dtype === 'bool') for (let i = 0; i < vals.length; i++) out[i] = vals[i] ? 1 : 0;
  else if (dtype === 'int64' || dtype === 'int32' || dtype === 'uint8' || dtype === 'int8') for (let i = 0; i < vals.length; i++) out[i] = Math.trunc(vals[i]);
  else out.set(vals);
  return out;
}

function inferDtypeOf(data: unknown): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof BigInt64Array) return 'int64';
  return 'float32';
}

/** torch.tensor: from a (nested) array of numbers/booleans or a typed array. Integers give int64, floats float32, booleans bool. */
export function tensor(data: NestedArray | TypedArray | BigInt64Array | Tensor, opts: FactoryOpts = {}): Tensor {
  if (data instanceof Tensor) {
    throw new DTypeError('tensor(): got a Tensor; to copy it use t.clone().detach() (as PyTorch recommends)');
  }
  if (ArrayBuffer.isView(data)) {
    const dt = opts.dtype ?? inferDtypeOf(data);
    const arr = data instanceof BigInt64Array ? Float64Array.from(data, (v) => Number(v)) : data;
    return finish(fromHost(encode(dt, arr), dt, [arr.length], opts.device), opts);
  }
  const shape: number[] = [];
  const flat: number[] = [];
  let sawFloat = false, sawBool = false, sawNum = false;
  const walk = (v: NestedArray, d: number, path: string) => {
    if (Array.isArray(v)) {
      if (shape.length <= d) shape.push(v.length);
      else if (shape[d] !== v.length) {
        throw new ShapeError(`tensor(): expected sequence of length ${shape[d]} at dim ${d} (got ${v.length} at ${path || 'top level'}); nested arrays must be rectangular`);
      }
      v.forEach((e, i) => walk(e, d + 1, `${path}[${i}]`));
      return;
    }
    if (d !== shape.length) throw new ShapeError(`tensor(): ragged nested array: a number at ${path} where a sequence of length ${shape[d]} was expected`);
    if (typeof v === 'boolean') { sawBool = true; flat.push(v ? 1 : 0); return; }
    if (typeof v !== 'number') throw new DTypeError(`tensor(): could not convert ${typeof v} at ${path || 'top level'} to a number`);
    sawNum = true;
    if (!Number.isInteger(v)) sawFloat = true;
    flat.push(v);
  };
  walk(data, 0, '');
  const dt = opts.dtype ?? (sawFloat ? 'float32' : sawNum ? 'int64' : sawBool ? 'bool' : 'float32');
  return finish(fromHost(encode(dt, flat), dt, shape, opts.device), opts);
}

function checkShape(op: string, shape: readonly number[]): number[] {
  const dims: readonly number[] = shape; // Array.isArray narrows `shape` to any[]; `dims` keeps its type
  if (!Array.isArray(shape)) throw new ShapeError(`${op}: the shape must be an array, e.g. ${op}([2, 3]); got ${String(shape)}`);
  for (const s of dims) if (!Number.isInteger(s) || s < 0) throw new ShapeError(`${op}: invalid shape ${fmt(dims)}: sizes must be non-negative integers`);
  return [...dims];
}

export function full(shape: readonly number[], value: number | boolean, opts: FactoryOpts = {}): Tensor {
  const s = checkShape('full', shape);
  const dt = opts.dtype ?? (typeof value === 'boolean' ? 'bool' : Number.isInteger(value) ? 'int64' : 'float32');
  const b = getBackend(opts.device ?? getDefaultDevice());
  const t = make(b.alloc(dt, numel(s)), s);
  if (value !== 0 && value !== false) b.fill(t, +value);
  return finish(t, opts);
}
export function zeros(shape: readonly number[], opts: FactoryOpts = {}): Tensor { return full(checkShape('zeros', shape), 0, { dtype: 'float32', ...opts }); }
export function ones(shape: readonly number[], opts: FactoryOpts = {}): Tensor { return full(checkShape('ones', shape), 1, { dtype: 'float32', ...opts }); }
/** Uninitialized in PyTorch; zero-filled here (JS arrays start zeroed). */
export function empty(shape: readonly number[], opts: FactoryOpts = {}): Tensor { return zeros(checkShape('empty', shape), opts); }

const like = (t: Tensor, opts: FactoryOpts): FactoryOpts => ({ dtype: t.dtype, device: t.device, ...opts });
export function zerosLike(t: Tensor, opts: FactoryOpts = {}): Tensor { return zeros(t.shape, like(t, opts)); }
export function onesLike(t: Tensor, opts: FactoryOpts = {}): Tensor { return ones(t.shape, like(t, opts)); }
export function fullLike(t: Tensor, value: number, opts: FactoryOpts = {}): Tensor { return full(t.shape, value, like(t, opts)); }
export function emptyLike(t: Tensor, opts: FactoryOpts = {}): Tensor { return zeros(t.shape, like(t, opts)); }

/** arange(end) or arange(start, end, step?). Integer arguments give int64, as PyTorch. */
export function arange(start: number, end?: number, step = 1, opts: FactoryOpts = {}): Tensor {
  if (end === undefined) { end = start; start = 0; }
  if (step === 0) throw new ShapeError('arange: step must be nonzero');
  if ((end - start) / step < 0) throw new ShapeError(`arange: upper bound and larger bound inconsistent with step sign (start ${start}, end ${end}, step ${step})`);
  const n = Math.ceil((end - start) / step);
  const dt = opts.dtype ?? ([start, end, step].every(Number.isInteger) ? 'int64' : 'float32');
  const vals = new Float64Array(n);
  for (let i = 0; i < n; i++) vals[i] = start + i * step;
  return finish(fromHost(encode(dt, vals), dt, [n], opts.device), opts);
}

/** linspace(start, end, steps), computed as PyTorch does (symmetric from both ends). */
export function linspace(start: number, end: number, steps: number, opts: FactoryOpts = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new ShapeError(`linspace: number of steps must be non-negative, got ${steps}`);
  const dt = opts.dtype ?? 'float32';
  const vals = new Float64Array(steps);
  const step = steps > 1 ? (end - start) / (steps - 1) : 0;
  const half = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) vals[i] = i < half ? start + step * i : end - step * (steps - 1 - i);
  return finish(fromHost(encode(dt, vals), dt, [steps], opts.device), opts);
}

export function eye(n: number, m: number = n, opts: FactoryOpts = {}): Tensor {
  const dt = opts.dtype ?? 'float32';
  const vals = new Float64Array(n * m);
  for (let i = 0; i < Math.min(n, m); i++) vals[i * m + i] = 1;
  return finish(fromHost(encode(dt, vals), dt, [n, m], opts.device), opts);
}

// ---------------- random ----------------

function gen(opts: RandomOpts): rng.Generator { return opts.generator ?? rng.defaultGenerator; }

/** On the meta device a random factory draws nothing (as PyTorch's meta kernels): shape and dtype only. */
function onMeta(opts: FactoryOpts): boolean { return (opts.device ?? getDefaultDevice()) === 'meta'; }

function floatOut(op: string, dt: DType): 'float32' | 'float64' {
  if (dt !== 'float32' && dt !== 'float64') throw new DTypeError(`${op}: expected dtype float32 or float64, got ${dt}`);
  return dt;
}

/** Uniform on [0, 1): torch.rand, bit-exact with PyTorch's CPU stream. */
export function rand(shape: readonly number[], opts: RandomOpts = {}): Tensor {
  const dt = floatOut('rand', opts.dtype ?? 'float32');
  const a = arrayFor(dt, numel(checkShape('rand', shape))) as Float32Array | Float64Array;
  if (!onMeta(opts)) rng.uniform_(gen(opts), a, 0, 1);
  return finish(fromHost(a, dt, shape, opts.device), opts);
}

/** Standard normal: torch.randn, bit-exact with PyTorch's CPU stream. */
export function randn(shape: readonly number[], opts: RandomOpts = {}): Tensor {
  const dt = floatOut('randn', opts.dtype ?? 'float32');
  const a = arrayFor(dt, numel(checkShape('randn', shape))) as Float32Array | Float64Array;
  if (!onMeta(opts)) rng.normal_(gen(opts), a, 0, 1);
  return finish(fromHost(a, dt, shape, opts.device), opts);
}

/** Integers in [low, high): torch.randint (int64 by default). */
export function randint(low: number, high: number, shape: readonly number[], opts: RandomOpts = {}): Tensor {
  const dt = opts.dtype ?? 'int64';
  const a = arrayFor(dt, numel(checkShape('randint', shape)));
  if (a instanceof Uint16Array) throw new DTypeError(`randint: ${dt} is a storage dtype; generate float32 and convert`);
  if (!onMeta(opts)) rng.randint_(gen(opts), a, low, high, dt);
  return finish(fromHost(a, dt, shape, opts.device), opts);
}

/** A random permutation of 0..n-1 (int64): torch.randperm. */
export function randperm(n: number, opts: RandomOpts = {}): Tensor {
  const p = rng.randperm(gen(opts), n);
  const dt = opts.dtype ?? 'int64';
  return finish(fromHost(dt === 'int64' || dt === 'float64' ? p : encode(dt, p), dt, [n], opts.device), opts);
}

/** Draw 0/1 with probabilities `p` (a float tensor): torch.bernoulli. */
export function bernoulli(p: Tensor, opts: RandomOpts = {}): Tensor {
  if (!isFloating(p.dtype)) throw new DTypeError(`bernoulli: expected a floating point probability tensor, got ${p.dtype}`);
  const probs = p.dtype === 'float64' ? (p.dataSync() as Float64Array) : Float32Array.from(p.dataSync());
  const out = arrayFor(p.dtype === 'float64' ? 'float64' : 'float32', p.numel()) as Float32Array | Float64Array;
  rng.bernoulliTensor_(gen(opts), out, probs);
  return fromHost(out, p.dtype === 'float64' ? 'float64' : 'float32', p.shape, p.device);
}

export { fromHost };
