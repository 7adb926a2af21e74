/**
 * @file embedding (torch.nn.functional.embedding): rows of a weight matrix selected by integer indices, with
 * PyTorch's paddingIdx (no gradient reaches that row) and maxNorm (selected rows renormalized in place).
 */
import { INT64_HINT } from '../../core/args.js';
import type { Tensor } from '../../tensor/tensor.js';
import { noGrad } from '../../autograd/grad-mode.js';
import { DTypeError, IndexError, ShapeError, UnsupportedOpError } from '../../core/errors.js';
import { fmt } from '../../core/shape.js';
import { zeros } from '../../ops/creation.js';
import { add, div, gt, logicalAnd, mul, ne, where } from '../../ops/elementwise.js';
import { scatter, indexSelect } from '../../ops/indexing.js';
import { assign } from '../../ops/inplace.js';
import { detach, reshape, unsqueeze } from '../../ops/movement.js';
import { norm } from '../../ops/reduce.js';
import { checkSpec } from '../../core/args.js';


export interface EmbeddingOpts {
  /** Entries equal to this index get no gradient (negative values count from the end). */
  paddingIdx?: number | null;
  /** Rows selected by `input` whose normType-norm exceeds maxNorm are rescaled in place to norm maxNorm. */
  maxNorm?: number | null;
  normType?: number;
  scaleGradByFreq?: boolean;
  sparse?: boolean;
}

/** Normalize paddingIdx against the number of embeddings, as nn.Embedding and F.embedding do. */
export function normalizePaddingIdx(paddingIdx: number | null | undefined, numEmbeddings: number, where = 'embedding'): number | null {
  if (paddingIdx === null || paddingIdx === undefined) return null;
  if (!Number.isInteger(paddingIdx) || paddingIdx >= numEmbeddings || paddingIdx < -numEmbeddings) {
    throw new IndexError(`${where}: paddingIdx must be within [-${numEmbeddings}, ${numEmbeddings}) (num_embeddings), got ${paddingIdx}`);
  }
  return paddingIdx < 0 ? paddingIdx + numEmbeddings : paddingIdx;
}

/** Rescale (in place, outside the graph) the rows of weight selected by idx whose norm exceeds maxNorm. */
export function embeddingRenorm_(weight: Tensor, idx: Tensor, maxNorm: number, normType = 2): Tensor {
  noGrad(() => {
    const V = weight.shape[0];
    const selected = gt(scatter(zeros([V], { device: weight.device }), 0, idx, 1), 0);
    const norms = norm(weight, normType, 1);
    const scale = where(logicalAnd(selected, gt(norms, maxNorm)), div(maxNorm, add(norms, 1e-7)), 1);
    assign(weight, 'embedding_renorm_', mul(weight, unsqueeze(scale, 1)));
  });
  return weight;
}

/** weight [numEmbeddings, dim] indexed by an integer tensor of any shape -> [...input.shape, dim]. */
export function embedding(input: Tensor, weight: Tensor, opts: EmbeddingOpts = {}): Tensor {
  opts = checkSpec('F.embedding', opts, { paddingIdx: { number: { integer: true }, nullable: true }, maxNorm: { number: {}, nullable: true }, normType: 'number', scaleGradByFreq: 'bool', sparse: 'bool' });
  if (input.dtype !== 'int64' && input.dtype !== 'int32') {
    throw new DTypeError(`embedding: expected input of dtype int64 (or int32) holding indices, got ${input.dtype}; ${INT64_HINT}`);
  }
  if (weight.ndim !== 2) throw new ShapeError(`embedding: weight must be 2-D [num_embeddings, embedding_dim], got shape ${fmt(weight.shape)}`);
  if (opts.scaleGradByFreq || opts.sparse) {
    throw new UnsupportedOpError(`embedding (${opts.sparse ? 'sparse' : 'scaleGradByFreq'})`, weight.dtype, weight.device, 'sparse gradients and scaleGradByFreq are not implemented; leave these options off');
  }
  const [V, D] = weight.shape;
  const flat = reshape(input, [-1]);
  if (flat.device === 'cpu' && flat.numel() > 0) {
    const vals = flat.dataSync();
    for (let i = 0; i < vals.length; i++) {
      if (vals[i] < 0 || vals[i] >= V) throw new IndexError(`embedding: index ${vals[i]} is out of range for an embedding of ${V} rows (valid indices are 0..${V - 1})`);
    }
  }
  if (opts.maxNorm !== undefined && opts.maxNorm !== null) embeddingRenorm_(weight, flat, opts.maxNorm, opts.normType ?? 2);
  let rows = indexSelect(weight, 0, flat);
  const pad = normalizePaddingIdx(opts.paddingIdx, V);
  if (pad !== null && rows.requiresGrad) rows = where(unsqueeze(ne(flat, pad), 1), rows, detach(rows));
  return reshape(rows, [...input.shape, D]);
}
