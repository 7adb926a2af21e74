/**
 * @file Decoding of the layer fixtures (scripts/fixtures/layers.py): tensors stored as {shape, dtype, data}
 * or {shape, dtype, b64} (raw little-endian bytes, for bit-exact comparisons).
 */
import * as torch from '../../src/index.js';
import type { Tensor, DType } from '../../src/index.js';
import { loadFixture } from '../helpers/index.js';

export interface FT { shape: number[]; dtype: string; data?: (number | boolean)[]; b64?: string }

/** A fixture tensor as a torchlet tensor (float32, float64, int64 or bool). */
export function fromFixture(t: FT): Tensor {
  const dtype = t.dtype as DType;
  if (t.b64 !== undefined) {
    const bytes = Buffer.from(t.b64, 'base64');
    const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    if (dtype === 'int64') return torch.tensor(Float64Array.from(new BigInt64Array(ab), Number), { dtype }).reshape(t.shape);
    const arr = dtype === 'float64' ? new Float64Array(ab) : new Float32Array(ab);
    return torch.tensor(arr, { dtype }).reshape(t.shape);
  }
  const data = t.data!.map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v));
  let flatT: Tensor;
  if (dtype === 'float32') flatT = torch.tensor(Float32Array.from(data), { dtype });
  else if (dtype === 'float64') flatT = torch.tensor(Float64Array.from(data), { dtype });
  else flatT = torch.tensor(Float64Array.from(data), { dtype });
  return flatT.reshape(t.shape);
}

/** Raw float32/float64 values of a fixture tensor (for exact comparisons). */
export function valuesOf(t: FT): Float32Array | Float64Array {
  const x = fromFixture(t);
  return x.dataSync() as Float32Array | Float64Array;
}

export function layersFixture<T>(name: string): T { return loadFixture<T>(`layers/${name}`); }
