/**
 * @file Within a backward pass that runs no user code, a gradient buffer the engine made and consumed (its count of
 * references drops to 0) backs later allocations of the same size in that pass (autograd/engine.ts, Steals.flush;
 * core/f32-pool.ts, reuseFloat32). Each case runs the same graph twice, once plainly and once with a pass-through
 * hook on the loss (user code: no buffer is taken over nor reused), and the gradients must be the same bits; the
 * tensors are large enough (4,096 floats and more) for the reuse to happen, and the tests check that it did.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { gradSteals } from '../../src/autograd/engine.js';
import { DEAD_CAP_BYTES, MIN_FLOATS, allocFloat32, float32Reuse, reuseFloat32, setFloat32Reuse } from '../../src/core/f32-pool.js';

const { nn } = torch;
const F = nn.functional;

/** Build leaves and a loss from the same seed twice: plain pass vs a pass with a hook; same gradient bits. */
function sameBits(build: () => { leaves: Tensor[]; loss: Tensor }): { recycled: number; reused: number } {
  torch.manualSeed(7);
  const ref = build();
  ref.loss.registerHook((g) => g);
  ref.loss.backward();
  torch.manualSeed(7);
  const run = build();
  const r0 = gradSteals.recycled, u0 = float32Reuse().reused;
  run.loss.backward();
  const counts = { recycled: gradSteals.recycled - r0, reused: float32Reuse().reused - u0 };
  ref.leaves.forEach((l, i) => {
    const a = ref.leaves[i].grad!.dataSync(), b = run.leaves[i].grad!.dataSync();
    assert.equal(a.length, b.length);
    assert.deepEqual(Buffer.from(b.buffer, b.byteOffset, b.byteLength), Buffer.from(a.buffer, a.byteOffset, a.byteLength), `leaf ${i} (shape ${l.shape.join('x')})`);
  });
  // the leaves' gradients share no memory with each other
  for (const l of run.leaves) l.grad!.fill_(0);
  return counts;
}

const leaf = (...shape: number[]) => torch.randn(shape).requiresGrad_(true);

test('a chain of same-size ops: consumed gradients back later ones, same bits', () => {
  const c = sameBits(() => {
    const x = leaf(64, 128), w = leaf(64, 128);
    let h = x;
    for (let i = 0; i < 4; i++) h = h.mul(w).tanh().add(h.sigmoid());
    return { leaves: [x, w], loss: h.square().sum() };
  });
  assert.ok(c.recycled > 0 && c.reused > 0, JSON.stringify(c));
});

test('x + x and a gradient routed to several inputs of one node and to a leaf twice', () => {
  const c = sameBits(() => {
    const x = leaf(8192), y = leaf(8192);
    const s = x.add(x).mul(y).add(y);
    const t = s.mul(s).add(s.exp().mul(x));
    return { leaves: [x, y], loss: t.add(t.relu()).sum() };
  });
  assert.ok(c.recycled > 0, JSON.stringify(c));
});

test('views: chunk windows, transposes, reshapes and narrow of large tensors', () => {
  sameBits(() => {
    const x = leaf(32, 3 * 256), w = leaf(256, 256);
    const [q, k, v] = x.chunk(3, -1);
    const a = q.matmul(w).mul(k.t().t()).reshape([64, 128]).transpose(0, 1);
    const b = v.reshape([64, 128]).transpose(0, 1).add(a.narrow(1, 0, 64).sum(1, { keepdim: true }));
    return { leaves: [x, w], loss: a.mul(b).sum().add(b.square().mean()) };
  });
});

test('a small Transformer encoder layer with dropout: same gradient bits, buffers reused', () => {
  const c = sameBits(() => {
    const layer = new nn.TransformerEncoderLayer(64, 4, { dimFeedforward: 128, batchFirst: true });
    const head = new nn.Linear(64, 80);
    const x = leaf(4, 16, 64);
    const mask = nn.Transformer.generateSquareSubsequentMask(16);
    const y = torch.randint(0, 80, [64], { dtype: 'int64' });
    const out = head.call(layer.call(x, { srcMask: mask })).reshape(-1, 80);
    return { leaves: [x, ...layer.parameters(), ...head.parameters()], loss: F.crossEntropy(out, y) };
  });
  assert.ok(c.reused > 0, JSON.stringify(c));
});

test('retainGraph: two passes over one graph accumulate the same values as without reuse', () => {
  const grads = (hook: boolean) => {
    torch.manualSeed(3);
    const x = leaf(64, 96), w = leaf(96, 96);
    const loss = x.matmul(w).tanh().matmul(w).sigmoid().sum();
    if (hook) loss.registerHook((g) => g);
    loss.backward({ retainGraph: true });
    loss.backward();
    return [Array.from(x.grad!.dataSync()), Array.from(w.grad!.dataSync())];
  };
  assert.deepEqual(grads(false), grads(true));
});

test('a backward that throws, then a pass that is right', () => {
  const x = leaf(64, 64);
  const y = x.mul(2).exp();
  const z = y.sum();
  z.backward();
  assert.throws(() => z.backward(), /second time/);
  sameBits(() => { const a = leaf(64, 64); return { leaves: [a], loss: a.mul(a).exp().sum() }; });
});

test('training steps with reuse on and off: the same losses and parameters, bit for bit; off empties the lists', () => {
  const train = (on: boolean) => {
    const was = setFloat32Reuse(on);
    try {
      torch.manualSeed(11);
      const layer = new nn.TransformerEncoderLayer(64, 4, { dimFeedforward: 128, batchFirst: true });
      const head = new nn.Linear(64, 100);
      const params = [...layer.parameters(), ...head.parameters()];
      const opt = new torch.optim.AdamW(params, { lr: 1e-3 });
      const x = torch.randn([4, 16, 64]), y = torch.randint(0, 100, [64], { dtype: 'int64' });
      const losses: number[] = [];
      for (let s = 0; s < 3; s++) {
        opt.zeroGrad();
        const loss = F.crossEntropy(head.call(layer.call(x)).reshape(-1, 100), y);
        loss.backward(); opt.step(); losses.push(loss.item());
      }
      return { losses, params: params.map((p) => Array.from(p.dataSync())), held: float32Reuse().heldBytes };
    } finally { setFloat32Reuse(was); }
  };
  const u0 = float32Reuse().reused;
  const on = train(true);
  assert.ok(float32Reuse().reused > u0);
  assert.ok(on.held <= DEAD_CAP_BYTES);
  const off = train(false);
  assert.equal(off.held, 0);
  assert.deepEqual(on.losses, off.losses);
  assert.deepEqual(on.params, off.params);
});

test('reuseFloat32: an exact-length allocation takes a handed-back array zero-filled; views and small arrays are refused', () => {
  const n = MIN_FLOATS + 3;
  const a = new Float32Array(n).fill(5);
  assert.equal(reuseFloat32(a), true);
  const b = allocFloat32(n);
  assert.equal(b, a);
  assert.ok(b.every((v) => v === 0));
  assert.notEqual(allocFloat32(n), a); // taken once
  assert.equal(reuseFloat32(new Float32Array(2 * n).subarray(0, n)), false);
  assert.equal(reuseFloat32(new Float32Array(MIN_FLOATS - 1)), false);
  const was = setFloat32Reuse(false);
  assert.equal(reuseFloat32(new Float32Array(n)), false);
  setFloat32Reuse(was);
  // past the cap the lists are emptied first: the held bytes never exceed it
  const big = DEAD_CAP_BYTES / 4 / 3;
  for (let i = 0; i < 4; i++) { reuseFloat32(new Float32Array(big)); assert.ok(float32Reuse().heldBytes <= DEAD_CAP_BYTES); }
  setFloat32Reuse(false); setFloat32Reuse(was);
  assert.equal(float32Reuse().heldBytes, 0);
});
