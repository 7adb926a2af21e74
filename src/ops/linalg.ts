/**
 * @file Matrix products: matmul with all of PyTorch's 1-D / 2-D / batched broadcasting rules, mm, bmm, mv, dot.
 * One primitive (batched GEMM with broadcast batch dims) carries the backward; the rest reshape around it.
 * Each op is a registered definition (ops/registry.ts: `customOp`) with its method form and op-table samples.
 */
import { record } from '../autograd/node.js';
import { DTypeError, ShapeError } from '../core/errors.js';
import { broadcastShapes, fmt, numel } from '../core/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { reshape, squeeze, transpose, unsqueeze } from './movement.js';
import { be, computable, make, sameDevice } from './util.js';
import { customOp, In, sample, type OpFn } from './registry.js';

const { F, I, T, S, X, D } = In;

/** [..., M, K] @ [..., K, N] with broadcast batch dims; both at least 2-D. */
function batchedMatmul(a: Tensor, b: Tensor): Tensor {
  const M = a.shape[a.ndim - 2], K = a.shape[a.ndim - 1], K2 = b.shape[b.ndim - 2], N = b.shape[b.ndim - 1];
  if (K !== K2) {
    throw new ShapeError(`matmul: mat1 and mat2 shapes cannot be multiplied (${fmt(a.shape)} and ${fmt(b.shape)}): inner dimensions ${K} and ${K2} differ`);
  }
  const batch = broadcastShapes('matmul (batch dims)', a.shape.slice(0, -2), b.shape.slice(0, -2));
  const B = numel(batch);
  const a3 = as3d(expandRaw(a, [...batch, M, K]), B, M, K);
  const b3 = as3d(expandRaw(b, [...batch, K, N]), B, K, N);
  const out = make(be(a).matmul(a3, b3, a.dtype), [...batch, M, N]);
  return record(out, 'Mm', [a, b], (g) => [
    a.requiresGrad ? batchedMatmul(g, transpose(b, -1, -2)) : null,
    b.requiresGrad ? batchedMatmul(transpose(a, -1, -2), g) : null,
  ], [a, b]);
}

/** Expand without autograd (for the kernel call only). */
function expandRaw(t: Tensor, shape: number[]): Tensor {
  const off = shape.length - t.ndim;
  const strides = shape.map((s, i) => (i < off ? 0 : t.shape[i - off] === s ? t.strides[i - off] : 0));
  return new Tensor(t.storage, shape, strides, t.offset);
}

/** View [...batch, R, C] as [B, R, C]; copies only when the batch dims cannot share one stride. */
function as3d(t: Tensor, B: number, R: number, C: number): Tensor {
  const nb = t.ndim - 2;
  const rs = t.strides[nb], cs = t.strides[nb + 1];
  if (nb === 0) return new Tensor(t.storage, [1, R, C], [0, rs, cs], t.offset);
  // batch dims collapse if each stride = next stride * next size (or all zero)
  let ok = true;
  for (let i = 0; i < nb - 1; i++) if (t.shape[i] !== 1 && t.strides[i] !== t.strides[i + 1] * t.shape[i + 1]) ok = false;
  if (ok) {
    const bs = t.strides[nb - 1];
    return new Tensor(t.storage, [B, R, C], [bs, rs, cs], t.offset);
  }
  const c = make(be(t).contiguous(t, t.dtype), [B, R, C]);
  return c;
}

function matmulFn(a: Tensor, b: Tensor): Tensor {
  computable('matmul', a, b);
  sameDevice('matmul', a, b);
  if (a.dtype !== b.dtype) {
    throw new DTypeError(`matmul: expected both operands to have the same dtype, but got ${a.dtype} for the first (shape ${fmt(a.shape)}) and ${b.dtype} for the second (shape ${fmt(b.shape)}); cast one with .to(dtype)`);
  }
  if (a.ndim === 0 || b.ndim === 0) throw new ShapeError(`matmul: both arguments need at least 1 dimension, got shapes ${fmt(a.shape)} and ${fmt(b.shape)}`);
  if (a.ndim === 1 && b.ndim === 1) {
    if (a.shape[0] !== b.shape[0]) throw new ShapeError(`matmul (dot): 1-D tensors must have the same size, got ${a.shape[0]} and ${b.shape[0]}`);
    return reshape(batchedMatmul(unsqueeze(a, 0), unsqueeze(b, 1)), []);
  }
  if (a.ndim === 1) return squeeze(batchedMatmul(unsqueeze(a, 0), b), -2);
  if (b.ndim === 1) return squeeze(batchedMatmul(a, unsqueeze(b, 1)), -1);
  return batchedMatmul(a, b);
}

function mmFn(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 2 || b.ndim !== 2) throw new ShapeError(`mm: expected 2-D tensors, got shapes ${fmt(a.shape)} and ${fmt(b.shape)}`);
  return matmul(a, b);
}
function bmmFn(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 3 || b.ndim !== 3) throw new ShapeError(`bmm: expected 3-D tensors, got shapes ${fmt(a.shape)} and ${fmt(b.shape)}`);
  if (a.shape[0] !== b.shape[0]) throw new ShapeError(`bmm: batch sizes differ: ${fmt(a.shape)} and ${fmt(b.shape)}`);
  return matmul(a, b);
}
function mvFn(a: Tensor, v: Tensor): Tensor {
  if (a.ndim !== 2 || v.ndim !== 1) throw new ShapeError(`mv: expected a 2-D matrix and a 1-D vector, got shapes ${fmt(a.shape)} and ${fmt(v.shape)}`);
  return matmul(a, v);
}
function dotFn(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 1 || b.ndim !== 1) throw new ShapeError(`dot: expected 1-D tensors, got shapes ${fmt(a.shape)} and ${fmt(b.shape)}`);
  return matmul(a, b);
}

const INT_MATMUL_WEBGPU = { skip: 'integer matmul is not implemented on webgpu (float32 kernel only; DTypeError says cast with .float())' };
export const matmul: OpFn<typeof matmulFn, true, false> = customOp({
  name: 'matmul', fn: matmulFn, kernels: ['matmul'], backward: 'records', method: true, samples: [
    sample('1d@1d', [F(4), F(4)], 'torch.matmul(a, b)'),
    sample('2d@1d', [F(3, 4), F(4)], 'a @ b'),
    sample('1d@2d', [F(3), S(F(3, 4))], 'a @ b'),
    sample('2d@2d', [F(3, 4), F(4, 5)], 'a @ b'),
    sample('2d@2d-T', [T(F(3, 4)), T(F(4, 5))], 'a @ b'),
    sample('3d@2d', [F(2, 3, 4), F(4, 5)], 'a @ b'),
    sample('2d@3d', [F(3, 4), T(F(2, 4, 5))], 'a @ b'),
    sample('3d@1d', [F(2, 3, 4), F(4)], 'a @ b'),
    sample('1d@3d', [F(4), F(2, 4, 3)], 'a @ b'),
    sample('batch-broadcast', [F(2, 1, 3, 4), F(3, 4, 2)], 'a @ b'),
    sample('expand-batch', [X(F(2, 3, 4)), F(2, 4, 2)], 'a @ b'),
    sample('float64', [D(F(3, 4), 'float64'), D(F(4, 2), 'float64')], 'a @ b'),
    // long inner dimensions (K >= 256): the wasm kernel's k-blocks (KC = 256) with a ragged last block, transposed
    // operands and batches, against PyTorch's own float32 GEMM
    sample('K256', [F(2, 256), F(256, 3)], 'a @ b'),
    sample('K300-TT', [T(F(3, 300)), T(F(300, 2))], 'a @ b'),
    sample('K513-TN', [T(F(2, 513)), F(513, 3)], 'a @ b', undefined, { grad: false }),
    sample('int64', [I(2, 3), I(3, 2)], 'a @ b', undefined, { webgpu: INT_MATMUL_WEBGPU }),
    sample('int64-batched', [I(2, 2, 3), I(3)], 'a @ b', undefined, { webgpu: INT_MATMUL_WEBGPU }),
    sample('empty-inner', [F(2, 0), F(0, 3)], 'a @ b'),
  ],
});
export const mm: OpFn<typeof mmFn, true, false> = customOp({
  name: 'mm', fn: mmFn, backward: 'composite', method: true, samples: [sample('2d', [F(3, 4), T(F(4, 2))], 'torch.mm(a, b)')],
});
export const bmm: OpFn<typeof bmmFn, true, false> = customOp({
  name: 'bmm', fn: bmmFn, backward: 'composite', method: true, samples: [
    sample('3d', [F(2, 3, 4), F(2, 4, 5)], 'torch.bmm(a, b)'),
    sample('T', [T(F(2, 3, 4)), S(F(2, 4, 5))], 'torch.bmm(a, b)'),
    // 1024 products ~1 each: PyTorch and torchlet differ by up to 1.9e-5
    sample('K1024-NT', [F(2, 1, 1024), T(F(2, 1024, 2))], 'torch.bmm(a, b)', undefined, { grad: false, cpu: { fwd: { atol: 1e-4, rtol: 1e-5 } } }),
  ],
});
export const mv: OpFn<typeof mvFn, true, false> = customOp({ name: 'mv', fn: mvFn, backward: 'composite', method: true, samples: [] });
export const dot: OpFn<typeof dotFn, true, false> = customOp({ name: 'dot', fn: dotFn, backward: 'composite', method: true, samples: [] });

// ---- host-side float64 helpers (nn.init.orthogonal_)

/**
 * Householder QR of a row-major m×n matrix (m >= n), in float64. Returns the reduced Q (m×n, row-major) with its
 * columns multiplied by sign(diag(R)), which makes the factorisation unique (what PyTorch's orthogonal_ does).
 */
export function householderQ(a: Float64Array, m: number, n: number): Float64Array {
  const A = Float64Array.from(a);
  const vs: Float64Array[] = [];
  const rdiag = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let norm = 0;
    for (let i = k; i < m; i++) norm = Math.hypot(norm, A[i * n + k]);
    const v = new Float64Array(m - k);
    if (norm === 0) { vs.push(v); rdiag[k] = 0; continue; }
    const alpha = A[k * n + k] >= 0 ? -norm : norm; // LAPACK's choice: no cancellation in v[0]
    for (let i = k; i < m; i++) v[i - k] = A[i * n + k];
    v[0] -= alpha;
    let vv = 0;
    for (let i = 0; i < v.length; i++) vv += v[i] * v[i];
    for (let j = k; j < n; j++) {
      let s = 0;
      for (let i = k; i < m; i++) s += v[i - k] * A[i * n + j];
      const f = (2 * s) / vv;
      for (let i = k; i < m; i++) A[i * n + j] -= f * v[i - k];
    }
    rdiag[k] = alpha;
    vs.push(v);
  }
  // Q = H0 H1 ... H(n-1) applied to the first n columns of the identity.
  const Q = new Float64Array(m * n);
  for (let i = 0; i < n; i++) Q[i * n + i] = 1;
  for (let k = n - 1; k >= 0; k--) {
    const v = vs[k];
    let vv = 0;
    for (let i = 0; i < v.length; i++) vv += v[i] * v[i];
    if (vv === 0) continue;
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let i = k; i < m; i++) s += v[i - k] * Q[i * n + j];
      const f = (2 * s) / vv;
      for (let i = k; i < m; i++) Q[i * n + j] -= f * v[i - k];
    }
  }
  for (let j = 0; j < n; j++) {
    const sg = Math.sign(rdiag[j]);
    for (let i = 0; i < m; i++) Q[i * n + j] *= sg;
  }
  return Q;
}

/** Transpose of a row-major r×c float64 matrix. */
export function transposeRM(a: Float64Array, r: number, c: number): Float64Array {
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = a[i * c + j];
  return out;
}
