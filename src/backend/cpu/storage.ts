/**
 * @file CPU storage: a typed array plus the bookkeeping autograd and memory stats need.
 */
import type { Storage } from '../backend.js';
import { ITEM_SIZE, type DType, type TypedArray } from '../../core/dtype.js';
import { newStorageSerial, trackAlloc } from '../memory.js';

export class CpuStorage implements Storage {
  readonly device = 'cpu' as const;
  readonly size: number;
  version = 0;
  readonly serial: number;
  /**
   * What the garbage collector watches for a small storage (memory stats): a small object only this storage
   * refers to, so it becomes unreachable exactly when the storage does. Registering the storage itself keeps it
   * and its array alive through every young-generation collection (V8's scavenger keeps the targets of a
   * FinalizationRegistry) until a full collection; with the token only the token is kept, and a short-lived
   * small storage is freed young (measured: 1,000-element add 1.5-2x faster; sigmoid of 16x512, a 32 KiB result,
   * about 1.3x faster in wall time, 12-18 % less process CPU). Storages of more than TOKEN_MAX_BYTES register
   * themselves as before: freeing large arrays young made glibc hand back and re-map their pages (a
   * 1,000,000-element add took 4x longer, with hundreds of page faults per call); arrays up to 32 KiB stay far
   * below glibc's mmap threshold (128 KiB), in the heap, whose freed chunks malloc reuses.
   */
  readonly #gcToken: object | null;
  /** `supplied`: `data` came from the caller (fromArray) and may be referenced elsewhere (serial 0). */
  constructor(readonly dtype: DType, readonly data: TypedArray, supplied = false) {
    this.size = data.length;
    this.serial = supplied ? 0 : newStorageSerial();
    const bytes = data.length * ITEM_SIZE[dtype];
    this.#gcToken = bytes <= TOKEN_MAX_BYTES ? {} : null;
    trackAlloc(this.#gcToken ?? this, 'cpu', bytes);
  }
}

/**
 * Largest storage watched through a token (32 KiB: 8,192 float32, e.g. a 16x512 activation). A storage kept
 * alive until a full collection holds its malloc chunk meanwhile, so a loop of such ops cycles through tens of
 * MB of cache-cold memory (each fresh result's zero-fill misses the cache and sometimes faults); freed young,
 * the chunks are reused while still in cache.
 */
export const TOKEN_MAX_BYTES = 32768;

export function dataOf(s: Storage): TypedArray {
  if (!(s instanceof CpuStorage)) throw new Error(`internal: expected a cpu storage, got one on ${s.device}`);
  return s.data;
}
