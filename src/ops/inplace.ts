/**
 * @file In-place ops (trailing underscore): compute out of place, write into the receiver's storage, bump its
 * version counter, and rebase its grad_fn. Guarded as PyTorch guards them: a leaf that requires grad may only
 * be modified inside noGrad. The in-place ops here (fill_, copy_, the random fills) are registered definitions
 * (ops/registry.ts) named with their underscore; the `name_` forms of out-of-place ops are built on `assign`.
 */
import { callArgs, checkNumber } from '../core/args.js';
import { isGradEnabled } from '../autograd/grad-mode.js';
import { AutogradError, ShapeError } from '../core/errors.js';
import { fmt, shapesEqual } from '../core/shape.js';
import { arrayFor } from '../core/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import * as rng from '../random/index.js';
import { expand, toDtype } from './movement.js';
import { be, make } from './util.js';
import { customOp, type Kernel, type OpFn } from './registry.js';

type Method<F> = OpFn<F, true, false>;
const RANDOM = 'random values: no gradient';
/** The random fills draw on the host and copy in. */
const FILL: readonly Kernel[] = ['fromArray', 'copyInto'];

export function checkInplace(self: Tensor, op: string): void {
  if (!isGradEnabled()) return;
  if (self.isLeaf && self.requiresGrad) {
    throw new AutogradError(`${op}: a leaf Variable that requires grad (shape ${fmt(self.shape)}) is being used in an in-place operation. ` +
      'Wrap the update in torch.noGrad(() => ...) (as optimizers do), or use the out-of-place op.');
  }
  if (self.base && self.requiresGrad) {
    throw new AutogradError(`${op}: in-place modification of a view of a tensor that requires grad is not supported; use the out-of-place op or clone() first`);
  }
}

/** Write `result` (broadcastable to self) into self. */
export function assign(self: Tensor, op: string, result: Tensor): Tensor {
  checkInplace(self, op);
  if (!shapesEqual(result.shape, self.shape)) {
    try { result = expand(result, self.shape); } catch {
      throw new ShapeError(`${op}: output with shape ${fmt(self.shape)} doesn't match the broadcast shape ${fmt(result.shape)}`);
    }
  }
  if (result.dtype !== self.dtype) result = toDtype(result, self.dtype);
  be(self).copyInto(self, result);
  self.bumpVersion();
  if (isGradEnabled() && result.requiresGrad) {
    self.gradFn = result.gradFn;
    self.setRequiresGradInternal(true);
  }
  return self;
}

export const fill_: Method<(self: Tensor, value: number | boolean) => Tensor> = customOp({
  name: 'fill_', kernels: ['fill'], method: true, nonDifferentiable: 'writes a constant (the graph is not rebased)', samples: [],
  fn: (self: Tensor, value: number | boolean): Tensor => {
    checkInplace(self, 'fill_');
    be(self).fill(self, +value);
    self.bumpVersion();
    return self;
  },
});
export const zero_: Method<(self: Tensor) => Tensor> = customOp({
  name: 'zero_', kernels: ['fill'], method: true, nonDifferentiable: 'writes zeros (the graph is not rebased)', samples: [],
  fn: (self: Tensor): Tensor => { checkInplace(self, 'zero_'); return fill_(self, 0); },
});

/** Copy src (broadcast, cast) into self; differentiable with respect to src. */
function copyFn(self: Tensor, src: Tensor): Tensor {
  if (src.device !== self.device) {
    const raw = be(src).readSync(be(src).contiguous(src, src.dtype));
    if (raw === null) throw new AutogradError(`copy_: reading from ${src.device} is asynchronous; use await src.toAsync('${self.device}') first`);
    src = make(be(self).fromArray(src.dtype, raw), src.shape);
  }
  return assign(self, 'copy_', src);
}
export const copy_: Method<typeof copyFn> = customOp({
  name: 'copy_', fn: copyFn, kernels: ['copyInto', 'readSync', 'contiguous', 'fromArray'], method: true, backward: 'composite', samples: [],
});

type RandomFill = (g: rng.Generator, a: Float32Array | Float64Array) => void;

function randomFill(self: Tensor, op: string, fill: RandomFill, generator?: rng.Generator): Tensor {
  checkInplace(self, op);
  const dt = self.dtype === 'float64' ? 'float64' : 'float32';
  const a = arrayFor(dt, self.numel()) as Float32Array | Float64Array;
  if (self.device !== 'meta') fill(generator ?? rng.defaultGenerator, a); // meta: shapes only, nothing drawn
  be(self).copyInto(self, make(be(self).fromArray(dt, a), self.shape));
  self.bumpVersion();
  return self;
}

export interface GenOpt { generator?: rng.Generator }
export type UniformOpts = GenOpt & { from?: number; to?: number };
export type NormalOpts = GenOpt & { mean?: number; std?: number };

/** Positional numbers and/or trailing keyword options (`t.normal_(0, 0.02)`, `t.normal_({ std: 0.02 })`), checked. */
function fillArgs(op: string, args: readonly unknown[], names: string[]): Record<string, number> & GenOpt {
  const o = callArgs(op, args, names, ['generator']);
  for (const [k, v] of Object.entries(o)) if (k !== 'generator') checkNumber(op, k, v, { infinite: true });
  return o as Record<string, number> & GenOpt;
}

export const uniform_: Method<(self: Tensor, from?: number | UniformOpts, to?: number | UniformOpts, opts?: UniformOpts) => Tensor> = customOp({
  name: 'uniform_', kernels: FILL, method: true, nonDifferentiable: RANDOM, samples: [],
  fn: (self: Tensor, ...args: [from?: number | UniformOpts, to?: number | UniformOpts, opts?: UniformOpts]): Tensor => {
    const o = fillArgs('uniform_', args, ['from', 'to']);
    const from = o.from ?? 0, to = o.to ?? 1;
    return randomFill(self, 'uniform_', (g, a) => rng.uniform_(g, a, from, to), o.generator);
  },
});
export const normal_: Method<(self: Tensor, mean?: number | NormalOpts, std?: number | NormalOpts, opts?: NormalOpts) => Tensor> = customOp({
  name: 'normal_', kernels: FILL, method: true, nonDifferentiable: RANDOM, samples: [],
  fn: (self: Tensor, ...args: [mean?: number | NormalOpts, std?: number | NormalOpts, opts?: NormalOpts]): Tensor => {
    const o = fillArgs('normal_', args, ['mean', 'std']);
    const mean = o.mean ?? 0, std = o.std ?? 1;
    return randomFill(self, 'normal_', (g, a) => rng.normal_(g, a, mean, std), o.generator);
  },
});
export const exponential_: Method<(self: Tensor, lambd?: number | (GenOpt & { lambd?: number }), opts?: GenOpt) => Tensor> = customOp({
  name: 'exponential_', kernels: FILL, method: true, nonDifferentiable: RANDOM, samples: [],
  fn: (self: Tensor, ...args: [lambd?: number | (GenOpt & { lambd?: number }), opts?: GenOpt]): Tensor => {
    const o = fillArgs('exponential_', args, ['lambd']);
    return randomFill(self, 'exponential_', (g, a) => rng.exponential_(g, a, o.lambd ?? 1), o.generator);
  },
});
export const bernoulli_: Method<(self: Tensor, p?: number | (GenOpt & { p?: number }), opts?: GenOpt) => Tensor> = customOp({
  name: 'bernoulli_', kernels: FILL, method: true, nonDifferentiable: RANDOM, samples: [],
  fn: (self: Tensor, ...args: [p?: number | (GenOpt & { p?: number }), opts?: GenOpt]): Tensor => {
    const o = fillArgs('bernoulli_', args, ['p']);
    return randomFill(self, 'bernoulli_', (g, a) => rng.bernoulliScalar_(g, a, o.p ?? 0.5), o.generator);
  },
});
/** Integers in [from, to) (PyTorch's random_(from, to)), written in the tensor's dtype. */
function randomFn(self: Tensor, from: number, to: number, opts: GenOpt = {}): Tensor {
  checkInplace(self, 'random_');
  const a = arrayFor(self.dtype === 'int32' ? 'int32' : 'float64', self.numel()) as Float64Array | Int32Array;
  if (self.device !== 'meta') rng.randint_(opts.generator ?? rng.defaultGenerator, a, from, to, self.dtype === 'int32' ? 'int32' : self.dtype === 'float32' ? 'float32' : 'int64');
  be(self).copyInto(self, make(be(self).fromArray(self.dtype === 'int32' ? 'int32' : 'float64', a), self.shape));
  self.bumpVersion();
  return self;
}
export const random_: Method<typeof randomFn> = customOp({ name: 'random_', fn: randomFn, kernels: FILL, method: true, nonDifferentiable: RANDOM, samples: [] });
