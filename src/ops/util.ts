/**
 * @file Shared plumbing of the op layer: device checks, backend lookup, scalar wrapping, tensor construction.
 */
import { getBackend, type Backend, type DeviceType, type Storage } from '../backend/backend.js';
import { arrayFor, isFloating, type DType } from '../core/dtype.js';
import { DeviceError, DTypeError } from '../core/errors.js';
import { contiguousStrides } from '../core/shape.js';
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
