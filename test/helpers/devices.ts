/**
 * @file One suite, every device: the devices a test file runs on. `TORCHLET_TEST_DEVICE` (comma list, default
 * `cpu,webgpu`) selects them; webgpu is brought up with `torch.webgpu.init()` (Dawn in Node; on Linux without
 * a GPU the device falls back to Debian's SwiftShader ICD by itself). A device that is selected but not
 * available yields `skip` with the reason, and `deviceTests` registers one skipped test that prints it, so a
 * missing device is never silent.
 *
 *   for (const dev of await testDevices()) deviceTests(dev, 'op table', () => { for (...) test(...) });
 */
import { test } from 'node:test';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';

export type DeviceName = 'cpu' | 'webgpu';
export interface TestDevice {
  name: DeviceName;
  /** Why this device's tests are skipped, or null when it is available. */
  skip: string | null;
  /** Test-name prefix: '' on the CPU (names unchanged), '[webgpu] ' elsewhere. */
  prefix: string;
}

let cached: Promise<TestDevice[]> | null = null;

function selected(): DeviceName[] {
  const raw = process.env.TORCHLET_TEST_DEVICE ?? 'cpu,webgpu';
  const names = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) if (n !== 'cpu' && n !== 'webgpu') throw new Error(`TORCHLET_TEST_DEVICE: unknown device '${n}' (cpu, webgpu)`);
  return names as DeviceName[];
}

/** The devices to run on, each with its skip reason (null when available). */
export function testDevices(): Promise<TestDevice[]> {
  cached ??= (async () => {
    const out: TestDevice[] = [];
    const want = selected();
    for (const name of ['cpu', 'webgpu'] as const) {
      if (!want.includes(name)) {
        out.push({ name, prefix: name === 'cpu' ? '' : `[${name}] `, skip: `${name}: not selected (TORCHLET_TEST_DEVICE=${process.env.TORCHLET_TEST_DEVICE})` });
        continue;
      }
      if (name === 'cpu') { out.push({ name, prefix: '', skip: null }); continue; }
      let skip: string | null = null;
      try {
        await torch.webgpu.init();
        if (!torch.webgpu.isAvailable()) skip = 'webgpu: init() returned but no device is available';
      } catch (e) {
        skip = `webgpu: not available: ${(e as Error).message}`;
      }
      out.push({ name, prefix: '[webgpu] ', skip });
    }
    return out;
  })();
  return cached;
}

/** The webgpu entry alone (for suites that only make sense on a second device). */
export async function webgpuDevice(): Promise<TestDevice> {
  return (await testDevices()).find((d) => d.name === 'webgpu')!;
}

/**
 * Register a device's tests: `register()` when the device is available, otherwise one skipped test named
 * after the suite that prints why.
 */
export function deviceTests(dev: TestDevice, suite: string, register: () => void): void {
  if (dev.skip) { test(`${dev.prefix}${suite}`, (t) => { t.skip(dev.skip!); }); return; }
  register();
}

/** Values of a tensor on any device, row-major, as numbers (bool -> 0/1). */
export async function valuesOf(t: Tensor): Promise<number[]> {
  return Array.from(await t.data() as ArrayLike<number>, Number);
}

/** A float64 input or output cannot live on webgpu (WGSL has no 64-bit floats): the reason, or null. */
export function unsupportedDtype(dev: TestDevice, dtypes: readonly string[]): string | null {
  if (dev.name === 'webgpu' && dtypes.includes('float64')) return 'float64 is not supported on webgpu (WGSL has no 64-bit floats)';
  return null;
}
