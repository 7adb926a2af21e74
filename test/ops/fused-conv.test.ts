/**
 * @file The fused convolution (src/ops/fused.ts convFused, backend/cpu/conv-fused.ts) against the unfold + matmul
 * + add path it replaces for groups 1: outputs and every gradient bit-identical (float32 and float64) over padding,
 * 'same', stride, dilation, 1-D and 2-D, with and without bias, with only some inputs requiring grad; float64
 * gradchecks; grouped convolutions and setFusedKernels(false) keep the composed path. The PyTorch fixtures of
 * test/layers and test/functional run through the fused path. float32 runs with the WebAssembly im2col / col2im
 * (backend/wasm/cnn.ts, taken here for every size) and with the TypeScript loops.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { setFusedKernels } from '../../src/ops/fused.js';
import { setColumnsAccel } from '../../src/backend/cpu/conv.js';
import { wasmCnn } from '../../src/backend/wasm/cnn.js';
import { gradcheck } from '../helpers/index.js';

const F = torch.nn.functional;

type Opts = { stride?: number | number[]; padding?: number | number[] | 'same' | 'valid'; dilation?: number | number[] };
interface Case { name: string; x: number[]; w: number[]; bias: boolean; opts: Opts; grads: [boolean, boolean, boolean] }

const cases: Case[] = [
  { name: 'the bench CNN layer (3x3, padding 1)', x: [3, 4, 8, 8], w: [6, 4, 3, 3], bias: true, opts: { padding: 1 }, grads: [true, true, true] },
  { name: 'input without grad (first layer)', x: [2, 3, 7, 6], w: [5, 3, 3, 3], bias: true, opts: { padding: 1 }, grads: [false, true, true] },
  { name: 'no bias, stride 2, no padding', x: [2, 3, 9, 7], w: [4, 3, 3, 2], bias: false, opts: { stride: 2 }, grads: [true, true, false] },
  { name: "padding 'same' with an even kernel and dilation", x: [2, 2, 6, 7], w: [3, 2, 2, 4], bias: true, opts: { padding: 'same', dilation: [2, 1] }, grads: [true, true, true] },
  { name: 'stride, padding and dilation per dim', x: [1, 3, 10, 9], w: [4, 3, 3, 3], bias: true, opts: { stride: [2, 1], padding: [2, 0], dilation: [1, 2] }, grads: [true, false, true] },
  { name: '1x1 kernel, 1x1 output positions', x: [4, 5, 1, 1], w: [3, 5, 1, 1], bias: true, opts: {}, grads: [true, true, true] },
  { name: '16x16 positions (the SIMD add and sum kernels run)', x: [2, 3, 16, 16], w: [4, 3, 3, 3], bias: true, opts: { padding: 1 }, grads: [true, true, true] },
  { name: 'only the input requires grad', x: [2, 3, 5, 5], w: [4, 3, 3, 3], bias: true, opts: { padding: 1 }, grads: [true, false, false] },
];

function run(c: Case, dtype: 'float32' | 'float64', fused: boolean, conv1d = false): { vals: number[][]; gradFn: string } {
  const prev = setFusedKernels(fused);
  try {
    torch.manualSeed(c.x.reduce((a, b) => a * 7 + b, 1) % 1000);
    const xs = conv1d ? [...c.x.slice(0, 2), c.x[2] * c.x[3]] : c.x, ws = conv1d ? [...c.w.slice(0, 2), c.w[3]] : c.w;
    const x = torch.randn(xs, { dtype }).requiresGrad_(c.grads[0]);
    const w = torch.randn(ws, { dtype }).requiresGrad_(c.grads[1]);
    const b = c.bias ? torch.randn([ws[0]], { dtype }).requiresGrad_(c.grads[2]) : null;
    const o1 = (v: number | number[] | undefined) => (Array.isArray(v) ? v[v.length - 1] : v);
    const opts = conv1d ? { stride: o1(c.opts.stride), padding: typeof c.opts.padding === 'string' ? c.opts.padding : o1(c.opts.padding), dilation: o1(c.opts.dilation) } : c.opts;
    const y = conv1d ? F.conv1d(x, w, b, opts) : F.conv2d(x, w, b, opts);
    const wrt = [x, w, b].filter((t): t is Tensor => t !== null && t.requiresGrad);
    const g = torch.randn([...y.shape], { dtype, generator: new torch.Generator().manualSeed(5) });
    const grads = wrt.length ? torch.autograd.grad([y], wrt, [g]) : [];
    return { vals: [y, ...grads].map((t) => Array.from(t!.dataSync() as Float32Array)), gradFn: String(y.gradFn) };
  } finally { setFusedKernels(prev); }
}

const wasmColumns = wasmCnn({ poolOutputs: 1, bnRun: 1, bnChannel: 1, columns: 1 })?.columns ?? null;
for (const [dtype, path] of [['float32', 'wasm'], ['float32', 'ts'], ['float64', 'ts']] as const) {
  for (const c of cases) {
    for (const conv1d of [false, true]) {
      test(`fused conv${conv1d ? '1d' : '2d'} ${dtype} (${path} columns): ${c.name}: output and gradients bit-identical to unfold + matmul + add`, () => {
        if (path === 'wasm') assert.ok(wasmColumns, 'the cnn module is built');
        const prevCols = setColumnsAccel(path === 'wasm' ? wasmColumns : null);
        let on: ReturnType<typeof run>, off: ReturnType<typeof run>, ts: ReturnType<typeof run> | null = null;
        try {
          on = run(c, dtype, true, conv1d); off = run(c, dtype, false, conv1d);
          if (path === 'wasm') { setColumnsAccel(null); ts = run(c, dtype, true, conv1d); }
        } finally { setColumnsAccel(prevCols); }
        if (ts) on.vals.forEach((v, i) => assert.deepEqual(v, ts.vals[i], `tensor ${i}: wasm and TypeScript columns`));
        assert.equal(on.gradFn, '<ConvolutionBackward0>');
        assert.notEqual(off.gradFn, '<ConvolutionBackward0>');
        assert.equal(on.vals.length, off.vals.length);
        on.vals.forEach((v, i) => assert.deepEqual(v, off.vals[i], `tensor ${i} (0: output, then the gradients)`));
      });
    }
  }
}

test('fused conv: float64 gradcheck (2-D with padding and stride, 1-D with dilation, no bias)', () => {
  torch.manualSeed(2);
  const r = (s: number[]) => torch.randn(s, { dtype: 'float64' }).requiresGrad_(true);
  gradcheck((x, w, b) => F.conv2d(x, w, b, { padding: 1, stride: [2, 1] }), [r([2, 2, 5, 4]), r([3, 2, 3, 2]), r([3])]);
  gradcheck((x, w) => F.conv1d(x, w, null, { dilation: 2, padding: 2 }), [r([2, 3, 7]), r([2, 3, 3])]);
  // a non-contiguous input
  gradcheck((x, w) => F.conv2d(x.transpose(2, 3), w, null), [r([1, 2, 4, 5]), r([2, 2, 2, 2])]);
});

test('fused conv: grouped convolutions and unbatched inputs', () => {
  const x = torch.randn([2, 4, 5, 5]).requiresGrad_(true), w = torch.randn([4, 2, 3, 3]).requiresGrad_(true);
  assert.notEqual(String(F.conv2d(x, w, null, { groups: 2 }).gradFn), '<ConvolutionBackward0>');
  const w1 = torch.randn([3, 4, 3, 3]).requiresGrad_(true);
  const y = F.conv2d(x.select(0, 0), w1, null, { padding: 1 });
  assert.deepEqual(y.shape, [3, 5, 5]);
  const prev = setFusedKernels(false);
  try { assert.deepEqual(Array.from(y.dataSync()), Array.from(F.conv2d(x.select(0, 0), w1, null, { padding: 1 }).dataSync())); } finally { setFusedKernels(prev); }
});
