/**
 * @file nn.init.report: per parameter of an nn.Module (or anything with namedParameters()), its shape, fans, the
 * recorded scheme, target vs measured std, and flags for inits overridden by mistake.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';
import { empty, manualSeed } from '../../src/index.js';
import * as init from '../../src/nn/init.js';
import { Module } from '../../src/nn/module.js';
import { Parameter } from '../../src/nn/parameter.js';

class Block extends Module {
  weight = new Parameter(empty([128, 64]));
  bias = new Parameter(empty([128]));
  constructor() {
    super();
    init.kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    const bound = 1 / Math.sqrt(64);
    init.uniform_(this.bias, -bound, bound);
  }
}

class Net extends Module {
  conv = new Parameter(init.kaimingNormal_(empty([32, 16, 3, 3]), { mode: 'fan_out', nonlinearity: 'relu' }));
  block = new Block();
  emb = new Parameter(init.normal_(empty([500, 32])));
  gamma = new Parameter(init.ones_(empty([32])));
  raw = new Parameter(torch.randn([300]));
}

test('report over an nn.Module: rows in namedParameters order with shape, fans, scheme, target and measured std', () => {
  manualSeed(0);
  const net = new Net();
  const r = init.report(net);
  // PyTorch's named_parameters order: the module's own parameters, then each child's
  assert.deepEqual(r.rows.map((x) => x.name), ['conv', 'emb', 'gamma', 'raw', 'block.weight', 'block.bias']);
  const [conv, emb, gamma, raw, w, b] = r.rows;
  assert.deepEqual(conv.shape, [32, 16, 3, 3]);
  assert.deepEqual([conv.fanIn, conv.fanOut], [144, 288]);
  assert.equal(conv.scheme, 'kaiming_normal_');
  assert.equal(conv.targetStd, Math.sqrt(2) / Math.sqrt(288));
  assert.equal(w.scheme, 'kaiming_uniform_');
  assert.equal(w.targetStd, Math.sqrt(2 / 6) / 8); // gain √(2/(1+5)), fan_in 64: PyTorch's Linear default
  assert.equal(b.scheme, 'uniform_');
  assert.deepEqual([b.fanIn, b.fanOut], [null, null]);
  assert.equal(emb.scheme, 'normal_');
  assert.equal(gamma.scheme, 'ones_');
  assert.equal(gamma.targetStd, 0);
  assert.equal(raw.scheme, null);
  assert.match(raw.note, /not initialised by nn.init/);
  for (const row of [conv, w, b, emb]) {
    assert.ok(Math.abs(row.ratio! - 1) < 0.2, `${row.name}: ratio ${row.ratio}`);
    // measured is the sample std (correction 1), as Tensor.std()
    const p = net.namedParameters().find(([n]) => n === row.name)![1];
    assert.equal(row.measuredStd, p.double().std().item());
  }
  assert.equal(r.flagged.length, 0);
  const text = String(r);
  assert.match(text, /^parameter\s+shape\s+fan_in\s+fan_out\s+scheme\s+target std\s+measured std\s+ratio/);
  assert.match(text, /block\.weight\s+\[128, 64\]\s+64\s+128\s+kaiming_uniform_\s+0\.07217/);
  assert.match(text, /raw .*\(unrecorded\)/);
  assert.match(text, /all 6 parameters within 20%/);
});

test('an init overridden by mistake is flagged; small tensors get a note instead of a flag', () => {
  manualSeed(1);
  const net = new Net();
  torch.noGrad(() => net.block.weight.normal_(0, 1)); // a raw op after the init: the record is stale
  torch.noGrad(() => net.gamma.mul_(2).add_(torch.randn([32]))); // ones_ no longer constant
  const small = new Parameter(init.kaimingUniform_(empty([4, 4])));
  torch.noGrad(() => small.mul_(3));
  const r = init.report({ namedParameters: () => [...net.namedParameters(), ['small', small] as [string, torch.Tensor]] });
  const by = Object.fromEntries(r.rows.map((x) => [x.name, x]));
  assert.equal(by['block.weight'].flagged, true);
  assert.ok(by['block.weight'].ratio! > 10);
  assert.match(by['block.weight'].note, /std off by \d+%/);
  assert.equal(by.gamma.flagged, true);
  assert.match(by.gamma.note, /expected a constant/);
  assert.equal(by.small.flagged, false);
  assert.match(by.small.note, /small sample \(16 elements\)/);
  assert.equal(r.flagged.length, 2);
  assert.match(String(r), /!! std off by/);
  assert.match(String(r), /2 of 7 parameters differ from their scheme's std by more than 20%/);
  // options: a looser tolerance and a lower size threshold
  const r2 = init.report(net, { tolerance: 100, minNumel: 1 });
  assert.equal(r2.rows.find((x) => x.name === 'block.weight')!.flagged, false);
});

test('report accepts any object with namedParameters() and rejects others', () => {
  const t = init.xavierNormal_(empty([200, 100]));
  const r = init.report({ namedParameters: () => [['w', t]] });
  assert.equal(r.rows[0].scheme, 'xavier_normal_');
  assert.throws(() => init.report({} as init.HasNamedParameters), /expected a module/);
});
