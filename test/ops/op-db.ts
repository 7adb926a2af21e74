/**
 * @file The op table: one entry per sample of an op, shared by the gradient check (gradcheck.test.ts), the
 * PyTorch fixture comparison (pytorch.test.ts) and the fixture generator (scripts/fixtures/ops.py, which reads
 * the table through export-op-db.ts). Each sample names its inputs (shape, dtype, value kind, layout), the
 * torchlet call (`ts`) and the same call in PyTorch (`py`, a Python expression over inputs a, b, c, d).
 *
 * Layouts make inputs non-contiguous: 'T' = transpose of the last two dims of a base tensor, 'step' = every
 * other element of a base twice as long in the last dim, 'expand' = a base with size 1 in dim 0 expanded.
 * Gradients are taken with respect to the base tensors (so view backward is exercised too).
 */
import * as torch from '../helpers/torch.js';
import { scaledDotProductAttention as sdpa } from '../../src/nn/functional/sdpa.js';
import type { Tensor, DType } from '../helpers/torch.js';
import type { OpOut, Tol } from '../helpers/index.js';
import { hardsigmoid, hardswish } from '../../src/nn/functional/activation.js';
import { adaptiveAvgPool2d } from '../../src/ops/pool.js';
import { OPS } from '../../src/ops/registry.js';

export type Kind = 'randn' | 'pos' | 'unit' | 'int' | 'bool';
export type Layout = 'T' | 'step' | 'expand';

export interface InputSpec {
  shape: number[];
  dtype?: DType;
  kind?: Kind;
  /** Fixed values (row-major, of the final shape; only with no layout). */
  values?: number[];
  layout?: Layout;
}

export interface OpSample {
  id: string;
  op: string;
  inputs: InputSpec[];
  ts: (...xs: Tensor[]) => OpOut;
  py: string;
  /** Differentiable with respect to its float inputs (default: true when any input is float). */
  grad?: boolean;
  /** Run the float64 gradient check (default: grad). Off where the op is not differentiable at the sample (ties). */
  gradcheck?: boolean;
  /**
   * The same sample on webgpu (pytorch.test.ts): `skip` gives the reason the device refuses it (a documented
   * limitation; the suite then asserts an error naming the device instead of values), or looser tolerances than
   * the suite's webgpu defaults. float64 samples are refused there too (no 64-bit floats in WGSL).
   */
  webgpu?: { skip?: string; fwd?: Tol; grad?: Tol };
  /** CPU tolerances where the suite's float32 defaults do not fit (long sums: about 10x the error reached). */
  cpu?: { fwd?: Tol; grad?: Tol };
}

// ---------------- input shorthands ----------------
const F = (...shape: number[]): InputSpec => ({ shape });
const P = (...shape: number[]): InputSpec => ({ shape, kind: 'pos' });
const I = (...shape: number[]): InputSpec => ({ shape, kind: 'int', dtype: 'int64' });
const B = (...shape: number[]): InputSpec => ({ shape, kind: 'bool', dtype: 'bool' });
const T = (s: InputSpec): InputSpec => ({ ...s, layout: 'T' });
const S = (s: InputSpec): InputSpec => ({ ...s, layout: 'step' });
const X = (s: InputSpec): InputSpec => ({ ...s, layout: 'expand' });
const V = (shape: number[], values: number[], dtype: DType = 'int64'): InputSpec => ({ shape, values, dtype });
const D = (s: InputSpec, dtype: DType): InputSpec => ({ ...s, dtype });

/** Base shape of an input before its layout is applied. */
export function baseShape(s: InputSpec): number[] {
  const sh = [...s.shape];
  if (s.layout === 'T') { const n = sh.length; [sh[n - 2], sh[n - 1]] = [sh[n - 1], sh[n - 2]]; }
  if (s.layout === 'step') sh[sh.length - 1] *= 2;
  if (s.layout === 'expand') sh[0] = 1;
  return sh;
}

/** The input seen by the op: a (non-contiguous) view of the base. */
export function applyLayout(base: Tensor, s: InputSpec): Tensor {
  if (s.layout === 'T') return base.transpose(-1, -2);
  if (s.layout === 'step') return base.slice(-1, 0, null, 2);
  if (s.layout === 'expand') return base.expand(s.shape);
  return base;
}

export const samples: OpSample[] = [];
const row = (op: string, id: string, inputs: InputSpec[], ts: OpSample['ts'], py: string, extra: Partial<OpSample> = {}) => {
  samples.push({ op, id: `${op}/${id}`, inputs, ts, py, ...extra });
};

// ---------------- the registered ops (src/ops/registry.ts): each definition carries its rows ----------------
for (const op of OPS) {
  for (const smp of op.samples) {
    const { id, inputs, py, call, op: name, ...extra } = smp;
    const fn = (call ?? op.fn) as OpSample['ts'];
    row(name ?? op.name, id, inputs, fn, py, extra);
  }
}

// ---------------- reductions ----------------
row('sum', 'all', [F(3, 4)], (a) => a.sum(), 'a.sum()');
row('sum', 'dim', [F(2, 3, 4)], (a) => a.sum(1), 'a.sum(1)');
row('sum', 'dims-keepdim', [T(F(2, 3, 4))], (a) => a.sum([0, 2], { keepdim: true }), 'a.sum([0, 2], keepdim=True)');
row('sum', 'neg-dim', [S(F(2, 3, 4))], (a) => a.sum(-1), 'a.sum(-1)');
row('sum', 'int', [I(3, 4)], (a) => a.sum(0), 'a.sum(0)');
row('sum', 'bool', [B(3, 4)], (a) => a.sum(), 'a.sum()');
row('mean', 'all', [F(3, 4)], (a) => a.mean(), 'a.mean()');
row('mean', 'dims', [X(F(2, 3, 4))], (a) => a.mean([0, 2]), 'a.mean([0, 2])');
row('mean', 'keepdim', [T(F(3, 4))], (a) => torch.mean(a, -1, { keepdim: true }), 'a.mean(-1, keepdim=True)');
row('prod', 'all', [P(3, 4)], (a) => a.prod(), 'a.prod()');
row('prod', 'dim-keepdim', [F(2, 3, 4)], (a) => a.prod(1, { keepdim: true }), 'a.prod(1, keepdim=True)');
row('prod', 'T', [T(F(3, 4))], (a) => a.prod(0), 'a.prod(0)');
row('prod', 'one-zero', [V([2, 3], [1.5, 0, 2, -1, 0.5, 3], 'float32')], (a) => a.prod(1), 'a.prod(1)');
row('prod', 'two-zeros', [V([2, 3], [0, 0, 2, -1, 0.5, 0], 'float32')], (a) => a.prod(1), 'a.prod(1)', { gradcheck: false });
row('prod', 'all-one-zero', [V([2, 3], [1.5, 0.5, 2, -1, 0, 3], 'float32')], (a) => a.prod(), 'a.prod()');
row('prod', 'int', [I(3, 4)], (a) => a.prod(1), 'a.prod(1)');
row('max', 'all', [F(3, 4)], (a) => a.max(), 'a.max()');
row('max', 'dim', [F(2, 3, 4)], (a) => a.max(1), 'a.max(1)');
row('max', 'dim-keepdim', [T(F(3, 4))], (a) => a.max(-1, { keepdim: true }), 'a.max(-1, keepdim=True)');
row('max', 'ties', [V([2, 3], [1, 3, 3, 2, 2, 0], 'float32')], (a) => a.max(), 'a.max()', { gradcheck: false });
row('min', 'all', [S(F(3, 4))], (a) => a.min(), 'a.min()');
row('min', 'dim', [F(2, 3, 4)], (a) => a.min(0), 'a.min(0)');
row('min', 'dim-keepdim', [X(F(3, 4))], (a) => a.min(1, { keepdim: true }), 'a.min(1, keepdim=True)', { gradcheck: false });
row('amax', 'dims', [F(2, 3, 4)], (a) => a.amax([0, 2]), 'a.amax([0, 2])');
row('amax', 'keepdim', [T(F(3, 4))], (a) => torch.amax(a, -1, { keepdim: true }), 'a.amax(-1, keepdim=True)');
row('amax', 'ties', [V([2, 3], [1, 3, 3, 2, 2, 0], 'float32')], (a) => a.amax(1), 'a.amax(1)', { gradcheck: false });
row('amin', 'dims', [S(F(2, 3, 4))], (a) => a.amin([1, 2]), 'a.amin([1, 2])');
row('amin', 'all', [F(3, 4)], (a) => torch.amin(a), 'torch.amin(a)');
row('argmax', 'all', [F(3, 4)], (a) => a.argmax(), 'a.argmax()');
row('argmax', 'dim', [T(F(2, 3, 4))], (a) => a.argmax(1), 'a.argmax(1)');
row('argmax', 'keepdim', [F(3, 4)], (a) => a.argmax(-1, { keepdim: true }), 'a.argmax(-1, keepdim=True)');
row('argmax', 'ties', [V([2, 3], [1, 3, 3, 2, 2, 0], 'float32')], (a) => a.argmax(1), 'a.argmax(1)');
row('argmin', 'all', [S(F(3, 4))], (a) => a.argmin(), 'a.argmin()');
row('argmin', 'dim', [F(2, 3, 4)], (a) => a.argmin(0), 'a.argmin(0)');
row('argmin', 'int', [I(3, 4)], (a) => a.argmin(1), 'a.argmin(1)');
row('var', 'all', [F(3, 4)], (a) => a.var(), 'a.var()');
row('var', 'dim', [F(2, 3, 4)], (a) => a.var(1), 'a.var(1)');
row('var', 'dims-correction0', [T(F(2, 3, 4))], (a) => a.var([0, 2], { correction: 0, keepdim: true }), 'torch.var(a, dim=[0, 2], correction=0, keepdim=True)');
row('var', 'unbiased-false', [F(3, 4)], (a) => a.var(0, { unbiased: false }), 'a.var(0, unbiased=False)');
row('std', 'all', [S(F(3, 4))], (a) => a.std(), 'a.std()');
row('std', 'correction2', [F(2, 3, 4)], (a) => a.std(1, { correction: 2 }), 'torch.std(a, 1, correction=2)');
row('std', 'dims-keepdim', [F(2, 3, 4)], (a) => torch.std(a, [0, 1], { keepdim: true }), 'torch.std(a, [0, 1], keepdim=True)');
row('logsumexp', 'dim', [F(3, 4)], (a) => a.logsumexp(1), 'a.logsumexp(1)');
row('logsumexp', 'dims-keepdim', [T(F(2, 3, 4))], (a) => a.logsumexp([0, 2], { keepdim: true }), 'torch.logsumexp(a, [0, 2], keepdim=True)');
row('logsumexp', 'large', [V([2, 2], [1000, 1001, -1000, -1002], 'float32')], (a) => a.logsumexp(1), 'a.logsumexp(1)');
row('norm', 'all', [F(3, 4)], (a) => a.norm(), 'a.norm()');
row('norm', 'p1-dim', [F(2, 3, 4)], (a) => a.norm(1, 1), 'torch.norm(a, p=1, dim=1)');
row('norm', 'inf', [S(F(3, 4))], (a) => a.norm(Infinity, 1), "torch.norm(a, p=float('inf'), dim=1)");
row('norm', 'p3-dims-keepdim', [T(F(2, 3, 4))], (a) => a.norm(3, [0, 2], { keepdim: true }), 'torch.norm(a, p=3, dim=[0, 2], keepdim=True)');
row('norm', 'fro', [F(3, 4)], (a) => torch.norm(a, 'fro'), "torch.norm(a, p='fro')");
row('all', 'all', [B(3, 4)], (a) => a.all(), 'a.all()');
row('all', 'dim', [B(3, 4)], (a) => a.all(1), 'a.all(1)');
row('all', 'float-keepdim', [V([2, 3], [1, 0, 2, 1, 1, -1], 'float32')], (a) => a.all(1, { keepdim: true }), 'a.all(1, keepdim=True)');
row('any', 'all', [B(3, 4)], (a) => a.any(), 'a.any()');
row('any', 'dim', [T(B(3, 4))], (a) => a.any(0), 'a.any(0)');
row('any', 'int', [V([2, 3], [0, 0, 0, 0, 3, 0])], (a) => a.any(1), 'a.any(1)');

row('softmax', 'last', [F(3, 4)], (a) => a.softmax(-1), 'torch.softmax(a, -1)');
row('softmax', 'dim0-T', [T(F(2, 3, 4))], (a) => torch.softmax(a, 0), 'torch.softmax(a, 0)');
row('softmax', 'large', [V([2, 2], [1000, 1001, -1000, -1002], 'float32')], (a) => a.softmax(1), 'torch.softmax(a, 1)');
row('logSoftmax', 'last', [F(3, 4)], (a) => a.logSoftmax(-1), 'torch.log_softmax(a, -1)');
row('logSoftmax', 'dim1-step', [S(F(2, 3, 4))], (a) => torch.logSoftmax(a, 1), 'torch.log_softmax(a, 1)');
row('cumsum', 'dim1', [F(3, 4)], (a) => a.cumsum(1), 'a.cumsum(1)');
row('cumsum', 'dim0-step', [S(F(3, 4))], (a) => torch.cumsum(a, 0), 'torch.cumsum(a, 0)');
row('cumsum', 'T-3d', [T(F(2, 3, 4))], (a) => a.cumsum(-2), 'a.cumsum(-2)');
row('cumsum', 'int', [I(3, 4)], (a) => a.cumsum(0), 'a.cumsum(0)');
row('sort', 'last', [F(3, 4)], (a) => a.sort(), 'torch.sort(a)');
row('sort', 'desc-dim0', [T(F(3, 4))], (a) => torch.sort(a, 0, { descending: true }), 'torch.sort(a, 0, descending=True)');
row('sort', 'stable-ties', [V([6], [2, 1, 2, 0, 1, 2], 'float32')], (a) => torch.sort(a), 'torch.sort(a, stable=True)', { gradcheck: false });
row('topk', 'k2', [F(3, 5)], (a) => a.topk(2), 'torch.topk(a, 2)');
row('topk', 'smallest-dim0', [S(F(4, 3))], (a) => torch.topk(a, 3, 0, { largest: false }), 'torch.topk(a, 3, 0, largest=False)');

// ---------------- matmul ----------------
row('matmul', '1d@1d', [F(4), F(4)], (a, b) => torch.matmul(a, b), 'torch.matmul(a, b)');
row('matmul', '2d@1d', [F(3, 4), F(4)], (a, b) => a.matmul(b), 'a @ b');
row('matmul', '1d@2d', [F(3), S(F(3, 4))], (a, b) => a.matmul(b), 'a @ b');
row('matmul', '2d@2d', [F(3, 4), F(4, 5)], (a, b) => a.matmul(b), 'a @ b');
row('matmul', '2d@2d-T', [T(F(3, 4)), T(F(4, 5))], (a, b) => a.matmul(b), 'a @ b');
row('matmul', '3d@2d', [F(2, 3, 4), F(4, 5)], (a, b) => a.matmul(b), 'a @ b');
row('matmul', '2d@3d', [F(3, 4), T(F(2, 4, 5))], (a, b) => a.matmul(b), 'a @ b');
row('matmul', '3d@1d', [F(2, 3, 4), F(4)], (a, b) => a.matmul(b), 'a @ b');
row('matmul', '1d@3d', [F(4), F(2, 4, 3)], (a, b) => a.matmul(b), 'a @ b');
row('matmul', 'batch-broadcast', [F(2, 1, 3, 4), F(3, 4, 2)], (a, b) => a.matmul(b), 'a @ b');
row('matmul', 'expand-batch', [X(F(2, 3, 4)), F(2, 4, 2)], (a, b) => a.matmul(b), 'a @ b');
row('matmul', 'float64', [D(F(3, 4), 'float64'), D(F(4, 2), 'float64')], (a, b) => a.matmul(b), 'a @ b');
row('mm', '2d', [F(3, 4), T(F(4, 2))], (a, b) => torch.mm(a, b), 'torch.mm(a, b)');
row('bmm', '3d', [F(2, 3, 4), F(2, 4, 5)], (a, b) => torch.bmm(a, b), 'torch.bmm(a, b)');
row('bmm', 'T', [T(F(2, 3, 4)), S(F(2, 4, 5))], (a, b) => a.bmm(b), 'torch.bmm(a, b)');
// Long inner dimensions (K >= 256): the wasm kernel's k-blocks (KC = 256) with a ragged last block, transposed
// operands and batches, against PyTorch's own float32 GEMM.
row('matmul', 'K256', [F(2, 256), F(256, 3)], (a, b) => a.matmul(b), 'a @ b');
row('matmul', 'K300-TT', [T(F(3, 300)), T(F(300, 2))], (a, b) => a.matmul(b), 'a @ b');
row('matmul', 'K513-TN', [T(F(2, 513)), F(513, 3)], (a, b) => a.matmul(b), 'a @ b', { grad: false });
row('bmm', 'K1024-NT', [F(2, 1, 1024), T(F(2, 1024, 2))], (a, b) => torch.bmm(a, b), 'torch.bmm(a, b)',
  { grad: false, cpu: { fwd: { atol: 1e-4, rtol: 1e-5 } } }); // 1024 products ~1 each: PyTorch and torchlet differ by up to 1.9e-5

// ---------------- composite (several ops, fan-out) ----------------
row('composite', 'mlp', [F(3, 4), F(5, 4), F(5)], (x, w, b) => x.matmul(w.t()).add(b).tanh().mul(x.sum(1, { keepdim: true })).softmax(-1),
  'torch.softmax(torch.tanh(a @ b.t() + c) * a.sum(1, keepdim=True), -1)');

// ---------------- attention (PyTorch 2's F.scaled_dot_product_attention; `sdpa` in scripts/fixtures/ops.py) ----------------
row('scaledDotProductAttention', 'plain', [F(2, 3, 4), F(2, 5, 4), F(2, 5, 3)], (q, k, v) => sdpa(q, k, v), 'sdpa(a, b, c)');
row('scaledDotProductAttention', 'causal-T', [F(2, 2, 4, 4), T(F(2, 2, 4, 4)), F(2, 2, 4, 3)], (q, k, v) => sdpa(q, k, v, { isCausal: true }), 'sdpa(a, b, c, is_causal=True)');
row('scaledDotProductAttention', 'bool-mask', [F(1, 3, 4), F(1, 5, 4), F(1, 5, 4), B(3, 5)], (q, k, v, m) => sdpa(q, k, v, { attnMask: m }), 'sdpa(a, b, c, attn_mask=d)');
row('scaledDotProductAttention', 'float-mask-scale', [F(2, 3, 4), F(2, 4, 4), F(2, 4, 2), F(3, 4)], (q, k, v, m) => sdpa(q, k, v, { attnMask: m, scale: 0.3 }), 'sdpa(a, b, c, attn_mask=d, scale=0.3)');

// ---------------- special values (NaN, inf) and integer matmul ----------------
const WITH_NAN = (): InputSpec => V([2, 3], [1, NaN, 3, 2, 5, 0], 'float32');
row('max', 'nan', [WITH_NAN()], (a) => a.max(), 'a.max()', { gradcheck: false });
row('max', 'nan-dim', [WITH_NAN()], (a) => a.max(1), 'a.max(1)', { gradcheck: false });
row('amax', 'nan', [WITH_NAN()], (a) => a.amax(1), 'a.amax(1)', { gradcheck: false });
row('amin', 'nan', [WITH_NAN()], (a) => a.amin(0), 'a.amin(0)', { gradcheck: false });
row('argmax', 'nan', [WITH_NAN()], (a) => a.argmax(1), 'a.argmax(1)');
row('argmin', 'nan', [WITH_NAN()], (a) => a.argmin(), 'a.argmin()');
row('sort', 'nan', [WITH_NAN()], (a) => a.sort(1), 'torch.sort(a, 1)', { gradcheck: false });
row('sort', 'nan-desc', [WITH_NAN()], (a) => a.sort(1, { descending: true }), 'torch.sort(a, 1, descending=True)', { gradcheck: false });
row('maximum', 'nan', [WITH_NAN(), F(3)], (a, b) => torch.maximum(a, b), 'torch.maximum(a, b)', { gradcheck: false });
row('clamp', 'nan', [WITH_NAN()], (a) => a.clamp(0.5, 2.5), 'torch.clamp(a, 0.5, 2.5)', { gradcheck: false });
row('relu', 'nan', [WITH_NAN()], (a) => a.relu(), 'torch.relu(a)', { gradcheck: false });
row('sum', 'nan', [WITH_NAN()], (a) => a.sum(1), 'a.sum(1)', { gradcheck: false });
row('logsumexp', 'neg-inf', [V([2, 2], [-Infinity, -Infinity, 0, -Infinity], 'float32')], (a) => a.logsumexp(1), 'a.logsumexp(1)', { gradcheck: false });
row('logsumexp', 'pos-inf', [V([2, 2], [Infinity, 1, 0, 2], 'float32')], (a) => a.logsumexp(1), 'a.logsumexp(1)', { gradcheck: false });
row('softmax', 'neg-inf', [V([2, 3], [0, -Infinity, 1, -Infinity, -Infinity, 2], 'float32')], (a) => a.softmax(1), 'torch.softmax(a, 1)', { gradcheck: false });
row('logSoftmax', 'neg-inf', [V([2, 3], [0, -Infinity, 1, -Infinity, -Infinity, 2], 'float32')], (a) => a.logSoftmax(1), 'torch.log_softmax(a, 1)', { gradcheck: false });
row('div', 'by-zero', [V([4], [1, -1, 0, 2], 'float32'), V([4], [0, 0, 0, 4], 'float32')], (a, b) => a.div(b), 'a / b', { gradcheck: false });
row('div', 'int', [V([4], [7, -7, 6, 1]), V([4], [2, 2, 3, 4])], (a, b) => a.div(b), 'a / b');
row('matmul', 'int64', [I(2, 3), I(3, 2)], (a, b) => a.matmul(b), 'a @ b', { webgpu: { skip: "integer matmul is not implemented on webgpu (float32 kernel only; DTypeError says cast with .float())" } });
row('matmul', 'int64-batched', [I(2, 2, 3), I(3)], (a, b) => a.matmul(b), 'a @ b', { webgpu: { skip: "integer matmul is not implemented on webgpu (float32 kernel only; DTypeError says cast with .float())" } });
row('pow', 'int', [I(3, 4)], (a) => a.pow(2), 'a ** 2');

// ---------------- 0-dim and empty tensors ----------------
row('mul', '0dim*0dim', [F(), F()], (a, b) => a.mul(b), 'a * b');
row('exp', '0dim', [F()], (a) => a.exp(), 'a.exp()');
row('sum', '0dim', [F()], (a) => a.sum(), 'a.sum()');
row('sum', '0dim-dim0', [F()], (a) => a.sum(0), 'a.sum(0)');
row('mean', '0dim-keepdim', [F()], (a) => a.mean(-1, { keepdim: true }), 'a.mean(-1, keepdim=True)');
row('softmax', '0dim', [F()], (a) => a.softmax(0), 'torch.softmax(a, 0)');
row('max', '0dim-dim', [F()], (a) => a.max(0), 'a.max(0)');
row('sum', 'empty', [F(0, 3)], (a) => a.sum(0), 'a.sum(0)');
row('mean', 'empty', [F(0, 3)], (a) => a.mean(1), 'a.mean(1)');
row('prod', 'empty', [F(0, 3)], (a) => a.prod(0), 'a.prod(0)');
row('matmul', 'empty-inner', [F(2, 0), F(0, 3)], (a, b) => a.matmul(b), 'a @ b');
row('cumsum', 'empty', [F(0, 3)], (a) => a.cumsum(0), 'a.cumsum(0)');
row('sort', 'empty', [F(2, 0)], (a) => a.sort(1), 'torch.sort(a, 1)');
row('sort', 'stable-ties-desc', [V([6], [2, 1, 2, 0, 1, 2], 'float32')], (a) => torch.sort(a, -1, { descending: true }), 'torch.sort(a, descending=True, stable=True)', { gradcheck: false });

// ---------------- vision (torchlet/vision: MobileNetV3's activations, the global pooling of every classifier) ----------------
// inputs scaled by 3 so the samples cross the kinks at -3 and 3. No float64 hardsigmoid row: PyTorch's float64
// backward multiplies by the float32 constant 1.0f/6.0f (a 3e-8 relative difference from torchlet's exact /6).
row('hardsigmoid', 'contig', [F(3, 4)], (a) => hardsigmoid(a.mul(3)), 'F.hardsigmoid(a * 3)');
row('hardsigmoid', 'T', [T(F(2, 3, 4))], (a) => hardsigmoid(a.mul(3)), 'F.hardsigmoid(a * 3)');
row('hardswish', 'contig', [F(3, 4)], (a) => hardswish(a.mul(3)), 'F.hardswish(a * 3)');
row('hardswish', 'step', [S(F(3, 4))], (a) => hardswish(a.mul(3)), 'F.hardswish(a * 3)');
row('adaptiveAvgPool2d', '1x1', [F(2, 3, 5, 5)], (a) => adaptiveAvgPool2d(a, 1), 'F.adaptive_avg_pool2d(a, 1)');
row('adaptiveAvgPool2d', 'uneven', [F(1, 2, 5, 7)], (a) => adaptiveAvgPool2d(a, [3, 2]), 'F.adaptive_avg_pool2d(a, (3, 2))');
row('adaptiveAvgPool2d', 'T', [T(F(1, 2, 4, 6))], (a) => adaptiveAvgPool2d(a, [2, 2]), 'F.adaptive_avg_pool2d(a, (2, 2))');
