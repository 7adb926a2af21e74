/**
 * @file dropout and dropout1d/2d (feature dropout): the keep-mask is drawn from PyTorch's CPU stream with
 * `bernoulliScalar_(gen, mask, 1 - p, scale)`, the kept elements holding 1/(1 - p) in the input's dtype, so the same seed zeroes
 * the same elements and gives the same values as PyTorch.
 */
import type { Tensor } from '../../tensor/tensor.js';
import { ShapeError } from '../../core/errors.js';
import { fmt, numel } from '../../core/shape.js';
import { fromHost } from '../../ops/creation.js';
import { mul } from '../../ops/elementwise.js';
import { assign } from '../../ops/inplace.js';
import { clone } from '../../ops/movement.js';
import { isGradEnabled } from '../../autograd/grad-mode.js';
import { requireFloat } from '../../ops/util.js';
import { bernoulliScalar_, defaultGenerator, type Generator } from '../../random/index.js';
import { checkSpec, type Rule } from '../../core/args.js';
const DROPOUT_SPEC: Record<string, Rule> = { p: 'number', training: 'bool', inplace: 'bool', generator: 'any' };


export interface DropoutOpts { p?: number; training?: boolean; inplace?: boolean; generator?: Generator }

function checkP(op: string, p: number): void {
  if (!(p >= 0 && p <= 1)) throw new ShapeError(`${op}: dropout probability has to be between 0 and 1, but got ${p}`);
}

/** noise of `shape` (broadcastable to x): 0 with probability p, else 1/(1 - p) in x's dtype. */
function noise(x: Tensor, shape: readonly number[], p: number, gen: Generator): Tensor {
  const f64 = x.dtype === 'float64';
  const mask = f64 ? new Float64Array(numel(shape)) : new Float32Array(numel(shape));
  const scale = f64 ? 1 / (1 - p) : Math.fround(1 / Math.fround(1 - p));
  if (x.device !== 'meta') bernoulliScalar_(gen, mask, 1 - p, scale); // meta: shapes only, nothing drawn
  return fromHost(mask, f64 ? 'float64' : 'float32', shape, x.device);
}

function apply(op: string, x: Tensor, shape: () => readonly number[], opts: DropoutOpts): Tensor {
  const p = opts.p ?? 0.5, training = opts.training ?? true;
  checkP(op, p);
  requireFloat(op, x);
  if (!training || p === 0 || x.numel() === 0) return x;
  // in place under autograd: multiply a copy (PyTorch's original_self), as the product's backward keeps its inputs
  const src = opts.inplace && isGradEnabled() && x.requiresGrad ? clone(x) : x;
  const out = p === 1 ? mul(src, 0) : mul(src, noise(x, shape(), p, opts.generator ?? defaultGenerator));
  return opts.inplace ? assign(x, `${op}_`, out) : out;
}

/** F.dropout: zero each element with probability p (training only) and scale the rest by 1/(1 - p). */
export function dropout(x: Tensor, opts: DropoutOpts = {}): Tensor {
  opts = checkSpec('F.dropout', opts, DROPOUT_SPEC);
  return apply('dropout', x, () => x.shape, opts);
}

function featureDropout(op: string, nd: number, x: Tensor, opts: DropoutOpts): Tensor {
  if (x.ndim !== nd + 1 && x.ndim !== nd + 2) throw new ShapeError(`${op}: expected ${nd + 1}-D (unbatched) or ${nd + 2}-D (batched) input, got shape ${fmt(x.shape)}`);
  const lead = x.ndim === nd + 2 ? 2 : 1;
  return apply(op, x, () => [...x.shape.slice(0, lead), ...Array<number>(x.ndim - lead).fill(1)], opts);
}

/** F.dropout1d: zero whole channels of [N, C, L] (or [C, L]). */
export function dropout1d(x: Tensor, opts: DropoutOpts = {}): Tensor {
  opts = checkSpec('F.dropout1d', opts, DROPOUT_SPEC);
  return featureDropout('dropout1d', 1, x, opts);
}
/** F.dropout2d: zero whole channels of [N, C, H, W] (or [C, H, W]). */
export function dropout2d(x: Tensor, opts: DropoutOpts = {}): Tensor {
  opts = checkSpec('F.dropout2d', opts, DROPOUT_SPEC);
  return featureDropout('dropout2d', 2, x, opts);
}
