/**
 * Hooks around module state (order, arguments, removal) and nn.utils.remapStateDictKeys on prefixed checkpoints
 * written by PyTorch (scripts/fixtures/state.py: DataParallel's `module.`, torch.compile's `_orig_mod.`,
 * Lightning's `model.`), also as a load pre-hook.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';

const { nn } = torch;
const FIX = join(import.meta.dirname, '../fixtures/state');
const net = () => new nn.Sequential(new nn.Linear(3, 4), new nn.BatchNorm1d(4), new nn.Linear(4, 2));

test('state-dict pre/post hooks: order (pre before the module, post after its children), arguments, edits, removal', () => {
  const m = net();
  const log: string[] = [];
  const h1 = m.registerStateDictPreHook((mod, prefix, keepVars) => { log.push(`pre ${mod._getName()} '${prefix}' ${keepVars}`); });
  const h2 = (m.getSubmodule('0') as torch.nn.Linear).registerStateDictPreHook((_mod, prefix) => { log.push(`pre child '${prefix}'`); });
  const h3 = m.registerStateDictPostHook((_mod, sd, prefix) => { log.push(`post root '${prefix}' ${sd.size}`); sd.delete('1.num_batches_tracked'); });
  const h4 = (m.getSubmodule('0') as torch.nn.Linear).registerStateDictPostHook((_mod, sd, prefix) => { log.push(`post child '${prefix}' ${sd.size}`); });
  const sd = m.stateDict();
  assert.deepEqual(log, ["pre Sequential '' false", "pre child '0.'", "post child '0.' 2", "post root '' 9"]);
  assert.ok(!sd.has('1.num_batches_tracked'));
  for (const h of [h1, h2, h3, h4]) h.remove();
  log.length = 0;
  assert.equal(m.stateDict().size, 9);
  assert.deepEqual(log, []);
});

test('load pre-hooks may rename keys in loadStateDict\'s copy; post hooks see and may forgive incompatible keys; nothing loads on error', () => {
  const m = net();
  const src = net().stateDict();
  const given = new Map([...src].map(([k, v]) => [`module.${k}`, v]));
  const seen: string[] = [];
  const pre = m.registerLoadStateDictPreHook((_mod, sd, prefix, _meta, strict) => {
    seen.push(`pre '${prefix}' strict=${strict}`);
    if (prefix === '') for (const [k, v] of [...sd]) { sd.delete(k); sd.set(k.replace(/^module\./, ''), v); }
  });
  m.loadStateDict(given);
  assert.equal(seen[0], "pre '' strict=true");
  assert.ok(given.has('module.0.weight'), 'the caller\'s dict was edited');
  assert.deepEqual((m.getSubmodule('0') as torch.nn.Linear).weight.tolist(), src.get('0.weight')!.tolist());
  pre.remove();
  // a post hook forgives a missing key (strict load passes); it runs before anything is written
  const partial = new Map(src); partial.delete('2.bias');
  const post = m.registerLoadStateDictPostHook((_mod, keys) => {
    seen.push(`post ${keys.missingKeys.join(',')}`);
    const i = keys.missingKeys.indexOf('2.bias'); if (i >= 0) keys.missingKeys.splice(i, 1);
  });
  const r = m.loadStateDict(partial);
  assert.deepEqual(r.missingKeys, []);
  post.remove();
  const before = (m.getSubmodule('0') as torch.nn.Linear).weight.tolist();
  const bad = new Map(src); bad.set('0.weight', torch.zeros([4, 4]));
  m.registerLoadStateDictPostHook(() => { throw new Error('post hooks do not run when the load is refused'); });
  assert.throws(() => m.loadStateDict(bad), /size mismatch for 0.weight/);
  assert.deepEqual((m.getSubmodule('0') as torch.nn.Linear).weight.tolist(), before);
});

test('global forward hooks run for every module before its own hooks, and stop after remove()', () => {
  const m = net().eval();
  const log: string[] = [];
  (m.getSubmodule('2') as torch.nn.Linear).registerForwardHook(() => { log.push('own'); });
  const a = nn.modules.module.registerModuleForwardPreHook((mod) => { log.push(`gpre ${mod._getName()}`); });
  const b = nn.modules.module.registerModuleForwardHook((mod, _args, out) => { log.push(`g ${mod._getName()} ${(out as Tensor).shape.join('x')}`); });
  m.call(torch.ones([2, 3]));
  assert.deepEqual(log, ['gpre Sequential', 'gpre Linear', 'g Linear 2x4', 'gpre BatchNorm1d', 'g BatchNorm1d 2x4', 'gpre Linear', 'g Linear 2x2', 'own', 'g Sequential 2x2']);
  a.remove(); b.remove();
  log.length = 0;
  m.call(torch.ones([2, 3]));
  assert.deepEqual(log, ['own']);
  assert.throws(() => nn.modules.module.registerModuleForwardHook(42 as never), /hook/);
});

test('registration hooks see every parameter, buffer and submodule registered, and may replace them', () => {
  const log: string[] = [];
  const hp = nn.modules.module.registerModuleParameterRegistrationHook((mod, name, p) => { log.push(`param ${mod._getName()}.${name} ${p?.shape.join('x')}`); });
  const hb = nn.modules.module.registerModuleBufferRegistrationHook((_mod, name) => { log.push(`buffer ${name}`); });
  const hm = nn.modules.module.registerModuleModuleRegistrationHook((_mod, name) => {
    log.push(`module ${name}`);
    return name === 'swap' ? new nn.Identity() : undefined;
  });
  class Net extends nn.Module { fc = new nn.Linear(2, 3); bn = new nn.BatchNorm1d(3, { trackRunningStats: false }); swap = new nn.ReLU(); }
  const n = new Net();
  hp.remove(); hb.remove(); hm.remove();
  assert.deepEqual(log, ['param Linear.weight 3x2', 'param Linear.bias 3', 'module fc', 'param BatchNorm1d.weight 3', 'param BatchNorm1d.bias 3',
    'buffer running_mean', 'buffer running_var', 'buffer num_batches_tracked', 'module bn', 'module swap']);
  assert.equal(n.swap._getName(), 'Identity');
  new nn.Linear(1, 1);
  assert.equal(log.length, 10, 'hooks ran after remove()');
});

test('remapStateDictKeys on checkpoints written by PyTorch: module., _orig_mod., model., nested; reports every change', async () => {
  const ref = await torch.load(join(FIX, 'plain.pt')) as Map<string, Tensor>;
  const expectKeys = [...ref.keys()];
  for (const [file, rules] of [['dataparallel.pt', undefined], ['compiled.pt', undefined], ['ddp-compiled.pt', undefined], ['lightning.pt', { 'model.': '' }]] as const) {
    const sd = await torch.load(join(FIX, file)) as Map<string, Tensor>;
    const { stateDict, changed } = nn.utils.remapStateDictKeys(sd, rules);
    assert.deepEqual([...stateDict.keys()], expectKeys, file);
    assert.equal(changed.length, expectKeys.length, file);
    assert.deepEqual(changed[0], [[...sd.keys()][0], expectKeys[0]]);
    const m = net();
    m.loadStateDict(stateDict);
    for (const [k, v] of ref) assert.deepEqual(m.stateDict().get(k)!.tolist(), v.tolist(), `${file}: ${k}`);
  }
  // as a load pre-hook: the model accepts a DataParallel checkpoint directly
  const m = net();
  const changes: [string, string][] = [];
  m.registerLoadStateDictPreHook((_mod, sd, prefix) => {
    if (prefix !== '') return;
    const r = nn.utils.remapStateDictKeys(sd);
    sd.clear(); for (const [k, v] of r.stateDict) sd.set(k, v);
    changes.push(...r.changed);
  });
  m.loadStateDict(await torch.load(join(FIX, 'dataparallel.pt')) as Map<string, Tensor>);
  assert.equal(changes.length, expectKeys.length);
  // inside keys, a compiled submodule; collisions and bad rules are errors
  const inner = nn.utils.remapStateDictKeys({ 'enc._orig_mod.fc.weight': 1, 'head.bias': 2 }, [['._orig_mod.', '']]);
  assert.deepEqual([...inner.stateDict.keys()], ['enc.fc.weight', 'head.bias']);
  assert.deepEqual(inner.changed, [['enc._orig_mod.fc.weight', 'enc.fc.weight']]);
  assert.throws(() => nn.utils.remapStateDictKeys({ 'module.a': 1, a: 2 }), /'module.a' and 'a' both become 'a'/);
  assert.throws(() => nn.utils.remapStateDictKeys({ a: 1 }, [['', 'x']]), /non-empty 'from'/);
});
