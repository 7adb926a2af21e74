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
  /** `supplied`: `data` came from the caller (fromArray) and may be referenced elsewhere (serial 0). */
  constructor(readonly dtype: DType, readonly data: TypedArray, supplied = false) {
    this.size = data.length;
    this.serial = supplied ? 0 : newStorageSerial();
    trackAlloc(this, 'cpu', data.length * ITEM_SIZE[dtype]);
  }
}

export function dataOf(s: Storage): TypedArray {
  if (!(s instanceof CpuStorage)) throw new Error(`internal: expected a cpu storage, got one on ${s.device}`);
  return s.data;
}
