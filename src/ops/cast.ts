/**
 * @file Dtype and device conversions in their Tensor method forms: `x.to(...)`, `x.toAsync(device)`, `x.cpu()`,
 * `x.float()` and the other casts, `x.type(dtype)`. Registered ops (ops/registry.ts) over movement.ts's toDtype /
 * toDevice copies, which stay there (the op layer calls them directly).
 */
import { record } from '../autograd/node.js';
import { getBackend, type DeviceType } from '../backend/backend.js';
import { checkDevice, checkDtype, checkOptions } from '../core/args.js';
import { isDeviceName } from '../core/devices.js';
import type { DType, DTypeName } from '../core/dtype.js';
import type { Tensor } from '../tensor/tensor.js';
import { clone, toDevice, toDtype } from './movement.js';
import { customOp, type OpFn } from './registry.js';
import { make } from './util.js';

type Method<F> = OpFn<F, true, false>;
export type ToArg = DTypeName | DeviceType | { dtype?: DTypeName; device?: DeviceType; copy?: boolean; nonBlocking?: boolean };

/** Tensor.to(dtype | device | {dtype, device, copy}). */
function toFn(x: Tensor, arg: ToArg, opts?: { copy?: boolean; nonBlocking?: boolean }): Tensor {
  if (typeof arg === 'string') {
    const o = checkOptions<{ copy: boolean }>('Tensor.to', opts, ['copy', 'nonBlocking']);
    const r = isDeviceName(arg) ? toDevice(x, arg) : toDtype(x, checkDtype('Tensor.to', 'the argument', arg));
    return o.copy && r === x ? clone(x) : r;
  }
  const o = checkOptions<{ dtype: DTypeName; device: DeviceType; copy: boolean }>('Tensor.to', arg, ['dtype', 'device', 'copy', 'nonBlocking']);
  let r = x;
  if (o.device !== undefined) r = toDevice(r, checkDevice('Tensor.to', 'device', o.device));
  if (o.dtype !== undefined) r = toDtype(r, checkDtype('Tensor.to', 'dtype', o.dtype));
  if (o.copy && r === x) r = clone(x);
  return r;
}
export const to: Method<typeof toFn> = customOp({ name: 'to', fn: toFn, method: true, backward: 'composite', samples: [] });

/** The copy to another device, reading a GPU tensor asynchronously (`x.toAsync('cpu')`). */
async function toAsyncFn(x: Tensor, device: DeviceType): Promise<Tensor> {
  if (x.device === device) return x;
  if (device === 'meta') return toDevice(x, device);
  const src = getBackend(x.device);
  const tmp = src.contiguous(x, x.dtype);
  let raw;
  try { raw = await src.read(tmp); } finally { tmp.dispose?.(); } // GPU: free the staging copy now
  const out = make(getBackend(device).fromArray(x.dtype, raw.slice()), x.shape);
  return record(out, 'ToCopy', [x], (g) => [toDevice(g, x.device)]);
}
export const toAsync: Method<typeof toAsyncFn> = customOp({
  name: 'toAsync', fn: toAsyncFn, kernels: ['contiguous', 'read', 'fromArray'], method: true, backward: 'records', samples: [],
});

export const cpu: Method<(x: Tensor) => Tensor> = customOp({ name: 'cpu', fn: (x: Tensor): Tensor => toDevice(x, 'cpu'), method: true, backward: 'composite', samples: [] });

/** x.float(), x.long(), ...: toDtype to one dtype. */
const cast = <N extends string>(name: N, dtype: DType): Method<(x: Tensor) => Tensor> =>
  customOp({ name, fn: (x: Tensor): Tensor => toDtype(x, dtype), method: true, backward: 'composite', samples: [] });
export const float = cast('float', 'float32');
export const double = cast('double', 'float64');
export const half = cast('half', 'float16');
export const bfloat16 = cast('bfloat16', 'bfloat16');
export const long = cast('long', 'int64');
export const int = cast('int', 'int32');
export const bool = cast('bool', 'bool');
export const byte = cast('byte', 'uint8');

export const type: Method<(x: Tensor, dtype: DTypeName) => Tensor> = customOp({
  name: 'type', fn: (x: Tensor, dtype: DTypeName): Tensor => toDtype(x, checkDtype('Tensor.type', 'dtype', dtype)), method: true, backward: 'composite', samples: [],
});
