/**
 * @file Fused ops, where PyTorch fuses: kernels that replace a chain of small ops with one pass (and one autograd
 * node) on devices whose backend has them, with the op-by-op composition as the fallback everywhere else.
 *
 * - `rnnLayerFused`: one direction of one LSTM or GRU layer over a whole sequence (Backend.rnnLayer; the CPU kernel
 *   is backend/cpu/rnn.ts): per step one GEMM and one pass over the gates, as PyTorch's `_thnn_fused_lstm_cell` /
 *   `_thnn_fused_gru_cell`, and one backward node for the sequence (BPTT inside the kernel) instead of ~15 nodes per
 *   step whose view backwards zero-pad full-size gradients. nn.LSTM / nn.GRU use it when `canFuseRnn` says so.
 *
 * - `softmaxFused`: softmax / log_softmax over the last dim as one node (PyTorch's `_softmax` / `_log_softmax` and
 *   their backward kernels) instead of max, sub, exp, sum, log, add, sub forward and each one's backward.
 * - `layerNormFused`: layer norm forward and backward as one node (PyTorch's `native_layer_norm`), mean and rstd
 *   kept per row for backward.
 * - `batchNormFused`: batch norm in training mode as one node (PyTorch's `native_batch_norm`), statistics per
 *   channel; its forward has the op-by-op path's roundings (backend/cpu/batchnorm.ts).
 * - `convFused`: convolution (groups 1) forward and backward as one node, one sample at a time (PyTorch's
 *   slow_conv2d), bit-identical to unfold + matmul + add (backend/cpu/conv-fused.ts).
 * The last four return null where they do not apply (another device or dtype, softmax over an inner dim); the
 * caller then composes the op as before.
 * - `sgdStepFused`, `sgdMomentumStepFused`, `adamStepFused`: the optimizers' one-pass updates (Backend.sgdStep,
 *   sgdMomentumStep, adamStep), in place and without autograd; false where they do not apply (the optimizer then
 *   runs its op-by-op update, which gives the same float32 results).
 *
 * `setFusedKernels(false)` turns the fused paths of the layers (not the optimizers' updates) off (the tests run both paths against the same fixtures).
 */
import { record } from '../autograd/node.js';
import { DTypeError, ShapeError } from '../core/errors.js';
import { fmt } from '../core/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { AdamStepArgs, Backend, ConvArgs, RnnLayerArgs } from '../backend/backend.js';
import { select, slice } from './movement.js';
import { be, make, sameDevice } from './util.js';
import { customOp, freeOp, type OpFn } from './registry.js';

let enabled = true;

/** Turn the fused kernels on or off (process-wide); returns the previous setting. Internal: for tests and benches. */
export function setFusedKernels(on: boolean): boolean {
  const prev = enabled;
  enabled = on;
  return prev;
}

/** Whether the fused kernels are in use. */
export function fusedKernelsEnabled(): boolean { return enabled; }

/** The tensor itself when contiguous, else a contiguous copy (no autograd: for kernel arguments only). */
function dense(t: Tensor): Tensor {
  return t.isContiguous() ? t : make(be(t).contiguous(t, t.dtype), t.shape);
}

/** Can rnnLayerFused run on xw's device and dtype. */
export function canFuseRnn(xw: Tensor): boolean {
  return enabled && (xw.dtype === 'float32' || xw.dtype === 'float64') && be(xw).rnnLayer !== undefined;
}

function rnnLayerFusedFn(mode: 'LSTM' | 'GRU', xw: Tensor, h0: Tensor, c0: Tensor | null, wHh: Tensor, bHh: Tensor | null, reverse: boolean): { out: Tensor; h: Tensor; c: Tensor | null } {
  const op = mode === 'LSTM' ? 'FusedLstmLayer' : 'FusedGruLayer';
  sameDevice(op, xw, h0, c0, wHh, bHh);
  const b = be(xw);
  if (!b.rnnLayer || !b.rnnLayerBackward) throw new DTypeError(`${op}: device ${xw.device} has no fused recurrent kernel; check canFuseRnn() first`);
  const lstm = mode === 'LSTM';
  if (xw.ndim !== 3 || h0.ndim !== 2) throw new ShapeError(`${op}: expected xw [T, N, G] and h0 [N, H], got ${fmt(xw.shape)} and ${fmt(h0.shape)}`);
  const [T, N, G] = xw.shape, H = h0.shape[1];
  const want = (lstm ? 4 : 3) * H;
  if (G !== want || h0.shape[0] !== N || wHh.shape.join() !== `${want},${H}` || (bHh && bHh.shape.join() !== `${want}`) || (lstm && (!c0 || c0.shape.join() !== h0.shape.join()))) {
    throw new ShapeError(`${op}: shapes do not fit: xw ${fmt(xw.shape)}, h0 ${fmt(h0.shape)}, c0 ${c0 ? fmt(c0.shape) : 'none'}, W_hh ${fmt(wHh.shape)}, b_hh ${bHh ? fmt(bHh.shape) : 'none'}`);
  }
  for (const t of [h0, c0, wHh, bHh]) {
    if (t && t.dtype !== xw.dtype) throw new DTypeError(`${op}: expected every tensor to be ${xw.dtype}, got ${t.dtype}`);
  }
  const args: RnnLayerArgs = { mode, T, N, H, reverse };
  const x = dense(xw), h = dense(h0), c = c0 ? dense(c0) : null, w = dense(wHh), bias = bHh ? dense(bHh) : null;
  const [ys, wss] = b.rnnLayer(args, x, h, lstm ? c : null, w, bias);
  const Y = make(ys, [T + 2, N, H]), ws = make(wss, [wss.size]);
  const y = record(make(ys, [T + 2, N, H]), op, [xw, h0, lstm ? c0 : null, wHh, bHh], (g) => {
    const [dx, dh0, dc0, dW, db] = b.rnnLayerBackward!(args, dense(g), Y, ws, h, lstm ? c : null, w);
    return [make(dx, [T, N, G]), make(dh0, [N, H]), dc0 ? make(dc0, [N, H]) : null, make(dW, [G, H]), make(db, [G])];
  }, [h0, ...(c0 ? [c0] : []), wHh]);
  return { out: slice(y, 0, 0, T), h: select(y, 0, T), c: lstm ? select(y, 0, T + 1) : null };
}
/**
 * One direction of an LSTM (gates i, f, g, o) or GRU (r, z, n) layer. xw [T, N, G] is the input projection
 * x W_ih^T + b_ih of every step (time-major), h0 and c0 (LSTM only) [N, H], wHh [G, H], bHh [G] or null.
 * Returns the outputs [T, N, H] in time order, the final h and (LSTM) the final c, each [N, H].
 */
export const rnnLayerFused: OpFn<typeof rnnLayerFusedFn, false, false> = freeOp({
  name: 'rnnLayerFused', fn: rnnLayerFusedFn, kernels: ['rnnLayer', 'rnnLayerBackward', 'contiguous'], backward: 'records', samples: [],
});

function softmaxFusedFn(x: Tensor, d: number, log: boolean): Tensor | null {
  if (!enabled || (x.dtype !== 'float32' && x.dtype !== 'float64') || x.ndim === 0 || d !== x.ndim - 1 || x.numel() === 0) return null;
  const b = be(x);
  if (!b.softmaxRows || !b.softmaxRowsBackward) return null;
  const out = make(b.softmaxRows(dense(x), log), x.shape);
  // The output is saved: an in-place change of it before backward raises, as in PyTorch.
  return record(out, log ? 'LogSoftmax' : 'Softmax', [x], (g) => [make(b.softmaxRowsBackward!(out, dense(g), log), x.shape)], [out]);
}
/** softmax (log = false) or log_softmax of x over its last dim d as one autograd node; null where it does not apply. */
export const softmaxFused: OpFn<typeof softmaxFusedFn, false, false> = customOp({
  name: 'softmaxFused', fn: softmaxFusedFn, method: false, kernels: ['softmaxRows', 'softmaxRowsBackward', 'contiguous'], backward: 'records', samples: [],
});

function layerNormFusedFn(x: Tensor, D: number, weight: Tensor | null | undefined, bias: Tensor | null | undefined, eps: number): Tensor | null {
  const dt = x.dtype;
  if (!enabled || (dt !== 'float32' && dt !== 'float64') || D === 0) return null;
  for (const t of [weight, bias]) if (t && (t.dtype !== dt || t.device !== x.device || t.numel() !== D)) return null;
  const b = be(x);
  if (!b.layerNormRows || !b.layerNormRowsBackward) return null;
  const xc = dense(x), w = weight ? dense(weight) : null, bb = bias ? dense(bias) : null;
  const [ys, ms, ss] = b.layerNormRows(xc, w, bb, D, eps);
  const R = x.numel() / D, mean = make(ms, [R]), rstd = make(ss, [R]);
  const out = make(ys, x.shape);
  return record(out, 'NativeLayerNorm', [x, weight ?? null, bias ?? null], (g) => {
    const [dx, dw, db] = b.layerNormRowsBackward!(dense(g), xc, mean, rstd, w, D, x.requiresGrad, !!weight?.requiresGrad, !!bias?.requiresGrad);
    return [dx ? make(dx, x.shape) : null, dw && weight ? make(dw, weight.shape) : null, db && bias ? make(db, bias.shape) : null];
  }, [x, ...(weight ? [weight] : [])]);
}
/**
 * F.layerNorm over the trailing dims whose sizes multiply to D (the caller has checked the shapes) as one autograd
 * node; null where it does not apply.
 */
export const layerNormFused: OpFn<typeof layerNormFusedFn, false, false> = customOp({
  name: 'layerNormFused', fn: layerNormFusedFn, method: false, kernels: ['layerNormRows', 'layerNormRowsBackward', 'contiguous'], backward: 'records', samples: [],
});

function batchNormFusedFn(x: Tensor, weight: Tensor | null | undefined, bias: Tensor | null | undefined, eps: number): { y: Tensor; mean: Tensor; var: Tensor } | null {
  const dt = x.dtype, C = x.shape[1];
  if (!enabled || (dt !== 'float32' && dt !== 'float64') || x.ndim < 2 || x.numel() === 0) return null;
  for (const t of [weight, bias]) if (t && (t.dtype !== dt || t.device !== x.device || t.numel() !== C)) return null;
  const b = be(x);
  if (!b.batchNormChannels || !b.batchNormChannelsBackward) return null;
  const xc = dense(x), w = weight ? dense(weight) : null, bb = bias ? dense(bias) : null;
  const [ys, ms, vs, ss] = b.batchNormChannels(xc, w, bb, eps);
  const mean = make(ms, [C]), rstd = make(ss, [C]);
  const y = record(make(ys, x.shape), 'NativeBatchNorm', [x, weight ?? null, bias ?? null], (g) => {
    const [dx, dw, db] = b.batchNormChannelsBackward!(dense(g), xc, mean, rstd, w, x.requiresGrad, !!weight?.requiresGrad, !!bias?.requiresGrad);
    return [dx ? make(dx, x.shape) : null, dw && weight ? make(dw, weight.shape) : null, db && bias ? make(db, bias.shape) : null];
  }, [x, ...(weight ? [weight] : [])]);
  return { y, mean, var: make(vs, [C]) };
}
/**
 * F.batchNorm in training mode over x [N, C, ...] (the caller has checked the shapes) as one autograd node
 * (PyTorch's `native_batch_norm`): the output, and the batch mean and biased variance [C] (no autograd) for the
 * running statistics; null where it does not apply.
 */
export const batchNormFused: OpFn<typeof batchNormFusedFn, false, false> = customOp({
  name: 'batchNormFused', fn: batchNormFusedFn, method: false, kernels: ['batchNormChannels', 'batchNormChannelsBackward', 'contiguous'], backward: 'records', samples: [],
});

function convFusedFn(x: Tensor, weight: Tensor, bias: Tensor | null | undefined, a: ConvArgs): Tensor | null {
  const dt = x.dtype;
  if (!enabled || (dt !== 'float32' && dt !== 'float64') || x.ndim !== a.kernel.length + 2 || x.numel() === 0) return null;
  for (const t of [weight, bias]) if (t && (t.dtype !== dt || t.device !== x.device)) return null;
  const b = be(x);
  if (!b.convolution || !b.convolutionBackward) return null;
  const xc = dense(x), w = dense(weight), bb = bias ? dense(bias) : null;
  const out = make(b.convolution(xc, w, bb, a), [x.shape[0], weight.shape[0], ...a.outSpatial]);
  return record(out, 'Convolution', [x, weight, bias ?? null], (g) => {
    const [dx, dw, db] = b.convolutionBackward!(dense(g), xc, w, a, x.requiresGrad, weight.requiresGrad, !!bias?.requiresGrad);
    return [dx ? make(dx, x.shape) : null, dw ? make(dw, weight.shape) : null, db && bias ? make(db, bias.shape) : null];
  }, [x, weight]);
}
/**
 * Convolution with groups 1 over a batched x [N, C, ...spatial] (the caller has checked the shapes and worked out
 * the geometry) as one autograd node (PyTorch's `convolution`); null where it does not apply.
 */
export const convFused: OpFn<typeof convFusedFn, false, false> = customOp({
  name: 'convFused', fn: convFusedFn, method: false, kernels: ['convolution', 'convolutionBackward', 'contiguous'], backward: 'records', samples: [],
});

// ---------------- the optimizers' fused updates ----------------

/**
 * The backend of `ts` when a fused update can take them: one device, one float dtype, contiguous, equal sizes and
 * distinct storages. Null otherwise (the optimizer runs its op-by-op update).
 */
function updateBackend(ts: Tensor[]): Backend | null {
  const t0 = ts[0];
  if (t0.dtype !== 'float32' && t0.dtype !== 'float64') return null;
  const n = t0.numel();
  const storages = new Set<unknown>();
  for (const t of ts) {
    if (t.device !== t0.device || t.dtype !== t0.dtype || t.numel() !== n || !t.isContiguous()) return null;
    storages.add(t.storage);
  }
  return storages.size === ts.length ? be(t0) : null;
}

const UPDATE = 'an optimizer update, in place and outside autograd (torch.optim steps under no_grad)';

/** Plain SGD in one pass, param += -lr * grad (the roundings of p.add_(grad, {alpha: -lr})); false where it does not apply. */
export const sgdStepFused: OpFn<(p: Tensor, grad: Tensor, lr: number) => boolean, false, false> = customOp({
  name: 'sgdStepFused', method: false, kernels: ['sgdStep'], nonDifferentiable: UPDATE, samples: [],
  fn: (p: Tensor, grad: Tensor, lr: number): boolean => {
    const b = updateBackend([p, grad]);
    if (!b?.sgdStep) return false;
    b.sgdStep(p, grad, lr);
    p.bumpVersion();
    return true;
  },
});

/** Momentum SGD after the first step in one pass: buf = buf·momentum + (1 - dampening)·grad; param += -lr·buf. */
export const sgdMomentumStepFused: OpFn<(p: Tensor, grad: Tensor, buf: Tensor, lr: number, momentum: number, dampening: number) => boolean, false, false> = customOp({
  name: 'sgdMomentumStepFused', method: false, kernels: ['sgdMomentumStep'], nonDifferentiable: UPDATE, samples: [],
  fn: (p: Tensor, grad: Tensor, buf: Tensor, lr: number, momentum: number, dampening: number): boolean => {
    const b = updateBackend([p, grad, buf]);
    if (!b?.sgdMomentumStep) return false;
    b.sgdMomentumStep(p, grad, buf, lr, momentum, dampening);
    buf.bumpVersion(); p.bumpVersion();
    return true;
  },
});

/** Adam / AdamW (no amsgrad) in one pass over param, grad, exp_avg and exp_avg_sq (bit-identical to the op-by-op update). */
export const adamStepFused: OpFn<(p: Tensor, grad: Tensor, expAvg: Tensor, expAvgSq: Tensor, a: AdamStepArgs) => boolean, false, false> = customOp({
  name: 'adamStepFused', method: false, kernels: ['adamStep'], nonDifferentiable: UPDATE, samples: [],
  fn: (p: Tensor, grad: Tensor, expAvg: Tensor, expAvgSq: Tensor, a: AdamStepArgs): boolean => {
    const b = updateBackend([p, grad, expAvg, expAvgSq]);
    if (!b?.adamStep) return false;
    b.adamStep(p, grad, expAvg, expAvgSq, a);
    p.bumpVersion(); expAvg.bumpVersion(); expAvgSq.bumpVersion();
    return true;
  },
});
