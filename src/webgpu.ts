/**
 * @file torch.webgpu: bring up the WebGPU device and ask about it.
 *   await torch.webgpu.init();   // registers device 'webgpu' (throws DeviceError when there is no adapter)
 *   torch.webgpu.isAvailable();  // true once init() succeeded
 *   torch.webgpu.info();         // { name, vendor, architecture, description, isFallbackAdapter, runtime, limits }
 * In a browser, init() uses navigator.gpu. In Node it loads Dawn through the optional `webgpu` npm package by
 * dynamic import, so browser bundles never reach Node-only code. On Linux without a GPU, point Vulkan at a
 * software driver first (SwiftShader: `source .ci/webgpu-env.sh`).
 * Dtypes on webgpu: float32, int32, bool, uint8, int8 (one 32-bit word each), int64 limited to the int32 range,
 * float16/bfloat16 as storage only; float64 raises UnsupportedOpError.
 */
import { init as initDevice, isReady, gpu, sync as syncDevice, emptyCache as emptyPool, poolStats, pipelineCount, type DeviceInfo, type InitOptions } from './backend/webgpu/device.js';
import { register } from './backend/webgpu/index.js';

export type { DeviceInfo, InitOptions };
export { tidy, keep } from './backend/memory-scope.js';

/** Initialise the WebGPU device (idempotent) and register the 'webgpu' backend. Returns its info. */
export async function init(opts: InitOptions = {}): Promise<DeviceInfo> {
  const c = await initDevice(opts);
  register();
  return c.info;
}

/** Whether init() has brought up a device. */
export function isAvailable(): boolean { return isReady(); }

/** The adapter's name and limits (after init()). */
export function info(): DeviceInfo { return gpu().info; }

/** Wait until every submitted kernel has finished (for timing). */
export function synchronize(): Promise<void> { return syncDevice(); }

/** Release the pooled (currently unused) GPU buffers. */
export function emptyCache(): void { emptyPool(); }

/** Pool and pipeline-cache counters (diagnostics). */
export function cacheStats(): { pooledBytes: number; pooledBuffers: number; pipelines: number } {
  return { ...poolStats(), pipelines: pipelineCount() };
}
