/**
 * @file nn.Module's moves: the checks of module.to() (arguments, meta tensors, devices that read asynchronously)
 * and the walk over every tensor a module owns. Module's methods call these; this file knows Module as a type.
 */
import type { Module } from './module.js';
import { isDeviceName } from '../core/devices.js';
import { readsSync, type DeviceType } from '../backend/backend.js';
import { isFloating, type DType, type DTypeName } from '../core/dtype.js';
import { checkDevice, checkDtype, checkOptions } from '../core/args.js';
import { ModuleError } from '../core/errors.js';
import type { Tensor } from '../tensor/tensor.js';

/** The device and dtype of module.to(arg), checked: float dtypes only, no meta source, no asynchronous source. */
export function checkMove(self: Module, arg: DeviceType | DTypeName | { device?: DeviceType; dtype?: DTypeName; nonBlocking?: boolean }): { device?: DeviceType; dtype?: DType } {
  self._checkHidden();
  let device: DeviceType | undefined, dtype: DType | undefined;
  const fn = `${self._path()}.to`;
  if (typeof arg === 'string') {
    if (isDeviceName(arg)) device = arg; else dtype = checkDtype(fn, 'the argument', arg);
  } else {
    const o = checkOptions<{ device: DeviceType; dtype: DTypeName }>(fn, arg, ['device', 'dtype', 'nonBlocking']);
    if (o.device !== undefined) device = checkDevice(fn, 'device', o.device);
    if (o.dtype !== undefined) dtype = checkDtype(fn, 'dtype', o.dtype);
  }
  if (dtype !== undefined && !isFloating(dtype)) {
    throw new ModuleError(`${self._path()}.to: nn.Module.to only accepts floating point dtypes, but got desired dtype=${dtype}; ` +
      'integer buffers keep their dtype on float casts, and parameters must stay floating point');
  }
  if (device !== undefined && device !== 'meta' && ownedTensors(self).some((t) => t.device === 'meta')) {
    throw new ModuleError(`${self._path()}.to('${device}'): Cannot copy out of meta tensor; no data! Please use nn.Module.toEmpty() instead of ` +
      'nn.Module.to() when moving module from meta to a different device (then load weights: loadStateDict(sd, { assign: true }), or initialize them)');
  }
  if (device !== undefined) {
    const from = ownedTensors(self).find((t) => t.device !== device && !readsSync(t.device));
    if (from) {
      throw new ModuleError(`${self._path()}.to('${device}'): its tensors are on ${from.device}, whose reads are asynchronous; ` +
        `use \`await model.toAsync('${device}')\``);
    }
  }
  return { device, dtype };
}

/**
 * Every parameter, gradient and buffer, once each (shared tensors once), in PyTorch's _apply order: children
 * first, then parameters (each followed by its gradient), then buffers.
 */
export function ownedTensors(self: Module): Tensor[] {
  const seen = new Set<Tensor>();
  const out: Tensor[] = [];
  const add = (t: Tensor) => { if (!seen.has(t)) { seen.add(t); out.push(t); } };
  const visit = (m: Module) => {
    for (const c of m.children()) visit(c);
    for (const p of m._parameters.values()) {
      if (!p) continue;
      add(p);
      if (p.grad) add(p.grad);
    }
    for (const b of m._buffers.values()) if (b) add(b);
  };
  visit(self);
  return out;
}
