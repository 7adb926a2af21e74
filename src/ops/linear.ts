/**
 * @file The fused linear op (PyTorch's addmm): one autograd node for x·Wᵀ + b whose GEMMs read W transposed in
 * place. nn.functional.linear calls it and falls back to matmul + add where it answers null.
 */
import type { Tensor } from '../tensor/tensor.js';
import { isContiguous, numel } from '../core/shape.js';
import { record } from '../autograd/node.js';
import { getBackend, type View } from '../backend/backend.js';
import { make } from './util.js';
import { customOp, type OpFn } from './registry.js';

const raw = (t: { storage: View['storage']; dtype: View['dtype'] }, shape: number[], strides: number[], offset: number): View =>
  ({ storage: t.storage, dtype: t.dtype, shape, strides, offset });

function linearAddmmFn(x: Tensor, weight: Tensor, bias: Tensor | null | undefined): Tensor | null {
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
  // the bias is added as C is stored (same rounding as a separate add of the bias to the product)
  const ys = be.matmul(x2, raw(weight, [1, K, N], [0, w1, w0], weight.offset), dt, bias ? raw(bias, [N], [bias.strides[0]], bias.offset) : undefined);
  const out = make(ys, [...lead, N]);
  return record(out, bias ? 'Addmm' : 'Mm', [x, weight, bias ?? null], (g) => {
    const gs = isContiguous(g.shape, g.strides) ? g.storage : be.contiguous(g, dt);
    const go = gs === g.storage ? g.offset : 0;
    const gv = { storage: gs, dtype: dt };
    const dx = x.requiresGrad
      ? make(be.matmul(raw(gv, [1, M, N], [0, N, 1], go), raw(weight, [1, N, K], [0, w0, w1], weight.offset), dt), x.shape) : null;
    const wantDb = !!bias && bias.requiresGrad;
    // dW and db from one staging of g (float32: the CPU reduce's float64 order; M, N > 1: the same branch of it)
    if (weight.requiresGrad && wantDb && dt === 'float32' && M > 1 && N > 1 && be.matmulRowSums) {
      const [dwS, dbS] = be.matmulRowSums(raw(gv, [1, N, M], [0, 1, N], go), x2, dt);
      return [dx, make(dwS, [N, K]), make(dbS, [N])];
    }
    const dw = weight.requiresGrad
      ? make(be.matmul(raw(gv, [1, N, M], [0, 1, N], go), x2, dt), [N, K]) : null;
    const db = wantDb ? make(be.reduce('sum', raw(gv, [M, N], [N, 1], go), [0], dt), [N]) : null;
    return [dx, dw, db];
  }, [x, weight]);
}
/**
 * linear on the CPU as one node (PyTorch's addmm): y = x·Wᵀ (+ b) with the GEMM reading W transposed in place, and
 * a backward that produces each gradient in its final layout: dx = g·W, dW = gᵀ·x (no transposed copy of
 * (xᵀ·g)), db = g summed over rows. Same values as matmul(x, Wᵀ) + b up to float summation order inside GEMM.
 * Null where the generic path applies (other devices or dtypes, 1-D weight, mismatched dtypes: it raises the errors).
 */
export const linearAddmm: OpFn<typeof linearAddmmFn, false, false> = customOp({
  name: 'linearAddmm', fn: linearAddmmFn, method: false, kernels: ['contiguous', 'matmul', 'matmulRowSums', 'reduce'], backward: 'records', samples: [],
});
