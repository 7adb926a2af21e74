/**
 * @file Recycling of large float32 arrays (src/core/f32-pool.ts; on by default in browsers, off in Node): a
 * buffer comes back only after its array was collected, zero-filled; arrays handed to user code (dataSync,
 * data) are never recycled; training with recycling on gives the same losses bit for bit as with it off.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { allocFloat32, float32Recycling, setFloat32Recycling, MIN_FLOATS, IDLE_MS } from '../../src/core/f32-pool.js';
import * as torch from '../../src/index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
/** A full GC, then a task turn so the finalization callbacks run. */
async function collect(): Promise<void> {
  for (let i = 0; i < 3; i++) { gc(); await new Promise((r) => setTimeout(r, 10)); }
}

test('f32 pool: off by default in Node; a collected array\'s buffer is reused zero-filled', async () => {
  assert.equal(float32Recycling().enabled, false);
  setFloat32Recycling(true);
  try {
    const n = MIN_FLOATS * 2;
    (() => { for (let i = 0; i < 4; i++) allocFloat32(n).fill(7); })();
    await collect();
    const before = float32Recycling();
    assert.ok(before.returned >= 1, `expected returned buffers, got ${JSON.stringify(before)}`);
    const a = allocFloat32(n);
    assert.equal(float32Recycling().recycled, before.recycled + 1);
    assert.equal(a.length, n);
    assert.ok(a.every((v) => v === 0), 'a recycled array is zero-filled');
    // Small arrays are never pooled.
    const f = float32Recycling().fresh;
    allocFloat32(MIN_FLOATS - 1);
    assert.equal(float32Recycling().fresh, f);
  } finally { setFloat32Recycling(false); }
  assert.equal(float32Recycling().heldBytes, 0);
});

test('f32 pool: an array read by user code (dataSync) keeps its buffer after the tensor is collected', async () => {
  setFloat32Recycling(true);
  try {
    const n = MIN_FLOATS * 4;
    const bytes = (() => {
      const t = torch.full([n], 3);
      return new Uint8Array(t.add(1).dataSync().buffer); // only a view of the buffer survives
    })();
    await collect();
    for (let i = 0; i < 8; i++) allocFloat32(n).fill(-1); // would take that buffer if it had been recycled
    const back = new Float32Array(bytes.buffer);
    assert.ok(back.every((v) => v === 4), 'the bytes user code kept are unchanged');
  } finally { setFloat32Recycling(false); }
});

test('f32 pool: an MLP trained with recycling on (yielding between steps) equals the run with it off', async () => {
  async function run(recycle: boolean): Promise<number[]> {
    setFloat32Recycling(recycle);
    try {
      torch.manualSeed(0);
      const { nn, optim } = torch;
      const model = new nn.Sequential(new nn.Linear(64, 128), new nn.ReLU(), new nn.Linear(128, 128), new nn.Tanh(), new nn.Linear(128, 10));
      const opt = new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
      const x = torch.randn([64, 64]), y = torch.randint(0, 10, [64], { dtype: 'int64' });
      const losses: number[] = [];
      for (let step = 0; step < 8; step++) {
        opt.zeroGrad();
        const loss = nn.functional.crossEntropy(model.call(x), y);
        loss.backward();
        opt.step();
        losses.push(loss.item());
        await collect();
      }
      return losses;
    } finally { setFloat32Recycling(false); }
  }
  const off = await run(false);
  const s0 = float32Recycling().recycled;
  const on = await run(true);
  assert.ok(float32Recycling().recycled - s0 > 10, `buffers were recycled during training (${float32Recycling().recycled - s0})`);
  assert.deepEqual(on, off);
});

test('f32 pool: buffers nobody takes are let go after the idle time (IDLE_MS, 200 ms here)', async () => {
  assert.ok(IDLE_MS >= 1000);
  setFloat32Recycling(true, 200);
  try {
    (() => { for (let i = 0; i < 4; i++) allocFloat32(MIN_FLOATS * 3); })();
    await collect();
    assert.ok(float32Recycling().heldBytes > 0, 'buffers were returned');
    await new Promise((r) => setTimeout(r, 2 * 200 + 300));
    assert.equal(float32Recycling().heldBytes, 0);
  } finally { setFloat32Recycling(false); }
});
