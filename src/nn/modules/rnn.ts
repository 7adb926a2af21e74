/**
 * @file RNN, LSTM, GRU (torch.nn): multi-layer, optionally bidirectional, batch_first; parameters
 * weight_ih_l{k}[_reverse], weight_hh_l{k}[_reverse], bias_ih_l{k}[_reverse], bias_hh_l{k}[_reverse] with
 * PyTorch's gate order (LSTM: i, f, g, o; GRU: r, z, n) and its default init U(-1/√hidden, 1/√hidden).
 * The input projection of all steps is one matmul per layer and direction; LSTM and GRU steps then run in the fused
 * layer of ops/fused.ts where the device has one (CPU), else each step is composed from ops.
 */
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';
import * as init from '../init.js';
import * as F from '../functional/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import { ModuleError, ShapeError } from '../../core/errors.js';
import { fmt } from '../../core/shape.js';
import { empty, zeros } from '../../ops/creation.js';
import { add, mul, relu, sigmoid, sub, tanh } from '../../ops/elementwise.js';
import { cat, chunk, select, squeeze, stack, transpose, unsqueeze } from '../../ops/movement.js';
import { canFuseRnn, rnnLayerFused } from '../../ops/fused.js';
import { layerInt, layerOpts, R, pyBool, pyFloat, type FactoryKwargs } from './utils.js';

type Mode = 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'GRU';

export interface RNNOpts extends FactoryKwargs {
  numLayers?: number;
  bias?: boolean;
  /** Input and output as [N, L, *] instead of [L, N, *] (hidden states stay [layers * dirs, N, H]). */
  batchFirst?: boolean;
  /** Dropout on the outputs of every layer but the last (training mode only). */
  dropout?: number;
  bidirectional?: boolean;
}

abstract class RNNBase extends Module {
  readonly mode: Mode;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;

  constructor(mode: Mode, inputSize: number, hiddenSize: number, options: RNNOpts) {
    super();
    const cls = this._getName();
    const opts = layerOpts<RNNOpts>(cls, options, {
      numLayers: { number: { integer: true, min: 1 } }, bias: R.bool, batchFirst: R.bool, dropout: R.prob, bidirectional: R.bool,
      ...(mode === 'LSTM' ? { projSize: R.int } : mode === 'GRU' ? {} : { nonlinearity: { oneOf: ['tanh', 'relu'] } }),
    }, true);
    layerInt(cls, 'inputSize', inputSize, 0); layerInt(cls, 'hiddenSize', hiddenSize, 1);
    this.mode = mode;
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.numLayers = opts.numLayers ?? 1;
    this.bias = opts.bias ?? true;
    this.batchFirst = opts.batchFirst ?? false;
    this.dropout = opts.dropout ?? 0;
    this.bidirectional = opts.bidirectional ?? false;
    if (!(this.dropout >= 0 && this.dropout <= 1)) throw new ModuleError(`${cls}: dropout should be a number in range [0, 1] representing the probability of an element being zeroed, got ${this.dropout}`);
    if (!Number.isInteger(hiddenSize) || hiddenSize <= 0) throw new ModuleError(`${cls}: hidden_size must be a positive integer, got ${hiddenSize}`);
    if (!Number.isInteger(this.numLayers) || this.numLayers <= 0) throw new ModuleError(`${cls}: num_layers must be a positive integer, got ${this.numLayers}`);
    const gate = mode === 'LSTM' ? 4 * hiddenSize : mode === 'GRU' ? 3 * hiddenSize : hiddenSize;
    const dirs = this.bidirectional ? 2 : 1;
    const fk = { dtype: opts.dtype, device: opts.device };
    for (let layer = 0; layer < this.numLayers; layer++) {
      for (let d = 0; d < dirs; d++) {
        const inSize = layer === 0 ? inputSize : hiddenSize * dirs;
        const sfx = `_l${layer}${d === 1 ? '_reverse' : ''}`;
        this.registerParameter(`weight_ih${sfx}`, new Parameter(empty([gate, inSize], fk)));
        this.registerParameter(`weight_hh${sfx}`, new Parameter(empty([gate, hiddenSize], fk)));
        if (this.bias) {
          this.registerParameter(`bias_ih${sfx}`, new Parameter(empty([gate], fk)));
          this.registerParameter(`bias_hh${sfx}`, new Parameter(empty([gate], fk)));
        }
      }
    }
    this.resetParameters();
  }

  /** Every weight and bias ~ U(-1/√hidden, 1/√hidden), in registration order. */
  resetParameters(): void {
    const stdv = 1 / Math.sqrt(this.hiddenSize);
    for (const p of this.parameters()) init.uniform_(p, -stdv, stdv);
  }

  private param(name: string): Parameter | null { return this._parameters.get(name) ?? null; }

  /** One direction of one layer over xs [T, N, in]; returns outputs [T, N, H] and the final (h, c). */
  private runDirection(x: Tensor, sfx: string, reverse: boolean, h0: Tensor, c0: Tensor | null): { out: Tensor; h: Tensor; c: Tensor | null } {
    const wIh = this.param(`weight_ih${sfx}`)!, wHh = this.param(`weight_hh${sfx}`)!;
    const bIh = this.param(`bias_ih${sfx}`), bHh = this.param(`bias_hh${sfx}`);
    const T = x.shape[0];
    const xw = F.linear(x, wIh, bIh); // [T, N, G]
    // LSTM and GRU: the fused layer (ops/fused.ts) where the device has it, else the op-by-op cell below.
    if ((this.mode === 'LSTM' || this.mode === 'GRU') && canFuseRnn(xw)) return rnnLayerFused(this.mode, xw, h0, c0, wHh, bHh, reverse);
    let h = h0, c = c0;
    const ys = new Array<Tensor>(T);
    for (let s = 0; s < T; s++) {
      const t = reverse ? T - 1 - s : s;
      const gi = select(xw, 0, t);
      const gh = F.linear(h, wHh, bHh);
      if (this.mode === 'LSTM') {
        const [i, f, g, o] = chunk(add(gi, gh), 4, 1);
        c = add(mul(sigmoid(f), c!), mul(sigmoid(i), tanh(g)));
        h = mul(sigmoid(o), tanh(c));
      } else if (this.mode === 'GRU') {
        const [ir, iz, inn] = chunk(gi, 3, 1);
        const [hr, hz, hn] = chunk(gh, 3, 1);
        const r = sigmoid(add(ir, hr));
        const z = sigmoid(add(iz, hz));
        const n = tanh(add(inn, mul(r, hn)));
        h = add(mul(sub(h, n), z), n);
      } else {
        const pre = add(gi, gh);
        h = this.mode === 'RNN_TANH' ? tanh(pre) : relu(pre);
      }
      ys[t] = h;
    }
    return { out: stack(ys, 0), h, c };
  }

  /** Shared forward: returns output and the final hidden (and cell) states. */
  protected run(input: Tensor, hx: Tensor | null, cx: Tensor | null): { output: Tensor; h: Tensor; c: Tensor | null } {
    const cls = this._getName();
    if (input.ndim !== 2 && input.ndim !== 3) throw new ShapeError(`${cls}: expected input to be 2-D (unbatched [L, ${this.inputSize}]) or 3-D, got ${input.ndim}-D tensor of shape ${fmt(input.shape)}`);
    const batched = input.ndim === 3;
    const dirs = this.bidirectional ? 2 : 1;
    let x = batched ? (this.batchFirst ? transpose(input, 0, 1) : input) : unsqueeze(input, 1);
    if (x.shape[2] !== this.inputSize) throw new ShapeError(`${cls}: input.size(-1) must be equal to input_size. Expected ${this.inputSize}, got ${x.shape[2]}`);
    const N = x.shape[1];
    const expectH = [this.numLayers * dirs, N, this.hiddenSize];
    const prep = (s: Tensor | null, what: string): Tensor => {
      if (!s) return zeros(expectH, { dtype: input.dtype, device: input.device });
      const t = batched ? s : s.ndim === 2 ? unsqueeze(s, 1) : s;
      if (t.shape.join() !== expectH.join()) {
        throw new ShapeError(`${cls}: expected ${what} size ${fmt(batched ? expectH : [expectH[0], expectH[2]])}, got ${fmt(s.shape)}`);
      }
      return t;
    };
    const H0 = prep(hx, 'hidden'), C0 = this.mode === 'LSTM' ? prep(cx, 'cell state') : null;
    const hs: Tensor[] = [], cs: Tensor[] = [];
    for (let layer = 0; layer < this.numLayers; layer++) {
      const outs: Tensor[] = [];
      for (let d = 0; d < dirs; d++) {
        const k = layer * dirs + d;
        const r = this.runDirection(x, `_l${layer}${d === 1 ? '_reverse' : ''}`, d === 1, select(H0, 0, k), C0 ? select(C0, 0, k) : null);
        outs.push(r.out); hs.push(r.h); if (r.c) cs.push(r.c);
      }
      x = dirs === 2 ? cat(outs, 2) : outs[0];
      if (this.dropout > 0 && this.training && layer < this.numLayers - 1) x = F.dropout(x, { p: this.dropout, training: true });
    }
    let output = batched ? (this.batchFirst ? transpose(x, 0, 1) : x) : squeeze(x, 1);
    let h = stack(hs, 0), c = cs.length ? stack(cs, 0) : null;
    if (!batched) { h = squeeze(h, 1); c = c ? squeeze(c, 1) : null; output = output; }
    return { output, h, c };
  }

  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.numLayers !== 1) s += `, num_layers=${this.numLayers}`;
    if (this.bias !== true) s += `, bias=${pyBool(this.bias)}`;
    if (this.batchFirst) s += `, batch_first=True`;
    if (this.dropout !== 0) s += `, dropout=${pyFloat(this.dropout)}`;
    if (this.bidirectional) s += `, bidirectional=True`;
    return s;
  }
}

/** Elman RNN: h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu). forward returns [output, h_n]. */
export class RNN extends RNNBase {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'RNN';
  readonly nonlinearity: 'tanh' | 'relu';
  constructor(inputSize: number, hiddenSize: number, opts: RNNOpts & { nonlinearity?: 'tanh' | 'relu' } = {}) {
    const nl = opts?.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu') throw new ModuleError(`RNN: unknown nonlinearity '${String(nl)}'; select from 'tanh' or 'relu'`);
    super(nl === 'tanh' ? 'RNN_TANH' : 'RNN_RELU', inputSize, hiddenSize, opts);
    this.nonlinearity = nl;
  }
  forward(input: Tensor, hx: Tensor | null = null): [Tensor, Tensor] {
    const r = this.run(input, hx, null);
    return [r.output, r.h];
  }
}

/** Long short-term memory; forward(input, [h0, c0]?) returns [output, [h_n, c_n]]. */
export class LSTM extends RNNBase {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'LSTM';
  constructor(inputSize: number, hiddenSize: number, opts: RNNOpts & { projSize?: number } = {}) {
    if (opts?.projSize) throw new ModuleError('LSTM: projSize is not implemented; leave it 0');
    super('LSTM', inputSize, hiddenSize, opts);
  }
  forward(input: Tensor, hx: [Tensor, Tensor] | null = null): [Tensor, [Tensor, Tensor]] {
    const r = this.run(input, hx ? hx[0] : null, hx ? hx[1] : null);
    return [r.output, [r.h, r.c!]];
  }
}

/** Gated recurrent unit; forward(input, h0?) returns [output, h_n]. */
export class GRU extends RNNBase {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'GRU';
  constructor(inputSize: number, hiddenSize: number, opts: RNNOpts = {}) { super('GRU', inputSize, hiddenSize, opts); }
  forward(input: Tensor, hx: Tensor | null = null): [Tensor, Tensor] {
    const r = this.run(input, hx, null);
    return [r.output, r.h];
  }
}
