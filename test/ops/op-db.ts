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
import { OPS } from '../../src/ops/registry.js';
// the families torch.* does not reach (nn.functional's): loaded here so that their definitions' samples are in OPS
// (test/ops/registered.test.ts checks that no registered op's samples are missing from the table)
import '../../src/ops/conv.js';
import '../../src/ops/pool.js';

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
const I = (...shape: number[]): InputSpec => ({ shape, kind: 'int', dtype: 'int64' });
const B = (...shape: number[]): InputSpec => ({ shape, kind: 'bool', dtype: 'bool' });
const T = (s: InputSpec): InputSpec => ({ ...s, layout: 'T' });
const S = (s: InputSpec): InputSpec => ({ ...s, layout: 'step' });
const X = (s: InputSpec): InputSpec => ({ ...s, layout: 'expand' });
const V = (shape: number[], values: number[], dtype: DType = 'int64'): InputSpec => ({ shape, values, dtype });

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
// method forms with options (add/sub's alpha is not part of torch.add)
row('add', 'alpha', [F(3, 4), X(F(3, 4))], (a, b) => a.add(b, { alpha: 2 }), 'torch.add(a, b, alpha=2)');


// ---------------- where ----------------

// ---------------- oneHot ----------------

row('oneHot', '1d', [V([4], [0, 2, 1, 4])], (a) => torch.oneHot(a, 5), 'torch.nn.functional.one_hot(a, 5)');
row('oneHot', '2d-infer', [V([2, 2], [0, 2, 1, 1])], (a) => torch.oneHot(a), 'torch.nn.functional.one_hot(a)',
  { webgpu: { skip: 'oneHot without numClasses reads the largest index synchronously; on webgpu numClasses must be given (DeviceError)' } });

// ---------------- joining and splitting ----------------
row('cat', 'dim0', [F(2, 3), F(1, 3)], (a, b) => torch.cat([a, b]), 'torch.cat([a, b])');
row('cat', 'dim1-T', [T(F(2, 3)), F(2, 2), S(F(2, 1))], (a, b, c) => torch.cat([a, b, c], 1), 'torch.cat([a, b, c], 1)');
row('cat', 'neg-dim', [F(2, 2, 3), F(2, 2, 1)], (a, b) => torch.cat([a, b], -1), 'torch.cat([a, b], -1)');
row('stack', 'dim0', [F(2, 3), T(F(2, 3))], (a, b) => torch.stack([a, b]), 'torch.stack([a, b])');
row('stack', 'dim-1', [F(2, 3), F(2, 3), X(F(2, 3))], (a, b, c) => torch.stack([a, b, c], -1), 'torch.stack([a, b, c], -1)');
row('split', 'size', [F(3, 5)], (a) => a.split(2, 1), 'a.split(2, 1)');
row('split', 'sections', [T(F(3, 4))], (a) => torch.split(a, [1, 3], -1), 'torch.split(a, [1, 3], -1)');
row('chunk', 'dim0', [F(5, 2)], (a) => a.chunk(3), 'a.chunk(3)');
row('chunk', 'dim1-step', [S(F(2, 6))], (a) => torch.chunk(a, 2, 1), 'torch.chunk(a, 2, 1)');

// ---------------- indexing ----------------
row('gather', 'dim1', [F(3, 4), V([3, 2], [0, 3, 1, 1, 2, 0])], (a, i) => a.gather(1, i), 'a.gather(1, b)');
row('gather', 'dim0-T', [T(F(3, 4)), V([2, 4], [2, 0, 1, 2, 0, 0, 2, 1])], (a, i) => torch.gather(a, 0, i), 'torch.gather(a, 0, b)');
row('scatter', 'src', [F(3, 4), V([3, 2], [0, 3, 1, 2, 2, 0]), F(3, 2)], (a, i, s) => a.scatter(1, i, s), 'a.scatter(1, b, c)');
row('scatter', 'value', [T(F(3, 4)), V([1, 4], [2, 0, 1, 2])], (a, i) => torch.scatter(a, 0, i, 7.5), 'torch.scatter(a, 0, b, 7.5)');
row('scatterAdd', 'dup', [F(3, 4), V([3, 3], [0, 0, 3, 1, 1, 1, 2, 0, 2]), F(3, 3)], (a, i, s) => a.scatterAdd(1, i, s), 'a.scatter_add(1, b, c)');
row('scatterAdd', 'dim0-step', [S(F(3, 4)), V([2, 4], [2, 0, 1, 2, 2, 2, 1, 0]), T(F(2, 4))], (a, i, s) => torch.scatterAdd(a, 0, i, s), 'torch.scatter_add(a, 0, b, c)');
row('indexSelect', 'dim0', [F(3, 4), V([3], [2, 0, 2])], (a, i) => a.indexSelect(0, i), 'a.index_select(0, b)');
row('indexSelect', 'dim1-T', [T(F(2, 3, 4)), V([2], [3, 1])], (a, i) => torch.indexSelect(a, -1, i), 'torch.index_select(a, -1, b)');
row('tril', 'k0', [F(3, 4)], (a) => a.tril(), 'a.tril()');
row('tril', 'k-1-batched', [T(F(2, 3, 4))], (a) => torch.tril(a, -1), 'torch.tril(a, -1)');
row('triu', 'k0', [F(4, 3)], (a) => a.triu(), 'a.triu()');
row('triu', 'k1-step', [S(F(2, 3, 3))], (a) => torch.triu(a, 1), 'torch.triu(a, 1)');

// ---------------- views ----------------
row('view', 'flat', [F(3, 4)], (a) => a.view([2, 6]), 'a.view(2, 6)');
row('view', 'infer', [F(2, 3, 4)], (a) => a.view([-1, 4]), 'a.view(-1, 4)');
row('view', 'T-split-last', [T(F(2, 3, 4))], (a) => a.view([2, 3, 2, 2]), 'a.view(2, 3, 2, 2)');
row('reshape', 'contig', [F(3, 4)], (a) => a.reshape([4, 3]), 'a.reshape(4, 3)');
row('reshape', 'T-copy', [T(F(3, 4))], (a) => a.reshape([-1]), 'a.reshape(-1)');
row('reshape', 'expand', [X(F(2, 3))], (a) => a.reshape([3, 2]), 'a.reshape(3, 2)');
row('transpose', '3d', [F(2, 3, 4)], (a) => a.transpose(0, 2), 'a.transpose(0, 2)');
row('transpose', 'neg', [S(F(2, 3))], (a) => torch.transpose(a, -1, -2), 'torch.transpose(a, -1, -2)');
row('permute', '3d', [F(2, 3, 4)], (a) => a.permute([2, 0, 1]), 'a.permute(2, 0, 1)');
row('permute', 'T', [T(F(2, 3, 4))], (a) => torch.permute(a, [1, 2, 0]), 'a.permute(1, 2, 0)');
row('t', '2d', [F(3, 4)], (a) => a.t(), 'a.t()');
row('t', '1d', [F(4)], (a) => torch.t(a), 'a.t()');
row('squeeze', 'all', [F(1, 3, 1, 2)], (a) => a.squeeze(), 'a.squeeze()');
row('squeeze', 'dim', [F(3, 1, 2)], (a) => a.squeeze(1), 'a.squeeze(1)');
row('squeeze', 'noop-dim', [F(3, 2)], (a) => a.squeeze(0).mul(2), 'a.squeeze(0) * 2');
row('unsqueeze', 'front', [F(3, 4)], (a) => a.unsqueeze(0), 'a.unsqueeze(0)');
row('unsqueeze', 'neg-T', [T(F(3, 4))], (a) => torch.unsqueeze(a, -1), 'a.unsqueeze(-1)');
row('expand', 'leading', [F(3, 1)], (a) => a.expand([2, 3, 4]), 'a.expand(2, 3, 4)');
row('expand', 'minus1', [S(F(1, 3))], (a) => a.expand([4, -1]), 'a.expand(4, -1)');
row('narrow', 'dim1', [F(3, 5)], (a) => a.narrow(1, 1, 3), 'a.narrow(1, 1, 3)');
row('narrow', 'T', [T(F(4, 3))], (a) => torch.narrow(a, 0, 2, 2), 'a.narrow(0, 2, 2)');
row('select', 'dim0', [F(3, 4)], (a) => a.select(0, 1), 'a.select(0, 1)');
row('select', 'neg-index', [T(F(2, 3, 4))], (a) => torch.select(a, 1, -1), 'a.select(1, -1)');
row('slice', 'step', [F(5, 4)], (a) => a.slice(0, 1, null, 2), 'a[1::2]');
row('slice', 'neg-bounds', [F(3, 6)], (a) => torch.slice(a, 1, -4, -1), 'a[:, -4:-1]');
row('slice', 'index', [F(3, 6)], (a) => a.index(':', '1:6:2'), 'a[:, 1:6:2]');
row('flatten', 'all', [T(F(2, 3, 4))], (a) => a.flatten(), 'a.flatten()');
row('flatten', 'start1', [F(2, 3, 4)], (a) => torch.flatten(a, 1), 'a.flatten(1)');
row('unflatten', 'dim1', [F(2, 6)], (a) => a.unflatten(1, [2, 3]), 'a.unflatten(1, (2, 3))');
row('unflatten', 'infer', [S(F(2, 6))], (a) => torch.unflatten(a, 1, [-1, 2]), 'a.unflatten(1, (-1, 2))');
row('contiguous', 'T', [T(F(3, 4))], (a) => a.contiguous(), 'a.contiguous()');
row('clone', 'step', [S(F(3, 4))], (a) => a.clone(), 'a.clone()');
row('detach', 'plain', [F(3, 4)], (a) => a.detach(), 'a.detach()', { grad: false });
row('detach', 'then-mul', [F(3, 4)], (a) => a.detach().mul(a), 'a.detach() * a', { gradcheck: false }); // detach cuts the graph: not the derivative by design

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
row('maximum', 'nan', [WITH_NAN(), F(3)], (a, b) => torch.maximum(a, b), 'torch.maximum(a, b)', { gradcheck: false });
row('clamp', 'nan', [WITH_NAN()], (a) => a.clamp(0.5, 2.5), 'torch.clamp(a, 0.5, 2.5)', { gradcheck: false });
row('relu', 'nan', [WITH_NAN()], (a) => a.relu(), 'torch.relu(a)', { gradcheck: false });
row('div', 'by-zero', [V([4], [1, -1, 0, 2], 'float32'), V([4], [0, 0, 0, 4], 'float32')], (a, b) => a.div(b), 'a / b', { gradcheck: false });
row('div', 'int', [V([4], [7, -7, 6, 1]), V([4], [2, 2, 3, 4])], (a, b) => a.div(b), 'a / b');
row('cat', 'promote', [F(2), I(3)], (a, b) => torch.cat([a, b]), 'torch.cat([a, b])');
row('where', 'promote', [B(4), I(4), F(4)], (c, a, b) => torch.where(c, a, b), 'torch.where(a, b, c)');
row('pow', 'int', [I(3, 4)], (a) => a.pow(2), 'a ** 2');

// ---------------- 0-dim and empty tensors ----------------
row('add', '0dim+vec', [F(), F(3)], (a, b) => a.add(b), 'a + b');
row('mul', '0dim*0dim', [F(), F()], (a, b) => a.mul(b), 'a * b');
row('exp', '0dim', [F()], (a) => a.exp(), 'a.exp()');
row('unsqueeze', '0dim', [F()], (a) => a.unsqueeze(0), 'a.unsqueeze(0)');
row('reshape', '0dim', [F()], (a) => a.reshape([1, 1]), 'a.reshape(1, 1)');
row('expand', '0dim', [F()], (a) => a.expand([2, 3]), 'a.expand(2, 3)');
row('flatten', '0dim', [F()], (a) => a.flatten(), 'a.flatten()');
row('where', '0dim-cond', [V([], [1], 'bool'), F(3), F()], (c, a, b) => torch.where(c, a, b), 'torch.where(a, b, c)');
row('cat', 'empty', [F(0, 3), F(2, 3)], (a, b) => torch.cat([a, b]), 'torch.cat([a, b])');
row('slice', 'index-ellipsis', [F(2, 3, 4)], (a) => a.index('...', 1), 'a[..., 1]');
row('slice', 'index-mixed', [T(F(2, 3, 4))], (a) => a.index(1, '...', '0:3:2'), 'a[1, ..., 0:3:2]');
row('squeeze', 'dims-list', [F(1, 3, 1, 2)], (a) => a.squeeze([0, 2]), 'a.squeeze(0).squeeze(1)');
row('split', 'uneven', [F(5, 2)], (a) => a.split(2), 'a.split(2)');
row('chunk', 'more-than-size', [F(2, 3)], (a) => a.chunk(4, 1), 'a.chunk(4, 1)');

// ---------------- vision (torchlet/vision: MobileNetV3's activations; the global pooling of every classifier, adaptiveAvgPool2d, is registered: ops/pool.ts) ----------------
// inputs scaled by 3 so the samples cross the kinks at -3 and 3. No float64 hardsigmoid row: PyTorch's float64
// backward multiplies by the float32 constant 1.0f/6.0f (a 3e-8 relative difference from torchlet's exact /6).
row('hardsigmoid', 'contig', [F(3, 4)], (a) => hardsigmoid(a.mul(3)), 'F.hardsigmoid(a * 3)');
row('hardsigmoid', 'T', [T(F(2, 3, 4))], (a) => hardsigmoid(a.mul(3)), 'F.hardsigmoid(a * 3)');
row('hardswish', 'contig', [F(3, 4)], (a) => hardswish(a.mul(3)), 'F.hardswish(a * 3)');
row('hardswish', 'step', [S(F(3, 4))], (a) => hardswish(a.mul(3)), 'F.hardswish(a * 3)');
