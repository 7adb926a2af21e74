/**
 * @file The default device of the factories (PyTorch's `torch.set_default_device` / `with torch.device(...)`):
 * where `torch.zeros([...])`, `torch.randn([...])` and the layers' parameters go when no `device` is given.
 */
import { DEVICE_NAMES, isDeviceName } from '../core/devices.js';
import { DeviceError } from '../core/errors.js';
import { getBackend, type DeviceType } from './backend.js';

let current: DeviceType = 'cpu';

/** The device factories use when none is given ('cpu' unless changed). */
export function getDefaultDevice(): DeviceType { return current; }

function check(fn: string, device: unknown): DeviceType {
  if (!isDeviceName(device)) {
    throw new DeviceError(`${fn}: unknown device ${JSON.stringify(device)}; expected one of ${DEVICE_NAMES.map((d) => `'${d}'`).join(', ')}`);
  }
  getBackend(device); // fails now, naming the fix, if the device is not available
  return device;
}

/** Make `device` the default of the factories (PyTorch's torch.set_default_device). */
export function setDefaultDevice(device: DeviceType): void { current = check('setDefaultDevice', device); }

/**
 * Run fn with `device` as the factories' default and restore the previous default afterwards, also on error
 * (PyTorch's `with torch.device('meta'): model = Model()`). Returns what fn returns.
 *
 *   const big = torch.withDevice('meta', () => new nn.Linear(4096, 4096));   // no memory allocated
 */
export function withDevice<T>(device: DeviceType, fn: () => T): T {
  const d = check('withDevice', device);
  if (typeof fn !== 'function') throw new DeviceError(`withDevice: expected a function to run on '${d}', got ${typeof fn}`);
  const prev = current;
  current = d;
  try {
    const r = fn();
    if (r instanceof Promise) throw new DeviceError('withDevice: fn returned a Promise; the default device applies to synchronous code only (build the model synchronously)');
    return r;
  } finally { current = prev; }
}
