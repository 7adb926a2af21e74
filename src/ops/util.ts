/**
 * @file Shared plumbing of the op layer: device checks, backend lookup, scalar wrapping, tensor construction.
 */
import { ArgumentError, describeType } from '../core/args.js';
import { getBackend, type Backend, type DeviceType, type Storage } from '../backend/backend.js';
import { arrayFor, isFloating, resultType, type DType } from '../core/dtype.js';
import { DeviceError, DTypeError } from '../core/errors.js';
import { broadcastShapes, broadcastStrides, contiguousStrides, shapesEqual } from '../core/shape.js';
import { Tensor } from '../tensor/tensor.js';

export function be(t: Tensor | DeviceType): Backend {
  return getBackend(typeof t === 'string' ? t : t.device);
}

export function make(storage: Storage, shape: readonly number[]): Tensor {
  return new Tensor(storage, [...shape], contiguousStrides(shape), 0);
}

/** Every tensor argument of an op must be on one device; nothing moves implicitly. */
export function sameDevice(op: string, ...ts: (Tensor | null | undefined)[]): DeviceType {
  let dev: DeviceType | null = null;
  let first = -1;
  ts.forEach((t, i) => {
    if (!t) return;
    if (dev === null) { dev = t.device; first = i; } else if (t.device !== dev) {
      throw new DeviceError(`${op}: expected all tensors to be on the same device, but found at least two devices, ${dev} (argument ${first}) and ${t.device} (argument ${i}). ` +
        `Move one with .to('${dev}') or .to('${t.device}'); torchlet never moves tensors implicitly.`);
    }
  });
  return dev ?? 'cpu';
}

/** 16-bit floats are storage dtypes: compute in float32. */
export function computable(op: string, ...ts: Tensor[]): void {
  for (const t of ts) {
    if (t.dtype === 'float16' || t.dtype === 'bfloat16') {
      throw new DTypeError(`${op}: ${t.dtype} is a storage dtype in torchlet (for checkpoints); convert with .float() before computing`);
    }
  }
}

export function requireFloat(op: string, t: Tensor): void {
  if (!isFloating(t.dtype)) throw new DTypeError(`${op}: expected a floating point tensor, got ${t.dtype}; convert with .float()`);
}

/** A 0-dim tensor holding a number, on a device. */
export function scalarTensor(v: number, dtype: DType, device: DeviceType): Tensor {
  const a = arrayFor(dtype, 1);
  a[0] = dtype === 'bool' ? (v ? 1 : 0) : v;
  return new Tensor(getBackend(device).fromArray(dtype, a), []);
}

export type Scalar = number | boolean;
export type TensorOrScalar = Tensor | Scalar;

/** View t as `shape` with stride-0 broadcast dims (no autograd; kernels only); t itself when it has that shape. */
export function bview(t: Tensor, shape: readonly number[]): Tensor {
  return t.shape === shape || shapesEqual(t.shape, shape) ? t : new Tensor(t.storage, shape, broadcastStrides(t.shape, t.strides, shape), t.offset);
}

/** The broadcast shape of two operands (the first's own shape when they are equal: no new array). */
export function broadcast2(op: string, a: readonly number[], b: readonly number[]): readonly number[] {
  return shapesEqual(a, b) ? a : broadcastShapes(op, a, b);
}

/** A binary op's operands as tensors of one device, with PyTorch's result dtype (scalars wrapped in it). */
export function operands(op: string, a: TensorOrScalar, b: TensorOrScalar): [Tensor, Tensor, DType] {
  // the common case, two tensors of one dtype on one device: that dtype (what resultType gives), no wrapping
  if (a instanceof Tensor && b instanceof Tensor && a.storage.dtype === b.storage.dtype && a.storage.device === b.storage.device) {
    const dt = a.storage.dtype;
    if (dt === 'float16' || dt === 'bfloat16') computable(op, a);
    return [a, b, dt];
  }
  if (!(a instanceof Tensor) && !(b instanceof Tensor)) throw new DTypeError(`${op}: expected at least one tensor argument, got two numbers`);
  [a, b].forEach((v, i) => {
    if (!(v instanceof Tensor) && typeof v !== 'number' && typeof v !== 'boolean') {
      throw new ArgumentError(`${op}: argument ${i === 0 ? 'input' : 'other'} must be a Tensor, a number or a boolean, got ${describeType(v)}`);
    }
  });
  const ts = [a, b].filter((v): v is Tensor => v instanceof Tensor);
  const scalars = [a, b].filter((v): v is Scalar => !(v instanceof Tensor)).map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v));
  const boolScalar = [a, b].some((v) => typeof v === 'boolean');
  computable(op, ...ts);
  const dev = sameDevice(op, ...ts);
  let dt = resultType(ts.map((t) => ({ dtype: t.dtype, dim: t.ndim })), boolScalar ? [] : scalars);
  if (boolScalar && scalars.length) dt = ts[0].dtype;
  const wrap = (v: TensorOrScalar) => (v instanceof Tensor ? v : scalarTensor(typeof v === 'boolean' ? (v ? 1 : 0) : v, dt, dev));
  return [wrap(a), wrap(b), dt];
}

/** x * y + z rounded once, in floating dtype dt (inputs of another dtype are cast first); no autograd. */
export function fmaRaw(x: Tensor, y: Tensor, z: Tensor, dt: DType, shape: readonly number[]): Tensor {
  return make(be(z).fma(bview(castRaw(x, dt), shape), bview(castRaw(y, dt), shape), bview(castRaw(z, dt), shape), dt), shape);
}

/** t as dtype dt (a contiguous copy when it differs); no autograd: for kernels' operands. */
export function castRaw(t: Tensor, dt: DType): Tensor {
  return t.dtype === dt ? t : make(be(t).contiguous(t, dt), t.shape);
}
