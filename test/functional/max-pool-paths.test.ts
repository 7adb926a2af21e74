/**
 * @file The CPU max-pool kernel's paths (backend/cpu/conv.ts maxPool): windows that all lie inside the input (no
 * padding; 2x2 unrolled, and any other kernel / stride / dilation) give exactly the values and indices of the
 * general bounds-checked loop, written out here as the reference: the first maximum of a window wins, a NaN wins
 * and ends its window row, -Infinity and ties included. Padded and ceil-mode windows take the general loop.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';
import { setPoolAccel } from '../../src/backend/cpu/conv.js';
import { wasmCnn } from '../../src/backend/wasm/cnn.js';

const F = torch.nn.functional;

/** The general loop of the kernel, for x [NC, H, W] given as an array. */
function reference(X: ArrayLike<number>, NC: number, H: number, W: number, k: number[], s: number[], p: number[], d: number[], oh: number, ow: number): [number[], number[]] {
  const vals: number[] = [], idx: number[] = [];
  for (let nc = 0; nc < NC; nc++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        let best = -Infinity, bi = -1;
        for (let i = 0; i < k[0]; i++) {
          const y = oy * s[0] - p[0] + i * d[0];
          if (y < 0 || y >= H) continue;
          for (let j = 0; j < k[1]; j++) {
            const xx = ox * s[1] - p[1] + j * d[1];
            if (xx < 0 || xx >= W) continue;
            const v = X[nc * H * W + y * W + xx];
            if (v > best || Number.isNaN(v) || bi < 0) { best = v; bi = y * W + xx; if (Number.isNaN(v)) break; }
          }
        }
        vals.push(best); idx.push(bi);
      }
    }
  }
  return [vals, idx];
}

type Config = { k: number[]; s?: number[]; p?: number[]; d?: number[]; ceil?: boolean; H: number; W: number; NC?: number };
const configs: Config[] = [
  { k: [2, 2], H: 6, W: 8 },
  { k: [2, 2], H: 7, W: 5 }, // odd sizes: the last row / column is left out
  { k: [2, 2], s: [1, 2], d: [2, 1], H: 6, W: 6 },
  { k: [3, 3], s: [2, 2], H: 7, W: 9 },
  { k: [2, 3], s: [1, 2], d: [2, 2], H: 8, W: 9 },
  { k: [3, 2], s: [2, 2], p: [1, 1], H: 6, W: 7 },
  { k: [2, 2], s: [2, 2], ceil: true, H: 5, W: 5 },
];

const wasm = wasmCnn({ poolOutputs: 1, bnRun: 1, bnChannel: 1, columns: 1 })?.pool ?? null;
const big: Config[] = [{ k: [2, 2], H: 64, W: 64, NC: 40 }, { k: [2, 2], H: 65, W: 67, NC: 24 }, { k: [2, 2], H: 2, W: 9, NC: 5 }];
for (const [dtype, path] of [['float32', 'wasm'], ['float32', 'ts'], ['float64', 'ts']] as const) {
  for (const c of [...configs, ...(dtype === 'float32' ? big : [])]) {
    const s = c.s ?? c.k, p = c.p ?? [0, 0], d = c.d ?? [1, 1];
    test(`maxPool2d ${dtype} (${path}) kernel ${c.k} stride ${s} padding ${p} dilation ${d}${c.ceil ? ' ceil' : ''} on ${c.H}x${c.W}: values and indices of the general loop (NaN, -inf, ties)`, () => {
      if (path === 'wasm') assert.ok(wasm, 'the pool module is built');
      const prev = setPoolAccel(path === 'wasm' ? wasm : null);
      try {
        torch.manualSeed(c.H * 31 + c.W);
        const NC = c.NC ?? 6;
        // small integers make ties common; sprinkle NaN and -Infinity
        const data = Array.from(torch.randint(-3, 4, [NC * c.H * c.W], { dtype: 'int64' }).dataSync() as Float64Array, Number);
        for (let i = 0; i < data.length; i += 7) data[i] = i % 21 === 0 ? NaN : -Infinity;
        for (let i = 3; i < data.length; i += 11) data[i] = -0; // signed-zero ties: the first zero's bits win
        const x = torch.tensor(data, { dtype }).reshape([1, NC, c.H, c.W]);
        const r = F.maxPool2d(x, c.k, { stride: s, padding: p, dilation: d, ceilMode: c.ceil ?? false, returnIndices: true });
        const [oh, ow] = r.values.shape.slice(2);
        const [vals, idx] = reference(data, NC, c.H, c.W, c.k, s, p, d, oh, ow);
        assert.deepEqual(Array.from(r.values.dataSync() as Float32Array).map((v) => Object.is(v, -0) ? '-0' : v), vals.map((v) => Object.is(v, -0) ? '-0' : (dtype === 'float32' ? Math.fround(v) : v)));
        assert.deepEqual(Array.from(r.indices.dataSync() as Float64Array, Number), idx);
      } finally { setPoolAccel(prev); }
    });
  }
}
