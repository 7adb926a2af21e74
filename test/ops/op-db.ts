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

// ---------------- oneHot ----------------


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
row('pow', 'int', [I(3, 4)], (a) => a.pow(2), 'a ** 2');

// ---------------- 0-dim and empty tensors ----------------
row('mul', '0dim*0dim', [F(), F()], (a, b) => a.mul(b), 'a * b');
row('exp', '0dim', [F()], (a) => a.exp(), 'a.exp()');

// ---------------- vision (torchlet/vision: MobileNetV3's activations; the global pooling of every classifier, adaptiveAvgPool2d, is registered: ops/pool.ts) ----------------
// inputs scaled by 3 so the samples cross the kinks at -3 and 3. No float64 hardsigmoid row: PyTorch's float64
// backward multiplies by the float32 constant 1.0f/6.0f (a 3e-8 relative difference from torchlet's exact /6).
row('hardsigmoid', 'contig', [F(3, 4)], (a) => hardsigmoid(a.mul(3)), 'F.hardsigmoid(a * 3)');
row('hardsigmoid', 'T', [T(F(2, 3, 4))], (a) => hardsigmoid(a.mul(3)), 'F.hardsigmoid(a * 3)');
row('hardswish', 'contig', [F(3, 4)], (a) => hardswish(a.mul(3)), 'F.hardswish(a * 3)');
row('hardswish', 'step', [S(F(3, 4))], (a) => hardswish(a.mul(3)), 'F.hardswish(a * 3)');
