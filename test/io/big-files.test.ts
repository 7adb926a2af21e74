/**
 * Reading checkpoints piece by piece (torch.load(path, { mmap: true }), and every file over 2 GiB) and Hugging
 * Face's sharded safetensors layout. The > 2 GiB and > 4 GiB (zip64) files are made on the fly and removed:
 * they need about 5 GiB of memory and disk, so they run in CI or with TORCHLET_BIG_FILES=1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, ftruncateSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { IN_CI, requireOrSkip, torch113 } from '../helpers/python.js';

const FIX = join(import.meta.dirname, '../fixtures/io');
const same = (a: Map<string, unknown>, b: Map<string, unknown>) => {
  assert.deepEqual([...a.keys()], [...b.keys()]);
  for (const [k, v] of a) {
    const w = b.get(k);
    if (v instanceof torch.Tensor) {
      assert.ok(w instanceof torch.Tensor, k);
      assert.equal(v.dtype, w.dtype, k); assert.deepEqual(v.shape, w.shape, k);
      assert.deepEqual(v.tolist(), w.tolist(), k);
    } else if (v instanceof Map) same(v, w as Map<string, unknown>);
    else assert.deepEqual(v, w, k);
  }
};

test('mmap: PyTorch-written .pt (views, dtypes, nested) and safetensors files load the same piece by piece', async () => {
  for (const f of ['model.pt', 'dtypes.pt', 'views.pt', 'nested.pt', 'optim_adam.pt', 'model.safetensors', 'dtypes.safetensors']) {
    const a = await torch.load(join(FIX, f)) as Map<string, unknown>;
    const b = await torch.load(join(FIX, f), { mmap: true }) as Map<string, unknown>;
    same(b, a);
  }
  await assert.rejects(() => torch.load(join(FIX, 'model.pt'), { mmap: true, map: 1 } as never), /unknown option 'map'/);
});

test('sharded safetensors: save with maxShardSize writes Hugging Face\'s layout; the index loads it back', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'torchlet-shards-'));
  try {
    torch.manualSeed(0);
    const sd = new Map<string, Tensor>([['a.weight', torch.randn([64, 64])], ['b.weight', torch.randn([64, 64])], ['b.bias', torch.randn([64])],
      ['c.weight', torch.randn([200, 64])], ['steps', torch.tensor([3], { dtype: 'int64' })]]);
    await torch.save(sd, join(dir, 'model.safetensors'), { maxShardSize: 40_000 });
    // huggingface_hub's split: c.weight (51,200 bytes) is over the limit and gets a shard of its own when met
    assert.deepEqual(readdirSync(dir).sort(), ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'model.safetensors.index.json']);
    const index = JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8'));
    assert.equal(index.metadata.total_size, (64 * 64 * 2 + 64 + 200 * 64) * 4 + 8);
    assert.deepEqual(Object.keys(index.weight_map), ['a.weight', 'b.bias', 'b.weight', 'c.weight', 'steps']);
    assert.deepEqual(index.weight_map, { 'a.weight': 'model-00002-of-00002.safetensors', 'b.bias': 'model-00002-of-00002.safetensors', 'b.weight': 'model-00002-of-00002.safetensors',
      'c.weight': 'model-00001-of-00002.safetensors', steps: 'model-00002-of-00002.safetensors' });
    const back = await torch.load(join(dir, 'model.safetensors.index.json')) as Map<string, Tensor>;
    same(new Map([...sd].sort(([a], [b]) => (a < b ? -1 : 1))), back);
    // each shard is an ordinary safetensors file
    assert.deepEqual([...(await torch.load(join(dir, 'model-00001-of-00002.safetensors')) as Map<string, Tensor>).keys()], ['c.weight']);
    // under the limit: one plain file, no index
    await torch.save(sd, join(dir, 'small.safetensors'), { maxShardSize: '1GB' });
    assert.ok(!readdirSync(dir).includes('small.safetensors.index.json'));
    await assert.rejects(() => torch.save(sd, join(dir, 'x.pt'), { maxShardSize: 10 }), /not a .safetensors path/);
    await assert.rejects(() => torch.save(sd, join(dir, 'y.safetensors'), { maxShardSize: '5 parsecs' }), /maxShardSize must be/);
    rmSync(join(dir, 'model-00002-of-00002.safetensors'));
    await assert.rejects(() => torch.load(join(dir, 'model.safetensors.index.json')), /shard '.*model-00002-of-00002.safetensors' named by .* is missing/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('loadBlob: a Blob/File of safetensors (read by slices) or .pt gives what torch.load gives', async () => {
  for (const f of ['model.safetensors', 'dtypes.safetensors', 'model.pt', 'nested.pt']) {
    const a = await torch.load(join(FIX, f)) as Map<string, unknown>;
    const b = await torch.loadBlob(new Blob([readFileSync(join(FIX, f))])) as Map<string, unknown>;
    same(b, a);
  }
  await assert.rejects(() => torch.loadBlob('x' as never), /expected a Blob or File/);
});

test('API.md: a model built on meta loads a sharded checkpoint with assign', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'torchlet-shards-'));
  try {
    const build = () => new torch.nn.Sequential(new torch.nn.Linear(32, 64), new torch.nn.LayerNorm(64), new torch.nn.Linear(64, 8));
    torch.manualSeed(5);
    const src = build();
    await torch.save(src.stateDict(), join(dir, 'model.safetensors'), { maxShardSize: 4096 });
    const big = torch.withDevice('meta', build);
    big.loadStateDict(await torch.load(join(dir, 'model.safetensors.index.json')) as Map<string, Tensor>, { assign: true });
    const x = torch.randn([2, 32]);
    assert.deepEqual((big.call(x)).tolist(), torch.noGrad<Tensor>(() => src.call(x)).tolist());
    for (const p of big.parameters()) assert.ok(p.device === 'cpu' && p.requiresGrad);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

const BIG = IN_CI || process.env.TORCHLET_BIG_FILES === '1';

test('a > 2 GiB safetensors file (sparse, made here) loads tensor by tensor', async (t) => {
  if (!BIG) { t.skip('set TORCHLET_BIG_FILES=1 (needs ~3 GiB of memory and disk; always on in CI)'); return; }
  const dir = mkdtempSync(join(tmpdir(), 'torchlet-big-'));
  try {
    const path = join(dir, 'big.safetensors');
    const n = 2 ** 28; // 1 GiB of float32 per tensor
    const header: Record<string, unknown> = {};
    for (let i = 0; i < 3; i++) header[`t${i}`] = { dtype: 'F32', shape: [i === 2 ? 2 : n], data_offsets: [i * n * 4, i * n * 4 + (i === 2 ? 8 : n * 4)] };
    let json = JSON.stringify(header);
    json += ' '.repeat((8 - (json.length % 8)) % 8);
    const fd = openSync(path, 'w');
    const len = Buffer.alloc(8); len.writeBigUInt64LE(BigInt(json.length));
    writeSync(fd, len); writeSync(fd, json);
    const dataStart = 8 + json.length;
    ftruncateSync(fd, dataStart + 2 * n * 4 + 8);
    writeSync(fd, new Uint8Array(new Float32Array([1.5, -2]).buffer), 0, 8, dataStart + 2 * n * 4);
    closeSync(fd);
    const sd = await torch.load(path) as Map<string, Tensor>;
    assert.deepEqual(sd.get('t2')!.tolist(), [1.5, -2]);
    assert.equal(sd.get('t1')!.numel(), n);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('a > 4 GiB torch.save file made by PyTorch (zip64: five 1 GiB tensors) loads with mmap', async (t) => {
  if (!BIG) { t.skip('set TORCHLET_BIG_FILES=1 (needs ~6 GiB of memory and 5 GiB of disk; always on in CI)'); return; }
  const py = torch113();
  if (requireOrSkip(t, py.skip)) return;
  const dir = mkdtempSync(join(tmpdir(), 'torchlet-big-'));
  try {
    const path = join(dir, 'big.pt');
    const script = join(dir, 'make.py');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(script, 'import sys, torch\nsd = {}\nfor i in range(5):\n    t = torch.zeros(2**28)\n    t[-1] = i + 0.5\n    sd[f"t{i}"] = t\ntorch.save(sd, sys.argv[1])\n');
    const r = py.run(script, [path], { timeout: 600_000 });
    assert.equal(r.status, 0, r.stderr);
    const sd = await torch.load(path, { mmap: true }) as Map<string, Tensor>;
    assert.deepEqual([...sd.keys()], ['t0', 't1', 't2', 't3', 't4']);
    for (let i = 0; i < 5; i++) assert.equal(sd.get(`t${i}`)!.slice(0, 2 ** 28 - 1).item(), i + 0.5);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
