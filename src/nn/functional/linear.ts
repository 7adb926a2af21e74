/**
 * @file linear and bilinear maps (torch.nn.functional.linear / bilinear).
 */
import { Tensor } from '../../tensor/tensor.js';
import { ShapeError } from '../../core/errors.js';
import { fmt, isContiguous, numel } from '../../core/shape.js';
import { record } from '../../autograd/node.js';
import { getBackend, type View } from '../../backend/backend.js';
import { make } from '../../ops/util.js';
import { add, mul } from '../../ops/elementwise.js';
import { matmul } from '../../ops/linalg.js';
import { permute, reshape, transpose, unsqueeze } from '../../ops/movement.js';
import { sum } from '../../ops/reduce.js';

/** y = x Wᵀ + b: x [..., in], weight [out, in], bias [out]. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  if (weight.ndim !== 2 && weight.ndim !== 1) throw new ShapeError(`linear: weight must be 1-D or 2-D [out_features, in_features], got shape ${fmt(weight.shape)}`);
  const inF = weight.shape[weight.ndim - 1];
  if (x.ndim === 0 || x.shape[x.ndim - 1] !== inF) {
    throw new ShapeError(`linear: input of shape ${fmt(x.shape)} does not match weight ${fmt(weight.shape)}: the last dim of the input must be in_features = ${inF}`);
  }
  const fused = linearCpu(x, weight, bias);
  if (fused) return fused;
  const y = matmul(x, weight.ndim === 2 ? transpose(weight, 0, 1) : weight);
  return bias ? add(y, bias) : y;
}

const raw = (t: { storage: View['storage']; dtype: View['dtype'] }, shape: number[], strides: number[], offset: number): View =>
  ({ storage: t.storage, dtype: t.dtype, shape, strides, offset });

/**
 * linear on the CPU as one node (PyTorch's addmm): y = x·Wᵀ (+ b) with the GEMM reading W transposed in place, and
 * a backward that produces each gradient in its final layout: dx = g·W, dW = gᵀ·x (no transposed copy of
 * (xᵀ·g)), db = g summed over rows. Same values as matmul(x, Wᵀ) + b up to float summation order inside GEMM.
 * Null where the generic path applies (other devices or dtypes, 1-D weight, mismatched dtypes: it raises the errors).
 */
function linearCpu(x: Tensor, weight: Tensor, bias: Tensor | null | undefined): Tensor | null {
  if (weight.ndim !== 2 || x.device !== 'cpu' || weight.device !== 'cpu') return null;
  const dt = x.dtype;
  if ((dt !== 'float32' && dt !== 'float64') || weight.dtype !== dt) return null;
  if (bias && (bias.device !== 'cpu' || bias.dtype !== dt || bias.ndim !== 1 || bias.shape[0] !== weight.shape[0])) return null;
  const be = getBackend('cpu');
  const [N, K] = weight.shape;
  const lead = x.shape.slice(0, -1), M = numel(lead);
  const xs = isContiguous(x.shape, x.strides) ? x.storage : be.contiguous(x, dt);
  const xo = xs === x.storage ? x.offset : 0;
  const x2 = raw({ storage: xs, dtype: dt }, [1, M, K], [0, K, 1], xo);
  const [w0, w1] = weight.strides;
  let ys = be.matmul(x2, raw(weight, [1, K, N], [0, w1, w0], weight.offset), dt);
  if (bias) ys = be.binary('add', raw({ storage: ys, dtype: dt }, [M, N], [N, 1], 0), raw(bias, [M, N], [0, bias.strides[0]], bias.offset), dt);
  const out = make(ys, [...lead, N]);
  return record(out, bias ? 'Addmm' : 'Mm', [x, weight, bias ?? null], (g) => {
    const gs = isContiguous(g.shape, g.strides) ? g.storage : be.contiguous(g, dt);
    const go = gs === g.storage ? g.offset : 0;
    const gv = { storage: gs, dtype: dt };
    const dx = x.requiresGrad
      ? make(be.matmul(raw(gv, [1, M, N], [0, N, 1], go), raw(weight, [1, N, K], [0, w0, w1], weight.offset), dt), x.shape) : null;
    const dw = weight.requiresGrad
      ? make(be.matmul(raw(gv, [1, N, M], [0, 1, N], go), x2, dt), [N, K]) : null;
    const db = bias && bias.requiresGrad ? make(be.reduce('sum', raw(gv, [M, N], [N, 1], go), [0], dt), [N]) : null;
    return [dx, dw, db];
  }, [x, weight]);
}

/** y_k = x1ᵀ W_k x2 + b_k: x1 [..., in1], x2 [..., in2], weight [out, in1, in2], bias [out]. */
export function bilinear(x1: Tensor, x2: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  if (weight.ndim !== 3) throw new ShapeError(`bilinear: weight must be 3-D [out, in1, in2], got shape ${fmt(weight.shape)}`);
  const [O, I1, I2] = weight.shape;
  if (x1.shape[x1.ndim - 1] !== I1 || x2.shape[x2.ndim - 1] !== I2) {
    throw new ShapeError(`bilinear: input1 ${fmt(x1.shape)} and input2 ${fmt(x2.shape)} must end in in1 = ${I1} and in2 = ${I2} (weight ${fmt(weight.shape)})`);
  }
  if (x1.shape.slice(0, -1).join() !== x2.shape.slice(0, -1).join()) {
    throw new ShapeError(`bilinear: input1 ${fmt(x1.shape)} and input2 ${fmt(x2.shape)} must have the same leading dims`);
  }
  // t[..., o, j] = sum_i x1[..., i] W[o, i, j]; y[..., o] = sum_j t[..., o, j] x2[..., j]
  const w = reshape(permute(weight, [1, 0, 2]), [I1, O * I2]);
  const t = reshape(matmul(x1, w), [...x1.shape.slice(0, -1), O, I2]);
  const y = sum(mul(t, unsqueeze(x2, -2)), -1);
  return bias ? add(y, bias) : y;
}
