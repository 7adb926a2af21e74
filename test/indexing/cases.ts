/**
 * @file The indexing fixture (scripts/fixtures/indexing.py) and how its cases run in torchlet: the JSON items are
 * torchlet's spelling already, except tensors ({ tensor, shape, dtype }), which become tensors here.
 */
import assert from 'node:assert/strict';
import * as torch from '../helpers/torch.js';
import type { Tensor, DType } from '../helpers/torch.js';
import { assertValuesClose } from '../helpers/index.js';
import { valuesOf } from '../helpers/devices.js';

export interface JsonTensor { tensor: (number | boolean)[]; shape: number[]; dtype: string }
export type JsonItem = number | string | boolean | null | JsonTensor | unknown[];
interface PyError { type: string; message: string }
export interface GetCase {
  id: string; shape: number[]; items: JsonItem[];
  out_shape?: number[]; out?: number[]; w?: number[]; grad?: number[];
  error?: PyError; phrase?: string;
}
export interface SetCase {
  id: string; shape: number[]; form: 'setitem' | 'index_put'; items: JsonItem[]; accumulate: boolean;
  value: number | { shape: number[]; values: number[] };
  out?: number[]; w?: number[]; grad_x?: number[]; grad_value?: number[];
  error?: PyError; phrase?: string;
}
export interface IndexingFixture { torch: string; get: GetCase[]; set: SetCase[] }

const isJsonTensor = (v: unknown): v is JsonTensor => typeof v === 'object' && v !== null && !Array.isArray(v) && 'tensor' in v;

/** JSON items as torchlet index items; integer tensors with ndim >= 1 go to `indexDevice` (masks stay on the CPU). */
export function itemsOf(items: JsonItem[], indexDevice: 'cpu' | 'webgpu' = 'cpu'): unknown[] {
  return items.map((it) => {
    if (!isJsonTensor(it)) return it;
    const t = torch.tensor(it.tensor, { dtype: it.dtype as DType }).reshape(it.shape);
    return indexDevice !== 'cpu' && it.dtype !== 'bool' && t.ndim > 0 && it.dtype.startsWith('int') ? t.to(indexDevice) : t;
  });
}

/** Does a case hold an integer index tensor (device-resident on webgpu, so its range cannot be checked there)? */
export function hasIntTensor(items: JsonItem[]): boolean {
  return items.some((it) => isJsonTensor(it) && it.dtype !== 'bool' && it.shape.length > 0);
}

export function arange(shape: number[], dtype: DType = 'float32'): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return torch.arange(0, n, 1, { dtype }).reshape(shape);
}

function index(x: Tensor, items: unknown[]): Tensor {
  return (x.index as (...a: unknown[]) => Tensor)(...items);
}

/** Run a getter case on a device and compare output, shape and gradient with PyTorch's. */
export async function checkGet(c: GetCase, device: 'cpu' | 'webgpu', indexDevice: 'cpu' | 'webgpu' = device): Promise<void> {
  const x = arange(c.shape).to(device).requiresGrad_(true);
  const items = itemsOf(c.items, indexDevice);
  if (c.error) {
    assert.throws(() => index(x, items), (e: Error) => e instanceof torch.TorchletError && e.message.includes(c.phrase!),
      `${c.id}: expected an error mentioning '${c.phrase}' (PyTorch: ${c.error.type}: ${c.error.message})`);
    return;
  }
  const y = index(x, items);
  assert.deepEqual([...y.shape], c.out_shape, `${c.id}: shape`);
  assert.deepEqual(await valuesOf(y), c.out, `${c.id}: values`);
  const w = torch.tensor(c.w!, { dtype: 'float32' }).reshape(c.out_shape!).to(device);
  y.mul(w).sum().backward();
  assertValuesClose(await valuesOf(x.grad!), c.grad!, { atol: 1e-6, rtol: 1e-6 }, `${c.id}: gradient`);
}

/** Run a setter case: x = x0.clone(); x[items] = v (setIndex_) or x.indexPut_(items, v); values and gradients. */
export async function checkSet(c: SetCase, device: 'cpu' | 'webgpu', indexDevice: 'cpu' | 'webgpu' = device): Promise<void> {
  const x0 = arange(c.shape).to(device).requiresGrad_(true);
  const v = typeof c.value === 'number' ? c.value
    : torch.tensor(c.value.values, { dtype: 'float32' }).reshape(c.value.shape).to(device).requiresGrad_(true);
  const items = itemsOf(c.items, indexDevice);
  const x = x0.clone();
  const run = () => (c.form === 'setitem'
    ? (x.setIndex_ as (...a: unknown[]) => Tensor)(...items, v)
    : x.indexPut_(items as Tensor[], v instanceof torch.Tensor ? v : torch.tensor(v, { dtype: 'float32' }).to(device), { accumulate: c.accumulate }));
  if (c.error) {
    assert.throws(run, (e: Error) => e instanceof torch.TorchletError && e.message.includes(c.phrase!),
      `${c.id}: expected an error mentioning '${c.phrase}' (PyTorch: ${c.error.type}: ${c.error.message})`);
    return;
  }
  const r = run();
  assert.equal(r, x, `${c.id}: returns the receiver`);
  assertValuesClose(await valuesOf(x), c.out!, { atol: 1e-6, rtol: 1e-6 }, `${c.id}: values`);
  x.mul(torch.tensor(c.w!, { dtype: 'float32' }).reshape(c.shape).to(device)).sum().backward();
  assertValuesClose(await valuesOf(x0.grad!), c.grad_x!, { atol: 1e-6, rtol: 1e-6 }, `${c.id}: gradient of x`);
  if (v instanceof torch.Tensor) assertValuesClose(await valuesOf(v.grad!), c.grad_value!, { atol: 1e-6, rtol: 1e-6 }, `${c.id}: gradient of the value`);
}
