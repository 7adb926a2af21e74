/**
 * @file nn.utils.clipGradNorm_ and clipGradValue_: scale or clamp the gradients of parameters in place, in
 * PyTorch's order (total norm = norm of the per-parameter norms; coefficient maxNorm / (total + 1e-6) clamped to 1).
 */
import { noGrad } from '../../autograd/grad-mode.js';
import { TorchletError } from '../../core/errors.js';
import { Tensor } from '../../tensor/tensor.js';
import { tensor } from '../../ops/creation.js';
import { div } from '../../ops/elementwise.js';
import { stack } from '../../ops/movement.js';
import '../../ops/methods.js';

export interface ClipGradNormOptions {
  /** The p of the p-norm (default 2; Infinity for the max-norm). */
  normType?: number;
  /** Throw when the total norm is NaN or infinite instead of scaling by it. */
  errorIfNonfinite?: boolean;
}

function asList(parameters: Iterable<Tensor> | Tensor): Tensor[] {
  return parameters instanceof Tensor ? [parameters] : [...parameters];
}

/**
 * Scale the gradients so that their joint `normType`-norm is at most `maxNorm`. Returns the total norm before
 * clipping (a 0-dim tensor, as PyTorch).
 */
export function clipGradNorm_(parameters: Iterable<Tensor> | Tensor, maxNorm: number, opts: ClipGradNormOptions = {}): Tensor {
  const { normType = 2, errorIfNonfinite = false } = opts;
  const grads = asList(parameters).map((p) => p.grad).filter((g): g is Tensor => g !== null);
  if (grads.length === 0) return tensor(0);
  return noGrad(() => {
    const device = grads[0].device;
    let total: Tensor;
    if (normType === Infinity) {
      const norms = grads.map((g) => g.detach().abs().max().to(device));
      total = norms.length === 1 ? norms[0] : stack(norms).max();
    } else {
      total = stack(grads.map((g) => g.detach().norm(normType).to(device))).norm(normType);
    }
    if (errorIfNonfinite) {
      const v = total.item();
      if (!Number.isFinite(v)) {
        throw new TorchletError(`clipGradNorm_: The total norm of order ${normType} for gradients from \`parameters\` is non-finite, so it cannot be clipped. ` +
          'To disable this error and scale the gradients by the non-finite norm anyway, set {errorIfNonfinite: false}');
      }
    }
    const coef = div(maxNorm, total.add(1e-6)).clamp(null, 1.0);
    for (const g of grads) g.detach().mul_(coef.to(g.device));
    return total;
  });
}

/** Clamp every gradient to [-clipValue, clipValue] in place. */
export function clipGradValue_(parameters: Iterable<Tensor> | Tensor, clipValue: number): void {
  noGrad(() => {
    for (const p of asList(parameters)) if (p.grad !== null) p.grad.detach().clamp_(-clipValue, clipValue);
  });
}
