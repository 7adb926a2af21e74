/**
 * The webgpu device against the CPU: a broad sample of ops on the same inputs, compared within documented
 * tolerances, an MLP forward/backward, memory accounting, and the asynchronous-read error messages.
 * Without an adapter every test is skipped with the reason printed (outside CI; in CI it fails). On Linux without a GPU, source
 * .ci/webgpu-env.sh (SwiftShader); this file also points Vulkan at Debian's SwiftShader ICD when it exists.
 *
 * Tolerances (float32 on both devices; the CPU accumulates in float64, the GPU in float32):
 *   elementwise arithmetic: exact (rtol 0, atol 0) for + - * / and comparisons;
 *   transcendental unary/binary (exp, log, tanh, erf, pow, ...): rtol 2e-5, atol 2e-6 (erfinv: 1e-4);
 *   reductions, softmax, cumsum: rtol 1e-5, atol 1e-5 * sqrt(reduced length);
 *   matmul: atol 1e-5 * K (entries are O(sqrt K)); MLP loss and gradients: rtol 1e-4, atol 1e-5.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as torch from '../../src/index.js';
import { Tensor } from '../../src/index.js';
import { OPS } from '../../src/ops/registry.js';
import { getBackend } from '../../src/backend/backend.js';
import * as F from '../../src/nn/functional/index.js';
import v8 from 'node:v8';
import { requireDevice, webgpuDevice } from '../helpers/devices.js';
import vm from 'node:vm';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
/** Collect garbage and let FinalizationRegistry callbacks run, so earlier tests' GPU garbage is settled. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) { gc(); await new Promise((r) => setTimeout(r, 5)); }
}

const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (!process.env.VK_ICD_FILENAMES && existsSync(ICD)) process.env.VK_ICD_FILENAMES = ICD;

const dev = await webgpuDevice();

/** A webgpu test: skipped with the reason outside CI, failed naming the missing device in CI. */
function gt(name: string, fn: () => Promise<void> | void): void {
  test(name, async (t) => {
    if (requireDevice(t, dev)) return;
    await fn();
  });
}

const G = 'webgpu' as const;
const gpu = (t: Tensor): Tensor => t.to(G);

/** Compare a GPU tensor with the CPU tensor; NaNs must match, |g - c| <= atol + rtol * |c|. */
async function close(g: Tensor, c: Tensor, rtol = 0, atol = 0, what = ''): Promise<void> {
  assert.equal(g.device, 'webgpu', `${what}: expected a webgpu tensor`);
  assert.deepEqual(g.shape, c.shape, `${what}: shape`);
  assert.equal(g.dtype, c.dtype, `${what}: dtype`);
  const gv = await g.data(), cv = c.dataSync();
  for (let i = 0; i < cv.length; i++) {
    const a = Number(gv[i]), b = Number(cv[i]);
    if (Number.isNaN(b)) { assert.ok(Number.isNaN(a), `${what}[${i}]: expected NaN, got ${a}`); continue; }
    if (a === b) continue;
    assert.ok(Math.abs(a - b) <= atol + rtol * Math.abs(b), `${what}[${i}]: webgpu ${a} vs cpu ${b} (rtol ${rtol}, atol ${atol})`);
  }
}

gt('init reports the adapter; isAvailable', () => {
  assert.equal(torch.webgpu.isAvailable(), true);
  const info = torch.webgpu.info();
  assert.ok(info.name.length > 0);
  console.log(`# webgpu adapter: ${info.name} (fallback: ${info.isFallbackAdapter}, ${info.runtime})`);
});

gt('memory: a 200-step create/compute/dispose loop keeps webgpu liveBytes flat; tidy disposes intermediates', async () => {
  const w = gpu(torch.randn([64, 64]));
  const stats = () => torch.memory.stats('webgpu').liveBytes;
  const step = async () => {
    const x = gpu(torch.randn([32, 64]));
    const h = torch.matmul(x, w), r = torch.relu(h), s = torch.sum(r);
    await s.data();
    for (const t of [x, h, r, s]) t.dispose();
  };
  await step();
  await settle();
  const before = stats();
  for (let i = 0; i < 200; i++) await step();
  await settle();
  assert.equal(stats(), before, 'liveBytes after 200 steps');
  const peak = torch.memory.stats('webgpu').peakBytes;
  assert.ok(peak >= before, 'peakBytes');
  // tidy: only the returned tensor survives
  const t0 = stats();
  const out = torch.webgpu.tidy(() => {
    const x = gpu(torch.randn([8, 64]));
    return torch.relu(torch.matmul(x, w)).sum(1);
  });
  assert.equal(stats(), t0 + out.numel() * 4, 'tidy keeps just its result');
  assert.equal((await out.data()).length, 8);
  out.dispose();
  assert.equal(stats(), t0);
  assert.throws(() => torch.webgpu.tidy(() => { gpu(torch.ones([4])); throw new Error('boom'); }), /boom/);
  assert.equal(stats(), t0, 'tidy disposes on throw');
  await assert.rejects(() => out.data(), /disposed/);
  w.dispose();
});

gt('unary ops match the CPU', async () => {
  torch.manualSeed(1);
  const x = torch.cat([torch.randn([200]).mul(3), torch.tensor([0, -0, 0.5, 1.5, 2.5, -2.5, 25, -25, 1e-7, NaN, Infinity, -Infinity])]);
  const pos = x.abs().add(0.1);
  const unit = torch.rand([200]).mul(1.98).sub(0.99);
  // inputs and tolerances per op; a registered unary op not listed runs on its samples' domain with 2e-5 / 2e-6
  const listed: [string, (t: Tensor) => Tensor, Tensor, number, number][] = [
    ['neg', torch.neg, x, 0, 0], ['abs', torch.abs, x, 0, 0], ['sign', torch.sign, x, 0, 0],
    ['floor', torch.floor, x, 0, 0], ['ceil', torch.ceil, x, 0, 0], ['round', torch.round, x, 0, 0], ['trunc', torch.trunc, x, 0, 0],
    ['square', torch.square, x, 1e-6, 0], ['relu', torch.relu, x, 0, 0], ['reciprocal', torch.reciprocal, x, 1e-6, 0],
    ['sqrt', torch.sqrt, pos, 2e-6, 0], ['rsqrt', torch.rsqrt, pos, 2e-5, 0], ['exp', torch.exp, x, 2e-5, 2e-6],
    ['expm1', torch.expm1, x, 2e-5, 2e-6], ['log', torch.log, pos, 2e-5, 2e-6], ['log1p', torch.log1p, pos, 2e-5, 2e-6],
    ['sin', torch.sin, x.clamp(-50, 50), 2e-5, 2e-6], ['cos', torch.cos, x.clamp(-50, 50), 2e-5, 2e-6], ['tan', torch.tan, unit, 2e-5, 2e-6],
    ['tanh', torch.tanh, x, 2e-5, 2e-6], ['sigmoid', torch.sigmoid, x, 2e-5, 2e-6], ['erf', torch.erf, x, 2e-5, 2e-6],
    ['erfinv', torch.erfinv, unit, 1e-4, 1e-5], ['gelu', torch.gelu, x, 2e-5, 2e-6], ['silu', torch.silu, x, 2e-5, 2e-6],
    ['softplus', torch.softplus, x, 2e-5, 2e-6], ['isnan', torch.isnan, x, 0, 0], ['logicalNot', torch.logicalNot, torch.where(torch.isnan(x), torch.zerosLike(x), x), 0, 0], // logicalNot(NaN): the CPU says 1, PyTorch 0
  ];
  const cases = [...listed];
  const domain = { pos, unit } as Record<string, Tensor>;
  for (const op of OPS) {
    if (op.family !== 'unary' || listed.some(([n]) => n === op.name)) continue;
    cases.push([op.name, op.fn as (t: Tensor) => Tensor, domain[op.samples[0]?.inputs[0]?.kind ?? ''] ?? x, 2e-5, 2e-6]);
  }
  for (const [name, f, inp, rtol, atol] of cases) await close(f(gpu(inp)), f(inp), rtol, atol, name);
  await close(torch.neg(gpu(torch.tensor([3, -4, 0], { dtype: 'int32' }))), torch.neg(torch.tensor([3, -4, 0], { dtype: 'int32' })), 0, 0, 'neg int32');
  await close(torch.abs(gpu(torch.tensor([3, -4, 0], { dtype: 'int64' }))), torch.abs(torch.tensor([3, -4, 0], { dtype: 'int64' })), 0, 0, 'abs int64');
});

gt('binary ops with broadcasting and non-contiguous operands match the CPU', async () => {
  torch.manualSeed(2);
  const a = torch.randn([6, 4, 5]).mul(2).transpose(0, 2);        // [5, 4, 6], non-contiguous
  const b = torch.randn([4, 1]).mul(2);                            // broadcasts
  const c = torch.randn([5, 8, 6]).narrow(1, 2, 4);                // [5, 4, 6] strided window
  const pa = torch.rand([5, 4, 6]).add(0.5);
  const ops: [string, (x: Tensor, y: Tensor) => Tensor, number][] = [
    ['add', torch.add, 0], ['sub', torch.sub, 0], ['mul', torch.mul, 0], ['div', torch.div, 1e-6],
    ['maximum', torch.maximum, 0], ['minimum', torch.minimum, 0], ['atan2', torch.atan2, 2e-5],
    ['remainder', torch.remainder, 1e-5], ['floorDivide', torch.floorDivide, 0],
    ['eq', torch.eq, 0], ['ne', torch.ne, 0], ['lt', torch.lt, 0], ['le', torch.le, 0], ['gt', torch.gt, 0], ['ge', torch.ge, 0],
    ['logicalAnd', torch.logicalAnd, 0], ['logicalOr', torch.logicalOr, 0], ['logicalXor', torch.logicalXor, 0],
  ];
  for (const [name, f, rtol] of ops) {
    await close(f(gpu(a), gpu(b)), f(a, b), rtol, rtol, `${name} (broadcast)`);
    await close(f(gpu(a), gpu(c)), f(a, c), rtol, rtol, `${name} (strided)`);
  }
  await close(torch.pow(gpu(pa), gpu(b)), torch.pow(pa, b), 2e-5, 1e-6, 'pow');
  await close(torch.pow(gpu(a), 2), torch.pow(a, 2), 1e-6, 0, 'pow 2');
  await close(torch.pow(gpu(a), 3), torch.pow(a, 3), 2e-5, 1e-6, 'pow 3 (negative bases)');
  // vec4 path: contiguous, aligned
  const u = torch.randn([1024]), v = torch.randn([1024]);
  await close(torch.mul(gpu(u), gpu(v)), torch.mul(u, v), 0, 0, 'mul vec4');
  await close(torch.exp(gpu(u)), torch.exp(u), 2e-5, 0, 'exp vec4');
  // integer arithmetic keeps integer semantics
  const i = torch.tensor([7, -7, 7, -7, 0, 5], { dtype: 'int32' }), j = torch.tensor([2, 2, -2, -2, 3, 1], { dtype: 'int32' });
  for (const [name, f] of [['add', torch.add], ['mul', torch.mul], ['remainder', torch.remainder], ['floorDivide', torch.floorDivide], ['maximum', torch.maximum], ['lt', torch.lt]] as const) {
    await close(f(gpu(i), gpu(j)), f(i, j), 0, 0, `${name} int32`);
  }
  await close(torch.div(gpu(i), gpu(j)), torch.div(i, j), 1e-6, 0, 'true division of ints');
});

gt('where, clamp, maskedFill, casts and in-place writes', async () => {
  torch.manualSeed(3);
  const x = torch.randn([7, 9]), y = torch.randn([9]);
  const m = x.gt(0);
  await close(torch.where(gpu(m), gpu(x), gpu(y)), torch.where(m, x, y), 0, 0, 'where');
  await close(torch.clamp(gpu(x), -0.5, 0.5), torch.clamp(x, -0.5, 0.5), 0, 0, 'clamp');
  await close(torch.maskedFill(gpu(x), gpu(m), -1), torch.maskedFill(x, m, -1), 0, 0, 'maskedFill');
  const f = torch.tensor([1.7, -1.7, 0, 2.5, 300, -300]);
  for (const dt of ['int32', 'int64', 'bool', 'uint8', 'int8'] as const) await close(gpu(f).to(dt), f.to(dt), 0, 0, `cast float32->${dt}`);
  // NaN -> integer is undefined in PyTorch; on webgpu it is 0 (the CPU's int64 keeps NaN in its float64 array)
  assert.deepEqual(Array.from(await gpu(torch.tensor([NaN, 1])).to('int32').data()), [0, 1]);
  assert.deepEqual(Array.from(await gpu(torch.tensor([NaN, 0])).to('bool').data()), [0, 0]);
  const iv = torch.tensor([1, -2, 3], { dtype: 'int64' });
  await close(gpu(iv).float(), iv.float(), 0, 0, 'cast int64->float32');
  await close(gpu(m).float(), m.float(), 0, 0, 'cast bool->float32');
  const h = x.to('float16'), bh = x.to('bfloat16');
  await close(gpu(h).float(), h.float(), 0, 0, 'float16 storage decode');
  await close(gpu(bh).float(), bh.float(), 0, 0, 'bfloat16 storage decode');
  await close(gpu(x).to('bfloat16'), bh, 0, 0, 'float32->bfloat16');
  // in place on a strided window
  const cg = gpu(x).clone(), cc = x.clone();
  cg.narrow(1, 2, 3).fill_(5); cc.narrow(1, 2, 3).fill_(5);
  cg.select(0, 1).copy_(gpu(y)); cc.select(0, 1).copy_(y);
  await close(cg, cc, 0, 0, 'fill_/copy_ on windows');
  await close(torch.cat([gpu(x), gpu(x).mul(2)], 1), torch.cat([x, x.mul(2)], 1), 0, 0, 'cat');
  await close(gpu(x).t().contiguous(), x.t().contiguous(), 0, 0, 'transpose contiguous');
});

gt('reductions match the CPU', async () => {
  torch.manualSeed(4);
  const x = torch.randn([6, 50, 7]);
  const xt = x.permute([2, 0, 1]);          // non-contiguous
  const big = torch.randn([3, 3000]);
  const R = (n: number) => 1e-5 * Math.sqrt(n);
  await close(torch.sum(gpu(x)), torch.sum(x), 1e-5, R(2100), 'sum all');
  await close(torch.sum(gpu(xt), [0, 2]), torch.sum(xt, [0, 2]), 1e-5, R(350), 'sum dims of permuted');
  await close(torch.mean(gpu(x), 1, { keepdim: true }), torch.mean(x, 1, { keepdim: true }), 1e-5, R(50), 'mean keepdim');
  await close(torch.sum(gpu(big), 1), torch.sum(big, 1), 1e-5, R(3000), 'sum long rows (workgroup per output)');
  await close(torch.prod(gpu(x.narrow(1, 0, 5)), 1), torch.prod(x.narrow(1, 0, 5), 1), 1e-5, 1e-6, 'prod');
  for (const [name, f] of [['amax', torch.amax], ['amin', torch.amin]] as const) {
    await close(f(gpu(xt), 2), f(xt, 2), 0, 0, name);
    await close(f(gpu(big), 1), f(big, 1), 0, 0, `${name} long`);
  }
  for (const [name, f] of [['argmax', torch.argmax], ['argmin', torch.argmin]] as const) {
    await close(f(gpu(xt), 1), f(xt, 1), 0, 0, name);
    await close(f(gpu(big), 1), f(big, 1), 0, 0, `${name} long`);
    await close(f(gpu(x)), f(x), 0, 0, `${name} all`);
  }
  const ties = torch.tensor([[1, 3, 3, 2], [NaN, 1, NaN, 5], [0, 0, 0, 0]]);
  await close(torch.argmax(gpu(ties), 1), torch.argmax(ties, 1), 0, 0, 'argmax ties/NaN');
  await close(torch.amax(gpu(ties), 1), torch.amax(ties, 1), 0, 0, 'amax NaN');
  const mx = torch.max(gpu(xt), 1), mc = torch.max(xt, 1);
  await close(mx.values, mc.values, 0, 0, 'max values'); await close(mx.indices, mc.indices, 0, 0, 'max indices');
  await close(torch.variance(gpu(x), 1), torch.variance(x, 1), 1e-4, 1e-5, 'var');
  await close(torch.std(gpu(x), [0, 2]), torch.std(x, [0, 2]), 1e-4, 1e-5, 'std');
  await close(torch.logsumexp(gpu(x), 2), torch.logsumexp(x, 2), 1e-5, 1e-5, 'logsumexp');
  await close(torch.norm(gpu(x)), torch.norm(x), 1e-5, 1e-4, 'norm');
  const b = x.gt(-2);
  await close(torch.all(gpu(b), 1), torch.all(b, 1), 0, 0, 'all'); await close(torch.any(gpu(x.gt(2)), 1), torch.any(x.gt(2), 1), 0, 0, 'any');
  const ints = torch.tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'int32' });
  await close(torch.sum(gpu(ints), 1), torch.sum(ints, 1), 0, 0, 'sum int32 -> int64');
});

gt('softmax and logSoftmax match the CPU', async () => {
  torch.manualSeed(5);
  const x = torch.randn([8, 10]).mul(5);
  await close(torch.softmax(gpu(x), 1), torch.softmax(x, 1), 1e-5, 1e-6, 'softmax dim 1');
  await close(torch.softmax(gpu(x), 0), torch.softmax(x, 0), 1e-5, 1e-6, 'softmax dim 0');
  await close(torch.logSoftmax(gpu(x), 1), torch.logSoftmax(x, 1), 1e-5, 1e-5, 'logSoftmax');
});

gt('matmul: shapes, batches, broadcasting, transposed operands', async () => {
  torch.manualSeed(6);
  const shapes: [number[], number[]][] = [
    [[1, 1], [1, 1]], [[5, 7], [7, 3]], [[64, 64], [64, 64]], [[130, 70], [70, 129]], [[3, 17, 9], [3, 9, 33]],
    [[2, 1, 5, 6], [3, 6, 4]], [[33, 128], [128, 65]], [[7], [7, 5]], [[4, 7], [7]], [[9], [9]], [[2, 0, 3], [2, 3, 4]], [[2, 3], [3, 0]],
  ];
  for (const [sa, sb] of shapes) {
    const a = torch.randn(sa), b = torch.randn(sb);
    const K = sa[sa.length - 1];
    await close(torch.matmul(gpu(a), gpu(b)), torch.matmul(a, b), 1e-5, 1e-5 * Math.max(K, 1), `matmul ${sa} @ ${sb}`);
  }
  // transposed layouts (exercise every tile loader: k/k4/m/m4 for A and B)
  for (const [M, K, N] of [[64, 32, 48], [37, 19, 23]]) {
    const a = torch.randn([K, M]).t(), b = torch.randn([N, K]).t();
    const a2 = torch.randn([M, K]), b2 = torch.randn([K, N]);
    await close(torch.matmul(gpu(a), gpu(b)), torch.matmul(a, b), 1e-5, 1e-5 * K, `aT @ bT ${M}x${K}x${N}`);
    await close(torch.matmul(gpu(a2), gpu(b)), torch.matmul(a2, b), 1e-5, 1e-5 * K, `a @ bT ${M}x${K}x${N}`);
    await close(torch.matmul(gpu(a), gpu(b2)), torch.matmul(a, b2), 1e-5, 1e-5 * K, `aT @ b ${M}x${K}x${N}`);
  }
  const bt = torch.randn([4, 20, 12]);
  await close(torch.matmul(gpu(bt), gpu(bt).transpose(1, 2)), torch.matmul(bt, bt.transpose(1, 2)), 1e-5, 2e-4, 'batched x @ x^T (same buffer twice)');
});

gt('cumsum, sort, topk match the CPU', async () => {
  torch.manualSeed(7);
  const x = torch.randn([5, 37]);
  await close(torch.cumsum(gpu(x), 1), torch.cumsum(x, 1), 1e-5, 2e-5, 'cumsum dim 1');
  await close(torch.cumsum(gpu(x.t()), 1), torch.cumsum(x.t(), 1), 1e-5, 2e-5, 'cumsum of transposed');
  const ix = torch.tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'int64' });
  await close(torch.cumsum(gpu(ix), 0), torch.cumsum(ix, 0), 0, 0, 'cumsum int64');
  const s = torch.tensor([[3, 1, 2, 1, NaN, -1, 3, 0], [5, 5, 5, 5, 1, 1, 1, 1]]);
  for (const descending of [false, true]) {
    for (const inp of [s, x, x.t(), torch.randint(0, 5, [3, 300])]) {
      for (const dim of [0, 1]) {
        const g = torch.sort(gpu(inp), dim, { descending }), c = torch.sort(inp, dim, { descending });
        await close(g.values, c.values, 0, 0, `sort values dim ${dim} desc ${descending}`);
        await close(g.indices, c.indices, 0, 0, `sort indices (stable) dim ${dim} desc ${descending}`);
      }
    }
  }
  const tk = torch.topk(gpu(x), 3, 1), tc = torch.topk(x, 3, 1);
  await close(tk.values, tc.values, 0, 0, 'topk values'); await close(tk.indices, tc.indices, 0, 0, 'topk indices');
});

gt('gather, scatter, scatterAdd, indexSelect (+ backward), tril/triu', async () => {
  torch.manualSeed(8);
  const x = torch.randn([4, 6]);
  const idx = torch.tensor([[0, 5, 5], [1, 1, 0], [2, 3, 4], [-1, 0, 2]], { dtype: 'int64' });
  await close(torch.gather(gpu(x), 1, gpu(idx)), torch.gather(x, 1, idx), 0, 0, 'gather');
  await close(torch.gather(gpu(x.t()), 0, gpu(idx.t().contiguous().abs().remainder(6))), torch.gather(x.t(), 0, idx.t().contiguous().abs().remainder(6)), 0, 0, 'gather transposed');
  const src = torch.randn([4, 3]);
  const uidx = torch.tensor([[0, 5, 2], [1, 3, 0], [2, 3, 4], [5, 0, 1]], { dtype: 'int64' });
  await close(torch.scatter(gpu(x), 1, gpu(uidx), gpu(src)), torch.scatter(x, 1, uidx, src), 0, 0, 'scatter');
  await close(torch.scatterAdd(gpu(x), 1, gpu(idx.abs()), gpu(src)), torch.scatterAdd(x, 1, idx.abs(), src), 1e-6, 1e-6, 'scatterAdd (duplicates)');
  const si = torch.tensor([3, 0, 3, 1], { dtype: 'int64' });
  await close(torch.indexSelect(gpu(x), 0, gpu(si)), torch.indexSelect(x, 0, si), 0, 0, 'indexSelect dim 0');
  await close(torch.indexSelect(gpu(x), 1, gpu(si)), torch.indexSelect(x, 1, si), 0, 0, 'indexSelect dim 1');
  const xg = gpu(x).requiresGrad_(), xc = x.clone().requiresGrad_();
  torch.indexSelect(xg, 0, gpu(si)).mul(gpu(torch.arange(6).float())).sum().backward();
  torch.indexSelect(xc, 0, si).mul(torch.arange(6).float()).sum().backward();
  await close(xg.grad!, xc.grad!, 1e-6, 1e-6, 'indexSelect backward (indexAdd)');
  const m = torch.randn([2, 5, 4]);
  for (const k of [-1, 0, 2]) {
    await close(torch.tril(gpu(m), k), torch.tril(m, k), 0, 0, `tril ${k}`);
    await close(torch.triu(gpu(m.transpose(1, 2)), k), torch.triu(m.transpose(1, 2), k), 0, 0, `triu ${k}`);
  }
});

gt('im2col, col2im, maxPool and its backward match the CPU kernels', async () => {
  torch.manualSeed(9);
  const cpu = getBackend('cpu'), wg = getBackend('webgpu');
  const wrap = (s: ReturnType<typeof cpu.alloc>, shape: number[]) => new Tensor(s, shape);
  const cases = [
    { x: [2, 3, 9, 8], k: [3, 3], s: [1, 1], p: [1, 1], d: [1, 1] },
    { x: [1, 2, 11, 10], k: [3, 2], s: [2, 3], p: [1, 0], d: [2, 1] },
    { x: [2, 3, 17], k: [4], s: [2], p: [1], d: [1] },
  ];
  for (const c of cases) {
    const x = torch.randn(c.x);
    const sp = c.x.slice(2);
    const o = sp.map((n, i) => Math.floor((n + 2 * c.p[i] - c.d[i] * (c.k[i] - 1) - 1) / c.s[i]) + 1);
    const L = o.reduce((a, b) => a * b, 1), K = c.x[1] * c.k.reduce((a, b) => a * b, 1);
    const xg = gpu(x);
    const colC = wrap(cpu.im2col(x, c.k, c.s, c.p, c.d, o), [c.x[0], K, L]);
    const colG = wrap(wg.im2col(xg, c.k, c.s, c.p, c.d, o), [c.x[0], K, L]);
    await close(colG, colC, 0, 0, `im2col ${c.x}`);
    await close(wrap(wg.col2im(colG, c.x[1], sp, c.k, c.s, c.p, c.d, o), c.x), wrap(cpu.col2im(colC, c.x[1], sp, c.k, c.s, c.p, c.d, o), c.x), 1e-6, 1e-6, `col2im ${c.x}`);
    const [vc, ic] = cpu.maxPool(x, c.k, c.s, c.p, c.d, o), [vg, ig] = wg.maxPool(xg, c.k, c.s, c.p, c.d, o);
    const oshape = [...c.x.slice(0, 2), ...o];
    await close(wrap(vg, oshape), wrap(vc, oshape), 0, 0, `maxPool values ${c.x}`);
    await close(wrap(ig, oshape), wrap(ic, oshape), 0, 0, `maxPool indices ${c.x}`);
    const g = torch.randn(oshape);
    const bc = cpu.maxPoolBackward(g, wrap(ic, oshape), sp), bg = wg.maxPoolBackward(gpu(g), wrap(ig, oshape), sp);
    await close(wrap(bg, c.x), wrap(bc, c.x), 1e-6, 1e-6, `maxPool backward ${c.x}`);
  }
});

gt('a small MLP: forward and backward on webgpu equal the CPU', async () => {
  torch.manualSeed(10);
  const x = torch.randn([16, 20]), y = torch.randint(0, 5, [16]);
  const w1 = torch.randn([32, 20]).mul(0.2), b1 = torch.randn([32]).mul(0.1);
  const w2 = torch.randn([5, 32]).mul(0.2), b2 = torch.randn([5]).mul(0.1);
  const run = (dev: 'cpu' | 'webgpu') => {
    const ps = [w1, b1, w2, b2].map((p) => p.to(dev).clone().requiresGrad_());
    const h = F.gelu(F.linear(x.to(dev), ps[0], ps[1]));
    const loss = F.crossEntropy(F.linear(h, ps[2], ps[3]), y.to(dev));
    loss.backward();
    return { loss, grads: ps.map((p) => p.grad!) };
  };
  const c = run('cpu'), g = run('webgpu');
  await close(g.loss, c.loss, 1e-4, 1e-5, 'loss');
  for (let i = 0; i < 4; i++) await close(g.grads[i], c.grads[i], 1e-4, 1e-5, `grad ${i}`);
});


gt('reads are asynchronous: toString, dataSync, item, to(cpu) say so; mixing devices names both', async () => {
  const g = gpu(torch.tensor([1, 2, 3]));
  assert.match(String(g), /await/);
  assert.match(String(g), /webgpu/);
  assert.throws(() => g.dataSync(), /await t\.data\(\)/);
  assert.throws(() => g.sum().item(), /await/);
  assert.throws(() => g.to('cpu'), /toAsync/);
  const back = await g.toAsync('cpu');
  assert.deepEqual(Array.from(back.dataSync()), [1, 2, 3]);
  assert.deepEqual(await g.tolistAsync(), [1, 2, 3]);
  assert.equal(await g.sum().itemAsync(), 6);
  assert.throws(() => torch.add(g, torch.tensor([1, 2, 3])), (e: Error) => /webgpu/.test(e.message) && /cpu/.test(e.message));
  assert.throws(() => torch.tensor([1.5], { dtype: 'float64' }).to(G), (e: Error) => e.name === 'UnsupportedOpError' && /float64/.test(e.message));
  assert.throws(() => torch.tensor([2 ** 40], { dtype: 'int64' }).to(G), /int32 range/);
});
