/**
 * @file The meta device (PyTorch's `device='meta'`): storages with a dtype and a size but no memory, and kernels
 * that only compute how big their output is. Every op runs its checks and its shape logic as on any device, so a
 * forward pass on meta inputs gives the output shapes (and dtypes) without allocating or computing anything.
 * Reading a meta tensor fails: there are no values to read. Nothing here is counted by torch.memory.stats.
 */
import type { Backend, Storage, View } from '../backend.js';
import { DTYPES, type DType } from '../../core/dtype.js';
import { DeviceError } from '../../core/errors.js';

/** The message every read of a meta tensor gives (PyTorch: "Cannot copy out of meta tensor; no data!"). */
export const META_READ_HINT = 'Cannot copy out of meta tensor; no data! A meta tensor has a shape and a dtype but no storage. ' +
  "Materialize it: create it on a real device, or for a module call model.toEmpty({ device: 'cpu' }) and then " +
  'load the weights (model.loadStateDict(sd, { assign: true })) or initialize them.';

export class MetaStorage implements Storage {
  readonly device = 'meta' as const;
  version = 0;
  constructor(readonly dtype: DType, readonly size: number) {}
}

const prod = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);
const numelOf = (v: View): number => prod(v.shape);
const meta = (dtype: DType, size: number): MetaStorage => new MetaStorage(dtype, size);

function noData(): never { throw new DeviceError(META_READ_HINT); }

export const metaBackend: Backend = {
  name: 'meta',
  capabilities: { syncRead: true, dtypes: DTYPES, fused: [] }, // reads throw the no-data error at once
  fromArray: (dtype, data) => meta(dtype, data.length),
  alloc: (dtype, size) => meta(dtype, size),
  readSync: () => noData(),
  read: () => Promise.reject(new DeviceError(META_READ_HINT)),
  contiguous: (x, dtype) => meta(dtype, numelOf(x)),
  copyInto: () => {},
  fill: () => {},
  unary: (_op, x, outDtype) => meta(outDtype, numelOf(x)),
  binary: (_op, a, _b, outDtype) => meta(outDtype, numelOf(a)),
  where: (cond, _a, _b, outDtype) => meta(outDtype, numelOf(cond)),
  fma: (x, _y, _z, outDtype) => meta(outDtype, numelOf(x)),
  reduce: (_op, x, dims, outDtype) => meta(outDtype, prod(x.shape.filter((_, i) => !dims.includes(i)))),
  matmul: (a, b, outDtype) => meta(outDtype, a.shape[0] * a.shape[1] * b.shape[2]),
  cumsum: (x, _dim, outDtype) => meta(outDtype, numelOf(x)),
  sort: (x) => [meta(x.dtype, numelOf(x)), meta('int64', numelOf(x))],
  gather: (x, _dim, index) => meta(x.dtype, numelOf(index)),
  scatter: (self) => meta(self.dtype, numelOf(self)),
  indexSelect: (x, dim, index) => meta(x.dtype, prod(x.shape.map((s, i) => (i === dim ? numelOf(index) : s)))),
  indexAdd: (shape, dtype) => meta(dtype, prod(shape)),
  triangle: (x) => meta(x.dtype, numelOf(x)),
  im2col: (x, kernel, _s, _p, _d, outSpatial) => meta(x.dtype, x.shape[0] * x.shape[1] * prod(kernel) * prod(outSpatial)),
  col2im: (cols, channels, spatial) => meta(cols.dtype, cols.shape[0] * channels * prod(spatial)),
  maxPool: (x, _k, _s, _p, _d, outSpatial) => {
    const n = x.shape[0] * x.shape[1] * prod(outSpatial);
    return [meta(x.dtype, n), meta('int64', n)];
  },
  maxPoolBackward: (grad, _indices, spatial) => meta(grad.dtype, grad.shape[0] * grad.shape[1] * prod(spatial)),
};

