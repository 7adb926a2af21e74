/**
 * The same architecture as scripts/fixtures/module.py, written in torchlet, must give PyTorch's names, order,
 * shapes, state-dict keys, repr and load_state_dict messages (fixture: test/fixtures/module/module.json).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as torch from '../../src/index.js';
import { Lin, Net, Stats } from './module-models.js';

const fx = JSON.parse(readFileSync(new URL('../fixtures/module/module.json', import.meta.url), 'utf8'));
const { nn } = torch;

test('namedParameters: PyTorch names, order and shapes (containers, tied weight once)', () => {
  const net = new Net();
  assert.deepEqual(net.namedParameters().map(([k, p]) => [k, [...p.shape]]), fx.net.named_parameters);
  assert.deepEqual(net.parameters({ recurse: false }).map((p) => [...p.shape]), fx.net.parameters_no_recurse);
});

test('namedBuffers: persistent and non-persistent, dtypes (int64 num_batches_tracked)', () => {
  const net = new Net();
  assert.deepEqual(net.namedBuffers().map(([k, b]) => [k, [...b.shape], b.dtype]), fx.net.named_buffers);
});

test('namedModules / namedChildren / apply order', () => {
  const net = new Net();
  assert.deepEqual(net.namedModules().map(([k, m]) => [k, m._getName()]), fx.net.named_modules);
  assert.deepEqual(net.namedChildren().map(([k]) => k), fx.net.named_children);
  const order: string[] = [];
  net.apply((m) => order.push(m._getName()));
  assert.deepEqual(order, fx.net.apply_order);
});

test('stateDict keys, order and shapes: tied and shared entries under every key, extra state, no non-persistent buffer', () => {
  const net = new Net();
  const sd = net.stateDict();
  const got = [...sd].map(([k, v]) => [k, v instanceof torch.Tensor ? [...v.shape] : v]);
  assert.deepEqual(got, fx.net.state_dict);
  // tied: same storage under both keys, and the same detached object
  assert.equal(sd.get('tied.weight'), sd.get('blocks.0.weight'));
  assert.equal(sd.get('tied.weight')!.storage, (net.blocks.at(0)).weight.storage);
  assert.equal(sd.get('shared.weight')!.storage, (net.heads.get('cls')).weight.storage);
});

test('toString matches PyTorch repr (nested Sequential with names, ModuleList, ModuleDict, ParameterList, ParameterDict)', () => {
  assert.equal(String(new Net()), fx.net.repr);
});

function smallModel() {
  return new nn.Sequential({ fc: new Lin(4, 4), bn: new Stats(4) });
}
const norm = (s: string) => s.replace(/torch\.Size\((\[[^\]]*\])\)/g, '$1').replace(/ +\n/g, '\n').trimEnd();

test('loadStateDict strict error text matches PyTorch (missing, unexpected, size mismatch), nothing loaded', () => {
  const m = smallModel();
  const sd = new Map([...m.stateDict()].map(([k, v]) => [k, v.clone().add(1)]));
  sd.delete('fc.bias');
  sd.set('fc.weight', torch.zeros([3, 4]));
  sd.set('fc.extra', torch.zeros([1]));
  sd.set('head.weight', torch.zeros([1]));
  assert.throws(() => m.loadStateDict(sd), (e: Error) => {
    assert.ok(e instanceof torch.StateDictError);
    const firstLines = e.message.split('\n').slice(0, 4).join('\n');
    assert.equal(firstLines, norm(fx.load_strict.error));
    return true;
  });
  // all-or-nothing: bn.weight had a valid entry but was not copied
  assert.deepEqual(m.getParameter('bn.weight').tolist(), [1, 1, 1, 1]);
});

test('loadStateDict strict:false still throws on size mismatch (as PyTorch)', () => {
  const m = smallModel();
  const sd = new Map([...m.stateDict()].map(([k, v]) => [k, v.clone()]));
  sd.delete('fc.bias');
  sd.set('fc.weight', torch.zeros([3, 4]));
  assert.throws(() => m.loadStateDict(sd, { strict: false }), (e: Error) => {
    assert.equal(e.message.split('\n').slice(0, 2).join('\n'), norm(fx.load_nonstrict_mismatch.error));
    return true;
  });
});

test('loadStateDict strict:false returns missing and unexpected keys as PyTorch', () => {
  const m = smallModel();
  const sd = new Map([...m.stateDict()].map(([k, v]) => [k, v.clone()]));
  sd.delete('bn.running_var');
  sd.set('fc.extra', torch.zeros([1]));
  const r = m.loadStateDict(sd, { strict: false });
  assert.deepEqual({ missing: r.missingKeys, unexpected: r.unexpectedKeys }, fx.load_nonstrict);
});

test('DataParallel prefix: PyTorch error text, then consumePrefixInStateDict fixes it', () => {
  const m = smallModel();
  const sd = new Map([...m.stateDict()].map(([k, v]) => [`module.${k}`, v.clone().add(2)]));
  assert.throws(() => m.loadStateDict(sd), (e: Error) => {
    assert.equal(e.message.split('\n').slice(0, 3).join('\n'), norm(fx.load_prefixed.error));
    return true;
  });
  const r = m.loadStateDict(nn.utils.consumePrefixInStateDict(sd, 'module.'));
  assert.equal(String(r), '<All keys matched successfully>');
  assert.deepEqual(m.getParameter('fc.bias').tolist(), [2, 2, 2, 2]);
  assert.equal(m.getBuffer('bn.num_batches_tracked').item(), 2);
  assert.equal(m.getBuffer('bn.num_batches_tracked').dtype, 'int64');
  assert.equal(String(m), fx.small_repr);
});
