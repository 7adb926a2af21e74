/**
 * @file Issue 13's snippets, one test each: what silently gave a wrong result (or failed loudly for the wrong
 * reason) now does what PyTorch does, or throws a message naming the problem and the fix. Fixtures:
 * test/fixtures/args (scripts/fixtures/args.py, torch 1.13). The indexing snippets (`x.index(...)`) are
 * issue 13 item 2, tested with the indexing table.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import * as torch from '../../src/index.js';
import type { nn as NN } from '../../src/index.js';
import { assertThrowsWith } from '../helpers/index.js';

const { nn, optim } = torch;
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/args/${name}`, import.meta.url));

test('torch.zeros([3], { dtype: undefined }) is float32: undefined means "not given"', () => {
  assert.equal(torch.zeros([3], { dtype: undefined }).dtype, 'float32');
  assert.equal(torch.ones([2], { dtype: undefined, device: undefined, requiresGrad: undefined }).dtype, 'float32');
  assert.equal(torch.randn([2], { generator: undefined }).dtype, 'float32');
  assert.equal(new optim.SGD([torch.zeros([1]).requiresGrad_()], { lr: 0.1, momentum: undefined }).paramGroups[0].momentum, 0);
});

test("a param group's weight_decay throws with did-you-mean; weightDecay works per group", () => {
  const w = new nn.Parameter(torch.zeros([2])), b = new nn.Parameter(torch.zeros([2]));
  assertThrowsWith(() => new optim.AdamW([{ params: [w], weight_decay: 0.1 }], { lr: 1e-3 }),
    ['AdamW', "unknown option 'weight_decay'", "did you mean 'weightDecay'"], torch.ArgumentError);
  const opt = new optim.AdamW([{ params: [w], weightDecay: 0.1 }, { params: [b] }], { lr: 1e-3 });
  assert.equal(opt.paramGroups[0].weightDecay, 0.1);
  assert.equal(opt.paramGroups[1].weightDecay, 0.01);
  assertThrowsWith(() => opt.addParamGroup({ params: [new nn.Parameter(torch.zeros([1]))], lr: '0.1' }), ['AdamW', 'lr', 'number', '"0.1"']);
  assertThrowsWith(() => opt.addParamGroup({ params: [new nn.Parameter(torch.zeros([1]))], betas: [0.9] }), ['betas', 'array of 2 numbers']);
  assertThrowsWith(() => opt.addParamGroup({ params: [new nn.Parameter(torch.zeros([1]))], lr: -1 }), ['Invalid learning rate: -1']);
});

test('new optim.SGD(ps, { lr: 0.1, momentm: 0.9 }) throws naming momentum', () => {
  const ps = [new nn.Parameter(torch.zeros([2]))];
  assertThrowsWith(() => new optim.SGD(ps, { lr: 0.1, momentm: 0.9 } as never), ['SGD', "unknown option 'momentm'", "did you mean 'momentum'"]);
  assertThrowsWith(() => new optim.Adam(ps, { lr: 0.1, betas: 0.9 } as never), ['Adam', 'betas', 'array of 2 numbers']);
  assertThrowsWith(() => new optim.SGD(ps, { lr: 0.1, nesterov: 'yes' } as never), ['SGD', 'nesterov', 'true or false']);
});

test('nn.init.normal_/truncNormal_ take keyword options (they gave NaN everywhere)', () => {
  torch.manualSeed(0);
  const w = torch.empty([200, 100]);
  nn.init.normal_(w, { std: 0.02 });
  const std = w.std().item();
  assert.ok(Math.abs(std - 0.02) < 0.001, `std ${std}`);
  assert.equal(w.isnan().any().item(), false);
  nn.init.truncNormal_(w, { std: 0.02, a: -0.04, b: 0.04 });
  assert.ok(w.abs().max().item() <= 0.04 + 1e-7);
  assert.equal(w.isnan().any().item(), false);
  // the same draws as the positional form (PyTorch's keyword and positional calls are one call)
  const a = torch.empty([50]), b = torch.empty([50]);
  torch.manualSeed(1); nn.init.normal_(a, 0.5, 0.02);
  torch.manualSeed(1); nn.init.normal_(b, { mean: 0.5, std: 0.02 });
  assert.deepEqual(a.tolist(), b.tolist());
  torch.manualSeed(1); nn.init.normal_(b, 0.5, { std: 0.02 });
  assert.deepEqual(a.tolist(), b.tolist());
  nn.init.uniform_(a, { a: -1, b: 1 });
  assert.ok(a.min().item() >= -1 && a.max().item() < 1);
  nn.init.constant_(a, { val: 0.25 });
  assert.deepEqual(new Set(a.tolist() as number[]), new Set([0.25]));
  assertThrowsWith(() => nn.init.normal_(w, { sdt: 0.02 } as never), ['nn.init.normal_', "unknown option 'sdt'", "did you mean 'std'"]);
  assertThrowsWith(() => nn.init.normal_(w, 0, { std: 0.02, mean: 1 }), ["multiple values for argument 'mean'"]);
  assertThrowsWith(() => nn.init.normal_(w, '0.02' as never), ['normal_', 'mean', 'number']);
  assertThrowsWith(() => nn.init.kaimingUniform_(w, { mode: 'fan_in', nonlinearty: 'relu' } as never), ["did you mean 'nonlinearity'"]);
});

test('torch.tensor([true]).item() is true (PyTorch: True)', () => {
  assert.equal(torch.tensor([true]).item(), true);
  assert.equal(torch.tensor(false).item<boolean>(), false);
  assert.equal(torch.ones([2]).eq(1).all().item(), true);
});

test('torch.tensor([[1.0, 2.0]], { requiresGrad: true }) works: JavaScript numbers are floats', () => {
  const x = torch.tensor([[1.0, 2.0]], { requiresGrad: true });
  assert.equal(x.dtype, 'float32');
  x.mul(x).sum().backward();
  assert.deepEqual(x.grad!.tolist(), [[2, 4]]);
  assert.equal(torch.tensor(1.0).dtype, 'float32');
  assert.equal(torch.full([4], 1.0).dtype, 'float32');
  // copy_ into a tensor made from integer-valued numbers no longer truncates
  assert.deepEqual(torch.tensor([1, 2]).copy_(torch.tensor([0.5, 1.5])).tolist(), [0.5, 1.5]);
});

test('dtype rules for JavaScript values: bigint, booleans, typed arrays, explicit dtype, arange', () => {
  assert.equal(torch.tensor([1n, 2n]).dtype, 'int64');
  assert.equal(torch.tensor([true, false]).dtype, 'bool');
  assert.equal(torch.tensor(new Int32Array([1, 2])).dtype, 'int32');
  assert.equal(torch.tensor(new BigInt64Array([1n])).dtype, 'int64');
  assert.equal(torch.tensor(new Uint8Array([1])).dtype, 'uint8');
  assert.equal(torch.tensor(new Float64Array([1])).dtype, 'float64');
  assert.equal(torch.tensor([1, 2], { dtype: 'int64' }).dtype, 'int64');
  assert.equal(torch.tensor([1, 2], { dtype: 'long' }).dtype, 'int64');
  assert.equal(torch.arange(5).dtype, 'int64');
  assert.equal(torch.arange(0, 1, 0.5).dtype, 'float32');
  assert.equal(torch.arange(4, { dtype: 'float' }).dtype, 'float32');
  assert.equal(torch.full([4], 1).dtype, 'float32');
  assert.equal(torch.full([4], 1n).dtype, 'int64');
  torch.setDefaultDtype('double');
  try {
    assert.equal(torch.getDefaultDtype(), 'float64');
    assert.equal(torch.tensor([1, 2]).dtype, 'float64');
    assert.equal(torch.zeros([1]).dtype, 'float64');
    assert.equal(torch.randn([1]).dtype, 'float64');
  } finally { torch.setDefaultDtype('float32'); }
  assertThrowsWith(() => torch.setDefaultDtype('int64'), ['setDefaultDtype', 'floating point']);
});

test('an integer tensor where one is required: a floating one is an error showing { dtype: \'int64\' }', () => {
  const x = torch.randn([2, 3]);
  const hint = "{ dtype: 'int64' }";
  assertThrowsWith(() => torch.nn.functional.crossEntropy(x, torch.tensor([0, 2])), ['crossEntropy', hint]);
  assertThrowsWith(() => torch.nn.functional.nllLoss(x, torch.tensor([0, 2])), ['nllLoss', 'int64', hint]);
  assertThrowsWith(() => new nn.Embedding(4, 2).call(torch.tensor([0, 1])), ['embedding', hint]);
  assertThrowsWith(() => x.gather(1, torch.tensor([[0], [1]])), ['gather', hint]);
  assertThrowsWith(() => x.scatter(1, torch.tensor([[0], [1]]), 1), ['scatter', hint]);
  assertThrowsWith(() => x.indexSelect(0, torch.tensor([1])), ['indexSelect', hint]);
  assertThrowsWith(() => torch.oneHot(torch.tensor([0, 1]), 3), ['oneHot', hint]);
  assert.deepEqual(torch.nn.functional.crossEntropy(x, torch.tensor([0n, 2n])).shape, []);
});

test("model.to('double') and other PyTorch dtype aliases", () => {
  const m = new nn.Sequential(new nn.Linear(2, 2), new nn.BatchNorm1d(2));
  m.to('double');
  assert.equal(m.getParameter('0.weight').dtype, 'float64');
  assert.equal(m.getBuffer('1.num_batches_tracked').dtype, 'int64');
  m.to({ dtype: 'float' });
  assert.equal(m.getParameter('0.weight').dtype, 'float32');
  assert.equal(torch.ones([1]).to('half').dtype, 'float16');
  assert.equal(torch.ones([1]).type('long').dtype, 'int64');
  assert.equal(torch.zeros([1], { dtype: 'torch.float64' as never }).dtype, 'float64');
  assert.equal(new nn.Linear(2, 2, { dtype: 'double' }).weight.dtype, 'float64');
  assertThrowsWith(() => m.to('int64'), ['floating point', 'int64']);
  assertThrowsWith(() => torch.zeros([1], { dtype: 'short' as never }), ['zeros', "'short' is int16", "'int32'"]);
  assertThrowsWith(() => torch.zeros([1], { dtype: 'flaot32' as never }), ['zeros', 'not a dtype', "'float32'"]);
  assertThrowsWith(() => torch.zeros([1], { device: 'cuda' as never }), ['zeros', "'webgpu'"]);
});

test('torch.setRngState takes the uint8 Tensor that PyTorch saves; getRngState returns one', async () => {
  const sd = await torch.load(fixture('rng-state.pt')) as Map<string, torch.Tensor>;
  const saved = torch.getRngState();
  try {
    assert.equal(saved.dtype, 'uint8');
    torch.setRngState(sd.get('rng')!);
    assert.deepEqual(torch.rand([5]).tolist(), sd.get('next')!.tolist()); // PyTorch's next draws, bit for bit
    const g = new torch.Generator();
    g.setState(sd.get('rng')!);
    assert.deepEqual(torch.rand([5], { generator: g }).tolist(), sd.get('next')!.tolist());
    assertThrowsWith(() => torch.setRngState(torch.zeros([5056])), ['uint8']);
  } finally { torch.setRngState(saved); }
});

test('a size-mismatch load error says what helps (not strict: false or a prefix)', () => {
  const m = new nn.Linear(3, 2);
  const sd = new nn.Linear(4, 2).stateDict();
  assert.throws(() => m.loadStateDict(sd), (e: Error) => {
    assert.match(e.message, /size mismatch for weight/);
    assert.match(e.message, /different configuration/);
    assert.doesNotMatch(e.message, /Use \{strict: false\} to load|consumePrefixInStateDict/);
    return true;
  });
  const prefixed = new Map([...new nn.Linear(3, 2).stateDict()].map(([k, v]) => [`module.${k}`, v]));
  assert.throws(() => m.loadStateDict(prefixed), /start with 'module\.'.*consumePrefixInStateDict/s);
});

test("a refused global in a .pt file names the key that holds it (PyTorch 1.13's OneCycleLR anneal_func)", async () => {
  await assert.rejects(torch.load(fixture('onecycle-ckpt.pt')), (e: Error) => {
    assert.equal(e.name, 'CheckpointFormatError');
    assert.match(e.message, /refusing to load global 'builtins\.getattr' \(the value at 'scheduler\.anneal_func'\)/);
    assert.match(e.message, /delete it in Python before torch\.save/);
    return true;
  });
});

test('Modules pushed into an Array/Map/object after assignment are found at call/parameters/stateDict/to', () => {
  class Net extends nn.Module {
    layers: NN.Module[] = [];
    byName = new Map<string, NN.Module>();
    constructor(fill: 'array' | 'map') {
      super();
      if (fill === 'array') this.layers.push(new nn.Linear(2, 2));
      else this.byName.set('fc', new nn.Linear(2, 2));
    }
    forward(x: torch.Tensor): torch.Tensor { return x; }
  }
  const msgArray = /Net\.layers is an Array holding Modules or Parameters.*nn\.ModuleList\(\[\.\.\.\]\).*filled after the assignment/s;
  assert.throws(() => new Net('array').parameters(), msgArray);
  assert.throws(() => new Net('array').call(torch.zeros([1, 2])), msgArray);
  assert.throws(() => new Net('array').stateDict(), msgArray);
  assert.throws(() => new Net('array').to('float64'), msgArray);
  assert.throws(() => new Net('map').parameters(), /Net\.byName is a Map holding Modules or Parameters.*nn\.ModuleDict/s);
  // the message at the assignment is the same
  assert.throws(() => { const n = new Net('map'); (n as unknown as { other: unknown }).other = [new nn.Linear(1, 1)]; }, /Net\.other is an Array holding Modules or Parameters/);
  // plain arrays of numbers/tensors are fine
  class Ok extends nn.Module {
    sizes: number[] = [];
    constructor() { super(); this.sizes.push(3); }
    forward(x: torch.Tensor): torch.Tensor { return x; }
  }
  assert.deepEqual(new Ok().parameters(), []);
});

test('the raw-Tensor error shows how to cache a tensor on purpose, and both ways work', () => {
  class Rnn extends nn.Module {
    #last: torch.Tensor | null = null;
    declare lastHidden: torch.Tensor | null;
    constructor() { super(); this.registerBuffer('lastHidden', null, { persistent: false }); }
    forward(x: torch.Tensor): torch.Tensor { this.#last = x.detach(); this.lastHidden = x.detach(); return x; }
    get last(): torch.Tensor | null { return this.#last; }
  }
  const r = new Rnn();
  r.call(torch.ones([2]));
  assert.deepEqual(r.last!.tolist(), [1, 1]);
  assert.deepEqual(r.lastHidden!.tolist(), [1, 1]);
  assert.deepEqual([...r.stateDict().keys()], []);
  class Bad extends nn.Module { forward(x: torch.Tensor): torch.Tensor { (this as unknown as { h: torch.Tensor }).h = x.detach(); return x; } }
  assertThrowsWith(() => new Bad().call(torch.ones([1])), ['Bad.h is a raw Tensor', 'private field (this.#h = t)', "registerBuffer('h', null, { persistent: false })"]);
});
