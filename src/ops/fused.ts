/**
 * @file Fused ops, where PyTorch fuses: kernels that replace a chain of small ops with one pass (and one autograd
 * node) on devices whose backend has them, with the op-by-op composition as the fallback everywhere else.
 *
 * - `rnnLayerFused`: one direction of one LSTM or GRU layer over a whole sequence (Backend.rnnLayer; the CPU kernel
 *   is backend/cpu/rnn.ts): per step one GEMM and one pass over the gates, as PyTorch's `_thnn_fused_lstm_cell` /
 *   `_thnn_fused_gru_cell`, and one backward node for the sequence (BPTT inside the kernel) instead of ~15 nodes per
 *   step whose view backwards zero-pad full-size gradients. nn.LSTM / nn.GRU use it when `canFuseRnn` says so.
 *
 * `setFusedKernels(false)` turns every fused path off (the tests run both paths against the same fixtures).
 */
import { record } from '../autograd/node.js';
import { DTypeError, ShapeError } from '../core/errors.js';
import { fmt } from '../core/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { RnnLayerArgs } from '../backend/backend.js';
import { select, slice } from './movement.js';
import { be, make, sameDevice } from './util.js';

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

/**
 * One direction of an LSTM (gates i, f, g, o) or GRU (r, z, n) layer. xw [T, N, G] is the input projection
 * x W_ih^T + b_ih of every step (time-major), h0 and c0 (LSTM only) [N, H], wHh [G, H], bHh [G] or null.
 * Returns the outputs [T, N, H] in time order, the final h and (LSTM) the final c, each [N, H].
 */
export function rnnLayerFused(mode: 'LSTM' | 'GRU', xw: Tensor, h0: Tensor, c0: Tensor | null, wHh: Tensor, bHh: Tensor | null, reverse: boolean): { out: Tensor; h: Tensor; c: Tensor | null } {
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
