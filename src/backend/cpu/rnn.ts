/**
 * @file Fused recurrent layers for the CPU (Backend.rnnLayer / rnnLayerBackward): one direction of one LSTM or GRU
 * layer over a whole sequence, as PyTorch's fused cells (`_thnn_fused_lstm_cell`, `_thnn_fused_gru_cell`) do per
 * step: per time step one GEMM (W_hh · h^T, the transpose of h @ W_hh^T with the same sums, see mmT) and one pass
 * over the gates, with the activations kept in a workspace for backward; backward runs BPTT with one GEMM per step
 * for dh (transposed too, see mmBackT) and one GEMM over all steps for dW_hh. Gate math is in double precision and
 * stored in the storage dtype (the op-by-op path rounds after every op, so the two agree to a few ulp, within the
 * fixtures' tolerances). With float32 and the accelerated float32 kernels installed (f32Accel: WebAssembly SIMD)
 * the gate nonlinearities run as PyTorch's CPU LSTM does: the float32 pre-activations of a step (gate-major
 * scratch) go through the vectorized float32 sigmoid / tanh in a few block calls (see gatesF32), as does tanh(c);
 * Math.exp / Math.tanh per element in float64 were ~18 % of an LSTM LM training step.
 *
 * Layout: xw [T, N, G] (input projection with b_ih, time-major), G = 4H (LSTM: i, f, g, o) or 3H (GRU: r, z, n);
 * Y [T + 2, N, H]: outputs h_t at t = 0..T-1 (time order, also when reversed), the final h at T, the final c at T + 1
 * (LSTM; zero for GRU).
 */
import type { RnnLayerArgs, Storage, View } from '../backend.js';
import { arrayFor } from '../../core/dtype.js';
import { CpuStorage, dataOf } from './storage.js';
import { gemm } from './gemm.js';
import { f32Accel, type F32Accel } from './f32.js';

type F = Float32Array | Float64Array;

function arr(v: View): F {
  const d = dataOf(v.storage) as F;
  return v.offset === 0 && d.length === v.shape.reduce((a, b) => a * b, 1) ? d : d.subarray(v.offset, v.offset + v.shape.reduce((a, b) => a * b, 1));
}

/**
 * dhT[H, N] = W[G, H]^T · dg[N, G]^T: the step's d h_{t-1} through W_hh, transposed (same sums in the same order as
 * dg · W, bit-identical; W as the A operand fills the register tile, as in mmT).
 */
function mmBackT(W: F, dg: F, dgOff: number, dhT: F, N: number, G: number, H: number): void {
  gemm({ transA: true, transB: true, m: H, n: N, k: G, a: W, aOffset: 0, lda: H, b: dg, bOffset: dgOff, ldb: G, c: dhT, cOffset: 0, ldc: N, batch: 1, strideA: 0, strideB: 0, strideC: 0 });
}

/**
 * ghT[G, N] = W[G, H] · h[N, H]^T: the step's hidden projection, transposed. The same products summed in the same
 * order as h · W^T (bit-identical), but W is the GEMM's A operand: with N = 16 rows, h · W^T ran the 6-row
 * register tile over a ragged 16 rows (6 + 6 + 4) and packed all of W^T as B each step; W as A fills the tiles.
 */
function mmT(W: F, h: F, hOff: number, ghT: F, N: number, G: number, H: number): void {
  gemm({ transA: false, transB: true, m: G, n: N, k: H, a: W, aOffset: 0, lda: H, b: h, bOffset: hOff, ldb: H, c: ghT, cOffset: 0, ldc: N, batch: 1, strideA: 0, strideB: 0, strideC: 0 });
}

/** Fewest floats per block call: the accel's unary leaves shorter runs to the scalar loops (MIN_HEAVY). */
const BLOCK_MIN = 16;

/**
 * x[o, o + n) = op(x[o, o + n)) in float32 through the accelerated kernel. Runs shorter than BLOCK_MIN are padded
 * (x holds at least BLOCK_MIN floats from o; the lanes past n are scratch), so that every size takes the same
 * kernel. The scalar float64 formulas, rounded to float32, only if the accel declines the call.
 */
function act(acc: F32Accel, op: 'sigmoid' | 'tanh', x: Float32Array, o: number, n: number): void {
  if (acc.unary(op, x, o, x, o, Math.max(n, BLOCK_MIN))) return;
  if (op === 'tanh') for (let i = o; i < o + n; i++) x[i] = Math.tanh(x[i]);
  else for (let i = o; i < o + n; i++) x[i] = 1 / (1 + Math.exp(-x[i]));
}

/** TC[0, N H) = tanh of the step's float32 cell states ws[c0, c0 + N H) (TC: at least BLOCK_MIN floats). */
function tanhCells(acc: F32Accel, ws: Float32Array, c0: number, TC: Float32Array, HN: number): void {
  TC.set(ws.subarray(c0, c0 + HN));
  act(acc, 'tanh', TC, 0, HN);
}

/**
 * One LSTM/GRU step's gate pass in float32 with the accelerated sigmoid / tanh. P: scratch of 4 gate-major segments
 * of S = max(N H, BLOCK_MIN) floats ([gate][n][j]); TC: S floats. Pre-activations are summed in float64 and rounded
 * to float32 (PyTorch adds the float32 gate terms op by op), the cell and hidden updates as in the float64 path.
 */
function gatesF32(acc: F32Accel, lstm: boolean, P: Float32Array, TC: Float32Array, S: number, xw: Float32Array, ghT: Float32Array,
  bias: Float32Array | null, ws: Float32Array, cOff: number, Y: Float32Array, cp: Float32Array, cp0: number, hp: Float32Array, hp0: number,
  t: number, N: number, H: number): void {
  const G = (lstm ? 4 : 3) * H, HN = H * N;
  const nG = lstm ? 4 : 2; // GRU: r and z here, n after r is known
  for (let gate = 0; gate < nG; gate++) {
    for (let n = 0; n < N; n++) {
      const xr = (t * N + n) * G + gate * H, pr = gate * S + n * H, q = gate * HN + n;
      if (bias) for (let j = 0; j < H; j++) P[pr + j] = xw[xr + j] + ghT[q + j * N] + bias[gate * H + j];
      else for (let j = 0; j < H; j++) P[pr + j] = xw[xr + j] + ghT[q + j * N];
    }
  }
  act(acc, 'sigmoid', P, 0, S + HN); // i, f (LSTM) or r, z (GRU): two adjacent segments
  if (lstm) {
    act(acc, 'tanh', P, 2 * S, HN);
    act(acc, 'sigmoid', P, 3 * S, HN);
    for (let n = 0; n < N; n++) {
      const wr = (t * N + n) * 4 * H, yr = (t * N + n) * H, pr = n * H, cr = cp0 + n * H;
      for (let j = 0; j < H; j++) {
        const i = P[pr + j], f = P[S + pr + j], g = P[2 * S + pr + j];
        ws[wr + j] = i; ws[wr + H + j] = f; ws[wr + 2 * H + j] = g; ws[wr + 3 * H + j] = P[3 * S + pr + j];
        ws[cOff + yr + j] = f * cp[cr + j] + i * g;
      }
    }
    tanhCells(acc, ws, cOff + t * HN, TC, HN);
    for (let k = 0, yr = t * HN; k < HN; k++) Y[yr + k] = P[3 * S + k] * TC[k];
    return;
  }
  for (let n = 0; n < N; n++) {
    const xr = (t * N + n) * G, wr = (t * N + n) * 4 * H, pr = n * H, q = 2 * HN + n;
    for (let j = 0; j < H; j++) {
      const ghn = ws[wr + 3 * H + j] = ghT[q + j * N] + (bias ? bias[2 * H + j] : 0);
      const r = ws[wr + j] = P[pr + j];
      ws[wr + H + j] = P[S + pr + j];
      P[2 * S + pr + j] = xw[xr + 2 * H + j] + r * ghn;
    }
  }
  act(acc, 'tanh', P, 2 * S, HN);
  for (let n = 0; n < N; n++) {
    const wr = (t * N + n) * 4 * H, yr = (t * N + n) * H, pr = n * H, hr = hp0 + n * H;
    for (let j = 0; j < H; j++) {
      const nn = ws[wr + 2 * H + j] = P[2 * S + pr + j], z = P[S + pr + j];
      Y[yr + j] = (hp[hr + j] - nn) * z + nn;
    }
  }
}

/** Returns [Y, workspace]. Workspace: LSTM [T, N, 4H] activated gates + [T, N, H] cell states; GRU [T, N, 4H] (r, z, n, W_hn h + b_hn). */
export function rnnLayer(a: RnnLayerArgs, xwV: View, h0V: View, c0V: View | null, wV: View, bV: View | null): [Storage, Storage] {
  const { mode, T, N, H, reverse } = a;
  const lstm = mode === 'LSTM', G = (lstm ? 4 : 3) * H;
  const xw = arr(xwV), h0 = arr(h0V), c0 = c0V ? arr(c0V) : null, W = arr(wV), bias = bV ? arr(bV) : null;
  const dt = xwV.dtype;
  const Y = arrayFor(dt, (T + 2) * N * H) as F;
  const ws = arrayFor(dt, T * N * 4 * H + (lstm ? T * N * H : 0)) as F;
  const ghT = arrayFor(dt, G * N) as F; // W_hh h_{t-1}^T, [G, N]: gate row r of batch entry n at r * N + n
  const cOff = T * N * 4 * H, HN = H * N;
  // float32 with the accelerated kernels: the gate pass of gatesF32 (scratch: 4 gate segments and tanh(c))
  const acc = dt === 'float32' ? f32Accel() : null, S = Math.max(HN, BLOCK_MIN);
  const P = acc ? new Float32Array(4 * S) : null, TC = acc ? new Float32Array(S) : null;
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s, tp = reverse ? t + 1 : t - 1;
    const hp = s === 0 ? h0 : Y, hpOff = s === 0 ? 0 : tp * N * H;
    mmT(W, hp, hpOff, ghT, N, G, H);
    if (acc) {
      const cp = lstm && s === 0 ? c0! : ws, cp0 = lstm && s === 0 ? 0 : cOff + tp * N * H;
      gatesF32(acc, lstm, P!, TC!, S, xw as Float32Array, ghT as Float32Array, bias as Float32Array | null, ws as Float32Array, cOff,
        Y as Float32Array, cp as Float32Array, cp0, hp as Float32Array, hpOff, t, N, H);
      continue;
    }
    for (let n = 0; n < N; n++) {
      const xr = (t * N + n) * G, wr = (t * N + n) * 4 * H, yr = (t * N + n) * H, hr = hpOff + n * H;
      if (lstm) {
        const cp = s === 0 ? c0! : ws, cpOff = s === 0 ? n * H : cOff + (tp * N + n) * H;
        for (let j = 0; j < H; j++) {
          const bi = bias ? bias[j] : 0, bf = bias ? bias[H + j] : 0, bg = bias ? bias[2 * H + j] : 0, bo = bias ? bias[3 * H + j] : 0;
          const q = j * N + n;
          // sigmoids written out: a sig() helper showed as a separate, not inlined function in the step's profile
          const i = 1 / (1 + Math.exp(-(xw[xr + j] + ghT[q] + bi))), f = 1 / (1 + Math.exp(-(xw[xr + H + j] + ghT[q + HN] + bf)));
          const g = Math.tanh(xw[xr + 2 * H + j] + ghT[q + 2 * HN] + bg), o = 1 / (1 + Math.exp(-(xw[xr + 3 * H + j] + ghT[q + 3 * HN] + bo)));
          ws[wr + j] = i; ws[wr + H + j] = f; ws[wr + 2 * H + j] = g; ws[wr + 3 * H + j] = o;
          const c = ws[cOff + yr + j] = f * cp[cpOff + j] + i * g;
          Y[yr + j] = o * Math.tanh(c);
        }
      } else {
        for (let j = 0; j < H; j++) {
          const q = j * N + n;
          const ghn = ws[wr + 3 * H + j] = ghT[q + 2 * HN] + (bias ? bias[2 * H + j] : 0);
          const r = ws[wr + j] = 1 / (1 + Math.exp(-(xw[xr + j] + ghT[q] + (bias ? bias[j] : 0))));
          const z = ws[wr + H + j] = 1 / (1 + Math.exp(-(xw[xr + H + j] + ghT[q + HN] + (bias ? bias[H + j] : 0))));
          const nn = ws[wr + 2 * H + j] = Math.tanh(xw[xr + 2 * H + j] + r * ghn);
          const hprev = hp[hr + j];
          Y[yr + j] = (hprev - nn) * z + nn;
        }
      }
    }
  }
  const last = reverse ? 0 : T - 1;
  Y.copyWithin(T * N * H, last * N * H, (last + 1) * N * H);
  if (lstm) {
    if (T === 0) { Y.set(h0, T * N * H); Y.set(c0!, (T + 1) * N * H); } else Y.set(ws.subarray(cOff + last * N * H, cOff + (last + 1) * N * H), (T + 1) * N * H);
  } else if (T === 0) Y.set(h0, T * N * H);
  return [new CpuStorage(dt, Y), new CpuStorage(dt, ws)];
}

/** Returns [d xw [T, N, G], d h0 [N, H], d c0 [N, H] (LSTM) or null, d W_hh [G, H], d b_hh [G]]. */
export function rnnLayerBackward(a: RnnLayerArgs, dYV: View, yV: View, wsV: View, h0V: View, c0V: View | null, wV: View): [Storage, Storage, Storage | null, Storage, Storage] {
  const { mode, T, N, H, reverse } = a;
  const lstm = mode === 'LSTM', G = (lstm ? 4 : 3) * H;
  const dY = arr(dYV), Y = arr(yV), ws = arr(wsV), h0 = arr(h0V), c0 = c0V ? arr(c0V) : null, W = arr(wV);
  const dt = dYV.dtype;
  const dx = arrayFor(dt, T * N * G) as F;
  const dgh = lstm ? dx : arrayFor(dt, T * N * G) as F; // LSTM: d(gates) is the same for xw and W_hh h
  const hprev = arrayFor(dt, T * N * H) as F; // h_{t-1} for each t, for d W_hh
  const dh = Float64Array.from(dY.subarray(T * N * H, (T + 1) * N * H));
  const dc = lstm ? Float64Array.from(dY.subarray((T + 1) * N * H, (T + 2) * N * H)) : null;
  const dhT = arrayFor(dt, H * N) as F; // W_hh^T dgates^T of the step, [H, N]
  const cOff = T * N * 4 * H;
  // float32 with the accelerated kernels: tanh(c) of a step in one block call, the values the forward used
  const acc = lstm && dt === 'float32' ? f32Accel() : null, TC = acc ? new Float32Array(Math.max(N * H, BLOCK_MIN)) : null;
  for (let s = T - 1; s >= 0; s--) {
    const t = reverse ? T - 1 - s : s, tp = reverse ? t + 1 : t - 1;
    const hp = s === 0 ? h0 : Y, hpOff = s === 0 ? 0 : tp * N * H;
    hprev.set(hp.subarray(hpOff, hpOff + N * H), t * N * H);
    if (acc) tanhCells(acc, ws as Float32Array, cOff + t * N * H, TC!, N * H);
    for (let n = 0; n < N; n++) {
      const gr = (t * N + n) * G, wr = (t * N + n) * 4 * H, yr = (t * N + n) * H, hr = hpOff + n * H, k = n * H;
      if (lstm) {
        const cp = s === 0 ? c0! : ws, cpOff = s === 0 ? n * H : cOff + (tp * N + n) * H;
        for (let j = 0; j < H; j++) {
          const i = ws[wr + j], f = ws[wr + H + j], g = ws[wr + 2 * H + j], o = ws[wr + 3 * H + j];
          const tc = TC ? TC[k + j] : Math.tanh(ws[cOff + yr + j]);
          const dhj = dh[k + j] + dY[yr + j];
          const dcj = dc![k + j] + dhj * o * (1 - tc * tc);
          dx[gr + j] = dcj * g * i * (1 - i);
          dx[gr + H + j] = dcj * cp[cpOff + j] * f * (1 - f);
          dx[gr + 2 * H + j] = dcj * i * (1 - g * g);
          dx[gr + 3 * H + j] = dhj * tc * o * (1 - o);
          dc![k + j] = dcj * f;
        }
      } else {
        for (let j = 0; j < H; j++) {
          const r = ws[wr + j], z = ws[wr + H + j], nn = ws[wr + 2 * H + j], ghn = ws[wr + 3 * H + j];
          const dhj = dh[k + j] + dY[yr + j];
          const dnPre = dhj * (1 - z) * (1 - nn * nn);
          const drPre = dnPre * ghn * r * (1 - r);
          const dzPre = dhj * (hp[hr + j] - nn) * z * (1 - z);
          dx[gr + j] = dgh[gr + j] = drPre;
          dx[gr + H + j] = dgh[gr + H + j] = dzPre;
          dx[gr + 2 * H + j] = dnPre;
          dgh[gr + 2 * H + j] = dnPre * r;
          dh[k + j] = dhj * z; // the direct path; the W_hh path is added below
        }
      }
    }
    mmBackT(W, dgh, t * N * G, dhT, N, G, H);
    if (lstm) { for (let j = 0, q = 0; j < H; j++) for (let n = 0; n < N; n++, q++) dh[n * H + j] = dhT[q]; }
    else for (let j = 0, q = 0; j < H; j++) for (let n = 0; n < N; n++, q++) dh[n * H + j] += dhT[q];
  }
  const dW = arrayFor(dt, G * H) as F, db = arrayFor(dt, G) as F;
  if (T > 0) gemm({ transA: true, transB: false, m: G, n: H, k: T * N, a: dgh, aOffset: 0, lda: G, b: hprev, bOffset: 0, ldb: H, c: dW, cOffset: 0, ldc: H, batch: 1, strideA: 0, strideB: 0, strideC: 0 });
  const dbAcc = new Float64Array(G);
  // d b_hh: per gate row, the sum over r in order; four rows per pass (the same order per j, a quarter of the
  // accumulator loads and stores)
  let r = 0;
  for (; r + 4 <= T * N; r += 4) {
    const o0 = r * G, o1 = o0 + G, o2 = o1 + G, o3 = o2 + G;
    for (let j = 0; j < G; j++) dbAcc[j] = dbAcc[j] + dgh[o0 + j] + dgh[o1 + j] + dgh[o2 + j] + dgh[o3 + j];
  }
  for (; r < T * N; r++) for (let j = 0; j < G; j++) dbAcc[j] += dgh[r * G + j];
  db.set(dbAcc);
  const dh0 = arrayFor(dt, N * H) as F; dh0.set(dh);
  let dc0: CpuStorage | null = null;
  if (lstm) { const d = arrayFor(dt, N * H) as F; d.set(dc!); dc0 = new CpuStorage(dt, d); }
  return [new CpuStorage(dt, dx), new CpuStorage(dt, dh0), dc0, new CpuStorage(dt, dW), new CpuStorage(dt, db)];
}
