/**
 * @file Multi-head attention (F.multi_head_attention_forward of PyTorch 1.13/2.x slow path), composed from ops.
 * Sequence-first layout: query [L, N, E], key/value [S, N, E]. PyTorch 2's F.scaled_dot_product_attention is in sdpa.ts.
 */
import type { Tensor } from '../../tensor/tensor.js';
import { DTypeError, ShapeError } from '../../core/errors.js';
import { fmt } from '../../core/shape.js';
import { zeros } from '../../ops/creation.js';
import { add, div, logicalOr, maskedFill } from '../../ops/elementwise.js';
import { matmul } from '../../ops/linalg.js';
import { chunk, contiguous, expand, reshape, squeeze, transpose, unsqueeze, split } from '../../ops/movement.js';
import { softmax, sum } from '../../ops/reduce.js';
import { dropout } from './dropout.js';
import { linear } from './linear.js';
import type { Generator } from '../../random/index.js';
import { checkSpec, type Rule } from '../../core/args.js';
const TN: Rule = { tensorOrNull: true };


/** A boolean mask (true = not allowed) becomes an additive float mask with -inf; float masks pass through. */
function toFloatMask(mask: Tensor, dtype: Tensor['dtype']): Tensor {
  if (mask.dtype !== 'bool') return mask;
  return maskedFill(zeros([...mask.shape], { dtype, device: mask.device }), mask, -Infinity);
}

interface WeightsOpts { attnMask?: Tensor | null; dropoutP?: number; generator?: Generator }

/**
 * multi_head_attention_forward's attention (PyTorch 1.13's _scaled_dot_product_attention): softmax(q kᵀ / sqrt(d)
 * + mask) v with a boolean mask meaning true = NOT allowed; returns the output and the weights after dropout.
 */
function attentionWithWeights(q: Tensor, k: Tensor, v: Tensor, opts: WeightsOpts = {}): { output: Tensor; weights: Tensor } {
  const d = q.shape[q.ndim - 1];
  const qs = div(q, Math.sqrt(d));
  let scores = matmul(qs, transpose(k, -2, -1));
  if (opts.attnMask) scores = add(toFloatMask(opts.attnMask, q.dtype), scores);
  let attn = softmax(scores, -1);
  if (opts.dropoutP && opts.dropoutP > 0) attn = dropout(attn, { p: opts.dropoutP, generator: opts.generator });
  return { output: matmul(attn, v), weights: attn };
}

export interface MultiHeadAttentionOpts {
  numHeads: number;
  /** Packed [3E, E] projection (when q, k, v share embed_dim), or the separate ones below. */
  inProjWeight?: Tensor | null;
  inProjBias?: Tensor | null;
  qProjWeight?: Tensor | null;
  kProjWeight?: Tensor | null;
  vProjWeight?: Tensor | null;
  outProjWeight: Tensor;
  outProjBias?: Tensor | null;
  dropoutP?: number;
  training?: boolean;
  /** [N, S] (or [S] unbatched): true marks keys to ignore. */
  keyPaddingMask?: Tensor | null;
  /** [L, S] or [N * numHeads, L, S]: true (bool) = not allowed, or float added to the scores. */
  attnMask?: Tensor | null;
  needWeights?: boolean;
  averageAttnWeights?: boolean;
  generator?: Generator;
}

/** Multi-head attention forward over query [L, N, E] (or [L, E]), key/value [S, N, E]: {output, weights}. */
export function multiHeadAttentionForward(query: Tensor, key: Tensor, value: Tensor, opts: MultiHeadAttentionOpts): { output: Tensor; weights: Tensor | null } {
  opts = checkSpec<MultiHeadAttentionOpts>('F.multiHeadAttentionForward', opts, { numHeads: 'int', inProjWeight: TN, inProjBias: TN, qProjWeight: TN, kProjWeight: TN, vProjWeight: TN, outProjWeight: 'tensor', outProjBias: TN, dropoutP: { number: { min: 0, max: 1 } }, training: 'bool', keyPaddingMask: TN, attnMask: TN, needWeights: 'bool', averageAttnWeights: 'bool', generator: 'any' }) as MultiHeadAttentionOpts;
  if (query.ndim === 2) {
    const sameKV = key === value, sameQK = query === key;
    const q1 = unsqueeze(query, 1);
    const k1 = sameQK ? q1 : unsqueeze(key, 1);
    const v1 = sameKV ? k1 : unsqueeze(value, 1);
    const r = multiHeadAttentionForward(q1, k1, v1, { ...opts, keyPaddingMask: opts.keyPaddingMask ? unsqueeze(opts.keyPaddingMask, 0) : null });
    return { output: squeeze(r.output, 1), weights: r.weights ? squeeze(r.weights, 0) : null };
  }
  if (query.ndim !== 3) throw new ShapeError(`multiHeadAttention: expected query of shape [L, N, E] (or [L, E] unbatched), got ${fmt(query.shape)}`);
  const [L, N, E] = query.shape;
  const S = key.shape[0];
  const H = opts.numHeads;
  if (E % H !== 0) throw new ShapeError(`multiHeadAttention: embed_dim ${E} not divisible by num_heads ${H}`);
  if (key.ndim !== 3 || value.ndim !== 3 || key.shape[1] !== N || value.shape[1] !== N || value.shape[0] !== S) {
    throw new ShapeError(`multiHeadAttention: key ${fmt(key.shape)} and value ${fmt(value.shape)} must be [S, N, *] with N = ${N} (query ${fmt(query.shape)})`);
  }
  const hd = E / H;
  let q: Tensor, k: Tensor, v: Tensor;
  const b = opts.inProjBias ? chunk(opts.inProjBias, 3) : [null, null, null];
  if (opts.inProjWeight) {
    if (query === key && key === value) {
      [q, k, v] = chunk(linear(query, opts.inProjWeight, opts.inProjBias), 3, -1);
    } else {
      const [wq, wk, wv] = split(opts.inProjWeight, E, 0);
      q = linear(query, wq, b[0]); k = linear(key, wk, b[1]); v = linear(value, wv, b[2]);
    }
  } else {
    if (!opts.qProjWeight || !opts.kProjWeight || !opts.vProjWeight) throw new ShapeError('multiHeadAttention: give inProjWeight, or all of qProjWeight, kProjWeight and vProjWeight');
    q = linear(query, opts.qProjWeight, b[0]); k = linear(key, opts.kProjWeight, b[1]); v = linear(value, opts.vProjWeight, b[2]);
  }

  let mask: Tensor | null = opts.attnMask ?? null;
  if (mask) {
    if (mask.dtype !== 'bool' && mask.dtype !== query.dtype) throw new DTypeError(`multiHeadAttention: attnMask must be bool or ${query.dtype}, got ${mask.dtype}`);
    if (mask.ndim === 2) {
      if (mask.shape[0] !== L || mask.shape[1] !== S) throw new ShapeError(`multiHeadAttention: the shape of the 2-D attnMask is ${fmt(mask.shape)}, but should be [${L}, ${S}]`);
      mask = unsqueeze(mask, 0);
    } else if (mask.ndim === 3) {
      if (mask.shape[0] !== N * H || mask.shape[1] !== L || mask.shape[2] !== S) throw new ShapeError(`multiHeadAttention: the shape of the 3-D attnMask is ${fmt(mask.shape)}, but should be [${N * H}, ${L}, ${S}]`);
    } else throw new ShapeError(`multiHeadAttention: attnMask must be 2-D or 3-D, got shape ${fmt(mask.shape)}`);
  }
  if (opts.keyPaddingMask) {
    const kpm0 = opts.keyPaddingMask;
    if (kpm0.ndim !== 2 || kpm0.shape[0] !== N || kpm0.shape[1] !== S) throw new ShapeError(`multiHeadAttention: expected keyPaddingMask of shape [${N}, ${S}], got ${fmt(kpm0.shape)}`);
    const kpm = reshape(expand(reshape(kpm0, [N, 1, 1, S]), [N, H, 1, S]), [N * H, 1, S]);
    if (!mask) mask = kpm;
    else if (mask.dtype === 'bool' && kpm.dtype === 'bool') mask = logicalOr(mask, kpm);
    else mask = add(toFloatMask(mask, query.dtype), toFloatMask(kpm, query.dtype));
  }

  const heads = (t: Tensor, len: number) => transpose(reshape(t, [len, N * H, hd]), 0, 1);
  const p = opts.training === false ? 0 : opts.dropoutP ?? 0;
  const { output, weights } = attentionWithWeights(heads(q, L), heads(k, S), heads(v, S), { attnMask: mask, dropoutP: p, generator: opts.generator });
  const merged = reshape(contiguous(transpose(output, 0, 1)), [L * N, E]);
  const out = reshape(linear(merged, opts.outProjWeight, opts.outProjBias), [L, N, E]);
  if (opts.needWeights === false) return { output: out, weights: null };
  let w = reshape(weights, [N, H, L, S]);
  if (opts.averageAttnWeights ?? true) w = div(sum(w, 1), H);
  return { output: out, weights: w };
}
