/**
 * @file Convolution ops built on the backend's im2col / col2im kernels (1-D and 2-D spatial dims).
 * `unfold` (im2col) and `fold` (col2im) are differentiable adjoints of each other; convolution is
 * unfold + a grouped matmul, transposed convolution is the adjoint: a grouped matmul with weightᵀ + fold.
 * Every gradient flows through those ops, so nothing here writes its own GEMM backward.
 */
import { record } from '../autograd/node.js';
import { DTypeError, ShapeError } from '../core/errors.js';
import { fmt, numel } from '../core/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { add } from './elementwise.js';
import { convFused } from './fused.js';
import { matmul } from './linalg.js';
import { reshape, squeeze, transpose, unsqueeze } from './movement.js';
import { be, computable, make, sameDevice } from './util.js';
import { checkSpec } from '../core/args.js';
import { customOp, In, type OpFn } from './registry.js';

const { F, T, S } = In;


export type IntOrTuple = number | readonly number[];

/** Expand an int-or-tuple argument to `nd` entries (as PyTorch's _single/_pair). */
export function ntuple(op: string, name: string, v: IntOrTuple, nd: number): number[] {
  const arr = typeof v === 'number' ? Array<number>(nd).fill(v) : [...v];
  if (arr.length === 1 && nd > 1) return Array<number>(nd).fill(arr[0]);
  if (arr.length !== nd) throw new ShapeError(`${op}: ${name} must be a number or an array of ${nd} numbers, got ${fmt(arr)}`);
  for (const a of arr) if (!Number.isInteger(a)) throw new ShapeError(`${op}: ${name} must hold integers, got ${fmt(arr)}`);
  return arr;
}

/** Output size of a sliding window: floor((S + 2p - d(k-1) - 1) / s) + 1. */
export function windowOut(S: number, k: number, s: number, pTotal: number, d: number): number {
  return Math.floor((S + pTotal - d * (k - 1) - 1) / s) + 1;
}

interface Geometry { kernel: number[]; stride: number[]; padding: number[]; dilation: number[] }

function im2colOpFn(x: Tensor, g: Geometry, outSpatial: readonly number[]): Tensor {
  const [N, C] = x.shape;
  const spatial = x.shape.slice(2);
  const out = make(be(x).im2col(x, g.kernel, g.stride, g.padding, g.dilation, outSpatial), [N, C * numel(g.kernel), numel(outSpatial)]);
  return record(out, 'Im2Col', [x], (grad) => [col2imOp(grad, C, spatial, g, outSpatial)]);
}
/**
 * im2col as an op: x [N, C, ...spatial] -> [N, C*prod(kernel), prod(outSpatial)], padding on the leading side
 * of each dim (the trailing side is implied by outSpatial, which lets 'same' pad asymmetrically).
 */
export const im2colOp: OpFn<typeof im2colOpFn, false, false> = customOp({ name: 'im2colOp', fn: im2colOpFn, method: false, kernels: ['im2col'], backward: 'records', samples: [] });

function col2imOpFn(cols: Tensor, channels: number, spatial: readonly number[], g: Geometry, outSpatial: readonly number[]): Tensor {
  const N = cols.shape[0];
  const out = make(be(cols).col2im(cols, channels, spatial, g.kernel, g.stride, g.padding, g.dilation, outSpatial), [N, channels, ...spatial]);
  return record(out, 'Col2Im', [cols], (grad) => [im2colOp(grad, g, outSpatial)]);
}
/** col2im as an op (the adjoint of im2colOp): cols [N, C*prod(kernel), L] summed into [N, C, ...spatial]. */
export const col2imOp: OpFn<typeof col2imOpFn, false, false> = customOp({ name: 'col2imOp', fn: col2imOpFn, method: false, kernels: ['col2im'], backward: 'records', samples: [] });

export interface UnfoldOpts { dilation?: IntOrTuple; padding?: IntOrTuple; stride?: IntOrTuple }

function unfoldFn(x: Tensor, kernelSize: IntOrTuple, opts: UnfoldOpts = {}): Tensor {
  opts = checkSpec('F.unfold', opts, { dilation: 'any', padding: 'any', stride: 'any' });
  if (x.ndim !== 4 && x.ndim !== 3) throw new ShapeError(`unfold: expected a 3-D or 4-D input [N, C, H, W], got shape ${fmt(x.shape)}`);
  if (x.ndim === 3) return squeeze(unfold(unsqueeze(x, 0), kernelSize, opts), 0);
  const g = geometry('unfold', kernelSize, opts, 2);
  const outS = x.shape.slice(2).map((S, i) => windowOut(S, g.kernel[i], g.stride[i], 2 * g.padding[i], g.dilation[i]));
  if (outS.some((o) => o <= 0)) throw new ShapeError(`unfold: input spatial size ${fmt(x.shape.slice(2))} is too small for kernel ${fmt(g.kernel)} (dilation ${fmt(g.dilation)}, padding ${fmt(g.padding)})`);
  return im2colOp(x, g, outS);
}
/** F.unfold: sliding local blocks of a 4-D input [N, C, H, W] -> [N, C*kh*kw, L]. */
export const unfold: OpFn<typeof unfoldFn, false, false> = customOp({ name: 'unfold', fn: unfoldFn, method: false, backward: 'composite', samples: [
  { id: 'pad', inputs: [F(1, 2, 4, 5)], py: 'F.unfold(a, (2, 3), padding=1)', call: (x) => unfold(x, [2, 3], { padding: 1 }) },
] });

function foldFn(cols: Tensor, outputSize: IntOrTuple, kernelSize: IntOrTuple, opts: UnfoldOpts = {}): Tensor {
  opts = checkSpec('F.fold', opts, { dilation: 'any', padding: 'any', stride: 'any' });
  if (cols.ndim === 2) return squeeze(fold(unsqueeze(cols, 0), outputSize, kernelSize, opts), 0);
  if (cols.ndim !== 3) throw new ShapeError(`fold: expected a 2-D or 3-D input [N, C*prod(kernel), L], got shape ${fmt(cols.shape)}`);
  const g = geometry('fold', kernelSize, opts, 2);
  const size = ntuple('fold', 'outputSize', outputSize, 2);
  const kp = numel(g.kernel);
  if (cols.shape[1] % kp !== 0) throw new ShapeError(`fold: expected size of input's dimension 1 (${cols.shape[1]}) to be divisible by the product of kernelSize (${kp})`);
  const blocks = size.map((S, i) => windowOut(S, g.kernel[i], g.stride[i], 2 * g.padding[i], g.dilation[i]));
  if (numel(blocks) !== cols.shape[2]) throw new ShapeError(`fold: given outputSize ${fmt(size)}, kernelSize ${fmt(g.kernel)}, the input's last dim should be ${numel(blocks)}, got ${cols.shape[2]}`);
  return col2imOp(cols, cols.shape[1] / kp, size, g, blocks);
}
/** F.fold: combine sliding blocks [N, C*kh*kw, L] into [N, C, ...outputSize] (summing overlaps). */
export const fold: OpFn<typeof foldFn, false, false> = customOp({ name: 'fold', fn: foldFn, method: false, backward: 'composite', samples: [
  { id: 'overlap', inputs: [F(1, 8, 9)], py: 'F.fold(a, (4, 4), 2)', call: (x) => fold(x, [4, 4], 2) },
] });

function geometry(op: string, kernelSize: IntOrTuple, opts: { stride?: IntOrTuple; padding?: IntOrTuple; dilation?: IntOrTuple }, nd: number): Geometry {
  const g = {
    kernel: ntuple(op, 'kernelSize', kernelSize, nd),
    stride: ntuple(op, 'stride', opts.stride ?? 1, nd),
    padding: ntuple(op, 'padding', typeof opts.padding === 'string' ? 0 : opts.padding ?? 0, nd),
    dilation: ntuple(op, 'dilation', opts.dilation ?? 1, nd),
  };
  if (g.kernel.some((k) => k <= 0)) throw new ShapeError(`${op}: kernel size must be positive, got ${fmt(g.kernel)}`);
  if (g.stride.some((s) => s <= 0)) throw new ShapeError(`${op}: stride must be positive, got ${fmt(g.stride)}`);
  if (g.dilation.some((s) => s <= 0)) throw new ShapeError(`${op}: dilation must be positive, got ${fmt(g.dilation)}`);
  if (g.padding.some((s) => s < 0)) throw new ShapeError(`${op}: padding must be non-negative, got ${fmt(g.padding)}`);
  return g;
}

export interface ConvOpts {
  stride?: IntOrTuple;
  /** A number per side, or 'valid' (no padding) / 'same' (output size = input size; stride 1 only). */
  padding?: IntOrTuple | 'valid' | 'same';
  dilation?: IntOrTuple;
  groups?: number;
}

function checkConvArgs(op: string, x: Tensor, weight: Tensor, bias: Tensor | null | undefined, nd: number): void {
  computable(op, x, weight);
  sameDevice(op, x, weight, bias);
  if (x.dtype !== weight.dtype || (bias && bias.dtype !== x.dtype)) {
    throw new DTypeError(`${op}: input (${x.dtype}), weight (${weight.dtype})${bias ? ` and bias (${bias.dtype})` : ''} must have the same dtype; convert with .to('${weight.dtype}')`);
  }
  if (weight.ndim !== nd + 2) throw new ShapeError(`${op}: expected weight of ${nd + 2} dims, got shape ${fmt(weight.shape)}`);
}

/** Shared N-d convolution (nd = 1 or 2). */
function convNd(op: string, nd: number, x: Tensor, weight: Tensor, bias: Tensor | null | undefined, opts: ConvOpts): Tensor {
  checkConvArgs(op, x, weight, bias, nd);
  if (x.ndim === nd + 1) return squeeze(convNd(op, nd, unsqueeze(x, 0), weight, bias, opts), 0);
  if (x.ndim !== nd + 2) throw new ShapeError(`${op}: expected ${nd + 1}-D (unbatched) or ${nd + 2}-D (batched) input, got shape ${fmt(x.shape)}`);
  const groups = opts.groups ?? 1;
  const [N, C] = x.shape;
  const [O, Cg] = weight.shape;
  const kernel = weight.shape.slice(2);
  if (!Number.isInteger(groups) || groups <= 0) throw new ShapeError(`${op}: groups must be a positive integer, got ${groups}`);
  if (O % groups !== 0) throw new ShapeError(`${op}: out channels of weight (${O}) must be divisible by groups (${groups})`);
  if (C !== Cg * groups) {
    throw new ShapeError(`${op}: given groups=${groups}, weight of size ${fmt(weight.shape)}, expected input ${fmt(x.shape)} to have ${Cg * groups} channels, but got ${C} channels instead`);
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== O)) throw new ShapeError(`${op}: expected bias of shape [${O}], got ${fmt(bias.shape)}`);
  const stride = ntuple(op, 'stride', opts.stride ?? 1, nd);
  const dilation = ntuple(op, 'dilation', opts.dilation ?? 1, nd);
  const spatial = x.shape.slice(2);
  let lead: number[], total: number[];
  if (opts.padding === 'same') {
    if (stride.some((s) => s !== 1)) throw new ShapeError(`${op}: padding='same' is not supported for strided convolutions (stride ${fmt(stride)})`);
    total = kernel.map((k, i) => dilation[i] * (k - 1));
    lead = total.map((t) => Math.floor(t / 2));
  } else {
    const p = ntuple(op, 'padding', opts.padding === 'valid' || opts.padding === undefined ? 0 : opts.padding, nd);
    lead = p; total = p.map((v) => 2 * v);
  }
  const g: Geometry = { kernel, stride, padding: lead, dilation };
  const outS = spatial.map((S, i) => windowOut(S, kernel[i], stride[i], total[i], dilation[i]));
  if (outS.some((o) => o <= 0)) {
    throw new ShapeError(`${op}: input spatial size ${fmt(spatial)} (padded by ${fmt(total)}) is smaller than the dilated kernel ${fmt(kernel.map((k, i) => dilation[i] * (k - 1) + 1))}`);
  }
  if (groups === 1) {
    const fused = convFused(x, weight, bias, { ...g, outSpatial: outS }); // one node (ops/fused.ts)
    if (fused) return fused;
  }
  const cols = im2colOp(x, g, outS); // [N, C*Kp, L]
  const kp = numel(kernel), L = numel(outS);
  let out: Tensor;
  if (groups === 1) out = matmul(reshape(weight, [O, C * kp]), cols);
  else out = matmul(reshape(weight, [groups, O / groups, Cg * kp]), reshape(cols, [N, groups, Cg * kp, L]));
  out = reshape(out, [N, O, ...outS]);
  if (bias) out = add(out, reshape(bias, [O, ...Array<number>(nd).fill(1)]));
  return out;
}

function conv1dFn(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: ConvOpts = {}): Tensor {
  opts = checkSpec('F.conv1d', opts, { stride: 'any', padding: 'any', dilation: 'any', groups: 'int' });
  return convNd('conv1d', 1, x, weight, bias, opts);
}
/** F.conv1d: x [N, C, L] (or [C, L]), weight [O, C/groups, k]. */
export const conv1d: OpFn<typeof conv1dFn, false, false> = customOp({ name: 'conv1d', fn: conv1dFn, method: false, backward: 'composite', samples: [
  { id: 'dilation', inputs: [F(2, 3, 7), F(2, 3, 3), F(2)], py: 'F.conv1d(a, b, c, dilation=2)', call: (x, w, b) => conv1d(x, w, b, { dilation: 2 }) },
] });
function conv2dFn(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: ConvOpts = {}): Tensor {
  opts = checkSpec('F.conv2d', opts, { stride: 'any', padding: 'any', dilation: 'any', groups: 'int' });
  return convNd('conv2d', 2, x, weight, bias, opts);
}
/** F.conv2d: x [N, C, H, W] (or [C, H, W]), weight [O, C/groups, kh, kw]. */
export const conv2d: OpFn<typeof conv2dFn, false, false> = customOp({ name: 'conv2d', fn: conv2dFn, method: false, backward: 'composite', samples: [
  { id: 'bias-pad', inputs: [F(2, 3, 5, 5), F(4, 3, 3, 3), F(4)], py: 'F.conv2d(a, b, c, padding=1)', call: (x, w, b) => conv2d(x, w, b, { padding: 1 }) },
  { id: 'stride-groups-T', inputs: [T(F(1, 4, 5, 6)), S(F(4, 2, 2, 2))], py: 'F.conv2d(a, b, stride=2, groups=2)', call: (x, w) => conv2d(x, w, null, { stride: 2, groups: 2 }) },
] });

export interface ConvTransposeOpts {
  stride?: IntOrTuple;
  padding?: IntOrTuple;
  outputPadding?: IntOrTuple;
  groups?: number;
  dilation?: IntOrTuple;
}

/** Transposed convolution: the adjoint of convNd, as col2im(weightᵀ · x). */
function convTransposeNd(op: string, nd: number, x: Tensor, weight: Tensor, bias: Tensor | null | undefined, opts: ConvTransposeOpts): Tensor {
  checkConvArgs(op, x, weight, bias, nd);
  if (x.ndim === nd + 1) return squeeze(convTransposeNd(op, nd, unsqueeze(x, 0), weight, bias, opts), 0);
  if (x.ndim !== nd + 2) throw new ShapeError(`${op}: expected ${nd + 1}-D (unbatched) or ${nd + 2}-D (batched) input, got shape ${fmt(x.shape)}`);
  const groups = opts.groups ?? 1;
  const [N, C] = x.shape;
  const [Cw, Og] = weight.shape;
  const kernel = weight.shape.slice(2);
  if (!Number.isInteger(groups) || groups <= 0) throw new ShapeError(`${op}: groups must be a positive integer, got ${groups}`);
  if (C !== Cw) throw new ShapeError(`${op}: weight of size ${fmt(weight.shape)} expects input with ${Cw} channels, but input ${fmt(x.shape)} has ${C}`);
  if (C % groups !== 0) throw new ShapeError(`${op}: input channels (${C}) must be divisible by groups (${groups})`);
  const O = Og * groups;
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== O)) throw new ShapeError(`${op}: expected bias of shape [${O}], got ${fmt(bias.shape)}`);
  const stride = ntuple(op, 'stride', opts.stride ?? 1, nd);
  const padding = ntuple(op, 'padding', opts.padding ?? 0, nd);
  const dilation = ntuple(op, 'dilation', opts.dilation ?? 1, nd);
  const outPad = ntuple(op, 'outputPadding', opts.outputPadding ?? 0, nd);
  outPad.forEach((p, i) => {
    if (p >= stride[i] && p >= dilation[i]) throw new ShapeError(`${op}: outputPadding (${fmt(outPad)}) must be smaller than either stride (${fmt(stride)}) or dilation (${fmt(dilation)})`);
  });
  const inS = x.shape.slice(2);
  const outS = inS.map((S, i) => (S - 1) * stride[i] - 2 * padding[i] + dilation[i] * (kernel[i] - 1) + outPad[i] + 1);
  if (outS.some((o) => o <= 0)) throw new ShapeError(`${op}: output size ${fmt(outS)} is too small (input ${fmt(inS)}, kernel ${fmt(kernel)}, padding ${fmt(padding)})`);
  const kp = numel(kernel), L = numel(inS), Cg = C / groups;
  // weight [C, O/g, ...k] -> [g, Cg, Og*kp] -> [g, Og*kp, Cg]; x -> [N, g, Cg, L]; cols = wᵀ x -> [N, O*kp, L]
  const wt = transpose(reshape(weight, [groups, Cg, Og * kp]), -1, -2);
  const cols = reshape(matmul(wt, reshape(x, [N, groups, Cg, L])), [N, O * kp, L]);
  let out = col2imOp(cols, O, outS, { kernel, stride, padding, dilation }, inS);
  if (bias) out = add(out, reshape(bias, [O, ...Array<number>(nd).fill(1)]));
  return out;
}

function convTranspose1dFn(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: ConvTransposeOpts = {}): Tensor {
  opts = checkSpec('F.convTranspose1d', opts, { stride: 'any', padding: 'any', outputPadding: 'any', dilation: 'any', groups: 'int' });
  return convTransposeNd('convTranspose1d', 1, x, weight, bias, opts);
}
/** F.conv_transpose1d: x [N, C, L], weight [C, O/groups, k]. */
export const convTranspose1d: OpFn<typeof convTranspose1dFn, false, false> = customOp({ name: 'convTranspose1d', fn: convTranspose1dFn, method: false, backward: 'composite', samples: [
  { id: 'stride', inputs: [F(2, 4, 5), F(4, 3, 3)], py: 'F.conv_transpose1d(a, b, stride=2)', call: (x, w) => convTranspose1d(x, w, null, { stride: 2 }) },
] });
function convTranspose2dFn(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: ConvTransposeOpts = {}): Tensor {
  opts = checkSpec('F.convTranspose2d', opts, { stride: 'any', padding: 'any', outputPadding: 'any', dilation: 'any', groups: 'int' });
  return convTransposeNd('convTranspose2d', 2, x, weight, bias, opts);
}
/** F.conv_transpose2d: x [N, C, H, W], weight [C, O/groups, kh, kw]. */
export const convTranspose2d: OpFn<typeof convTranspose2dFn, false, false> = customOp({ name: 'convTranspose2d', fn: convTranspose2dFn, method: false, backward: 'composite', samples: [
  { id: 'stride-pad', inputs: [F(1, 3, 3, 3), F(3, 2, 3, 3), F(2)], py: 'F.conv_transpose2d(a, b, c, stride=2, padding=1, output_padding=1)',
    call: (x, w, b) => convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 }) },
] });
