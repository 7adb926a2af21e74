/**
 * @file The linear algebra the parametrizations need (torch.linalg.*): matrixExp, solve, householderProduct, and
 * the QR pieces geqrf / qr. matrixExp and householderProduct are written with other ops (so they run on every
 * device that has matmul); solve and geqrf factorize on the CPU in float64 (LU with partial pivoting; LAPACK's
 * dgeqr2 Householder conventions) from a synchronous read, and return the input's dtype and device.
 * Backwards: matrixExp by the block-matrix identity (PyTorch's); solve by gB = solve(Aᵀ, g), gA = -gB Xᵀ;
 * householderProduct through its composite (compact WY form, or reflector by reflector when a τ is 0); geqrf and qr have none (as PyTorch's geqrf).
 * Registered definitions (ops/registry.ts: `customOp`, `method: false`: torch.linalg.* functions have no Tensor
 * method); their values are checked against PyTorch by test/parametrize/linalg-extra.test.ts (no op-table samples).
 */
import { record } from '../autograd/node.js';
import { noGrad } from '../autograd/grad-mode.js';
import { checkTensor } from '../core/args.js';
import { DTypeError, ShapeError } from '../core/errors.js';
import { isFloating } from '../core/dtype.js';
import { broadcastShapes, fmt, numel } from '../core/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { eye, tensor, zeros } from './creation.js';
import { add, div, mul, neg, reciprocal, sub } from './elementwise.js';
import { tril, triu } from './indexing.js';
import { matmul } from './linalg.js';
import { amax, sum } from './reduce.js';
import { abs } from './elementwise.js';
import { cat, contiguous, expand, narrow, reshape, transpose, unsqueeze } from './movement.js';
import { customOp, type OpFn } from './registry.js';

function floatInput(op: string, name: string, t: unknown, minDim: number): Tensor {
  checkTensor(op, name, t);
  const x = t as Tensor;
  if (!isFloating(x.dtype)) throw new DTypeError(`${op}: ${name} must be a floating point tensor, got ${x.dtype}; cast it with .double() or .float()`);
  if (x.ndim < minDim) throw new ShapeError(`${op}: ${name} must have at least ${minDim} dimensions, got shape ${fmt(x.shape)}`);
  return x;
}

function square(op: string, a: Tensor): number {
  const n = a.shape[a.ndim - 1];
  if (a.shape[a.ndim - 2] !== n) throw new ShapeError(`${op}: A must be a batch of square matrices, got shape ${fmt(a.shape)}`);
  return n;
}

const mT = (t: Tensor) => transpose(t, -1, -2);

// ---------------------------------------------------------------- matrixExp

/** Smallest Taylor degree m with θ^(m+1)/(m+1)! below the dtype's rounding (θ ≤ 1 after scaling). */
function taylorDegree(theta: number, dtype: string): number {
  const eps = dtype === 'float64' ? 1.1e-16 : dtype === 'float32' ? 6e-8 : 5e-4;
  let term = theta, m = 0;
  while (m < 30) { m++; term *= theta / (m + 1); if (term < eps / 4) break; }
  return m;
}

/**
 * exp(A) = Σ Aᵏ/k! for square matrices [..., n, n]: scaling and squaring (‖A/2ˢ‖₁ ≤ 1, the largest 1-norm of the
 * batch) around the shortest Taylor polynomial accurate to the dtype's rounding, evaluated by Horner's rule.
 */
function matrixExpFn(a: Tensor): Tensor {
  const A = floatInput('matrixExp', 'A', a, 2);
  const n = square('matrixExp', A);
  const out = noGrad(() => {
    if (n === 0 || A.numel() === 0) return contiguous(A);
    const norm1 = amax(sum(abs(A), -2)).item();
    const s = norm1 > 1 ? Math.ceil(Math.log2(norm1)) : 0;
    const As = s ? div(A, 2 ** s) : A;
    const I = expand(eye(n, { dtype: A.dtype, device: A.device }), A.shape);
    let P: Tensor = I;
    for (let k = taylorDegree(norm1 / 2 ** s, A.dtype); k >= 1; k--) P = add(I, div(matmul(As, P), k)); // I + A/k (I + ...)
    for (let i = 0; i < s; i++) P = matmul(P, P);
    return contiguous(P);
  });
  return record(out, 'MatrixExp', [A], (g) => [matrixExpBackward(A, g)], [A]);
}

/** d/dA <G, exp(A)> = the upper-right block of exp([[Aᵀ, G], [0, Aᵀ]]). */
function matrixExpBackward(A: Tensor, g: Tensor): Tensor {
  const n = A.shape[A.ndim - 1];
  const At = mT(A);
  const top = cat([At, g], -1);
  const bottom = cat([zeros([...A.shape], { dtype: A.dtype, device: A.device }), At], -1);
  const big = matrixExp(cat([top, bottom], -2));
  return narrow(narrow(big, -2, 0, n), -1, n, n);
}

// ---------------------------------------------------------------- solve

/** Per batch member, X with A X = B (LU with partial pivoting, float64). Throws on a singular matrix. */
function luSolve(a: Float64Array, b: Float64Array, batch: number, n: number, k: number): Float64Array {
  const x = new Float64Array(batch * n * k);
  const lu = new Float64Array(n * n);
  const rhs = new Float64Array(n * k);
  for (let bi = 0; bi < batch; bi++) {
    lu.set(a.subarray(bi * n * n, (bi + 1) * n * n));
    rhs.set(b.subarray(bi * n * k, (bi + 1) * n * k));
    for (let c = 0; c < n; c++) {
      let p = c;
      for (let r = c + 1; r < n; r++) if (Math.abs(lu[r * n + c]) > Math.abs(lu[p * n + c])) p = r;
      if (lu[p * n + c] === 0) {
        throw new ShapeError(`linalg.solve: The solver failed because the input matrix is singular (batch element ${bi}: ` +
          `U[${c + 1},${c + 1}] is zero after pivoting); check A, or use a least-squares formulation`);
      }
      if (p !== c) {
        for (let j = 0; j < n; j++) { const t = lu[c * n + j]; lu[c * n + j] = lu[p * n + j]; lu[p * n + j] = t; }
        for (let j = 0; j < k; j++) { const t = rhs[c * k + j]; rhs[c * k + j] = rhs[p * k + j]; rhs[p * k + j] = t; }
      }
      const piv = lu[c * n + c];
      for (let r = c + 1; r < n; r++) {
        const f = lu[r * n + c] / piv;
        if (f === 0) continue;
        for (let j = c; j < n; j++) lu[r * n + j] -= f * lu[c * n + j];
        for (let j = 0; j < k; j++) rhs[r * k + j] -= f * rhs[c * k + j];
      }
    }
    for (let r = n - 1; r >= 0; r--) {
      for (let j = 0; j < k; j++) {
        let s = rhs[r * k + j];
        for (let c = r + 1; c < n; c++) s -= lu[r * n + c] * x[bi * n * k + c * k + j];
        x[bi * n * k + r * k + j] = s / lu[r * n + r];
      }
    }
  }
  return x;
}

function readF64(t: Tensor): Float64Array { return Float64Array.from(contiguous(t).dataSync() as ArrayLike<number>); }

/**
 * torch.linalg.solve(A, B): X with A X = B, for A [..., n, n] and B [..., n, k] (batch dims broadcast) or B [n]
 * / [..., n] when it has one dimension fewer than A (a batch of vectors). Differentiable in A and B.
 */
function solveFn(a: Tensor, b: Tensor): Tensor {
  const A = floatInput('linalg.solve', 'A', a, 2);
  const B = floatInput('linalg.solve', 'B', b, 1);
  if (A.dtype !== B.dtype) throw new DTypeError(`linalg.solve: A and B must have the same dtype, got ${A.dtype} and ${B.dtype}; cast one with .to(dtype)`);
  if (A.device !== B.device) throw new ShapeError(`linalg.solve: A is on ${A.device} and B on ${B.device}; move one with .to(device)`);
  const n = square('linalg.solve', A);
  const vector = B.ndim === 1 || (B.ndim === A.ndim - 1 && B.shape[B.ndim - 1] === n);
  const Bm = vector ? unsqueeze(B, -1) : B;
  if (Bm.shape[Bm.ndim - 2] !== n) {
    throw new ShapeError(`linalg.solve: Incompatible shapes of A and B for the equation AX = B (${fmt(A.shape)} and ${fmt(B.shape)}): B needs ${n} rows`);
  }
  const k = Bm.shape[Bm.ndim - 1];
  const batch = broadcastShapes('linalg.solve (batch dims)', A.shape.slice(0, -2), Bm.shape.slice(0, -2));
  const out = noGrad(() => {
    const Ae = expand(A, [...batch, n, n]), Be = expand(Bm, [...batch, n, k]);
    const x = luSolve(readF64(Ae), readF64(Be), numel(batch), n, k);
    return tensor(x, { dtype: A.dtype, device: A.device }).reshape([...batch, n, k]);
  });
  const X = record(out, 'LinalgSolve', [A, Bm], (g) => {
    const gB = solve(mT(A), g);
    return [A.requiresGrad ? neg(matmul(gB, mT(X))) : null, Bm.requiresGrad ? gB : null];
  }, [A]);
  return vector ? reshape(X, X.shape.slice(0, -1)) : X;
}

// ---------------------------------------------------------------- Householder

/**
 * torch.linalg.householder_product(A, tau): the first n columns of H₁…H_k, Hᵢ = I - τᵢ vᵢvᵢᵀ, where vᵢ is column
 * i of A [..., m, n] below the diagonal with a 1 on it; tau [..., k], k ≤ n ≤ m. Differentiable in A and tau.
 */
function householderProductFn(a: Tensor, tau: Tensor): Tensor {
  const A = floatInput('linalg.householderProduct', 'A', a, 2);
  const T = floatInput('linalg.householderProduct', 'tau', tau, 1);
  const m = A.shape[A.ndim - 2], n = A.shape[A.ndim - 1], k = T.shape[T.ndim - 1];
  if (n > m) throw new ShapeError(`linalg.householderProduct: A must have at least as many rows as columns, got shape ${fmt(A.shape)}`);
  if (k > n) throw new ShapeError(`linalg.householderProduct: tau must have at most ${n} (A's columns) elements in its last dimension, got shape ${fmt(T.shape)}`);
  if (T.ndim !== A.ndim - 1 || T.shape.slice(0, -1).some((s, i) => s !== A.shape[i])) {
    throw new ShapeError(`linalg.householderProduct: tau's batch dimensions must equal A's: A ${fmt(A.shape)}, tau ${fmt(T.shape)}`);
  }
  if (A.dtype !== T.dtype) throw new DTypeError(`linalg.householderProduct: A and tau must have the same dtype, got ${A.dtype} and ${T.dtype}`);
  const I = eye(m, n, { dtype: A.dtype, device: A.device });
  const V = add(tril(A, -1), I);
  if (k > 0 && !noGrad(() => T.eq(0).any().item())) {
    // compact WY form: H₁…H_k = I - V T Vᵀ with T⁻¹ = striu(VᵀV) + diag(1/τ) (Joffrain et al., 2006): a few
    // large ops instead of k small ones (each τᵢ ≠ 0 here)
    const Vk = narrow(V, -1, 0, k);
    const Tinv = add(triu(matmul(mT(Vk), Vk), 1), mul(unsqueeze(reciprocal(T), -2), eye(k, { dtype: A.dtype, device: A.device })));
    return sub(I, matmul(Vk, solve(Tinv, mT(narrow(Vk, -2, 0, n)))));
  }
  let Q: Tensor = expand(I, A.shape);
  for (let i = k - 1; i >= 0; i--) {
    const v = narrow(V, -1, i, 1);
    const t = unsqueeze(narrow(T, -1, i, 1), -1);
    Q = sub(Q, mul(t, matmul(v, matmul(mT(v), Q))));
  }
  return Q;
}

/** LAPACK dgeqr2 in float64 on one [m, n] row-major matrix, in place; returns tau (min(m, n)). */
function geqr2(a: Float64Array, off: number, m: number, n: number, tau: Float64Array, toff: number): void {
  const at = (r: number, c: number) => off + r * n + c;
  for (let i = 0; i < Math.min(m, n); i++) {
    const alpha = a[at(i, i)];
    let xnorm = 0;
    for (let r = i + 1; r < m; r++) xnorm = Math.hypot(xnorm, a[at(r, i)]);
    if (xnorm === 0) { tau[toff + i] = 0; continue; } // dlarfg: H = I
    const beta = -(alpha >= 0 ? 1 : -1) * Math.hypot(alpha, xnorm);
    const t = (beta - alpha) / beta;
    const scale = 1 / (alpha - beta);
    for (let r = i + 1; r < m; r++) a[at(r, i)] *= scale;
    a[at(i, i)] = beta;
    tau[toff + i] = t;
    for (let c = i + 1; c < n; c++) { // A[i:, c] -= t v (vᵀ A[i:, c])
      let w = a[at(i, c)];
      for (let r = i + 1; r < m; r++) w += a[at(r, i)] * a[at(r, c)];
      w *= t;
      a[at(i, c)] -= w;
      for (let r = i + 1; r < m; r++) a[at(r, c)] -= w * a[at(r, i)];
    }
  }
}

/**
 * torch.geqrf(A): the QR factorization in LAPACK's compact form, `{ a, tau }` (R on and above the diagonal of
 * `a`, the Householder vectors below it). Not differentiable, as PyTorch's.
 */
function geqrfFn(a: Tensor): { a: Tensor; tau: Tensor } {
  const A = floatInput('geqrf', 'A', a, 2);
  const m = A.shape[A.ndim - 2], n = A.shape[A.ndim - 1], k = Math.min(m, n);
  const batch = A.shape.slice(0, -2), B = numel(batch);
  const data = noGrad(() => readF64(A));
  const tau = new Float64Array(B * k);
  for (let b = 0; b < B; b++) geqr2(data, b * m * n, m, n, tau, b * k);
  return {
    a: tensor(data, { dtype: A.dtype, device: A.device }).reshape([...A.shape]),
    tau: tensor(tau, { dtype: A.dtype, device: A.device }).reshape([...batch, k]),
  };
}

/**
 * torch.linalg.qr(A, { mode: 'reduced' }): `{ Q, R }` with A = QR, Q [..., m, k] with orthonormal columns and R
 * [..., k, n] upper triangular (k = min(m, n)), in LAPACK's signs (as PyTorch's). Not differentiable here.
 */
function qrFn(a: Tensor): { Q: Tensor; R: Tensor } {
  const A = floatInput('linalg.qr', 'A', a, 2);
  const m = A.shape[A.ndim - 2], n = A.shape[A.ndim - 1], k = Math.min(m, n);
  return noGrad(() => {
    const f = geqrf(A);
    const Q = householderProduct(narrow(f.a, -1, 0, k), f.tau);
    const R = sub(narrow(f.a, -2, 0, k), tril(narrow(f.a, -2, 0, k), -1));
    return { Q: contiguous(Q), R: contiguous(R) };
  });
}

export const matrixExp: OpFn<typeof matrixExpFn, false, false> = customOp({ name: 'matrixExp', fn: matrixExpFn, backward: 'records', method: false, samples: [] });
export const solve: OpFn<typeof solveFn, false, false> = customOp({ name: 'solve', fn: solveFn, backward: 'records', method: false, samples: [] });
export const householderProduct: OpFn<typeof householderProductFn, false, false> = customOp({
  name: 'householderProduct', fn: householderProductFn, backward: 'composite', method: false, samples: [],
});
export const geqrf: OpFn<typeof geqrfFn, false, false> = customOp({
  name: 'geqrf', fn: geqrfFn, nonDifferentiable: "a LAPACK factorization read on the host (as PyTorch's geqrf)", method: false, samples: [],
});
export const qr: OpFn<typeof qrFn, false, false> = customOp({
  name: 'qr', fn: qrFn, nonDifferentiable: 'computed without autograd from geqrf (a documented limitation: PyTorch differentiates it)', method: false, samples: [],
});
