/**
 * @file The device contract. A backend owns storages (flat buffers of one dtype) and kernels over strided
 * views of them; it never sees Tensor or autograd. Every kernel returns a new contiguous storage unless it
 * says it writes in place. Imports only core.
 */
import type { DeviceName } from '../core/devices.js';
import type { DType, TypedArray } from '../core/dtype.js';
import { DeviceError } from '../core/errors.js';
import type { BINARY, UNARY } from './cpu/math.js';

/**
 * The devices: 'cpu' (typed arrays, the reference), 'webgpu' (WGSL kernels, asynchronous reads) and 'meta'
 * (shapes and dtypes only: no storage, no values; backend/meta).
 */
export type DeviceType = DeviceName;

/** A flat buffer of `size` elements of `dtype` on a device. `version` counts in-place writes (autograd checks it). */
export interface Storage {
  readonly device: DeviceType;
  readonly dtype: DType;
  readonly size: number;
  version: number;
  /**
   * Creation order (backend/memory.ts newStorageSerial) of a storage whose memory the backend allocated; 0 where
   * the memory came from the caller (CPU fromArray) or there is none (meta). Autograd reads it to take over
   * gradient buffers made during a backward pass instead of copying them.
   */
  readonly serial: number;
  /** Free device memory now (GPU); a no-op where memory is garbage-collected. */
  dispose?(): void;
}

/** A strided window onto a storage: element (i0, i1, ...) lives at offset + sum(ik * strides[k]). */
export interface View {
  readonly storage: Storage;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

/**
 * The elementwise kernel names are the keys of the CPU's scalar tables (backend/cpu/math.ts: the CPU is total and
 * the oracle), so a new kernel is one row there; every other device's table is typed `Record<UnaryOp, ...>` and
 * the compiler names a device that lacks the row (a device that cannot run one says so in its row, with the reason).
 * `BinaryOp` includes the gradient helpers: d/dx of unary ops, taking (x or result, grad).
 */
export type UnaryOp = keyof typeof UNARY;
export type BinaryOp = keyof typeof BINARY;

export type ReduceOp = 'sum' | 'prod' | 'max' | 'min' | 'argmax' | 'argmin' | 'all' | 'any';

/**
 * Scalars of one fused Adam/AdamW update (PyTorch 1.13's single-tensor arithmetic, see optim/adam.ts), with the
 * step's bias corrections already folded: stepSize = lr / (1 - beta1^step), bc2Sqrt = sqrt(1 - beta2^step).
 */
export interface AdamStepArgs {
  lr: number; beta1: number; beta2: number; eps: number; weightDecay: number;
  decoupled: boolean; maximize: boolean; stepSize: number; bc2Sqrt: number;
}

/**
 * The optional fused kernels a device may offer (Backend.sgdStep, ..., layerNormRows): the optimizers' one-pass
 * updates and ops/fused.ts's layers; each caller falls back to the op-by-op path where a device lacks one.
 */
export const FUSED_KERNELS = ['sgdStep', 'sgdMomentumStep', 'adamStep', 'rnnLayer', 'softmaxRows', 'layerNormRows', 'batchNormChannels', 'convolution'] as const;
export type FusedKernel = typeof FUSED_KERNELS[number];
/** The backward kernel a fused forward needs beside it (a device offers both or neither). */
const FUSED_BACKWARD: Partial<Record<FusedKernel, keyof Backend>> = {
  rnnLayer: 'rnnLayerBackward', softmaxRows: 'softmaxRowsBackward', layerNormRows: 'layerNormRowsBackward',
  batchNormChannels: 'batchNormChannelsBackward', convolution: 'convolutionBackward',
};

/**
 * What a device can do, declared as data so the layers above backend/ ask it instead of probing the backend.
 * `registerBackend` checks the declaration against the object (fused kernels listed = fused methods present).
 */
export interface BackendCapabilities {
  /**
   * Whether `readSync` answers synchronously: the CPU returns the elements, meta throws its no-data error (which
   * callers surface as is); false where reads are only asynchronous (webgpu: `readSync` returns null, use `read`).
   */
  readonly syncRead: boolean;
  /** The dtypes its storages hold; the others are refused by its kernels with the reason (float64 on webgpu). */
  readonly dtypes: readonly DType[];
  /** The fused kernels it implements (with their backward kernels); callers fall back to the op-by-op path otherwise. */
  readonly fused: readonly FusedKernel[];
}

export interface Backend {
  readonly name: DeviceType;
  readonly capabilities: BackendCapabilities;
  /** Wrap a host array as a storage (the CPU takes ownership; a GPU uploads). */
  fromArray(dtype: DType, data: TypedArray): Storage;
  /** A zero-filled storage. */
  alloc(dtype: DType, size: number): Storage;
  /** The storage's elements, synchronously; null where the device can only read asynchronously. */
  readSync(s: Storage): TypedArray | null;
  /** The storage's elements; on a device without syncRead, a fresh host array the caller owns. */
  read(s: Storage): Promise<TypedArray>;
  /**
   * Optional, internal (CPU): `s` is unreachable (the autograd engine's proof, within a backward pass that runs no
   * user code): its memory may back a later allocation of the same size (core/f32-pool.ts `reuseFloat32`).
   */
  recycle?(s: Storage): void;

  /** Contiguous copy of a view, cast to `dtype`. */
  contiguous(x: View, dtype: DType): Storage;
  /** dst[...] = src[...] (src already broadcast to dst's shape by stride 0), casting. In place: bumps nothing. */
  copyInto(dst: View, src: View): void;
  /** In-place fill of a view. */
  fill(dst: View, value: number): void;

  unary(op: UnaryOp, x: View, outDtype: DType): Storage;
  /** a and b have outShape (broadcast dims have stride 0). */
  binary(op: BinaryOp, a: View, b: View, outDtype: DType): Storage;
  /** cond ? a : b, all three with the output's shape (stride-0 broadcast). */
  where(cond: View, a: View, b: View, outDtype: DType): Storage;
  /** x * y + z rounded once (PyTorch's CPU `add` with alpha and `addcmul`), all three with the output's shape; float dtypes. */
  fma(x: View, y: View, z: View, outDtype: DType): Storage;
  /** Reduce `dims` (sorted, distinct) away; output shape = shape without dims. arg* return int64 flat indices within the reduced block. */
  reduce(op: ReduceOp, x: View, dims: readonly number[], outDtype: DType): Storage;
  /**
   * Batched GEMM: a [B, M, K], b [B, K, N] (any strides) -> contiguous [B, M, N]. Float dtypes only. `bias` (CPU
   * only, float dtypes; [N] of outDtype, any stride) is added to every row of the product, rounded as a separate
   * add would be (F.linear's addmm without the second [M, N] array).
   */
  matmul(a: View, b: View, outDtype: DType, bias?: View): Storage;
  /**
   * Optional (CPU): matmul of one GEMM (a [1, M, K]) plus, as a second result [M], the sums of a's rows accumulated
   * in float64 in order and rounded once, i.e. the same values as `reduce('sum')` over the rows of aᵀ on the CPU
   * (F.linear's backward: dW = gᵀ·x and db from one staging of g). Callers fall back to matmul + reduce.
   */
  matmulRowSums?(a: View, b: View, outDtype: DType): [Storage, Storage];
  /** Inclusive cumulative sum along dim. */
  cumsum(x: View, dim: number, outDtype: DType): Storage;
  /** Stable sort along dim: returns [values, int64 indices]. */
  sort(x: View, dim: number, descending: boolean): [Storage, Storage];
  /** out[i][j] = x[i][index[i][j]] along dim (index has the output's shape, int64). */
  gather(x: View, dim: number, index: View): Storage;
  /** Copy of `self` (contiguous) with src scattered along dim at index; reduce 'add' accumulates. */
  scatter(self: View, dim: number, index: View, src: View, reduce: 'none' | 'add'): Storage;
  /** Select entries of x along dim by a 1-D int64 index. */
  indexSelect(x: View, dim: number, index: View): Storage;
  /** Adds src's slices into a zero tensor of `shape` at index along dim (the backward of indexSelect). */
  indexAdd(shape: readonly number[], dtype: DType, dim: number, index: View, src: View): Storage;
  /** Lower (upper = false) or upper triangle of the last two dims, with diagonal offset k; the rest zeroed. */
  triangle(x: View, k: number, upper: boolean): Storage;
  /** im2col for N-d convolution: x [N, C, ...spatial] -> [N, C*prod(kernel), prod(outSpatial)]. */
  im2col(x: View, kernel: readonly number[], stride: readonly number[], padding: readonly number[], dilation: readonly number[], outSpatial: readonly number[]): Storage;
  /** col2im, the adjoint of im2col: cols [N, C*prod(kernel), L] summed into [N, C, ...spatial]. */
  col2im(cols: View, channels: number, spatial: readonly number[], kernel: readonly number[], stride: readonly number[], padding: readonly number[], dilation: readonly number[], outSpatial: readonly number[]): Storage;
  /** Max pooling window argmax: returns [values, int64 flat spatial indices] for x [N, C, ...spatial]. */
  maxPool(x: View, kernel: readonly number[], stride: readonly number[], padding: readonly number[], dilation: readonly number[], outSpatial: readonly number[]): [Storage, Storage];
  /** Scatter-add grad of max pooling back into [N, C, ...spatial] using the flat indices. */
  maxPoolBackward(grad: View, indices: View, spatial: readonly number[]): Storage;

  /**
   * Optional fused optimizer updates (as PyTorch's fused/foreach optimizers), in place on contiguous views of one
   * float dtype and one size; each element gets exactly the roundings of the op-by-op update. Callers bump the
   * version counters. Plain SGD: param += -lr * grad.
   */
  sgdStep?(param: View, grad: View, lr: number): void;
  /** Fused Adam/AdamW (no amsgrad) on param, grad, exp_avg, exp_avg_sq. */
  adamStep?(param: View, grad: View, expAvg: View, expAvgSq: View, a: AdamStepArgs): void;
  /** SGD with momentum (no weight decay, Nesterov or maximize): buf = buf·momentum + (1 - dampening)·grad; param += -lr·buf. */
  sgdMomentumStep?(param: View, grad: View, buf: View, lr: number, momentum: number, dampening: number): void;

  /**
   * Optional fused recurrent layer (ops/fused.ts; backend/cpu/rnn.ts documents the layouts): one direction of an
   * LSTM or GRU layer over contiguous xw [T, N, G], h0 and c0 [N, H], W_hh [G, H], b_hh [G]. Returns
   * [Y [T + 2, N, H], workspace]. Devices without it run the op-by-op cell (the composite fallback).
   */
  rnnLayer?(a: RnnLayerArgs, xw: View, h0: View, c0: View | null, wHh: View, bHh: View | null): [Storage, Storage];
  /** Its backward from dY: [d xw, d h0, d c0 (LSTM) or null, d W_hh, d b_hh]. */
  rnnLayerBackward?(a: RnnLayerArgs, dY: View, y: View, workspace: View, h0: View, c0: View | null, wHh: View): [Storage, Storage, Storage | null, Storage, Storage];

  /** Optional fused softmax / log_softmax over the last dim of a contiguous view (ops/fused.ts; backend/cpu/rows.ts). */
  softmaxRows?(x: View, log: boolean): Storage;
  /** Its backward from the output y and the gradient g. */
  softmaxRowsBackward?(y: View, g: View, log: boolean): Storage;
  /** Optional fused layer norm over the trailing D elements of a contiguous view: [y, mean, rstd] (one per row). */
  layerNormRows?(x: View, weight: View | null, bias: View | null, D: number, eps: number): [Storage, Storage, Storage];
  /** Its backward: [dx, dweight, dbias], each null where not asked for. */
  layerNormRowsBackward?(g: View, x: View, mean: View, rstd: View, weight: View | null, D: number, needX: boolean, needW: boolean, needB: boolean): [Storage | null, Storage | null, Storage | null];
  /**
   * Optional fused batch norm in training mode over a contiguous x [N, C, ...] (statistics per channel; backend/cpu/
   * batchnorm.ts): [y, mean [C], biased var [C], rstd [C]].
   */
  batchNormChannels?(x: View, weight: View | null, bias: View | null, eps: number): [Storage, Storage, Storage, Storage];
  /** Its backward: [dx, dweight, dbias], each null where not asked for. */
  batchNormChannelsBackward?(g: View, x: View, mean: View, rstd: View, weight: View | null, needX: boolean, needW: boolean, needB: boolean): [Storage | null, Storage | null, Storage | null];
  /**
   * Optional fused convolution (groups 1) over contiguous x [N, C, ...spatial], w [O, C, ...kernel], bias [O]
   * (backend/cpu/conv-fused.ts): y [N, O, ...outSpatial]. Devices without it run unfold + matmul + add.
   */
  convolution?(x: View, w: View, bias: View | null, a: ConvArgs): Storage;
  /** Its backward from the output's gradient: [dx, dweight, dbias], each null where not asked for. */
  convolutionBackward?(g: View, x: View, w: View, a: ConvArgs, needX: boolean, needW: boolean, needB: boolean): [Storage | null, Storage | null, Storage | null];
}

/** A convolution's geometry (1-D or 2-D spatial dims): padding on the leading side, the trailing side implied by outSpatial. */
export interface ConvArgs { kernel: readonly number[]; stride: readonly number[]; padding: readonly number[]; dilation: readonly number[]; outSpatial: readonly number[] }

export interface RnnLayerArgs { mode: 'LSTM' | 'GRU'; T: number; N: number; H: number; reverse: boolean }

const registry = new Map<DeviceType, Backend>();

export function registerBackend(b: Backend): void {
  for (const k of FUSED_KERNELS) {
    const bw = FUSED_BACKWARD[k];
    const has = typeof b[k] === 'function' && (bw === undefined || typeof b[bw] === 'function');
    if (b.capabilities.fused.includes(k) !== has) {
      throw new DeviceError(`registerBackend('${b.name}'): capabilities.fused ${b.capabilities.fused.includes(k) ? 'lists' : 'omits'} '${k}' but the backend ${has ? 'implements' : 'lacks'} it${bw ? ` (with ${bw})` : ''}`);
    }
  }
  registry.set(b.name, b);
}

export function getBackend(device: DeviceType): Backend {
  const b = registry.get(device);
  if (!b) {
    const hint = device === 'webgpu'
      ? "call `await torch.webgpu.init()` first (WebGPU is not available without an adapter; on Linux without a GPU see README: software adapter)"
      : 'this device is not registered';
    throw new DeviceError(`device '${device}' is not available: ${hint}`);
  }
  return b;
}

export function hasBackend(device: DeviceType): boolean { return registry.has(device); }

/** Whether a device's reads are synchronous (`dataSync`, `item`, `.to()` off it): its declared capability. */
export function readsSync(device: DeviceType): boolean { return getBackend(device).capabilities.syncRead; }

/** A view's elements in row-major order as a fresh host array, or undefined where the device reads only asynchronously. */
export function readViewSync(v: View): TypedArray | undefined {
  const b = getBackend(v.storage.device);
  return b.capabilities.syncRead ? b.readSync(b.contiguous(v, v.dtype)) ?? undefined : undefined;
}
