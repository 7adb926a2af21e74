/**
 * @file Whole-tensor comparisons: torch.equal, torch.isclose and torch.allclose with PyTorch's semantics
 * (|a - b| <= atol + |rtol * b| computed in the inputs' dtype, infinities close only to themselves, NaN close to NaN
 * only with equalNan, integer inputs compared in float32, the same dtype required for isclose/allclose).
 * No gradients (PyTorch's are non-differentiable too). Registered definitions (ops/registry.ts: `customOp`); their
 * values are checked by test/ops/compare.test.ts (no op-table samples).
 */
import { checkBoolean, checkNumber, checkOptions } from '../core/args.js';
import { DTypeError, DeviceError } from '../core/errors.js';
import { isFloating } from '../core/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { noGrad } from '../autograd/grad-mode.js';
import { abs, add, eq, isnan, le, logicalAnd, logicalOr, lt, mul, sub } from './elementwise.js';
import { all } from './reduce.js';
import { toDtype } from './movement.js';
import { customOp, type OpFn } from './registry.js';

export interface IscloseOpts { rtol?: number; atol?: number; equalNan?: boolean }

function checkTensors(fn: string, a: unknown, b: unknown): [Tensor, Tensor] {
  if (!(a instanceof Tensor)) throw new TypeError(`${fn}: input must be a Tensor, got ${a === null ? 'null' : typeof a}`);
  if (!(b instanceof Tensor)) throw new TypeError(`${fn}: other must be a Tensor, got ${b === null ? 'null' : typeof b}`);
  if (a.device !== b.device) throw new DeviceError(`${fn}: expected both tensors on the same device, got ${a.device} and ${b.device}; move one with .to('${a.device}')`);
  return [a, b];
}

/** True when both tensors have the same shape and the same elements (NaN is never equal), as torch.equal. */
function equalFn(input: Tensor, other: Tensor): boolean {
  const [a, b] = checkTensors('equal', input, other);
  if (a.ndim !== b.ndim || a.shape.some((s, i) => s !== b.shape[i])) return false;
  if (a.numel() === 0) return true;
  return Boolean(noGrad(() => all(eq(a, b)).item()));
}

/** Elementwise |input - other| <= atol + |rtol * other| (or equal, or both NaN with equalNan): a bool tensor, broadcast. */
function iscloseFn(input: Tensor, other: Tensor, opts: IscloseOpts = {}): Tensor {
  const fn = 'isclose';
  const [a, b] = checkTensors(fn, input, other);
  const o = checkOptions<IscloseOpts>(fn, opts, ['rtol', 'atol', 'equalNan']);
  const rtol = o.rtol === undefined ? 1e-5 : checkNumber(fn, 'rtol', o.rtol, { min: 0 });
  const atol = o.atol === undefined ? 1e-8 : checkNumber(fn, 'atol', o.atol, { min: 0 });
  const equalNan = o.equalNan === undefined ? false : checkBoolean(fn, 'equalNan', o.equalNan);
  if (a.dtype !== b.dtype) throw new DTypeError(`${fn}: expected both inputs to be the same dtype, got ${a.dtype} and ${b.dtype}; convert one with .to('${a.dtype}')`);
  return noGrad(() => {
    let close = eq(a, b);
    const floating = isFloating(a.dtype);
    if (equalNan && floating) close = logicalOr(close, logicalAnd(isnan(a), isnan(b)));
    if (a.dtype === 'bool' || (rtol === 0 && atol === 0)) return close;
    const ca = floating ? a : toDtype(a, 'float32'), cb = floating ? b : toDtype(b, 'float32');
    const allowed = add(abs(mul(cb, rtol)), atol);
    const actual = abs(sub(ca, cb));
    return logicalOr(close, logicalAnd(lt(actual, Infinity), le(actual, allowed)));
  });
}

/** True when isclose(input, other, opts) holds for every element (after broadcasting), as torch.allclose. */
function allcloseFn(input: Tensor, other: Tensor, opts: IscloseOpts = {}): boolean {
  const c = isclose(input, other, opts);
  return c.numel() === 0 || Boolean(all(c).item());
}

export const equal: OpFn<typeof equalFn, true, false> = customOp({
  name: 'equal', fn: equalFn, nonDifferentiable: 'returns a boolean', method: true, samples: [],
});
export const isclose: OpFn<typeof iscloseFn, true, false> = customOp({
  name: 'isclose', fn: iscloseFn, nonDifferentiable: 'returns a bool tensor (PyTorch: not differentiable)', method: true, samples: [],
});
export const allclose: OpFn<typeof allcloseFn, true, false> = customOp({
  name: 'allclose', fn: allcloseFn, nonDifferentiable: 'returns a boolean', method: true, samples: [],
});
