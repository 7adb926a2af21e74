/**
 * @file Helpers of nn.Module for the meta device (the device itself is backend/meta): the checks and the
 * allocation behind `model.toEmpty({ device })`.
 */
import { DEVICE_NAMES } from '../core/devices.js';
import type { DeviceType } from '../backend/backend.js';
import { ArgumentError, checkChoice, checkOptions, optBoolean } from '../core/args.js';
import type { Tensor } from '../tensor/tensor.js';
import { empty } from '../ops/creation.js';

interface HasPath { _path(): string }

/** Validates toEmpty's options; returns the target device. */
export function checkToEmpty(m: HasPath, opts: unknown): DeviceType {
  const fn = `${m._path()}.toEmpty`;
  if (opts === undefined || opts === null) throw new ArgumentError(`${fn}: expected an options object with the target device, e.g. toEmpty({ device: 'cpu' })`);
  const o = checkOptions<{ device: DeviceType; recurse: boolean }>(fn, opts, ['device', 'recurse']);
  const device = checkChoice(fn, 'device', o.device, DEVICE_NAMES);
  if (!optBoolean(fn, 'recurse', o.recurse, true)) throw new ArgumentError(`${fn}: recurse: false is not supported (every submodule's tensors move)`);
  return device;
}

/** Fresh storage of t's shape and dtype on `device` (uninitialized in PyTorch; zero-filled here). */
export function emptyOn(t: Tensor, device: DeviceType): Tensor {
  return empty(t.shape, { dtype: t.dtype, device });
}
