/**
 * @file Test helper: loads the PyTorch 1.13.1 RNG vectors and replays their steps (ops named
 * as in pytorch-rng.md section 9) on torchlet's random module. nn.init formulas (section 6)
 * are written out here from the spec, since they are not part of src/random.
 */

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Generator, X86_AVX2, type Profile, bernoulliScalar_, bernoulliTensor_, exponential_, normal_,
  randint_, randperm, truncNormal_, uniform_,
} from '../../src/random/index.js';

const here = dirname(fileURLToPath(import.meta.url));
export const FIXTURES = join(here, '..', 'fixtures', 'rng');

export interface Step {
  op: string;
  shape?: number[];
  dtype?: 'float32' | 'float64';
  args?: Record<string, unknown>;
  bits?: string[];
  values?: number[];
  exact?: boolean;
}
export interface Case { id: string; seed: number; steps: Step[]; words_consumed: number }
export interface VectorFile { meta: Record<string, unknown>; cases: Case[]; cases_x86_64_default: Case[] }

export function loadVectors(name = 'pytorch-rng-vectors.json'): VectorFile {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as VectorFile;
}

export const numel = (shape: number[] = []): number => shape.reduce((a, b) => a * b, 1);

export function hex32(x: number): string {
  const dv = new DataView(new ArrayBuffer(4));
  dv.setFloat32(0, x);
  return dv.getUint32(0).toString(16).padStart(8, '0');
}
export function hex64(x: number): string {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, x);
  return dv.getBigUint64(0).toString(16).padStart(16, '0');
}
export function fromHex64(h: string): number {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setBigUint64(0, BigInt('0x' + h));
  return dv.getFloat64(0);
}
export function fromHex32(h: string): number {
  const dv = new DataView(new ArrayBuffer(4));
  dv.setUint32(0, parseInt(h, 16));
  return dv.getFloat32(0);
}

function fans(shape: number[]): [number, number] {
  const rf = numel(shape.slice(2));
  return [shape[1] * rf, shape[0] * rf];
}

function gain(nonlinearity: string, param?: number): number {
  if (nonlinearity === 'relu') return Math.sqrt(2.0);
  if (nonlinearity === 'leaky_relu') {
    const s = param ?? 0.01;
    return Math.sqrt(2.0 / (1 + s * s));
  }
  if (nonlinearity === 'tanh') return 5.0 / 3;
  if (nonlinearity === 'selu') return 3.0 / 4;
  return 1;
}

/** Householder QR in double; returns Q (m x k) with the sign fix of orthogonal_. */
function orthogonalFromFlat(flat: Float32Array, rows: number, cols: number, g: number): Float32Array {
  let A: number[][] = [];
  for (let i = 0; i < rows; i++) A.push(Array.from(flat.subarray(i * cols, (i + 1) * cols)));
  const transposed = rows < cols;
  if (transposed) A = A[0].map((_, c) => A.map((row) => row[c]));
  const m = A.length, k = A[0].length;
  const R = A.map((r) => r.slice());
  const vs: (number[] | null)[] = [];
  for (let j = 0; j < k; j++) {
    const x: number[] = [];
    for (let i = j; i < m; i++) x.push(R[i][j]);
    const nx = Math.sqrt(x.reduce((s, v) => s + v * v, 0));
    if (nx === 0) { vs.push(null); continue; }
    const v = x.slice();
    v[0] -= x[0] >= 0 ? -nx : nx;
    const vn = Math.sqrt(v.reduce((s, t) => s + t * t, 0));
    for (let i = 0; i < v.length; i++) v[i] /= vn;
    vs.push(v);
    for (let c = j; c < k; c++) {
      let dot = 0;
      for (let i = j; i < m; i++) dot += v[i - j] * R[i][c];
      for (let i = j; i < m; i++) R[i][c] -= 2 * v[i - j] * dot;
    }
  }
  const Q = Array.from({ length: m }, (_, i) => Array.from({ length: k }, (_, c) => (i === c ? 1 : 0)));
  for (let j = k - 1; j >= 0; j--) {
    const v = vs[j];
    if (!v) continue;
    for (let c = 0; c < k; c++) {
      let dot = 0;
      for (let i = j; i < m; i++) dot += v[i - j] * Q[i][c];
      for (let i = j; i < m; i++) Q[i][c] -= 2 * v[i - j] * dot;
    }
  }
  for (let j = 0; j < k; j++) {
    const s = Math.sign(R[j][j]);
    for (const row of Q) row[j] *= s;
  }
  const out = transposed ? Q[0].map((_, c) => Q.map((row) => row[c])) : Q;
  return Float32Array.from(out.flat().map((v) => Math.fround(Math.fround(v) * g)));
}

/** Replays one step; returns the output (Float32Array / Float64Array / number[]). */
export class Replayer {
  private pendingBias: Float32Array | null = null;
  constructor(readonly gen: Generator, readonly profile: Profile = X86_AVX2) {}

  run(st: Step): Float32Array | Float64Array | number[] {
    const a = (st.args ?? {}) as Record<string, number & string & number[]>;
    const shape = st.shape ?? [];
    const n = numel(shape);
    const dt = st.dtype ?? 'float32';
    const g = this.gen;
    const opts = { profile: this.profile };
    const farr = (): Float32Array | Float64Array => (dt === 'float64' ? new Float64Array(n) : new Float32Array(n));
    const f32u = (shp: number[], lo: number, hi: number): Float32Array => uniform_(g, new Float32Array(numel(shp)), lo, hi, opts);
    const f32n = (shp: number[], mean: number, std: number): Float32Array => normal_(g, new Float32Array(numel(shp)), mean, std, opts);
    switch (st.op) {
      case 'rand': return uniform_(g, farr(), 0, 1, opts);
      case 'uniform_': return uniform_(g, farr(), a.a, a.b, opts);
      case 'randn': return normal_(g, farr(), 0, 1, opts);
      case 'normal_': return normal_(g, farr(), a.mean, a.std, opts);
      case 'randint': return Array.from(randint_(g, new Float64Array(n), a.low, a.high, 'int64'));
      case 'randperm': return Array.from(randperm(g, a.n));
      case 'bernoulli_': return Array.from(bernoulliScalar_(g, new Float32Array(n), a.p));
      case 'bernoulli_tensor': return Array.from(bernoulliTensor_(g, new Float32Array(n), new Float32Array(n).fill(a.p)));
      case 'dropout_mask': return Array.from(bernoulliScalar_(g, new Float32Array(n), 1.0 - a.p));
      case 'exponential_': return exponential_(g, farr(), a.lambd);
      case 'kaiming_uniform_': case 'kaiming_normal_': {
        const [fi, fo] = fans(shape);
        const fan = (a.mode ?? 'fan_in') === 'fan_in' ? fi : fo;
        const std = gain(a.nonlinearity ?? 'leaky_relu', a.a ?? 0) / Math.sqrt(fan);
        if (st.op === 'kaiming_normal_') return f32n(shape, 0, std);
        const bound = Math.sqrt(3.0) * std;
        return f32u(shape, -bound, bound);
      }
      case 'xavier_uniform_': case 'xavier_normal_': {
        const [fi, fo] = fans(shape);
        const std = (a.gain ?? 1.0) * Math.sqrt(2.0 / (fi + fo));
        if (st.op === 'xavier_normal_') return f32n(shape, 0, std);
        const bound = Math.sqrt(3.0) * std;
        return f32u(shape, -bound, bound);
      }
      case 'trunc_normal_':
        return truncNormal_(g, new Float32Array(n), a.mean ?? 0, a.std ?? 1, a.a ?? -2, a.b ?? 2, opts);
      case 'orthogonal_': {
        const rows = shape[0], cols = n / rows;
        return orthogonalFromFlat(f32n([rows, cols], 0, 1), rows, cols, a.gain ?? 1);
      }
      case 'linear.weight': case 'conv2d.weight': {
        const [fanIn] = fans(shape);
        const bound = Math.sqrt(3.0) * (Math.sqrt(2.0 / (1 + Math.sqrt(5) * Math.sqrt(5))) / Math.sqrt(fanIn));
        const w = f32u(shape, -bound, bound);
        const bb = 1 / Math.sqrt(fanIn);
        this.pendingBias = f32u([shape[0]], -bb, bb);
        return w;
      }
      case 'linear.bias': case 'conv2d.bias': {
        const b = this.pendingBias;
        this.pendingBias = null;
        if (!b) throw new Error('bias step without weight step');
        return b;
      }
      default: throw new Error(`unknown op ${st.op}`);
    }
  }
}

/** A generator advanced `words` words from `seed`, to compare engine states with. */
export function advanced(seed: number | bigint, words: number): Generator {
  const g = new Generator(seed);
  for (let i = 0; i < words; i++) g.random();
  return g;
}

/** Engine part of a state blob (seed, left, seeded, next, 624 words): bytes 0..5016. */
export function engineBytes(g: Generator): Uint8Array {
  return g.getState().subarray(0, 5016);
}
