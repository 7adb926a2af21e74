/**
 * @file Loads test/fixtures/init/init-vectors.json (made by scripts/fixtures/init.py with torch 1.13) and the
 * helpers the init tests share: float bit patterns in hex, sha256 of a tensor's bytes, and a dispatcher that
 * applies a fixture case's init function with its keyword arguments.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Tensor } from '../../src/tensor/tensor.js';
import type { Generator } from '../../src/random/index.js';
import * as init from '../../src/nn/init.js';

const here = dirname(fileURLToPath(import.meta.url));
export const FIXTURES = join(here, '..', 'fixtures', 'init');

type Kw = Record<string, number | string>;
export interface RandomCase {
  fn: string; kw: Kw; shape: number[]; seed: string; dtype: 'float32' | 'float64';
  sha256: string; head: string[]; after: string[];
  /** float64 normal-based cases: every value, for a tolerance comparison. */
  values?: string[];
}
export interface Vectors {
  meta: Record<string, string>;
  random: RandomCase[];
  sequence: { seed: number; w: string[]; b: string[]; n5: string[]; n3: string[]; tn: string[] };
  linear53: { weight: string[]; bias: string[] };
  gains: { nonlinearity: string; param: number | null; gain: number }[];
  errors: Record<string, string>;
  fans: { shape: number[]; fan_in: number; fan_out: number }[];
  eye: { shape: number[]; value: number[][] }[];
  dirac: { shape: number[]; groups: number; value: number[] }[];
  orthogonal: { shape: number[]; gain: number; seed: number; value: string[]; after: string[] }[];
  sparse: { shape: number[]; sparsity: number; std: number; seed: number; value: string[]; after: string[] }[];
}

export const vectors = JSON.parse(readFileSync(join(FIXTURES, 'init-vectors.json'), 'utf8')) as Vectors;

/** Hex bit patterns of the elements (float32: 8 digits, float64: 16), row-major. */
export function hexes(t: Tensor): string[] {
  const a = t.contiguous().dataSync();
  if (a instanceof Float64Array) {
    const u = new BigUint64Array(a.buffer, a.byteOffset, a.length);
    return Array.from(u, (v) => v.toString(16).padStart(16, '0'));
  }
  const u = new Uint32Array((a as Float32Array).buffer, a.byteOffset, a.length);
  return Array.from(u, (v) => v.toString(16).padStart(8, '0'));
}

/** Values of float32 hex patterns. */
export function fromHex32(h: string[]): Float32Array {
  return new Float32Array(Uint32Array.from(h, (x) => parseInt(x, 16)).buffer);
}

export function sha256(t: Tensor): string {
  const a = t.contiguous().dataSync();
  return createHash('sha256').update(Buffer.from(a.buffer, a.byteOffset, a.byteLength)).digest('hex');
}

/** Apply fixture function `fn` (PyTorch's snake_case name) with Python keyword arguments `kw`. */
export function applyInit(fn: string, t: Tensor, kw: Kw, generator?: Generator): Tensor {
  const n = (k: string, d: number): number => (kw[k] === undefined ? d : Number(kw[k]));
  const g = generator ? { generator } : {};
  switch (fn) {
    case 'uniform': return init.uniform_(t, n('a', 0), n('b', 1), g);
    case 'normal': return init.normal_(t, n('mean', 0), n('std', 1), g);
    case 'trunc_normal': return init.truncNormal_(t, n('mean', 0), n('std', 1), n('a', -2), n('b', 2), g);
    case 'xavier_uniform': return init.xavierUniform_(t, { gain: n('gain', 1), ...g });
    case 'xavier_normal': return init.xavierNormal_(t, { gain: n('gain', 1), ...g });
    case 'kaiming_uniform':
    case 'kaiming_normal': {
      const o = { a: n('a', 0), mode: (kw.mode as string | undefined) ?? 'fan_in', nonlinearity: (kw.nonlinearity as string | undefined) ?? 'leaky_relu', ...g };
      return fn === 'kaiming_uniform' ? init.kaimingUniform_(t, o) : init.kaimingNormal_(t, o);
    }
    default: throw new Error(`unknown fixture function ${fn}`);
  }
}
