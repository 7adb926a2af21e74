/**
 * @file F.scaledDotProductAttention: PyTorch 2's torch.nn.functional.scaled_dot_product_attention, composed from
 * ops (so it runs on every device and autograd gives its gradient). Semantics of PyTorch 2.x's math reference:
 *
 *   scores = q kᵀ · scale (scale = 1/sqrt(E) unless given)
 *   isCausal: key j > query i is masked (top-left aligned L×S lower triangle, as PyTorch)
 *   attnMask: bool = true means "takes part" (masked where false; the OPPOSITE of nn.MultiheadAttention's mask),
 *             float = added to the scores; broadcast to [..., L, S]
 *   out = dropout(softmax(scores, -1), dropoutP) v
 *
 * A query row whose keys are all masked gives zeros (PyTorch 2.5+'s safe softmax in the math kernel and its CPU
 * flash kernel), not NaN.
 */
import type { Tensor } from '../../tensor/tensor.js';
import { ArgumentError, checkBoolean, checkNumber, checkOptions, describeValue } from '../../core/args.js';
import { DTypeError, ShapeError } from '../../core/errors.js';
import { broadcastShapes, fmt } from '../../core/shape.js';
import { arange } from '../../ops/creation.js';
import { add, eq, gt, logicalNot, maskedFill, mul, where } from '../../ops/elementwise.js';
import { matmul } from '../../ops/linalg.js';
import { transpose, unsqueeze } from '../../ops/movement.js';
import { all, softmax } from '../../ops/reduce.js';
import { dropout } from './dropout.js';
import type { Generator } from '../../random/index.js';

export interface SdpaOpts {
  /** bool (true = attend) or float (added to the scores), broadcastable to [..., L, S]. */
  attnMask?: Tensor | null;
  /** Dropout probability on the attention weights (applied whenever > 0, as PyTorch's function). */
  dropoutP?: number;
  /** Mask key j > query i; may not be combined with attnMask. */
  isCausal?: boolean;
  /** Multiplier of q kᵀ; default 1/sqrt(q.shape[-1]). */
  scale?: number | null;
  /** The generator of the dropout mask (default: the global one). */
  generator?: Generator;
}

const FN = 'F.scaledDotProductAttention';
const KEYS = ['attnMask', 'dropoutP', 'isCausal', 'scale', 'generator'] as const;

/** softmax(q kᵀ · scale + mask) v over q [..., L, E], k [..., S, E], v [..., S, Ev] → [..., L, Ev]. */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, opts: SdpaOpts = {}): Tensor {
  const o = checkOptions<SdpaOpts>(FN, opts, KEYS);
  for (const [name, t] of [['query', q], ['key', k], ['value', v]] as const) {
    if (!t || typeof t !== 'object' || !('shape' in t)) throw new ArgumentError(`${FN}: ${name} must be a Tensor, got ${describeValue(t)}`);
    if (t.ndim < 2) throw new ShapeError(`${FN}: ${name} must have at least 2 dims [..., seq, features], got shape ${fmt(t.shape)}`);
    if (t.dtype !== 'float32' && t.dtype !== 'float64') throw new DTypeError(`${FN}: ${name} must be float32 or float64, got ${t.dtype}`);
  }
  if (k.dtype !== q.dtype || v.dtype !== q.dtype) {
    throw new DTypeError(`${FN}: Expected query, key, and value to have the same dtype, but got query.dtype: ${q.dtype}, key.dtype: ${k.dtype} and value.dtype: ${v.dtype} instead.`);
  }
  const E = q.shape[q.ndim - 1], L = q.shape[q.ndim - 2], S = k.shape[k.ndim - 2];
  if (k.shape[k.ndim - 1] !== E) throw new ShapeError(`${FN}: query ${fmt(q.shape)} and key ${fmt(k.shape)} must have the same last dim (features)`);
  if (v.shape[v.ndim - 2] !== S) throw new ShapeError(`${FN}: key ${fmt(k.shape)} and value ${fmt(v.shape)} must have the same sequence length (dim -2)`);
  const p = o.dropoutP === undefined ? 0 : checkNumber(FN, 'dropoutP', o.dropoutP, { min: 0, max: 1 });
  const causal = o.isCausal === undefined ? false : checkBoolean(FN, 'isCausal', o.isCausal);
  const scale = o.scale === undefined || o.scale === null ? 1 / Math.sqrt(E) : checkNumber(FN, 'scale', o.scale);
  const mask = o.attnMask ?? null;
  if (causal && mask) throw new ArgumentError(`${FN}: Explicit attnMask should not be set when isCausal is true; give one or the other`);

  let scores = mul(matmul(q, transpose(k, -2, -1)), scale);
  if (causal) {
    const above = gt(unsqueeze(arange(0, S, 1, { dtype: 'int64', device: q.device }), 0), unsqueeze(arange(0, L, 1, { dtype: 'int64', device: q.device }), 1));
    scores = maskedFill(scores, above, -Infinity);
  }
  if (mask) {
    if (!mask || typeof mask !== 'object' || !('shape' in mask)) throw new ArgumentError(`${FN}: attnMask must be a Tensor or null, got ${describeValue(mask)}`);
    try { broadcastShapes(FN, mask.shape, scores.shape); } catch {
      throw new ShapeError(`${FN}: attnMask of shape ${fmt(mask.shape)} does not broadcast to the attention scores [..., L, S] = ${fmt(scores.shape)}`);
    }
    if (mask.dtype === 'bool') {
      scores = maskedFill(scores, logicalNot(mask), -Infinity);
    } else if (mask.dtype === q.dtype) {
      scores = add(scores, mask);
    } else {
      throw new DTypeError(`${FN}: Expected attnMask dtype to be bool or to match query dtype (${q.dtype}), got ${mask.dtype}`);
    }
  }
  let attn = softmax(scores, -1);
  // rows whose every score is -inf: zeros as PyTorch 2.5+'s safe softmax (softmax alone would give NaN)
  if (causal || mask) attn = where(all(eq(scores, -Infinity), -1, { keepdim: true }), 0, attn);
  if (p > 0) attn = dropout(attn, { p, generator: o.generator });
  return matmul(attn, v);
}
