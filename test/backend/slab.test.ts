/**
 * @file Small float32 arrays sub-allocated from slabs (src/core/f32-pool.ts): zero-filled as `new Float32Array(n)`,
 * never overlapping while alive, a bounded slab per array (the retention bound), and arrays that leave the library
 * (dataSync, data, save's bytes) carrying a buffer of their own; load writes into a slab view at its offset.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocFloat32, float32Slabs, keepFloat32, setFloat32Slabs, MIN_FLOATS, SLAB_ARRAYS, SLAB_MAX_FLOATS, SLAB_MIN_FLOATS } from '../../src/core/f32-pool.js';
import { bytesToHost } from '../../src/io/tensor-bridge.js';
import * as torch from '../../src/index.js';

const SIZES = [SLAB_MIN_FLOATS, 20, 31, 32, 33, 100, 255, 256, 257, 1000, 1024, 1500, SLAB_MAX_FLOATS];

test('slabs: on by default; small arrays are views into shared slabs, others have buffers of their own', () => {
  assert.equal(float32Slabs().enabled, true);
  const a = allocFloat32(1000), b = allocFloat32(1000);
  assert.equal(a.buffer, b.buffer, 'two 1,000-float arrays made in a row share a slab');
  assert.equal(b.byteOffset, a.byteOffset + 4000);
  for (const n of [1, 16, SLAB_MAX_FLOATS + 1, MIN_FLOATS, MIN_FLOATS * 2]) {
    const x = allocFloat32(n);
    assert.equal(x.byteOffset, 0, `n=${n}`);
    assert.equal(x.buffer.byteLength, n * 4, `n=${n}: outside the slab sizes, a buffer of its own`);
  }
});

test('slabs: every array is zero-filled, 16-byte aligned, and live arrays never overlap', () => {
  const live: { a: Float32Array; v: number }[] = [];
  for (let i = 0; i < 600; i++) {
    const n = SIZES[i % SIZES.length];
    const a = allocFloat32(n);
    assert.equal(a.length, n);
    assert.ok(a.every((x) => x === 0), `array ${i} (n=${n}) is zero-filled`);
    assert.equal(a.byteOffset % 16, 0);
    a.fill(i + 1);
    live.push({ a, v: i + 1 });
  }
  for (const { a, v } of live) assert.ok(a.every((x) => x === v), 'no array was written through another');
  // and by byte ranges: sort the views of each buffer by offset
  const byBuf = new Map<ArrayBufferLike, Float32Array[]>();
  for (const { a } of live) byBuf.set(a.buffer, [...(byBuf.get(a.buffer) ?? []), a]);
  for (const views of byBuf.values()) {
    views.sort((p, q) => p.byteOffset - q.byteOffset);
    for (let i = 1; i < views.length; i++) assert.ok(views[i - 1].byteOffset + views[i - 1].byteLength <= views[i].byteOffset);
  }
});

test('slabs: retention bound: a slab is at most 2 * SLAB_ARRAYS times the bytes of any array in it', () => {
  assert.ok(SLAB_ARRAYS * 2 <= 16, 'the documented worst case: a kept array pins less than 16x its bytes');
  for (const n of SIZES) {
    const a = allocFloat32(n);
    assert.ok(a.buffer.byteLength < 2 * SLAB_ARRAYS * a.byteLength, `n=${n}: slab of ${a.buffer.byteLength} bytes`);
    assert.ok(a.buffer.byteLength <= 64 * 1024, 'slabs are at most 64 KiB');
  }
  // size-segregated: a small array never shares a slab with one of another class
  const small = allocFloat32(20), big = allocFloat32(2000);
  assert.notEqual(small.buffer, big.buffer);
});

test('slabs: arrays leaving the library (dataSync, data, keepFloat32) own their buffer; values as computed', async () => {
  const t = torch.arange(0, 300).float();
  const u = t.mul(2);
  const d = u.dataSync() as Float32Array;
  assert.equal(d.byteOffset, 0);
  assert.equal(d.buffer.byteLength, 300 * 4, 'dataSync of a slab tensor: only its own elements behind .buffer');
  assert.deepEqual(Array.from(new Float32Array(d.buffer)), Array.from({ length: 300 }, (_, i) => 2 * i));
  const e = await u.add(1).data() as Float32Array;
  assert.equal(e.buffer.byteLength, 300 * 4);
  assert.equal(e[299], 599);
  assert.deepEqual(u.tolist(), Array.from({ length: 300 }, (_, i) => 2 * i));
  const s = allocFloat32(100).fill(3);
  const k = keepFloat32(s);
  assert.notEqual(k, s);
  assert.equal(k.buffer.byteLength, 400);
  assert.ok(k.every((x) => x === 3));
  const own = new Float32Array(7);
  assert.equal(keepFloat32(own), own, 'an array with a buffer of its own is handed out as is');
});

test('slabs: save/load round trip of small tensors keeps their values and their neighbours', () => {
  const neighbours = [allocFloat32(100).fill(-1), allocFloat32(1000).fill(-2)];
  const sd = new Map([['a', torch.arange(0, 100).float().div(3)], ['b', torch.randn([10, 100])], ['c', torch.ones([5, 5])]]);
  for (const format of ['safetensors', 'pt'] as const) {
    const bytes = torch.saveBytes(sd, { format });
    const back = torch.loadBytes(bytes) as Map<string, torch.Tensor>;
    for (const [k, v] of sd) assert.deepEqual(back.get(k)!.tolist(), v.tolist(), `${format}: ${k}`);
  }
  // the copying path of bytesToHost writes into a (slab) array at its offset, not at the start of the slab
  const src = new Float32Array(Array.from({ length: 100 }, (_, i) => i));
  setFloat32Slabs(true); // fresh slabs: the next array of this class is at offset 0, the one after it is not
  const first = allocFloat32(100).fill(-3);
  const host = bytesToHost('float32', new Uint8Array(src.buffer.slice(0)), false) as Float32Array;
  assert.equal(host.byteOffset, 400);
  assert.deepEqual(Array.from(host), Array.from(src));
  assert.ok(first.every((x) => x === -3), 'the array before it in the slab is untouched');
  assert.ok(neighbours[0].every((x) => x === -1) && neighbours[1].every((x) => x === -2), 'arrays next to loaded ones are untouched');
});

test('slabs: an MLP trained with slabs on equals the run with them off, bit for bit', () => {
  function run(): number[] {
    torch.manualSeed(0);
    const m = new torch.nn.Sequential(new torch.nn.Linear(12, 40), new torch.nn.Tanh(), new torch.nn.Linear(40, 3));
    const opt = new torch.optim.Adam(m.parameters(), { lr: 0.01 });
    const x = torch.randn([30, 12]), y = torch.randint(0, 3, [30], { dtype: 'int64' });
    const losses: number[] = [];
    for (let i = 0; i < 5; i++) {
      opt.zeroGrad();
      const loss = torch.nn.functional.crossEntropy(m.call(x), y);
      loss.backward();
      opt.step();
      losses.push(loss.item());
    }
    return [...losses, ...m.parameters().flatMap((p) => Array.from(p.dataSync()))];
  }
  const on = run();
  const was = setFloat32Slabs(false);
  try {
    assert.deepEqual(run(), on);
  } finally { setFloat32Slabs(was); }
});
