/**
 * @file The WebAssembly runtime probe: the kernel module bytes (base64 from generated/kernels.ts), which SIMD
 * variant compiles here, whether shared memory and threads are usable (and why not), and the machine's cores.
 */
import * as kernels from './generated/kernels.js';

export type WasmVariant = 'simd' | 'relaxed';

function decodeBase64(s: string): Uint8Array<ArrayBuffer> {
  const B = (globalThis as { Buffer?: { from(s: string, e: string): Uint8Array } }).Buffer;
  if (B) { const t = B.from(s, 'base64'); const o = new Uint8Array(t.length); o.set(t); return o; }
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const bytesCache = new Map<string, Uint8Array<ArrayBuffer>>();
/**
 * The bytes of one module of generated/kernels.ts by name (decoded once, then cached), or null where this build of
 * the kernels has no such module (assembly/build.mjs lists them: the four GEMM builds, elementwise, random, optim).
 */
export function kernelBytes(name: string): Uint8Array<ArrayBuffer> | null {
  let b = bytesCache.get(name);
  if (!b) {
    const s = (kernels as Record<string, string | undefined>)[name];
    if (s === undefined) return null;
    bytesCache.set(name, b = decodeBase64(s));
  }
  return b;
}

/** One of the GEMM module's four builds. */
export function moduleBytes(variant: WasmVariant, shared: boolean): Uint8Array<ArrayBuffer> {
  const key = `${variant}${shared ? 'Shared' : ''}`;
  const b = kernelBytes(key);
  if (!b) throw new Error(`internal: generated/kernels.ts has no ${key} module (npm run build:wasm)`);
  return b;
}

interface NodeProcess {
  versions?: { node?: string };
  getBuiltinModule?: (id: string) => unknown;
  env?: Record<string, string | undefined>;
}
const nodeProcess = (globalThis as { process?: NodeProcess }).process;
const isNode = !!nodeProcess?.versions?.node;

/** A Node built-in module, loaded synchronously without a static import (keeps the browser bundle clean). */
export function nodeBuiltin<T>(id: string): T | undefined {
  try { return nodeProcess?.getBuiltinModule?.(id) as T | undefined; } catch { return undefined; }
}

let relaxedFlagTried = false;
/**
 * Whether this runtime compiles the given variant. For relaxed SIMD under Node 20 (V8 11.3 keeps it behind
 * --experimental-wasm-relaxed-simd) this turns the flag on through v8.setFlagsFromString once, unless
 * `allowFlag` is false; browsers (Chrome 114+, Firefox 120+) accept relaxed SIMD without flags.
 */
export function variantSupported(variant: WasmVariant, allowFlag = true): boolean {
  if (typeof WebAssembly !== 'object') return false;
  const bytes = moduleBytes(variant, false);
  if (WebAssembly.validate(bytes)) return true;
  if (variant === 'relaxed' && allowFlag && isNode && !relaxedFlagTried) {
    relaxedFlagTried = true;
    const v8 = nodeBuiltin<{ setFlagsFromString(s: string): void }>('node:v8');
    try { v8?.setFlagsFromString('--experimental-wasm-relaxed-simd'); } catch { /* ignore */ }
    return WebAssembly.validate(bytes);
  }
  return false;
}

/** True where threads can be used: SharedArrayBuffer, shared wasm memory, and a thread allowed to Atomics.wait. */
export function sharedMemorySupported(): boolean {
  return sharedMemoryProblem() === null;
}

/** Why threads cannot be used here (with the fix), or null when they can. */
export function sharedMemoryProblem(): string | null {
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object') {
    const g = globalThis as { crossOriginIsolated?: boolean };
    return g.crossOriginIsolated === false
      ? 'SharedArrayBuffer is unavailable because the page is not cross-origin isolated: serve it with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp'
      : 'SharedArrayBuffer is unavailable in this runtime';
  }
  let mem: WebAssembly.Memory;
  try {
    mem = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    if (!(mem.buffer instanceof SharedArrayBuffer)) return 'shared WebAssembly memory is unavailable in this runtime';
  } catch (e) { return `shared WebAssembly memory is unavailable: ${(e as Error).message}`; }
  try {
    Atomics.wait(new Int32Array(mem.buffer, 0, 1), 0, 1, 0); // throws on a browser main thread
  } catch {
    return "this is a browser's main thread, where Atomics.wait is forbidden: run torchlet inside a Web Worker to use threads";
  }
  return null;
}

/** Cores of this machine (os.availableParallelism in Node, navigator.hardwareConcurrency in browsers). */
export function hardwareThreads(): number {
  const os = nodeBuiltin<{ availableParallelism?: () => number; cpus(): unknown[] }>('node:os');
  if (os) return Math.max(1, os.availableParallelism ? os.availableParallelism() : os.cpus().length);
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return Math.max(1, nav?.hardwareConcurrency ?? 1);
}
