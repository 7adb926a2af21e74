/**
 * @file nn.Parameter and nn.Buffer: Tensor subclasses that mark how a tensor attached to a Module is treated.
 * A Parameter is a trainable leaf (seen by parameters(), moved, saved); a Buffer is fixed state (moved, saved
 * unless `persistent: false`, never requires grad). Both share the storage of the tensor they wrap and work in
 * every op as plain tensors (ops return plain Tensors).
 */
import { ModuleError } from '../core/errors.js';
import { checkBoolean, checkSpec, describeType as describe } from '../core/args.js';
import { Tensor } from '../tensor/tensor.js';

/** A trainable tensor of a Module: `new nn.Parameter(t)` shares t's storage and is a leaf that requires grad. */
export class Parameter extends Tensor {
  constructor(data: Tensor, requiresGrad: boolean | { requiresGrad?: boolean } = true) {
    if (typeof requiresGrad === 'object' && requiresGrad !== null) {
      requiresGrad = checkSpec<{ requiresGrad: boolean }>('nn.Parameter', requiresGrad, { requiresGrad: 'bool' }).requiresGrad ?? true;
    } else checkBoolean('nn.Parameter', 'requiresGrad', requiresGrad);
    if (!(data instanceof Tensor)) {
      throw new ModuleError(`nn.Parameter: expected a Tensor to wrap, got ${describe(data)}; create one with torch.zeros([...]), torch.randn([...]) or torch.tensor(...)`);
    }
    super(data.storage, data.shape, data.strides, data.offset);
    this.base = data.base;
    if (requiresGrad) this.requiresGrad_(true);
  }

  override toString(): string { return `Parameter containing:\n${super.toString()}`; }
}

export interface BufferOptions {
  /** Saved by stateDict() (default true). Non-persistent buffers move with the module but are never saved. */
  persistent?: boolean;
}

/** Fixed state of a Module: `new nn.Buffer(t, {persistent = true})` shares t's storage and never requires grad. */
export class Buffer extends Tensor {
  /** Whether stateDict() saves it. */
  readonly persistent: boolean;
  constructor(data: Tensor, options: BufferOptions = {}) {
    const opts = checkSpec<BufferOptions>('nn.Buffer', options, { persistent: 'bool' });
    if (!(data instanceof Tensor)) {
      throw new ModuleError(`nn.Buffer: expected a Tensor to wrap, got ${describe(data)}; create one with torch.zeros([...]) or torch.tensor(...)`);
    }
    super(data.storage, data.shape, data.strides, data.offset);
    this.base = data.base;
    this.persistent = opts.persistent ?? true;
  }

  override requiresGrad_(flag = true): this {
    if (flag) {
      throw new ModuleError('nn.Buffer: a buffer never requires grad; wrap the tensor in nn.Parameter(...) to train it');
    }
    return super.requiresGrad_(false);
  }
}

/** A short description of a JS value's type, for error messages (core/args.ts: the one copy). */
export { describe };
