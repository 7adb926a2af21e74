/**
 * @file linear and bilinear maps (torch.nn.functional.linear / bilinear).
 */
import type { Tensor } from '../../tensor/tensor.js';
import { ShapeError } from '../../core/errors.js';
import { fmt } from '../../core/shape.js';
import { add, mul } from '../../ops/elementwise.js';
import { linearAddmm } from '../../ops/linear.js';
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
  const fused = linearAddmm(x, weight, bias);
  if (fused) return fused;
  const y = matmul(x, weight.ndim === 2 ? transpose(weight, 0, 1) : weight);
  return bias ? add(y, bias) : y;
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
