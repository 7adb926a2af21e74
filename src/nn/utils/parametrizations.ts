/**
 * @file `nn.utils.parametrizations` (PyTorch 2.6): weightNorm (original0 = g, original1 = v), spectralNorm (power
 * iteration with `_u`/`_v` buffers; eval mode reuses them) and orthogonal (matrix_exp, cayley and householder maps,
 * with or without trivialization, `base` buffer). Same modules (`_WeightNorm`, `_SpectralNorm`, `_Orthogonal`),
 * state-dict keys and numerics as PyTorch's, written with ops.
 */
import { ModuleError } from '../../core/errors.js';
import { checkChoice, checkNumber, checkOptions, checkString, optBoolean, optNumber } from '../../core/args.js';
import { noGrad } from '../../autograd/grad-mode.js';
import type { Tensor } from '../../tensor/tensor.js';
import { empty, eye, randn, zeros } from '../../ops/creation.js';
import { abs, add, clamp, div, mul, neg, sign, sub, trunc } from '../../ops/elementwise.js';
import { tril } from '../../ops/indexing.js';
import { matmul, mv, dot } from '../../ops/linalg.js';
import { geqrf, householderProduct, matrixExp, solve } from '../../ops/linalg-extra.js';
import { norm, sum } from '../../ops/reduce.js';
import { allclose } from '../../ops/compare.js';
import { copy_ } from '../../ops/inplace.js';
import { cat, clone, contiguous, expand, flatten, narrow, permute, transpose, unsqueeze } from '../../ops/movement.js';
import { Module } from '../module.js';
import { ConvTranspose1d, ConvTranspose2d } from '../modules/conv.js';
import { NotImplementedError, registerParametrization } from './parametrize.js';

const mT = (t: Tensor) => transpose(t, -1, -2);

/** PyTorch's norm_except_dim(v, 2, dim): the 2-norm over every dim but `dim` (keepdim); dim -1: of everything. */
export function normExceptDim(v: Tensor, dim: number): Tensor {
  if (dim === -1) return norm(v);
  const d = dim < 0 ? dim + v.ndim : dim;
  const dims = [...v.shape.keys()].filter((i) => i !== d);
  return dims.length ? norm(v, 2, dims, { keepdim: true }) : abs(v);
}

/** F.normalize(x, dim=0, eps): x / max(‖x‖₂, eps). */
function normalize(x: Tensor, eps: number): Tensor { return div(x, clamp(norm(x, 2, 0, { keepdim: true }), eps)); }

/** A trailing options object after an optional positional tensor name, as PyTorch's keyword arguments. */
function nameAndOpts<T extends { name?: string }>(fn: string, nameOrOpts: string | T | undefined, opts: T | undefined, known: string[]): [string, Partial<T>] {
  if (typeof nameOrOpts === 'object' && nameOrOpts !== null) {
    if (opts !== undefined) throw new ModuleError(`${fn}: pass the options once (either (module, name, options) or (module, options))`);
    opts = nameOrOpts; nameOrOpts = undefined;
  }
  const o = checkOptions<T>(fn, opts ?? {}, ['name', ...known]);
  if (nameOrOpts !== undefined && o.name !== undefined) throw new ModuleError(`${fn}: got the tensor name both as an argument and as options.name`);
  const name = nameOrOpts ?? o.name ?? 'weight';
  return [checkString(fn, 'name', name), o];
}

function tensorOf(fn: string, module: Module, name: string): Tensor {
  if (!(module instanceof Module)) throw new ModuleError(`${fn}: expected a Module, got ${String(module)}`);
  const w = (module as unknown as Record<string, unknown>)[name];
  if (!w || typeof w !== 'object' || !('shape' in w)) throw new ModuleError(`${fn}: Module '${module._getName()}' has no parameter or buffer with name '${name}'`);
  return w as Tensor;
}

// ---------------------------------------------------------------- weight norm

export class _WeightNorm extends Module {
  dim: number;
  constructor(dim: number | null = 0) { super(); this.dim = dim ?? -1; }
  forward(weightG: Tensor, weightV: Tensor): Tensor { return mul(weightV, div(weightG, normExceptDim(weightV, this.dim))); }
  rightInverse(weight: Tensor): Tensor[] { return [normExceptDim(weight, this.dim), weight]; }
}

export interface WeightNormOptions { name?: string; dim?: number | null }

/**
 * w = g · v / ‖v‖ with the norm over every dim but `dim` (default 0; null: over all, g a scalar). Registers
 * `_WeightNorm` on module[name]: keys `parametrizations.<name>.original0` (g) and `.original1` (v). Loading a state
 * dict of the old nn.utils.weightNorm (`<name>_g` / `<name>_v`) works too, as in PyTorch. Returns the module.
 */
export function weightNorm<M extends Module>(module: M, name?: string | WeightNormOptions, options?: WeightNormOptions): M {
  const fn = 'nn.utils.parametrizations.weightNorm';
  const [n, o] = nameAndOpts<WeightNormOptions>(fn, name, options, ['dim']);
  const w = tensorOf(fn, module, n);
  const dim = o.dim === undefined ? 0 : o.dim === null ? null : checkNumber(fn, 'dim', o.dim, { integer: true, min: -w.ndim, max: Math.max(0, w.ndim - 1) });
  registerParametrization(module, n, new _WeightNorm(dim), { unsafe: true });
  module.registerLoadStateDictPreHook((_m, sd, prefix) => {
    const g = `${prefix}${n}_g`, v = `${prefix}${n}_v`;
    if (sd.has(g) && sd.has(v)) {
      sd.set(`${prefix}parametrizations.${n}.original0`, sd.get(g)); sd.delete(g);
      sd.set(`${prefix}parametrizations.${n}.original1`, sd.get(v)); sd.delete(v);
    }
  });
  return module;
}

// ---------------------------------------------------------------- spectral norm

export class _SpectralNorm extends Module {
  dim: number;
  eps: number;
  nPowerIterations = 1;
  declare _u: Tensor;
  declare _v: Tensor;
  constructor(weight: Tensor, nPowerIterations = 1, dim = 0, eps = 1e-12) {
    super();
    const ndim = weight.ndim;
    if (dim >= ndim || dim < -ndim) throw new ModuleError(`spectralNorm: Dimension out of range (expected to be in range of [-${ndim}, ${ndim - 1}] but got ${dim})`);
    if (nPowerIterations <= 0) throw new ModuleError(`spectralNorm: Expected nPowerIterations to be positive, but got nPowerIterations=${nPowerIterations}`);
    this.dim = dim >= 0 ? dim : dim + ndim;
    this.eps = eps;
    if (ndim > 1) {
      this.nPowerIterations = nPowerIterations;
      const wm = this.reshapeWeightToMatrix(weight);
      const [h, w] = wm.shape;
      const u = empty([h], { dtype: wm.dtype, device: wm.device }).normal_(0, 1);
      const v = empty([w], { dtype: wm.dtype, device: wm.device }).normal_(0, 1);
      this.registerBuffer('_u', noGrad(() => normalize(u, eps)));
      this.registerBuffer('_v', noGrad(() => normalize(v, eps)));
      this.powerMethod(wm, 15);
    }
  }

  reshapeWeightToMatrix(weight: Tensor): Tensor {
    if (this.dim !== 0) weight = permute(weight, [this.dim, ...[...weight.shape.keys()].filter((d) => d !== this.dim)]);
    return flatten(weight, 1);
  }

  /** u ← normalize(W v), v ← normalize(Wᵀ u), n times, in place (no graph). */
  powerMethod(weightMat: Tensor, n: number): void {
    noGrad(() => {
      for (let i = 0; i < n; i++) {
        copy_(this._u, normalize(mv(weightMat, this._v), this.eps));
        copy_(this._v, normalize(mv(mT(weightMat), this._u), this.eps));
      }
    });
  }

  forward(weight: Tensor): Tensor {
    if (weight.ndim === 1) return normalize(weight, this.eps);
    const wm = this.reshapeWeightToMatrix(weight);
    if (this.training) this.powerMethod(wm, this.nPowerIterations);
    const u = clone(this._u), v = clone(this._v);
    const sigma = dot(u, mv(wm, v));
    return div(weight, sigma);
  }
  rightInverse(value: Tensor): Tensor { return value; }
}

export interface SpectralNormOptions { name?: string; nPowerIterations?: number; eps?: number; dim?: number | null }

/**
 * w / σ(w), σ the largest singular value estimated by power iteration (`nPowerIterations` per training-mode read;
 * eval mode reuses `_u`/`_v`). `dim` defaults to 1 for ConvTranspose, else 0. Keys
 * `parametrizations.<name>.original`, `.0._u`, `.0._v`. Returns the module.
 */
export function spectralNorm<M extends Module>(module: M, name?: string | SpectralNormOptions, options?: SpectralNormOptions): M {
  const fn = 'nn.utils.parametrizations.spectralNorm';
  const [n, o] = nameAndOpts<SpectralNormOptions>(fn, name, options, ['nPowerIterations', 'eps', 'dim']);
  const w = tensorOf(fn, module, n);
  const iters = optNumber(fn, 'nPowerIterations', o.nPowerIterations, 1, { integer: true, min: 1 });
  const eps = optNumber(fn, 'eps', o.eps, 1e-12, { min: 0 });
  const dim = o.dim === undefined || o.dim === null
    ? (module instanceof ConvTranspose1d || module instanceof ConvTranspose2d ? 1 : 0)
    : checkNumber(fn, 'dim', o.dim, { integer: true, min: -w.ndim, max: w.ndim - 1 });
  registerParametrization(module, n, new _SpectralNorm(w, iters, dim, eps));
  return module;
}

// ---------------------------------------------------------------- orthogonal

export type OrthogonalMap = 'matrix_exp' | 'cayley' | 'householder';

/** The diagonal [..., min(n, k)] of [..., n, k], as a value (no graph). */
function diag(X: Tensor): Tensor {
  const n = X.shape[X.ndim - 2], k = X.shape[X.ndim - 1];
  return noGrad(() => sum(mul(X, eye(n, k, { dtype: X.dtype, device: X.device })), -2).narrow(-1, 0, Math.min(n, k)));
}

function isOrthogonal(Q: Tensor): boolean {
  const n = Q.shape[Q.ndim - 2], k = Q.shape[Q.ndim - 1];
  const eps = 10 * n * (Q.dtype === 'float64' ? 2.220446049250313e-16 : 1.1920928955078125e-7);
  return allclose(matmul(mT(Q), Q), expand(eye(k, { dtype: Q.dtype, device: Q.device }), [...Q.shape.slice(0, -2), k, k]), { atol: eps });
}

/** Q of A = QR with diag(R) ≥ 0 (A tall). */
function makeOrthogonal(A: Tensor): Tensor {
  const { a: X, tau } = geqrf(A);
  const Q = householderProduct(X, tau);
  return mul(Q, unsqueeze(sign(diag(X)), -2));
}

export class _Orthogonal extends Module {
  shape: number[];
  orthogonalMap: OrthogonalMap;
  declare base: Tensor | null;
  constructor(weight: Tensor, orthogonalMap: OrthogonalMap, options: { useTrivialization?: boolean } = {}) {
    super();
    const o = checkOptions<{ useTrivialization: boolean }>('nn.utils.parametrizations._Orthogonal', options, ['useTrivialization']);
    checkChoice('nn.utils.parametrizations._Orthogonal', 'orthogonalMap', orthogonalMap, ['matrix_exp', 'cayley', 'householder']);
    this.shape = [...weight.shape];
    this.orthogonalMap = orthogonalMap;
    if (optBoolean('nn.utils.parametrizations._Orthogonal', 'useTrivialization', o.useTrivialization, true)) this.registerBuffer('base', null);
  }

  private get trivialized(): boolean { return this._buffers.has('base'); }

  forward(X: Tensor): Tensor {
    let n = X.shape[X.ndim - 2], k = X.shape[X.ndim - 1];
    const transposed = n < k;
    if (transposed) { X = mT(X); [n, k] = [k, n]; }
    let Q: Tensor;
    if (this.orthogonalMap === 'matrix_exp' || this.orthogonalMap === 'cayley') {
      X = tril(X);
      if (n !== k) X = cat([X, expand(zeros([n, n - k], { dtype: X.dtype, device: X.device }), [...X.shape.slice(0, -2), n, n - k])], -1);
      const A = sub(X, mT(X));
      if (this.orthogonalMap === 'matrix_exp') Q = matrixExp(A);
      else {
        const Id = eye(n, { dtype: A.dtype, device: A.device });
        const half = mul(A, 0.5);
        Q = solve(sub(Id, half), add(Id, half)); // (I - A/2)⁻¹(I + A/2), the Cayley map, as PyTorch
      }
      if (n !== k) Q = narrow(Q, -1, 0, k);
    } else {
      const A = tril(X, -1);
      const tau = div(2, add(1, sum(mul(A, A), -2)));
      Q = householderProduct(A, tau);
      Q = mul(Q, unsqueeze(trunc(diag(X)), -2)); // ±1, as PyTorch's .int(): no gradient to the diagonal
    }
    const base = this._buffers.get('base');
    if (base) Q = matmul(base, Q);
    if (transposed) Q = mT(Q);
    return Q;
  }

  rightInverse(Qin: Tensor): Tensor {
    return noGrad(() => {
      if (Qin.shape.length !== this.shape.length || Qin.shape.some((s, i) => s !== this.shape[i])) {
        throw new ModuleError(`Expected a matrix or batch of matrices of shape [${this.shape.join(', ')}]. Got a tensor of shape [${Qin.shape.join(', ')}].`);
      }
      let Q = Qin;
      let n = Q.shape[Q.ndim - 2], k = Q.shape[Q.ndim - 1];
      const transpose_ = n < k;
      if (transpose_) { Q = mT(Q); [n, k] = [k, n]; }
      if (!this.trivialized) {
        if (this.orthogonalMap !== 'householder') {
          throw new NotImplementedError('It is not possible to assign to the matrix exponential or the Cayley parametrizations when useTrivialization=false.');
        }
        const { a: A, tau } = geqrf(Q);
        const d = diag(A);
        const flip = sub(1, mul(2, tau.eq(0).to(A.dtype))); // -1 where LAPACK used no reflection
        const E = eye(n, k, { dtype: A.dtype, device: A.device });
        const out = add(mul(A, sub(1, E)), mul(unsqueeze(mul(sign(d), flip), -2), E));
        return contiguous(transpose_ ? mT(out) : out);
      }
      if (n === k) Q = isOrthogonal(Q) ? clone(Q) : makeOrthogonal(Q);
      else Q = makeOrthogonal(cat([Q, randn([...Q.shape.slice(0, -2), n, n - k], { dtype: Q.dtype, device: Q.device })], -1));
      this.base = contiguous(Q);
      return contiguous(neg(expand(eye(Qin.shape[Qin.ndim - 2], Qin.shape[Qin.ndim - 1], { dtype: Qin.dtype, device: Qin.device }), Qin.shape)));
    });
  }
}

export interface OrthogonalOptions { name?: string; orthogonalMap?: OrthogonalMap | null; useTrivialization?: boolean }

/**
 * Constrain module[name] (a matrix or batch of matrices) to be orthogonal: Q = map(original), map one of
 * 'matrix_exp' (default for square), 'cayley', 'householder' (default otherwise); with `useTrivialization`
 * (default) a `base` buffer holds the current orthogonal matrix and the original starts at -I. Keys
 * `parametrizations.<name>.original` and `.0.base`. Returns the module.
 */
export function orthogonal<M extends Module>(module: M, name?: string | OrthogonalOptions, options?: OrthogonalOptions): M {
  const fn = 'nn.utils.parametrizations.orthogonal';
  const [n, o] = nameAndOpts<OrthogonalOptions>(fn, name, options, ['orthogonalMap', 'useTrivialization']);
  const w = tensorOf(fn, module, n);
  if (w.ndim < 2) throw new ModuleError(`${fn}: Expected a matrix or batch of matrices. Got a tensor of ${w.ndim} dimensions.`);
  const map = o.orthogonalMap === undefined || o.orthogonalMap === null
    ? (w.shape[w.ndim - 2] === w.shape[w.ndim - 1] ? 'matrix_exp' : 'householder')
    : checkChoice<OrthogonalMap>(fn, 'orthogonalMap', o.orthogonalMap, ['matrix_exp', 'cayley', 'householder']);
  const useTrivialization = optBoolean(fn, 'useTrivialization', o.useTrivialization, true);
  registerParametrization(module, n, new _Orthogonal(w, map, { useTrivialization }), { unsafe: true });
  return module;
}

