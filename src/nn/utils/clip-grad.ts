/**
 * @file nn.utils.clipGradNorm_ and clipGradValue_: scale or clamp the gradients of parameters in place, in
 * PyTorch's order (total norm = norm of the per-parameter norms; coefficient maxNorm / (total + 1e-6) clamped to 1).
 */
import { noGrad } from '../../autograd/grad-mode.js';
import { DeviceError, TorchletError } from '../../core/errors.js';
import { readsSync } from '../../backend/backend.js';
import { Tensor } from '../../tensor/tensor.js';
import { tensor } from '../../ops/creation.js';
import { div } from '../../ops/elementwise.js';
import { stack } from '../../ops/movement.js';
import { ArgumentError, callArgs, checkBoolean, checkNumber } from '../../core/args.js';

export interface ClipGradNormOptions {
  /** The p of the p-norm (default 2; Infinity for the max-norm). */
  normType?: number;
  /** Throw when the total norm is NaN or infinite instead of scaling by it. */
  errorIfNonfinite?: boolean;
}

/** clipGradNorm_'s arguments, positional (maxNorm, normType, errorIfNonfinite) or keyword, as PyTorch. */
function clipArgs(fn: string, args: unknown[]): { maxNorm: number; normType?: number; errorIfNonfinite?: boolean } {
  const o = callArgs(fn, args, ['maxNorm', 'normType', 'errorIfNonfinite'], ['foreach']);
  if (o.maxNorm === undefined) throw new ArgumentError(`${fn}: missing maxNorm, e.g. clipGradNorm_(model.parameters(), 1.0)`);
  checkNumber(fn, 'maxNorm', o.maxNorm, { infinite: true });
  if (o.normType !== undefined) checkNumber(fn, 'normType', o.normType, { infinite: true });
  if (o.errorIfNonfinite !== undefined) checkBoolean(fn, 'errorIfNonfinite', o.errorIfNonfinite);
  return o as { maxNorm: number; normType?: number; errorIfNonfinite?: boolean };
}

function asList(parameters: Iterable<Tensor> | Tensor): Tensor[] {
  return parameters instanceof Tensor ? [parameters] : [...parameters];
}

/**
 * Scale the gradients so that their joint `normType`-norm is at most `maxNorm`. Returns the total norm before
 * clipping (a 0-dim tensor, as PyTorch).
 */
export function clipGradNorm_(parameters: Iterable<Tensor> | Tensor, maxNorm: number | ClipGradNormOptions & { maxNorm?: number },
  normType?: number | ClipGradNormOptions, opts?: ClipGradNormOptions): Tensor {
  const a = clipArgs('nn.utils.clipGradNorm_', [maxNorm, normType, opts]);
  const { maxNorm: max, normType: p = 2, errorIfNonfinite = false } = a;
  maxNorm = max; normType = p;
  const grads = gradsOf(parameters);
  if (grads.length === 0) return tensor(0);
  const total = totalNorm(grads, normType);
  if (errorIfNonfinite) {
    if (!readsSync(total.device)) {
      throw new DeviceError(`clipGradNorm_: errorIfNonfinite reads the total norm, which is asynchronous on ${total.device}; use \`await nn.utils.clipGradNormAsync_(...)\` (or errorIfNonfinite: false)`);
    }
    checkFinite(total.item(), normType);
  }
  scale(grads, total, maxNorm);
  return total;
}

/**
 * clipGradNorm_ for gradients on any device: the same, with the total norm read asynchronously when
 * errorIfNonfinite is set (webgpu), so the gradients are only scaled after the check passed.
 */
export async function clipGradNormAsync_(parameters: Iterable<Tensor> | Tensor, maxNorm: number | ClipGradNormOptions & { maxNorm?: number },
  normType?: number | ClipGradNormOptions, opts?: ClipGradNormOptions): Promise<Tensor> {
  const a = clipArgs('nn.utils.clipGradNormAsync_', [maxNorm, normType, opts]);
  const { maxNorm: max, normType: p = 2, errorIfNonfinite = false } = a;
  maxNorm = max; normType = p;
  const grads = gradsOf(parameters);
  if (grads.length === 0) return tensor(0);
  const total = totalNorm(grads, normType);
  if (errorIfNonfinite) checkFinite(await total.itemAsync(), normType);
  scale(grads, total, maxNorm);
  return total;
}

function gradsOf(parameters: Iterable<Tensor> | Tensor): Tensor[] {
  return asList(parameters).map((p) => p.grad).filter((g): g is Tensor => g !== null);
}

function totalNorm(grads: Tensor[], normType: number): Tensor {
  return noGrad(() => {
    const device = grads[0].device;
    if (normType === Infinity) {
      const norms = grads.map((g) => g.detach().abs().max().to(device));
      return norms.length === 1 ? norms[0] : stack(norms).max();
    }
    return stack(grads.map((g) => g.detach().norm(normType).to(device))).norm(normType);
  });
}

function checkFinite(v: number, normType: number): void {
  if (!Number.isFinite(v)) {
    throw new TorchletError(`clipGradNorm_: The total norm of order ${normType} for gradients from \`parameters\` is non-finite, so it cannot be clipped. ` +
      'To disable this error and scale the gradients by the non-finite norm anyway, set {errorIfNonfinite: false}');
  }
}

function scale(grads: Tensor[], total: Tensor, maxNorm: number): void {
  noGrad(() => {
    const coef = div(maxNorm, total.add(1e-6)).clamp(null, 1.0);
    for (const g of grads) g.detach().mul_(coef.to(g.device));
  });
}

/** Clamp every gradient to [-clipValue, clipValue] in place. */
export function clipGradValue_(parameters: Iterable<Tensor> | Tensor, clipValue: number | { clipValue: number; foreach?: boolean | null }): void {
  const o = callArgs('nn.utils.clipGradValue_', [clipValue], ['clipValue'], ['foreach']);
  if (o.clipValue === undefined) throw new ArgumentError('nn.utils.clipGradValue_: missing clipValue, e.g. clipGradValue_(model.parameters(), 1.0)');
  clipValue = checkNumber('nn.utils.clipGradValue_', 'clipValue', o.clipValue, { min: 0, infinite: true });
  noGrad(() => {
    for (const p of asList(parameters)) if (p.grad !== null) p.grad.detach().clamp_(-clipValue, clipValue);
  });
}
