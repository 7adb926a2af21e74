/**
 * @file One suite, every device: the devices a test file runs on. `TORCHLET_TEST_DEVICE` (comma list, default
 * `cpu,webgpu`) selects them; webgpu is brought up with `torch.webgpu.init()` (Dawn in Node; on Linux without
 * a GPU the device falls back to Debian's SwiftShader ICD by itself). A device that is selected but not
 * available yields `skip` with the reason. `deviceTests` still registers every test under its own name: each
 * one skips with the reason outside CI and fails naming the missing device in CI (`CI=true`), so the count
 * always shows what ran and a missing device is never silent.
 *
 *   for (const dev of await testDevices()) deviceTests(dev, 'op table', (test) => { for (...) test(...) });
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { requireOrSkip } from './python.js';

export type DeviceName = 'cpu' | 'webgpu';
export interface TestDevice {
  name: DeviceName;
  /** Why this device's tests are skipped, or null when it is available. */
  skip: string | null;
  /**
   * False when TORCHLET_TEST_DEVICE leaves the device out on purpose: its tests skip even in CI (a nested run
   * of one configuration); the top-level CI run still fails on any skip (scripts/test.mjs).
   */
  selected: boolean;
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
        out.push({ name, prefix: name === 'cpu' ? '' : `[${name}] `, selected: false, skip: `${name}: not selected (TORCHLET_TEST_DEVICE=${process.env.TORCHLET_TEST_DEVICE})` });
        continue;
      }
      if (name === 'cpu') { out.push({ name, prefix: '', selected: true, skip: null }); continue; }
      let skip: string | null = null;
      try {
        await torch.webgpu.init();
        if (!torch.webgpu.isAvailable()) skip = 'webgpu: init() returned but no device is available';
      } catch (e) {
        skip = `webgpu: not available: ${(e as Error).message}`;
      }
      out.push({ name, prefix: '[webgpu] ', selected: true, skip });
    }
    return out;
  })();
  return cached;
}

/** The webgpu entry alone (for suites that only make sense on a second device). */
export async function webgpuDevice(): Promise<TestDevice> {
  return (await testDevices()).find((d) => d.name === 'webgpu')!;
}

/** node:test's `test(name, fn)`, as `deviceTests` hands it to a suite. */
export type DeviceTest = (name: string, fn: (t: TestContext) => void | Promise<void>) => void;

/**
 * Register a device's tests. `register(test)` always runs, so every test appears under its own name; when the
 * device is missing, each test is replaced by one that skips with the reason (outside CI) or fails naming
 * the missing device (CI). `suite` names the group in that reason.
 */
export function deviceTests(dev: TestDevice, suite: string, register: (test: DeviceTest) => void): void {
  const reason = dev.skip;
  if (reason === null) { register((name, fn) => { test(name, fn); }); return; }
  if (!dev.selected) { register((name) => { test(name, (t) => { t.skip(reason); }); }); return; }
  register((name) => { test(name, (t) => { requireOrSkip(t, `${suite}: ${reason}`); }); });
}

/** The tests of one device outside `deviceTests`: skip (outside CI) or fail (CI) when it is missing. */
export function requireDevice(t: TestContext, dev: TestDevice): boolean {
  if (!dev.selected) { t.skip(dev.skip ?? 'not selected'); return true; }
  return requireOrSkip(t, dev.skip);
}

/**
 * A documented limitation of a device (float64 on webgpu, an op that needs a synchronous read): the test
 * asserts that the device refuses the case with an error naming the device, instead of skipping it.
 */
export async function assertRefusedOn(dev: TestDevice, why: string, run: () => unknown): Promise<void> {
  await assert.rejects(async () => { await run(); }, (e: unknown) => {
    assert.ok(e instanceof Error, `expected an Error, got ${String(e)}`);
    assert.match(e.message, new RegExp(dev.name), `the error should name the device ${dev.name} (${why})`);
    return true;
  }, `${dev.name} should refuse this case (${why})`);
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
