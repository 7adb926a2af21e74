/**
 * @file Factories: tensor(), zeros/ones/full/empty, arange/linspace/eye, *Like, and the random factories
 * (rand, randn, randint, randperm, bernoulli) drawing from PyTorch's CPU stream (src/random), so a seed means
 * the same numbers on every device: values are generated on the CPU and uploaded.
 */
import { getBackend, type DeviceType } from '../backend/backend.js';
import { getDefaultDevice } from '../backend/default-device.js';
import { arrayFor, float32ToBfloat16Bits, float32ToFloat16Bits, getDefaultDtype, isFloating, setDefaultFloatDtype, type DType, type DTypeName, type TypedArray } from '../core/dtype.js';
import { ArgumentError, checkBoolean, checkDevice, checkDtype, checkNumber, checkOptions, describeValue } from '../core/args.js';
import { DTypeError, ShapeError } from '../core/errors.js';
import { fmt, numel } from '../core/shape.js';
import { Tensor, type NestedArray } from '../tensor/tensor.js';
import * as rng from '../random/index.js';
import { make } from './util.js';
import { factoryOp, type OpFn } from './registry.js';

export interface FactoryOpts { dtype?: DTypeName; device?: DeviceType; requiresGrad?: boolean }
/** Factory options after checking: the dtype canonical. */
interface CheckedOpts { dtype?: DType; device?: DeviceType; requiresGrad?: boolean; generator?: rng.Generator }
export interface RandomOpts extends FactoryOpts { generator?: rng.Generator }

const FACTORY_KEYS = ['dtype', 'device', 'requiresGrad'] as const;
const RANDOM_KEYS = [...FACTORY_KEYS, 'generator'] as const;
/** Why a factory has no backward (PyTorch: its result is a leaf; `requiresGrad: true` starts a graph there). */
const LEAF = 'creates a new leaf';

/** Checks a factory's options: known keys, a dtype name or alias, a device, a boolean requiresGrad. */
function factoryOpts(fn: string, opts: unknown, keys: readonly string[] = FACTORY_KEYS): CheckedOpts {
  const o = checkOptions<CheckedOpts>(fn, opts, keys);
  if (o.dtype !== undefined) o.dtype = checkDtype(fn, 'dtype', o.dtype);
  if (o.device !== undefined) o.device = checkDevice(fn, 'device', o.device);
  if (o.requiresGrad !== undefined) checkBoolean(fn, 'requiresGrad', o.requiresGrad);
  if (o.generator !== undefined && !(o.generator instanceof rng.Generator)) {
    throw new ArgumentError(`${fn}: generator must be a torch.Generator, got ${describeValue(o.generator)}`);
  }
  return o;
}

/**
 * torch.set_default_dtype: the dtype of tensors made from JavaScript numbers and of the float factories
 * (zeros, ones, rand, randn, ...). float32 or float64, as PyTorch allows.
 */
export function setDefaultDtype(dtype: DType | 'float' | 'double'): void {
  const d = checkDtype('setDefaultDtype', 'dtype', dtype);
  if (d !== 'float32' && d !== 'float64') throw new ArgumentError(`setDefaultDtype: only floating point types are supported as the default type (float32, float64), got ${d}`);
  setDefaultFloatDtype(d);
}
export { getDefaultDtype };

function finish(t: Tensor, opts: FactoryOpts): Tensor {
  if (opts.requiresGrad) t.requiresGrad_(true);
  return t;
}

function fromHostFn(data: TypedArray, dtype: DType, shape: readonly number[], device: DeviceType = getDefaultDevice()): Tensor {
  return make(getBackend(device).fromArray(dtype, data), shape);
}
/** A host typed array (already encoded for `dtype`) as a tensor of `shape` on `device`: the one upload of the factories. */
export const fromHost: OpFn<typeof fromHostFn, false, false> = factoryOp({ name: 'fromHost', fn: fromHostFn, kernels: ['fromArray'], nonDifferentiable: LEAF });

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

/** What torch.tensor accepts: JavaScript numbers (float), bigints (int64), booleans, nested arrays of them, typed arrays. */
export type TensorData = number | boolean | bigint | TensorData[];

function tensorFn(data: TensorData | TypedArray | BigInt64Array | Tensor, options: FactoryOpts = {}): Tensor {
  const opts = factoryOpts('tensor', options);
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
  let sawBool = false, sawNum = false, sawBig = false;
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
    if (typeof v === 'bigint') { sawBig = true; flat.push(Number(v)); return; }
    if (typeof v !== 'number') throw new DTypeError(`tensor(): could not convert ${describeValue(v)} at ${path || 'top level'} to a number`);
    sawNum = true;
    flat.push(v);
  };
  walk(data as NestedArray, 0, '');
  const dt = opts.dtype ?? (sawNum ? getDefaultDtype() : sawBig ? 'int64' : sawBool ? 'bool' : getDefaultDtype());
  return finish(fromHost(encode(dt, flat), dt, shape, opts.device), opts);
}
/**
 * torch.tensor: from a (nested) array of numbers, bigints or booleans, or a typed array.
 * JavaScript has no `1.0` vs `1`, so numbers give the default float dtype (float32); bigints give int64,
 * booleans bool; typed arrays keep their dtype; an explicit `{ dtype }` wins.
 */
export const tensor: OpFn<typeof tensorFn, false, false> = factoryOp({ name: 'tensor', fn: tensorFn, kernels: ['fromArray'], nonDifferentiable: LEAF });

function checkShape(op: string, shape: readonly number[]): number[] {
  if (!Array.isArray(shape)) throw new ShapeError(`${op}: the shape must be an array, e.g. ${op}([2, 3]); got ${describeValue(shape)}`);
  for (const s of shape) if (!Number.isInteger(s) || s < 0) throw new ShapeError(`${op}: invalid shape ${fmt(shape)}: sizes must be non-negative integers`);
  return [...(shape as readonly number[])]; // Array.isArray above narrowed it to any[]
}

function fullFn(shape: readonly number[], value: number | boolean | bigint, options: FactoryOpts = {}, fn = 'full'): Tensor {
  const opts = factoryOpts(fn, options);
  const s = checkShape(fn, shape);
  const dt = opts.dtype ?? (typeof value === 'boolean' ? 'bool' : typeof value === 'bigint' ? 'int64' : getDefaultDtype());
  if (typeof value === 'bigint') value = Number(value);
  else if (typeof value !== 'boolean') checkNumber(fn, 'fill_value', value, { infinite: true });
  const b = getBackend(opts.device ?? getDefaultDevice());
  const t = make(b.alloc(dt, numel(s)), s);
  if (value !== 0 && value !== false) b.fill(t, +value);
  return finish(t, opts);
}
type ShapeFactory = (shape: readonly number[], opts?: FactoryOpts) => Tensor;
/** torch.full: a number fills the default float dtype, a bigint int64, a boolean bool (or `{ dtype }`). */
export const full: OpFn<typeof fullFn, false, false> = factoryOp({ name: 'full', fn: fullFn, kernels: ['alloc', 'fill'], nonDifferentiable: LEAF });
export const zeros: OpFn<ShapeFactory, false, false> = factoryOp({
  name: 'zeros', kernels: ['alloc'], nonDifferentiable: LEAF, fn: (shape: readonly number[], opts: FactoryOpts = {}): Tensor => full(shape, 0, opts, 'zeros'),
});
export const ones: OpFn<ShapeFactory, false, false> = factoryOp({
  name: 'ones', kernels: ['alloc', 'fill'], nonDifferentiable: LEAF, fn: (shape: readonly number[], opts: FactoryOpts = {}): Tensor => full(shape, 1, opts, 'ones'),
});
/** Uninitialized in PyTorch; zero-filled here (JS arrays start zeroed). */
export const empty: OpFn<ShapeFactory, false, false> = factoryOp({
  name: 'empty', kernels: ['alloc'], nonDifferentiable: LEAF, fn: (shape: readonly number[], opts: FactoryOpts = {}): Tensor => full(shape, 0, opts, 'empty'),
});

function like(fn: string, t: Tensor, options: FactoryOpts): CheckedOpts {
  if (!(t instanceof Tensor)) throw new ArgumentError(`${fn}: input must be a Tensor, got ${describeValue(t)}`);
  return { dtype: t.dtype, device: t.device, ...factoryOpts(fn, options) };
}
type LikeFactory = (t: Tensor, opts?: FactoryOpts) => Tensor;
export const zerosLike: OpFn<LikeFactory, false, false> = factoryOp({
  name: 'zerosLike', kernels: ['alloc'], nonDifferentiable: LEAF, fn: (t: Tensor, opts: FactoryOpts = {}): Tensor => full(t.shape, 0, like('zerosLike', t, opts), 'zerosLike'),
});
export const onesLike: OpFn<LikeFactory, false, false> = factoryOp({
  name: 'onesLike', kernels: ['alloc', 'fill'], nonDifferentiable: LEAF, fn: (t: Tensor, opts: FactoryOpts = {}): Tensor => full(t.shape, 1, like('onesLike', t, opts), 'onesLike'),
});
export const fullLike: OpFn<(t: Tensor, value: number | boolean, opts?: FactoryOpts) => Tensor, false, false> = factoryOp({
  name: 'fullLike', kernels: ['alloc', 'fill'], nonDifferentiable: LEAF,
  fn: (t: Tensor, value: number | boolean, opts: FactoryOpts = {}): Tensor => full(t.shape, value, like('fullLike', t, opts), 'fullLike'),
});
export const emptyLike: OpFn<LikeFactory, false, false> = factoryOp({
  name: 'emptyLike', kernels: ['alloc'], nonDifferentiable: LEAF, fn: (t: Tensor, opts: FactoryOpts = {}): Tensor => full(t.shape, 0, like('emptyLike', t, opts), 'emptyLike'),
});

type Num = number | bigint;
const isOpts = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Splits positional numbers from a trailing options object (PyTorch's keyword arguments). */
function positional(fn: string, args: unknown[], names: string[]): [unknown[], unknown] {
  let opts: unknown;
  if (args.length && isOpts(args[args.length - 1])) opts = args.pop();
  while (args.length && args[args.length - 1] === undefined) args.pop();
  if (args.length > names.length) throw new ArgumentError(`${fn}: expected at most ${names.length} numbers (${names.join(', ')}) and an options object, got ${args.length} arguments`);
  return [args, opts];
}

function arangeFn(...args: (Num | FactoryOpts | undefined)[]): Tensor {
  const [pos, options] = positional('arange', args, ['start', 'end', 'step']);
  const opts = factoryOpts('arange', options);
  const nums = pos.map((v, i) => (typeof v === 'bigint' ? Number(v) : checkNumber('arange', ['start', 'end', 'step'][i], v)));
  if (nums.length === 0) throw new ArgumentError('arange: expected arange(end), arange(start, end) or arange(start, end, step)');
  const [start, end, step = 1] = nums.length === 1 ? [0, nums[0]] : nums as [number, number, number?];
  if (step === 0) throw new ShapeError('arange: step must be nonzero');
  if ((end - start) / step < 0) throw new ShapeError(`arange: upper bound and larger bound inconsistent with step sign (start ${start}, end ${end}, step ${step})`);
  const n = Math.ceil((end - start) / step);
  const dt = opts.dtype ?? ([start, end, step].every(Number.isInteger) ? 'int64' : getDefaultDtype());
  const vals = new Float64Array(n);
  for (let i = 0; i < n; i++) vals[i] = start + i * step;
  return finish(fromHost(encode(dt, vals), dt, [n], opts.device), opts);
}
/**
 * arange(end), arange(start, end), arange(start, end, step), each with an optional trailing `{ dtype, device,
 * requiresGrad }`. Integer arguments give int64, as PyTorch (its main use is indices); a fractional one the
 * default float dtype.
 */
export const arange: OpFn<typeof arangeFn, false, false> = factoryOp({ name: 'arange', fn: arangeFn, kernels: ['fromArray'], nonDifferentiable: LEAF });

function linspaceFn(start: number, end: number, steps: number, options: FactoryOpts = {}): Tensor {
  const opts = factoryOpts('linspace', options);
  checkNumber('linspace', 'start', start); checkNumber('linspace', 'end', end);
  if (!Number.isInteger(steps) || steps < 0) throw new ShapeError(`linspace: number of steps must be non-negative, got ${describeValue(steps)}`);
  const dt = opts.dtype ?? getDefaultDtype();
  const vals = new Float64Array(steps);
  const step = steps > 1 ? (end - start) / (steps - 1) : 0;
  const half = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) vals[i] = i < half ? start + step * i : end - step * (steps - 1 - i);
  return finish(fromHost(encode(dt, vals), dt, [steps], opts.device), opts);
}
/** linspace(start, end, steps, opts?), computed as PyTorch does (symmetric from both ends). */
export const linspace: OpFn<typeof linspaceFn, false, false> = factoryOp({ name: 'linspace', fn: linspaceFn, kernels: ['fromArray'], nonDifferentiable: LEAF });

function eyeFn(n: number, m?: number | FactoryOpts, options: FactoryOpts = {}): Tensor {
  if (isOpts(m)) { options = m as FactoryOpts; m = undefined; }
  const opts = factoryOpts('eye', options);
  checkNumber('eye', 'n', n, { integer: true, min: 0 });
  const cols = m === undefined ? n : checkNumber('eye', 'm', m, { integer: true, min: 0 });
  const dt = opts.dtype ?? getDefaultDtype();
  const vals = new Float64Array(n * cols);
  for (let i = 0; i < Math.min(n, cols); i++) vals[i * cols + i] = 1;
  return finish(fromHost(encode(dt, vals), dt, [n, cols], opts.device), opts);
}
/** eye(n), eye(n, m), each with an optional trailing options object. */
export const eye: OpFn<typeof eyeFn, false, false> = factoryOp({ name: 'eye', fn: eyeFn, kernels: ['fromArray'], nonDifferentiable: LEAF });

// ---------------- random ----------------

function gen(opts: CheckedOpts): rng.Generator { return opts.generator ?? rng.defaultGenerator; }
const randomOpts = (fn: string, o: unknown): CheckedOpts => factoryOpts(fn, o, RANDOM_KEYS);

/** On the meta device a random factory draws nothing (as PyTorch's meta kernels): shape and dtype only. */
function onMeta(opts: FactoryOpts): boolean { return (opts.device ?? getDefaultDevice()) === 'meta'; }

function floatOut(op: string, dt: DType): 'float32' | 'float64' {
  if (dt !== 'float32' && dt !== 'float64') throw new DTypeError(`${op}: expected dtype float32 or float64, got ${dt}`);
  return dt;
}

function randFn(shape: readonly number[], options: RandomOpts = {}): Tensor {
  const opts = randomOpts('rand', options);
  const dt = floatOut('rand', opts.dtype ?? getDefaultDtype());
  const a = arrayFor(dt, numel(checkShape('rand', shape))) as Float32Array | Float64Array;
  if (!onMeta(opts)) rng.uniform_(gen(opts), a, 0, 1);
  return finish(fromHost(a, dt, shape, opts.device), opts);
}
/** Uniform on [0, 1): torch.rand, bit-exact with PyTorch's CPU stream. */
export const rand: OpFn<typeof randFn, false, false> = factoryOp({ name: 'rand', fn: randFn, kernels: ['fromArray'], nonDifferentiable: LEAF });

function randnFn(shape: readonly number[], options: RandomOpts = {}): Tensor {
  const opts = randomOpts('randn', options);
  const dt = floatOut('randn', opts.dtype ?? getDefaultDtype());
  const a = arrayFor(dt, numel(checkShape('randn', shape))) as Float32Array | Float64Array;
  if (!onMeta(opts)) rng.normal_(gen(opts), a, 0, 1);
  return finish(fromHost(a, dt, shape, opts.device), opts);
}
/** Standard normal: torch.randn, bit-exact with PyTorch's CPU stream. */
export const randn: OpFn<typeof randnFn, false, false> = factoryOp({ name: 'randn', fn: randnFn, kernels: ['fromArray'], nonDifferentiable: LEAF });

function randintFn(low: number, high: number | readonly number[], shape?: readonly number[] | RandomOpts, options: RandomOpts = {}): Tensor {
  if (Array.isArray(high)) { options = (shape ?? {}) as RandomOpts; shape = high; high = low; low = 0; }
  const opts = randomOpts('randint', options);
  checkNumber('randint', 'low', low, { integer: true }); checkNumber('randint', 'high', high, { integer: true });
  if (!Array.isArray(shape)) throw new ArgumentError(`randint: size must be an array like [2, 3], got ${describeValue(shape)}`);
  const dt = opts.dtype ?? 'int64';
  const a = arrayFor(dt, numel(checkShape('randint', shape)));
  if (a instanceof Uint16Array) throw new DTypeError(`randint: ${dt} is a storage dtype; generate float32 and convert`);
  if (!onMeta(opts)) rng.randint_(gen(opts), a, low, high as number, dt);
  return finish(fromHost(a, dt, shape, opts.device), opts);
}
/** Integers in [low, high): torch.randint(low, high, shape, opts?) or randint(high, shape, opts?) (int64 by default). */
export const randint: OpFn<typeof randintFn, false, false> = factoryOp({ name: 'randint', fn: randintFn, kernels: ['fromArray'], nonDifferentiable: LEAF });

function randpermFn(n: number, options: RandomOpts = {}): Tensor {
  const opts = randomOpts('randperm', options);
  checkNumber('randperm', 'n', n, { integer: true, min: 0 });
  const p = rng.randperm(gen(opts), n);
  const dt = opts.dtype ?? 'int64';
  return finish(fromHost(dt === 'int64' || dt === 'float64' ? p : encode(dt, p), dt, [n], opts.device), opts);
}
/** A random permutation of 0..n-1 (int64): torch.randperm. */
export const randperm: OpFn<typeof randpermFn, false, false> = factoryOp({ name: 'randperm', fn: randpermFn, kernels: ['fromArray'], nonDifferentiable: LEAF });

function bernoulliFn(p: Tensor, options: RandomOpts = {}): Tensor {
  const opts = factoryOpts('bernoulli', options, ['generator']);
  if (!(p instanceof Tensor)) throw new ArgumentError(`bernoulli: input must be a Tensor of probabilities, got ${describeValue(p)}`);
  if (!isFloating(p.dtype)) throw new DTypeError(`bernoulli: expected a floating point probability tensor, got ${p.dtype}`);
  const probs = p.dtype === 'float64' ? (p.dataSync() as Float64Array) : Float32Array.from(p.dataSync());
  const out = arrayFor(p.dtype === 'float64' ? 'float64' : 'float32', p.numel()) as Float32Array | Float64Array;
  rng.bernoulliTensor_(gen(opts), out, probs);
  return fromHost(out, p.dtype === 'float64' ? 'float64' : 'float32', p.shape, p.device);
}
/** Draw 0/1 with probabilities `p` (a float tensor): torch.bernoulli. */
export const bernoulli: OpFn<typeof bernoulliFn, false, false> = factoryOp({ name: 'bernoulli', fn: bernoulliFn, kernels: ['readSync', 'fromArray'], nonDifferentiable: 'a random draw' });

