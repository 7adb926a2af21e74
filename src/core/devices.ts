/**
 * @file The one list of device names. `DeviceType` (backend/backend.ts), `.to()` parsing, argument checks and
 * the default device all read it, so a new device is one entry here plus its backend. Imports nothing.
 */
export const DEVICE_NAMES = ['cpu', 'webgpu', 'meta'] as const;
export type DeviceName = (typeof DEVICE_NAMES)[number];

/** Whether a string names a device (as opposed to a dtype, in `.to('...')`). */
export function isDeviceName(v: unknown): v is DeviceName {
  return typeof v === 'string' && (DEVICE_NAMES as readonly string[]).includes(v);
}
