/// <reference types="@webgpu/types" preserve="true" />
/**
 * @file The WebGPU device context: adapter/device init (browser `navigator.gpu`, or Dawn through the `webgpu`
 * npm package loaded lazily in Node), a size-classed buffer pool, a pipeline cache keyed by shader key, and
 * command batching: kernels append compute passes to one pending encoder that is submitted before any upload,
 * read, or after MAX_BATCH dispatches. Per-dispatch metadata (shapes, strides, scalars) goes into one mapped
 * storage buffer per batch, bound at 256-byte aligned offsets.
 */
import { DeviceError } from '../../core/errors.js';

// GPUBufferUsage / GPUMapMode values (spec constants; Node's Dawn does not install the globals unless asked).
export const USAGE = { MAP_READ: 1, MAP_WRITE: 2, COPY_SRC: 4, COPY_DST: 8, UNIFORM: 64, STORAGE: 128 } as const;
const MAP_READ_MODE = 1;

export const NO_ADAPTER_MESSAGE = 'WebGPU is not available: no adapter (on Linux without a GPU, see README: software adapter)';

export interface InitOptions {
  /** Node only: options passed to the `webgpu` package's create(), e.g. ['backend=vulkan'] or ['adapter=SwiftShader']. */
  dawnOptions?: string[];
  powerPreference?: GPUPowerPreference;
}

export interface DeviceInfo {
  name: string; vendor: string; architecture: string; description: string;
  isFallbackAdapter: boolean; runtime: 'browser' | 'node-dawn';
  limits: { maxBufferSize: number; maxStorageBufferBindingSize: number; maxComputeWorkgroupStorageSize: number; maxComputeInvocationsPerWorkgroup: number };
}

export interface Ctx {
  device: GPUDevice;
  info: DeviceInfo;
  /** The Dawn instance from create(): must stay referenced while the device lives, or Dawn frees it underneath us. */
  instance: unknown;
}

let ctx: Ctx | null = null;
let initPromise: Promise<Ctx> | null = null;
let lastError: string | null = null;

export function gpu(): Ctx {
  if (!ctx) throw new DeviceError("device 'webgpu' is not initialised: call `await torch.webgpu.init()` first");
  return ctx;
}
export function isReady(): boolean { return ctx !== null; }

async function getGpu(opts: InitOptions): Promise<{ gpu: GPU; instance: unknown; runtime: DeviceInfo['runtime'] }> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return { gpu: nav.gpu, instance: null, runtime: 'browser' };
  const isNode = typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string';
  if (!isNode) throw new DeviceError(`${NO_ADAPTER_MESSAGE}: this browser has no navigator.gpu`);
  // Mesa's device-select layer prints XDG_RUNTIME_DIR noise at every Vulkan instance; it is not needed here.
  const env = (globalThis as unknown as { process: { env: Record<string, string | undefined> } }).process.env;
  env.NODEVICE_SELECT ??= '1';
  const modName = 'webgpu';
  let mod: { create: (o: string[]) => GPU };
  try {
    mod = await import(/* @vite-ignore */ modName) as typeof mod;
  } catch (e) {
    throw new DeviceError(`${NO_ADAPTER_MESSAGE}: the 'webgpu' npm package (Dawn for Node) could not be loaded: ${(e as Error).message}`);
  }
  const instance = mod.create(opts.dawnOptions ?? []);
  return { gpu: instance, instance, runtime: 'node-dawn' };
}

/** Debian's SwiftShader Vulkan ICD (package chromium-common), when VK_ICD_FILENAMES is unset and it exists. */
async function swiftShaderIcd(): Promise<string | null> {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined>; versions?: { node?: string } } }).process;
  if (!env?.versions?.node || !env.env || env.env.VK_ICD_FILENAMES || env.env.VK_DRIVER_FILES) return null;
  const fsName = 'node:fs';
  try {
    const fs = await import(/* @vite-ignore */ fsName) as { existsSync(p: string): boolean };
    for (const p of ['/usr/lib/chromium/vk_swiftshader_icd.json', '/usr/lib/chromium-browser/vk_swiftshader_icd.json']) if (fs.existsSync(p)) return p;
  } catch { /* not Node */ }
  return null;
}

/** Whether a Vulkan driver manifest is installed system-wide (a GPU's, or Mesa's lavapipe). */
async function hasSystemIcd(): Promise<boolean> {
  const fsName = 'node:fs';
  try {
    const fs = await import(/* @vite-ignore */ fsName) as { readdirSync(p: string): string[] };
    for (const d of ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d']) {
      try { if (fs.readdirSync(d).some((f) => f.endsWith('.json'))) return true; } catch { /* no such directory */ }
    }
  } catch { /* not Node */ }
  return false;
}

export function init(opts: InitOptions = {}): Promise<Ctx> {
  if (ctx) return Promise.resolve(ctx);
  if (initPromise) return initPromise;
  initPromise = (async () => {
    // Linux without any Vulkan driver installed: go straight to SwiftShader (no "Found no drivers" warning)
    const envOf = () => (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
    const inBrowser = Boolean((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu);
    const icd = inBrowser ? null : await swiftShaderIcd();
    if (icd && !(await hasSystemIcd())) envOf().VK_ICD_FILENAMES = icd;
    const first = await getGpu(opts);
    const { runtime } = first;
    let { gpu: g, instance } = first;
    const adapterOpts = opts.powerPreference ? { powerPreference: opts.powerPreference } : undefined;
    let adapter = await g.requestAdapter(adapterOpts);
    if (!adapter && runtime === 'node-dawn' && !envOf().VK_ICD_FILENAMES) {
      // No Vulkan device (Linux without a GPU): fall back to the SwiftShader ICD that Debian's chromium-common
      // ships, unless the user chose ICDs. The loader reads VK_ICD_FILENAMES when an instance is created.
      if (icd) {
        envOf().VK_ICD_FILENAMES = icd;
        // the first instance stays referenced as well (Dawn instances must outlive anything made from them)
        (globalThis as { __torchletDawnFirstInstance?: unknown }).__torchletDawnFirstInstance = instance;
        ({ gpu: g, instance } = await getGpu(opts));
        adapter = await g.requestAdapter(adapterOpts);
      }
    }
    if (!adapter) throw new DeviceError(NO_ADAPTER_MESSAGE);
    const L = adapter.limits;
    const device = await adapter.requestDevice({
      requiredLimits: {
        maxBufferSize: L.maxBufferSize,
        maxStorageBufferBindingSize: L.maxStorageBufferBindingSize,
        maxComputeWorkgroupStorageSize: L.maxComputeWorkgroupStorageSize,
        maxComputeInvocationsPerWorkgroup: Math.min(256, L.maxComputeInvocationsPerWorkgroup),
        maxComputeWorkgroupSizeX: Math.min(256, L.maxComputeWorkgroupSizeX),
        maxStorageBuffersPerShaderStage: Math.min(8, L.maxStorageBuffersPerShaderStage),
      },
    });
    device.addEventListener('uncapturederror', (ev) => {
      const msg = (ev).error.message;
      if (lastError === null) lastError = msg;
    });
    // adapter.info (newer than the @webgpu/types some dependencies pin)
    const ai = (adapter as unknown as { info?: { vendor: string; architecture: string; device: string; description: string } }).info
      ?? { vendor: '', architecture: '', device: '', description: '' };
    const name = [ai.description, ai.device].filter((s) => s).join(' / ') || ai.vendor || 'unknown adapter';
    const c: Ctx = {
      device, instance,
      info: {
        name, vendor: ai.vendor, architecture: ai.architecture, description: ai.description,
        isFallbackAdapter: Boolean((ai as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter),
        runtime,
        limits: {
          maxBufferSize: device.limits.maxBufferSize, maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
          maxComputeWorkgroupStorageSize: device.limits.maxComputeWorkgroupStorageSize,
          maxComputeInvocationsPerWorkgroup: device.limits.maxComputeInvocationsPerWorkgroup,
        },
      },
    };
    // Keep the Dawn instance reachable for the device's whole life (see the research note: freeing it crashes).
    (globalThis as { __torchletDawnInstance?: unknown }).__torchletDawnInstance = instance;
    ctx = c;
    return c;
  })();
  initPromise.catch(() => { initPromise = null; });
  return initPromise;
}

/** Throw (once) a validation error Dawn reported asynchronously, so a broken kernel does not go unnoticed. */
export function checkErrors(): void {
  if (lastError !== null) {
    const m = lastError; lastError = null;
    throw new DeviceError(`webgpu: the device reported an error: ${m}`);
  }
}

// ---------------- buffer pool ----------------

/** Size classes: 4 per octave (<= 25% slack), minimum 256 bytes. */
export function sizeClass(bytes: number): number {
  if (bytes <= 256) return 256;
  const p = 2 ** Math.floor(Math.log2(bytes));
  const q = p / 4;
  return Math.ceil(bytes / q) * q;
}

const pool = new Map<number, GPUBuffer[]>();
let pooledBytes = 0;
const POOL_LIMIT = 512 * 1024 * 1024;
const deferredDestroy: GPUBuffer[] = [];

export function acquireBuffer(bytes: number): GPUBuffer {
  const cls = sizeClass(bytes);
  const list = pool.get(cls);
  if (list && list.length) { pooledBytes -= cls; return list.pop()!; }
  return gpu().device.createBuffer({ size: cls, usage: USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST });
}

/** Return a buffer for reuse. Queue order keeps it safe: later users are encoded after earlier ones. */
export function releaseBuffer(buf: GPUBuffer): void {
  const cls = buf.size;
  if (pooledBytes + cls > POOL_LIMIT) { deferredDestroy.push(buf); return; }
  let list = pool.get(cls);
  if (!list) { list = []; pool.set(cls, list); }
  list.push(buf);
  pooledBytes += cls;
}

export function poolStats(): { pooledBytes: number; pooledBuffers: number } {
  let n = 0;
  for (const l of pool.values()) n += l.length;
  return { pooledBytes, pooledBuffers: n };
}

/** Destroy every pooled buffer (frees device memory; the pool refills on demand). */
export function emptyCache(): void {
  flush();
  for (const l of pool.values()) for (const b of l) b.destroy();
  pool.clear();
  pooledBytes = 0;
}

// ---------------- pipelines ----------------

const pipelines = new Map<string, GPUComputePipeline>();

export function pipeline(key: string, source: () => string): GPUComputePipeline {
  let p = pipelines.get(key);
  if (!p) {
    const { device } = gpu();
    const module = device.createShaderModule({ code: source(), label: key });
    p = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: key });
    pipelines.set(key, p);
  }
  return p;
}

export function pipelineCount(): number { return pipelines.size; }

// ---------------- batching ----------------

const MAX_BATCH = 64;
const META_BYTES = 64 * 1024;
const META_ALIGN = 256;

let encoder: GPUCommandEncoder | null = null;
let dispatches = 0;
let meta: GPUBuffer | null = null;
let metaView: ArrayBuffer | null = null;
let metaAt = 0;

function enc(): GPUCommandEncoder {
  if (!encoder) encoder = gpu().device.createCommandEncoder();
  return encoder;
}

/** Place int32/float32 words into this batch's metadata buffer; returns the binding. */
function putMeta(words: Int32Array): GPUBufferBinding {
  const bytes = Math.max(16, words.byteLength);
  if (bytes > META_BYTES) throw new Error(`internal: webgpu kernel metadata of ${bytes} bytes is too large`);
  if (meta && metaAt + bytes > META_BYTES) flush();
  if (!meta) {
    meta = gpu().device.createBuffer({ size: META_BYTES, usage: USAGE.STORAGE, mappedAtCreation: true });
    metaView = meta.getMappedRange();
    metaAt = 0;
  }
  new Int32Array(metaView!, metaAt, words.length).set(words);
  const binding = { buffer: meta, offset: metaAt, size: bytes };
  metaAt = Math.ceil((metaAt + bytes) / META_ALIGN) * META_ALIGN;
  return binding;
}

export interface Binding { buffer: GPUBuffer; offset?: number; size?: number }

/**
 * Encode one compute dispatch. `buffers` are bound at @binding(0..), the metadata at the next binding.
 * `groups` is the workgroup count in x (split into x/y when above the 65535 limit), y, z.
 */
export function dispatch(pipe: GPUComputePipeline, buffers: GPUBuffer[], metaWords: Int32Array, groups: [number, number?, number?]): void {
  const m = putMeta(metaWords);
  const entries: GPUBindGroupEntry[] = buffers.map((b, i) => ({ binding: i, resource: { buffer: b } }));
  entries.push({ binding: buffers.length, resource: m });
  const bg = gpu().device.createBindGroup({ layout: pipe.getBindGroupLayout(0), entries });
  const pass = enc().beginComputePass();
  pass.setPipeline(pipe);
  pass.setBindGroup(0, bg);
  const z = groups[2] ?? 1;
  let [x, y = 1] = groups;
  if (x > 65535) { y = Math.ceil(x / 65535) * y; x = 65535; }
  pass.dispatchWorkgroups(x, y, z);
  pass.end();
  if (++dispatches >= MAX_BATCH) flush();
}

/** Clear a buffer range to zero, in queue order. */
export function clearBuffer(buf: GPUBuffer, bytes: number): void {
  enc().clearBuffer(buf, 0, Math.ceil(bytes / 4) * 4);
}

export function copyBuffer(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
  enc().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
}

/** Submit everything encoded so far. */
export function flush(): void {
  if (!ctx) return;
  if (meta) { meta.unmap(); }
  if (encoder) {
    ctx.device.queue.submit([encoder.finish()]);
    encoder = null;
  }
  dispatches = 0;
  if (meta) { meta.destroy(); meta = null; metaView = null; metaAt = 0; }
  while (deferredDestroy.length) deferredDestroy.pop()!.destroy();
}

/** Upload host words into a buffer (after pending work, so a reused pooled buffer is never overwritten early). */
export function upload(buf: GPUBuffer, data: ArrayBufferView): void {
  flush();
  if (data.byteLength) gpu().device.queue.writeBuffer(buf, 0, data.buffer, data.byteOffset, data.byteLength);
}

/** Read `bytes` bytes of a buffer asynchronously. */
export async function download(buf: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
  const { device } = gpu();
  const size = Math.max(4, Math.ceil(bytes / 4) * 4);
  const staging = device.createBuffer({ size, usage: USAGE.MAP_READ | USAGE.COPY_DST });
  enc().copyBufferToBuffer(buf, 0, staging, 0, size);
  flush();
  try {
    await staging.mapAsync(MAP_READ_MODE);
    checkErrors();
    return staging.getMappedRange(0, size).slice(0, bytes);
  } finally {
    if (staging.mapState === 'mapped') staging.unmap();
    staging.destroy();
  }
}

/** Wait until the queue is idle (benchmarks). */
export async function sync(): Promise<void> {
  flush();
  await gpu().device.queue.onSubmittedWorkDone();
  checkErrors();
}
