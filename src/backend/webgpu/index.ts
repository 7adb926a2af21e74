/**
 * @file The WebGPU device: storages are pooled GPU buffers of 32-bit words; kernels are generated WGSL,
 * cached by shader key. Registered by `torch.webgpu.init()` once an adapter and device exist.
 */
import { registerBackend, type Backend } from '../backend.js';
import { DTYPES, arrayMatches, type DType, type TypedArray } from '../../core/dtype.js';
import { DTypeError } from '../../core/errors.js';
import { clearBuffer, download, upload } from './device.js';
import { checkDtype, fromWords, toWords } from './dtypes.js';
import { WebGPUStorage, gpuStorage } from './storage.js';
import { contiguous, copyInto, fill, unary, binary, where, fma } from './elementwise.js';
import { matmul } from './matmul.js';
import { reduce, cumsum, sort } from './reduce.js';
import { gather, scatter, indexSelect, indexAdd, triangle } from './indexing.js';
import { im2col, col2im, maxPool, maxPoolBackward } from './conv.js';

export const webgpuBackend: Backend = {
  name: 'webgpu',
  capabilities: { syncRead: false, dtypes: DTYPES.filter((d) => d !== 'float64'), fused: [] },
  fromArray(dtype: DType, data: TypedArray) {
    checkDtype('to(webgpu)', dtype);
    if (!arrayMatches(dtype, data)) throw new DTypeError(`internal: ${data.constructor.name} cannot hold ${dtype}`);
    const s = new WebGPUStorage(dtype, data.length);
    upload(s.buffer, toWords(dtype, data));
    return s;
  },
  alloc(dtype: DType, size: number) {
    const s = new WebGPUStorage(dtype, size);
    clearBuffer(s.buffer, size * 4);
    return s;
  },
  readSync: () => null,
  async read(st) {
    const s = gpuStorage(st);
    const buf = await download(s.buffer, s.size * 4);
    return fromWords(s.dtype, buf, s.size);
  },
  contiguous, copyInto, fill, unary, binary, where, fma, reduce, matmul, cumsum, sort,
  gather, scatter, indexSelect, indexAdd, triangle, im2col, col2im, maxPool, maxPoolBackward,
};

export function register(): void { registerBackend(webgpuBackend); }
