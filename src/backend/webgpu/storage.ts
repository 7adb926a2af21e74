/// <reference types="@webgpu/types" preserve="true" />
/**
 * @file WebGPU storage: a pooled GPU buffer of 32-bit words. `dispose()` returns the buffer to the pool at once
 * and reports the free to the memory counters; a FinalizationRegistry returns buffers of storages that were
 * never disposed (the safety net, not the plan). Storages created inside `tidy()` scopes are recorded there.
 */
import type { Storage } from '../backend.js';
import type { DType } from '../../core/dtype.js';
import { DeviceError } from '../../core/errors.js';
import { newStorageSerial, trackAlloc, trackFree } from '../memory.js';
import { acquireBuffer, releaseBuffer } from './device.js';
import { checkDtype } from './dtypes.js';
import { noteCreated } from '../memory-scope.js';

interface Held { buffer: GPUBuffer; bytes: number }
const finalizer = typeof FinalizationRegistry !== 'undefined'
  ? new FinalizationRegistry<Held>((h) => { releaseBuffer(h.buffer); trackFree('webgpu', h.bytes); })
  : null;

export class WebGPUStorage implements Storage {
  readonly device = 'webgpu' as const;
  version = 0;
  #buffer: GPUBuffer | null;
  /** Bytes counted in torch.memory.stats('webgpu'): 4 per element (every dtype is one word on the GPU). */
  readonly bytes: number;
  readonly serial = newStorageSerial();

  constructor(readonly dtype: DType, readonly size: number) {
    checkDtype('webgpu storage', dtype);
    this.bytes = size * 4;
    this.#buffer = acquireBuffer(Math.max(4, this.bytes));
    trackAlloc(null, 'webgpu', this.bytes);
    finalizer?.register(this, { buffer: this.#buffer, bytes: this.bytes }, this);
    noteCreated(this);
  }

  get buffer(): GPUBuffer {
    if (!this.#buffer) throw new DeviceError('webgpu: this tensor was disposed; its GPU memory is gone (do not use a tensor after t.dispose() or outside the torch.tidy() that created it)');
    return this.#buffer;
  }
  get disposed(): boolean { return this.#buffer === null; }

  dispose(): void {
    if (!this.#buffer) return;
    finalizer?.unregister(this);
    releaseBuffer(this.#buffer);
    this.#buffer = null;
    trackFree('webgpu', this.bytes);
  }
}

export function gpuStorage(s: Storage): WebGPUStorage {
  if (!(s instanceof WebGPUStorage)) throw new DeviceError(`internal: expected a webgpu storage, got one on ${s.device}`);
  return s;
}
