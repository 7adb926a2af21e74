/**
 * @file Pooling ops (1-D and 2-D spatial dims): max pooling on the backend's maxPool kernel (with the flat
 * argmax indices PyTorch returns), average pooling as im2col + sum / divisor, adaptive average pooling as two
 * pooling-matrix products. Each backward is written with ops.
 */
import { record } from '../autograd/node.js';
import { ShapeError } from '../core/errors.js';
import { fmt, numel } from '../core/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { fromHost } from './creation.js';
import { div } from './elementwise.js';
import { gather } from './indexing.js';
import { matmul } from './linalg.js';
import { reshape, squeeze, transpose, unsqueeze } from './movement.js';
import { sum } from './reduce.js';
import { im2colOp, ntuple, type IntOrTuple } from './conv.js';
import { be, computable, make, requireFloat } from './util.js';
import { checkSpec } from '../core/args.js';
import { customOp, In, type OpFn } from './registry.js';


export interface MaxPoolOpts {
  stride?: IntOrTuple | null;
  padding?: IntOrTuple;
  dilation?: IntOrTuple;
  ceilMode?: boolean;
}
export interface AvgPoolOpts {
  stride?: IntOrTuple | null;
  padding?: IntOrTuple;
  ceilMode?: boolean;
  countIncludePad?: boolean;
  divisorOverride?: number | null;
}

/** PyTorch's pooling_output_shape, including the ceil-mode rule that the last window starts inside the input. */
function poolOut(S: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  let o = Math.floor((S + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0)) / s) + 1;
  if (ceil && (o - 1) * s >= S + p) o--;
  return o;
}

interface PoolGeo { kernel: number[]; stride: number[]; padding: number[]; dilation: number[]; outS: number[] }

function poolGeometry(op: string, nd: number, x: Tensor, kernelSize: IntOrTuple, opts: MaxPoolOpts): PoolGeo {
  const kernel = ntuple(op, 'kernelSize', kernelSize, nd);
  const stride = opts.stride === undefined || opts.stride === null || (Array.isArray(opts.stride) && opts.stride.length === 0)
    ? kernel : ntuple(op, 'stride', opts.stride, nd);
  const padding = ntuple(op, 'padding', opts.padding ?? 0, nd);
  const dilation = ntuple(op, 'dilation', opts.dilation ?? 1, nd);
  if (kernel.some((k) => k <= 0) || stride.some((s) => s <= 0) || dilation.some((d) => d <= 0)) {
    throw new ShapeError(`${op}: kernelSize ${fmt(kernel)}, stride ${fmt(stride)} and dilation ${fmt(dilation)} must be positive`);
  }
  padding.forEach((p, i) => {
    if (p < 0 || p > Math.floor(kernel[i] / 2)) throw new ShapeError(`${op}: pad should be at most half of effective kernel size, but got pad=${fmt(padding)}, kernel_size=${fmt(kernel)}`);
  });
  const spatial = x.shape.slice(2);
  const outS = spatial.map((S, i) => poolOut(S, kernel[i], stride[i], padding[i], dilation[i], opts.ceilMode ?? false));
  if (outS.some((o) => o <= 0)) {
    throw new ShapeError(`${op}: given input size ${fmt(spatial)}, kernel ${fmt(kernel)}, padding ${fmt(padding)}, dilation ${fmt(dilation)}: calculated output size ${fmt(outS)} is too small`);
  }
  return { kernel, stride, padding, dilation, outS };
}

/** Run `fn` on a batched input, adding and removing the batch dim for unbatched [C, ...spatial] inputs. */
function batched<T extends Tensor | { values: Tensor; indices: Tensor }>(op: string, nd: number, x: Tensor, fn: (xb: Tensor) => T): T {
  computable(op, x);
  if (x.ndim === nd + 2) return fn(x);
  if (x.ndim !== nd + 1) throw new ShapeError(`${op}: expected ${nd + 1}-D (unbatched) or ${nd + 2}-D (batched) input, got shape ${fmt(x.shape)}`);
  const r = fn(unsqueeze(x, 0));
  if (r instanceof Tensor) return squeeze(r, 0) as T;
  return { values: squeeze(r.values, 0), indices: squeeze(r.indices, 0) } as T;
}

/** Gradient of max pooling: scatter-add grad [N, C, ...outS] into [N, C, ...spatial] at the flat indices. */
function maxPoolBackwardOpFn(grad: Tensor, indices: Tensor, spatial: readonly number[]): Tensor {
  const [N, C] = grad.shape;
  const out = make(be(grad).maxPoolBackward(grad, indices, spatial), [N, C, ...spatial]);
  return record(out, 'MaxPoolBackward', [grad], (gg) => {
    const flatIdx = reshape(indices, [N, C, -1]);
    return [reshape(gather(reshape(gg, [N, C, numel(spatial)]), 2, flatIdx), grad.shape)];
  }, []);
}
const maxPoolBackwardOp: OpFn<typeof maxPoolBackwardOpFn, false, false> = customOp({
  name: 'maxPoolBackwardOp', fn: maxPoolBackwardOpFn, method: false, kernels: ['maxPoolBackward'], backward: 'records', samples: [],
});

function maxPoolNd(op: string, nd: number, x: Tensor, kernelSize: IntOrTuple, opts: MaxPoolOpts): { values: Tensor; indices: Tensor } {
  return batched(op, nd, x, (xb) => {
    const g = poolGeometry(op, nd, xb, kernelSize, opts);
    const [N, C] = xb.shape;
    const spatial = xb.shape.slice(2);
    const [vals, idx] = be(xb).maxPool(xb, g.kernel, g.stride, g.padding, g.dilation, g.outS);
    const indices = make(idx, [N, C, ...g.outS]);
    const values = record(make(vals, [N, C, ...g.outS]), `MaxPool${nd}DWithIndices`, [xb], (grad) => [maxPoolBackwardOp(grad, indices, spatial)], []);
    return { values, indices };
  });
}

function maxPool1dFn(x: Tensor, kernelSize: IntOrTuple, opts?: MaxPoolOpts & { returnIndices?: false }): Tensor;
function maxPool1dFn(x: Tensor, kernelSize: IntOrTuple, opts: MaxPoolOpts & { returnIndices: true }): { values: Tensor; indices: Tensor };
function maxPool1dFn(x: Tensor, kernelSize: IntOrTuple, opts: MaxPoolOpts & { returnIndices?: boolean } = {}): Tensor | { values: Tensor; indices: Tensor } {
  opts = checkSpec('F.maxPool1d', opts, { stride: 'any', padding: 'any', dilation: 'any', ceilMode: 'bool', returnIndices: 'bool' });
  const r = maxPoolNd('maxPool1d', 1, x, kernelSize, opts);
  return opts.returnIndices ? r : r.values;
}
/** F.max_pool1d over [N, C, L]; `returnIndices` gives {values, indices} as PyTorch's tuple. */
export const maxPool1d: OpFn<typeof maxPool1dFn, false, false> = customOp({ name: 'maxPool1d', fn: maxPool1dFn, method: false, kernels: ['maxPool'], backward: 'records', samples: [
  { id: 'stride', inputs: [In.F(2, 3, 8)], py: 'F.max_pool1d(a, 3, stride=2)', call: (x) => maxPool1d(x, 3, { stride: 2 }) },
] });

function maxPool2dFn(x: Tensor, kernelSize: IntOrTuple, opts?: MaxPoolOpts & { returnIndices?: false }): Tensor;
function maxPool2dFn(x: Tensor, kernelSize: IntOrTuple, opts: MaxPoolOpts & { returnIndices: true }): { values: Tensor; indices: Tensor };
function maxPool2dFn(x: Tensor, kernelSize: IntOrTuple, opts: MaxPoolOpts & { returnIndices?: boolean } = {}): Tensor | { values: Tensor; indices: Tensor } {
  opts = checkSpec('F.maxPool2d', opts, { stride: 'any', padding: 'any', dilation: 'any', ceilMode: 'bool', returnIndices: 'bool' });
  const r = maxPoolNd('maxPool2d', 2, x, kernelSize, opts);
  return opts.returnIndices ? r : r.values;
}
/** F.max_pool2d over [N, C, H, W]; `returnIndices` gives {values, indices} (flat indices into H*W). */
export const maxPool2d: OpFn<typeof maxPool2dFn, false, false> = customOp({ name: 'maxPool2d', fn: maxPool2dFn, method: false, kernels: ['maxPool'], backward: 'records', samples: [
  { id: 'k2', inputs: [In.F(2, 3, 6, 6)], py: 'F.max_pool2d(a, 2)', call: (x) => maxPool2d(x, 2) },
  { id: 'pad-stride-step', inputs: [In.S(In.F(1, 2, 5, 5))], py: 'F.max_pool2d(a, 3, stride=2, padding=1)', call: (x) => maxPool2d(x, 3, { stride: 2, padding: 1 }) },
] });

/** Per-output-position divisors of average pooling, as PyTorch's AvgPoolKernel computes them. */
function avgDivisors(spatial: readonly number[], g: PoolGeo, countIncludePad: boolean, override: number | null | undefined): Float64Array {
  const L = numel(g.outS);
  const out = new Float64Array(L);
  const dims = spatial.length;
  for (let l = 0; l < L; l++) {
    let rem = l, poolSize = 1, valid = 1;
    for (let i = dims - 1; i >= 0; i--) {
      const o = rem % g.outS[i]; rem = Math.floor(rem / g.outS[i]);
      let start = o * g.stride[i] - g.padding[i];
      let end = Math.min(start + g.kernel[i], spatial[i] + g.padding[i]);
      poolSize *= end - start;
      start = Math.max(start, 0); end = Math.min(end, spatial[i]);
      valid *= end - start;
    }
    out[l] = override ? override : countIncludePad ? poolSize : valid;
  }
  return out;
}

function avgPoolNd(op: string, nd: number, x: Tensor, kernelSize: IntOrTuple, opts: AvgPoolOpts): Tensor {
  requireFloat(op, x);
  return batched(op, nd, x, (xb) => {
    const g = poolGeometry(op, nd, xb, kernelSize, { stride: opts.stride, padding: opts.padding, ceilMode: opts.ceilMode });
    if (opts.divisorOverride !== undefined && opts.divisorOverride !== null && opts.divisorOverride === 0) throw new ShapeError(`${op}: divisorOverride must be non-zero`);
    const [N, C] = xb.shape;
    const spatial = xb.shape.slice(2);
    const cols = im2colOp(reshape(xb, [N * C, 1, ...spatial]), g, g.outS); // [N*C, Kp, L]
    const dv = avgDivisors(spatial, g, opts.countIncludePad ?? true, opts.divisorOverride);
    const divisor = xb.dtype === 'float64' ? fromHost(dv, 'float64', [dv.length], xb.device) : fromHost(Float32Array.from(dv), 'float32', [dv.length], xb.device);
    return reshape(div(sum(cols, 1), divisor), [N, C, ...g.outS]);
  });
}

function avgPool1dFn(x: Tensor, kernelSize: IntOrTuple, opts: Omit<AvgPoolOpts, 'divisorOverride'> = {}): Tensor {
  opts = checkSpec('F.avgPool1d', opts, { stride: 'any', padding: 'any', ceilMode: 'bool', countIncludePad: 'bool' });
  return avgPoolNd('avgPool1d', 1, x, kernelSize, opts);
}
/** F.avg_pool1d over [N, C, L]. */
export const avgPool1d: OpFn<typeof avgPool1dFn, false, false> = customOp({ name: 'avgPool1d', fn: avgPool1dFn, method: false, backward: 'composite', samples: [
  { id: 'stride', inputs: [In.F(2, 3, 7)], py: 'F.avg_pool1d(a, 3, stride=2)', call: (x) => avgPool1d(x, 3, { stride: 2 }) },
] });
function avgPool2dFn(x: Tensor, kernelSize: IntOrTuple, opts: AvgPoolOpts = {}): Tensor {
  opts = checkSpec('F.avgPool2d', opts, { stride: 'any', padding: 'any', ceilMode: 'bool', countIncludePad: 'bool', divisorOverride: { number: { integer: true, min: 1 }, nullable: true } });
  return avgPoolNd('avgPool2d', 2, x, kernelSize, opts);
}
/** F.avg_pool2d over [N, C, H, W]. */
export const avgPool2d: OpFn<typeof avgPool2dFn, false, false> = customOp({ name: 'avgPool2d', fn: avgPool2dFn, method: false, backward: 'composite', samples: [
  { id: 'pad-stride', inputs: [In.F(2, 3, 6, 6)], py: 'F.avg_pool2d(a, 3, stride=2, padding=1)', call: (x) => avgPool2d(x, 3, { stride: 2, padding: 1 }) },
  { id: 'exclude-pad-ceil-T', inputs: [In.T(In.F(1, 2, 5, 6))], py: 'F.avg_pool2d(a, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)',
    call: (x) => avgPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }) },
] });

/** [out, S] matrix averaging the adaptive windows start = floor(i S / out), end = ceil((i + 1) S / out). */
function adaptiveMatrix(S: number, out: number, x: Tensor): Tensor {
  const m = new Float64Array(out * S);
  for (let i = 0; i < out; i++) {
    const start = Math.floor((i * S) / out), end = Math.ceil(((i + 1) * S) / out);
    for (let j = start; j < end; j++) m[i * S + j] = 1 / (end - start);
  }
  return fromHost(x.dtype === 'float64' ? m : Float32Array.from(m), x.dtype === 'float64' ? 'float64' : 'float32', [out, S], x.device);
}

function adaptiveAvgPool2dFn(x: Tensor, outputSize: number | readonly (number | null)[]): Tensor {
  requireFloat('adaptiveAvgPool2d', x);
  if (x.ndim !== 3 && x.ndim !== 4) throw new ShapeError(`adaptiveAvgPool2d: expected 3-D or 4-D input, got shape ${fmt(x.shape)}`);
  const [H, W] = x.shape.slice(-2);
  const sz = typeof outputSize === 'number' ? [outputSize, outputSize] : outputSize.length === 1 ? [outputSize[0], outputSize[0]] : outputSize;
  if (sz.length !== 2) throw new ShapeError(`adaptiveAvgPool2d: outputSize must be a number or 2 numbers, got ${JSON.stringify(outputSize)}`);
  const oh = sz[0] ?? H, ow = sz[1] ?? W;
  if (oh <= 0 || ow <= 0 || !Number.isInteger(oh) || !Number.isInteger(ow)) throw new ShapeError(`adaptiveAvgPool2d: outputSize must be positive integers, got [${oh}, ${ow}]`);
  // out = Ph @ x @ Pwᵀ over the last two dims
  return matmul(matmul(adaptiveMatrix(H, oh, x), x), transpose(adaptiveMatrix(W, ow, x), 0, 1));
}
/** F.adaptive_avg_pool2d over [N, C, H, W] or [C, H, W]; an entry of outputSize may be null (keep that size). */
export const adaptiveAvgPool2d: OpFn<typeof adaptiveAvgPool2dFn, false, false> = customOp({
  name: 'adaptiveAvgPool2d', fn: adaptiveAvgPool2dFn, method: false, backward: 'composite', samples: [
    { id: '1x1', inputs: [In.F(2, 3, 5, 5)], py: 'F.adaptive_avg_pool2d(a, 1)', call: (a) => adaptiveAvgPool2d(a, 1) },
    { id: 'uneven', inputs: [In.F(1, 2, 5, 7)], py: 'F.adaptive_avg_pool2d(a, (3, 2))', call: (a) => adaptiveAvgPool2d(a, [3, 2]) },
    { id: 'T', inputs: [In.T(In.F(1, 2, 4, 6))], py: 'F.adaptive_avg_pool2d(a, (2, 2))', call: (a) => adaptiveAvgPool2d(a, [2, 2]) },
  ],
});

function adaptiveAvgPool1dFn(x: Tensor, outputSize: number): Tensor {
  requireFloat('adaptiveAvgPool1d', x);
  if (x.ndim !== 2 && x.ndim !== 3) throw new ShapeError(`adaptiveAvgPool1d: expected 2-D or 3-D input, got shape ${fmt(x.shape)}`);
  const L = x.shape[x.ndim - 1];
  return matmul(x, transpose(adaptiveMatrix(L, outputSize, x), 0, 1));
}
/** F.adaptive_avg_pool1d over [N, C, L] or [C, L]. */
export const adaptiveAvgPool1d: OpFn<typeof adaptiveAvgPool1dFn, false, false> = customOp({ name: 'adaptiveAvgPool1d', fn: adaptiveAvgPool1dFn, method: false, backward: 'composite', samples: [
  { id: 'uneven', inputs: [In.F(2, 3, 7)], py: 'F.adaptive_avg_pool1d(a, 3)', call: (x) => adaptiveAvgPool1d(x, 3) },
] });
