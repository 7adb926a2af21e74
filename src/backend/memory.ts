/**
 * @file Memory accounting per device: live and peak bytes of storages. CPU storages are freed by the garbage
 * collector (a FinalizationRegistry settles the count); GPU storages report their frees when disposed.
 */
import type { DeviceType } from './backend.js';

interface Counter { liveBytes: number; peakBytes: number; allocations: number; frees: number; liveStorages: number }
const counters = new Map<string, Counter>();

function counter(device: string): Counter {
  let c = counters.get(device);
  if (!c) { c = { liveBytes: 0, peakBytes: 0, allocations: 0, frees: 0, liveStorages: 0 }; counters.set(device, c); }
  return c;
}

/**
 * CPU storages are the ones the garbage collector frees (GPU storages pass no owner and report their frees
 * themselves): one registry holding each registered owner's byte count. The held value is a number and there is
 * no unregister token: a registration then costs no extra object. Every registered owner survives the
 * young-generation collections (V8's scavenger keeps the targets of weak cells) until a full collection: pass a
 * small object that dies with the storage (CpuStorage's token), not the storage, so the storage and its array can
 * be freed young.
 */
const cpuRegistry = typeof FinalizationRegistry !== 'undefined'
  ? new FinalizationRegistry<number>((bytes) => trackFree('cpu', bytes))
  : null;
/** The CPU's counter, looked up once (every CPU storage counts itself in it). */
const cpuCounter = counter('cpu');

/** Record an allocation; `owner` (CPU only) is tracked by the GC so the bytes are released when it is collected. */
export function trackAlloc(owner: object | null, device: DeviceType, bytes: number): void {
  const c = device === 'cpu' ? cpuCounter : counter(device);
  c.liveBytes += bytes; c.allocations++; c.liveStorages++;
  if (c.liveBytes > c.peakBytes) c.peakBytes = c.liveBytes;
  if (owner === null) return;
  if (device !== 'cpu') throw new Error(`internal: trackAlloc: only CPU storages are freed by the garbage collector, got an owner on ${device}`);
  cpuRegistry?.register(owner, bytes);
}

/** Record a deterministic free (GPU dispose), or the collection of an owner registered by trackAlloc. */
export function trackFree(device: string, bytes: number): void {
  const c = counter(device);
  c.liveBytes -= bytes; c.frees++; c.liveStorages--;
}

let lastSerial = 0;
/**
 * internal: a fresh creation serial for a storage whose memory its backend allocated itself (increasing; the
 * autograd engine compares it with the serial at the start of a backward pass to know which gradient buffers
 * the pass made, and may therefore take over instead of copying). Storages wrapping memory a caller supplied
 * (CPU `fromArray`) and meta storages use serial 0, never taken over.
 */
export function newStorageSerial(): number { return ++lastSerial; }
/** internal: the serial of the most recently created storage. */
export function lastStorageSerial(): number { return lastSerial; }

export interface MemoryStats { device: string; liveBytes: number; peakBytes: number; allocations: number; frees: number; liveStorages: number }

/** Live and peak bytes on a device. On the CPU, frees are seen once the garbage collector runs. */
export function stats(device: DeviceType = 'cpu'): MemoryStats {
  return { device, ...counter(device) };
}

/** Start a new peak measurement from the current live bytes. */
export function resetPeak(device: DeviceType = 'cpu'): void {
  const c = counter(device);
  c.peakBytes = c.liveBytes;
}
