/**
 * nn.Module: the four kinds of state (the table, column by column), registration and its errors,
 * traversal, weight tying, call/hooks, modes, gradients, device/dtype moves, forward error paths, containers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';
import { Lin, Stats } from './module-models.js';
import { deviceTests, testDevices, valuesOf } from '../helpers/devices.js';

const { nn } = torch;
const msg = (fn: () => unknown): string => { try { fn(); } catch (e) { return (e as Error).message; } assert.fail('expected a throw'); };

class Table extends nn.Module {
  p = new nn.Parameter(torch.ones([3]));
  frozen = new nn.Parameter(torch.ones([3]).mul(2), false);
  buf = new nn.Buffer(torch.ones([3]).mul(3));
  npbuf = new nn.Buffer(torch.ones([3]).mul(4), { persistent: false });
  count = new nn.Buffer(torch.zeros([], { dtype: 'int64' }));
  lr = 0.5;
  name = 'table';
  flag = true;
  forward(x: torch.Tensor): torch.Tensor {
    return x.mul(this.p).mul(this.frozen).add(this.buf).add(this.npbuf).mul(this.lr);
  }
}

test('table: Parameter / frozen Parameter / Buffer / non-persistent Buffer / hyperparameter / raw Tensor, every column', () => {
  const m = new Table();
  const { p, frozen, buf, npbuf, count } = m;
  // seen by optimizers: parameters() holds both parameters; the frozen one does not require grad
  assert.deepEqual(m.parameters(), [p, frozen]);
  assert.equal(p.requiresGrad, true);
  assert.equal(frozen.requiresGrad, false);
  assert.deepEqual(m.buffers(), [buf, npbuf, count]);
  assert.ok(!m.parameters().some((t) => (t) === buf || (t) === npbuf));
  // builds an autograd graph: only the trainable parameter gets a gradient
  const x = torch.tensor([1, 2, 3], { dtype: 'float32' });
  const y = m.call(x);
  assert.deepEqual(y.tolist(), [(1 * 2 + 7) * 0.5, (2 * 2 + 7) * 0.5, (3 * 2 + 7) * 0.5]);
  y.sum().backward();
  assert.deepEqual(p.grad!.tolist(), [1, 2, 3]);
  assert.equal(frozen.grad, null);
  assert.equal(buf.grad, null);
  assert.equal(buf.requiresGrad, false);
  assert.equal(npbuf.grad, null);
  // in stateDict: parameters (frozen too) and persistent buffers only
  assert.deepEqual([...m.stateDict().keys()], ['p', 'frozen', 'buf', 'count']);
  // moved by .to(dtype): parameters and buffers in place (same objects), integer buffer keeps int64, hyperparameters untouched
  const grad = p.grad!;
  assert.equal(m.to('float64'), m);
  assert.equal(m.p, p); assert.equal(m.buf, buf); assert.equal(m.npbuf, npbuf);
  for (const t of [p, frozen, buf, npbuf]) assert.equal(t.dtype, 'float64');
  assert.equal(p.grad, grad);
  assert.equal(grad.dtype, 'float64');
  assert.deepEqual(grad.tolist(), [1, 2, 3]);
  assert.equal(count.dtype, 'int64');
  assert.equal(m.lr, 0.5); assert.equal(m.name, 'table'); assert.equal(m.flag, true);
  assert.deepEqual(buf.tolist(), [3, 3, 3]);
  assert.equal(p.isLeaf, true); assert.equal(p.requiresGrad, true);
  // hyperparameters are plain properties: not parameters, buffers, or saved
  assert.ok(!m._parameters.has('lr') && !m._buffers.has('lr'));
  // raw Tensor: an error at the assignment, naming the module and attribute and the three fixes
  assert.equal(msg(() => { (m as unknown as Record<string, unknown>).oops = torch.ones([3]); }),
    'Table.oops is a raw Tensor: wrap it in nn.Parameter(...) (trainable), nn.Buffer(...) (fixed, saved) or nn.Buffer(..., {persistent: false}) (fixed, not saved). ' +
    'To cache a tensor on purpose (e.g. the last hidden state in forward), keep it in a JavaScript private field (this.#oops = t) or register a slot once with ' +
    "this.registerBuffer('oops', null, { persistent: false }) and then assign this.oops = t (moved with the module, not saved)");
  assert.ok(!('oops' in m));
});

test('raw Tensor as a class field or constructor assignment throws at construction, with the module path when nested', () => {
  class Field extends nn.Module { oops = torch.ones([2]); }
  assert.throws(() => new Field(), /^ModuleError: Field\.oops is a raw Tensor: wrap it in nn\.Parameter/);
  class Ctor extends nn.Module { constructor() { super(); (this as unknown as { w: torch.Tensor }).w = torch.zeros([2]); } }
  assert.match(msg(() => new Ctor()), /^Ctor\.w is a raw Tensor/);
  class Outer extends nn.Module { inner = new nn.Sequential(new Lin(2, 2)); }
  const o = new Outer();
  assert.match(msg(() => { (o.inner.at(0) as unknown as Record<string, unknown>).extra = torch.ones([1]); }), /^Outer\.inner\.0\.extra is a raw Tensor/);
});

test('plain arrays / objects of Modules or Parameters are errors naming the containers', () => {
  class A extends nn.Module { layers = [new Lin(2, 2), new Lin(2, 2)]; }
  assert.equal(msg(() => new A()), 'A.layers is an Array holding Modules or Parameters, which nn.Module does not see (they would not be trained, moved or saved): ' +
    'use nn.ModuleList([...]) or nn.Sequential(...) for Modules, nn.ParameterList([...]) for Parameters');
  class B extends nn.Module { heads = { a: new nn.Parameter(torch.ones([1])) }; }
  assert.match(msg(() => new B()), /^B\.heads is a plain object holding Modules or Parameters.*nn\.ModuleDict\(\{\.\.\.\}\) for Modules, nn\.ParameterDict\(\{\.\.\.\}\) for Parameters$/);
  class C extends nn.Module { sizes = [3, 4]; opts = { p: 0.1 }; fn = (x: number) => x + 1; }
  const c = new C();
  assert.deepEqual(c.sizes, [3, 4]); assert.equal(c.opts.p, 0.1); assert.equal(c.fn(1), 2);
});

test('registration: declaration order, explicit register*, null slots, reassignment, delete', () => {
  class M extends nn.Module {
    b = new nn.Parameter(torch.ones([1]));
    a = new nn.Parameter(torch.ones([2]));
    declare rm: torch.Tensor;
    constructor() {
      super();
      this.registerParameter('c', new nn.Parameter(torch.ones([3])));
      const r = this.registerBuffer('rm', torch.zeros([2]));
      assert.ok(r instanceof torch.Tensor);
      this.registerModule('child', new Lin(1, 1));
      this.addModule('other', new Lin(1, 1));
    }
  }
  const m = new M();
  assert.deepEqual(m.namedParameters().map(([k]) => k), ['b', 'a', 'c', 'child.weight', 'child.bias', 'other.weight', 'other.bias']);
  assert.equal(m.rm, m.getBuffer('rm'));
  // null keeps the slot and its position
  (m as unknown as { a: unknown }).a = null;
  assert.equal(m._parameters.has('a'), true);
  assert.equal((m as unknown as { a: unknown }).a, null);
  assert.deepEqual([...m.stateDict().keys()].slice(0, 3), ['b', 'c', 'rm']);
  (m as unknown as { a: unknown }).a = new nn.Parameter(torch.ones([5]));
  assert.deepEqual(m.namedParameters().slice(0, 3).map(([k, p]) => [k, p.shape[0]]), [['b', 1], ['a', 5], ['c', 3]]);
  // reassigning a child replaces it in place
  const fresh = new Lin(1, 2);
  (m as unknown as { child: Lin }).child = fresh;
  assert.equal(m.getSubmodule('child'), fresh);
  assert.deepEqual(m.namedChildren().map(([k]) => k), ['child', 'other']);
  // a buffer slot accepts any Tensor (shape may change), keeping its persistence
  (m as unknown as { rm: torch.Tensor }).rm = torch.ones([4]);
  assert.deepEqual(m.getBuffer('rm').shape, [4]);
  // delete removes from the registry
  delete (m as unknown as { other?: Lin }).other;
  assert.deepEqual(m.namedChildren().map(([k]) => k), ['child']);
  // a Parameter assigned over a buffer name moves registries
  (m as unknown as { rm: unknown }).rm = new nn.Parameter(torch.ones([1]));
  assert.equal(m._buffers.has('rm'), false);
  assert.equal(m._parameters.has('rm'), true);
  // non-persistent buffer via registerBuffer option
  m.registerBuffer('np', torch.ones([1]), { persistent: false });
  assert.ok(!m.stateDict().has('np'));
  assert.ok(m.namedBuffers().some(([k]) => k === 'np'));
});

test('registration error messages', () => {
  class M extends nn.Module { lr = 0.1; p = new nn.Parameter(torch.ones([1])); child = new Lin(1, 1); buf = new nn.Buffer(torch.ones([1])); }
  const m = new M();
  const P = () => new nn.Parameter(torch.ones([1]));
  assert.equal(msg(() => m.registerParameter('a.b', P())), 'M.registerParameter: parameter name can\'t contain "." (got "a.b")');
  assert.equal(msg(() => m.registerParameter('', P())), 'M.registerParameter: parameter name can\'t be empty string ""');
  assert.equal(msg(() => m.registerParameter(3 as unknown as string, P())), 'M.registerParameter: parameter name should be a string. Got number');
  assert.equal(msg(() => m.registerParameter('lr', P())), "M.registerParameter: attribute 'lr' already exists");
  assert.equal(msg(() => m.registerParameter('child', P())), "M.registerParameter: attribute 'child' already exists");
  assert.equal(msg(() => m.registerParameter('train', P())), "M.registerParameter: attribute 'train' already exists");
  assert.match(msg(() => m.registerParameter('x', torch.ones([1]))),
    /^M\.registerParameter: cannot assign Tensor \(float32 \[1\] on cpu\) object to parameter 'x' \(nn\.Parameter or null required\); wrap it: new nn\.Parameter\(t\)$/);
  const nonLeaf = new nn.Parameter(torch.ones([1]), false);
  nonLeaf.add_(torch.ones([1]).requiresGrad_());
  assert.equal(msg(() => m.registerParameter('w', nonLeaf)), "M.registerParameter: Cannot assign non-leaf Tensor to parameter 'w'. Model parameters must be created explicitly. " +
    "To express 'w' as a function of another Tensor, compute the value in the forward() method.");
  assert.equal(msg(() => m.registerBuffer('a.b', torch.ones([1]))), 'M.registerBuffer: buffer name can\'t contain "." (got "a.b")');
  assert.equal(msg(() => m.registerBuffer('', torch.ones([1]))), 'M.registerBuffer: buffer name can\'t be empty string ""');
  assert.equal(msg(() => m.registerBuffer('p', torch.ones([1]))), "M.registerBuffer: attribute 'p' already exists");
  assert.equal(msg(() => m.registerBuffer('z', 5 as unknown as torch.Tensor)), "M.registerBuffer: cannot assign number object to buffer 'z' (Tensor or null required)");
  assert.equal(msg(() => m.registerModule('x', {} as torch.nn.Module)), 'M.registerModule: Object is not a Module subclass');
  assert.equal(msg(() => m.registerModule('a.b', new Lin(1, 1))), 'M.registerModule: module name can\'t contain ".", got: a.b');
  assert.equal(msg(() => m.registerModule('', new Lin(1, 1))), 'M.registerModule: module name can\'t be empty string ""');
  assert.equal(msg(() => m.registerModule('p', new Lin(1, 1))), "M.registerModule: attribute 'p' already exists");
  assert.equal(msg(() => m.registerModule(7 as unknown as string, new Lin(1, 1))), 'M.registerModule: module name should be a string. Got number');
  const mm = m as unknown as Record<string, unknown>;
  assert.equal(msg(() => { mm.p = torch.ones([1]); }), "M.p: cannot assign Tensor (float32 [1] on cpu) as parameter 'p' (nn.Parameter or null expected); wrap it: new nn.Parameter(t)");
  assert.equal(msg(() => { mm.child = 3; }), "M.child: cannot assign number as child module 'child' (nn.Module or null expected)");
  assert.equal(msg(() => { mm.buf = 'x'; }), "M.buf: cannot assign string as buffer 'buf' (Tensor or null expected)");
  assert.equal(msg(() => new nn.Buffer(torch.ones([1])).requiresGrad_()), 'nn.Buffer: a buffer never requires grad; wrap the tensor in nn.Parameter(...) to train it');
  assert.match(msg(() => new nn.Parameter(torch.ones([1], { dtype: 'int64' }))), /only tensors of floating point dtype can require gradients, got int64/);
  assert.match(msg(() => new nn.Parameter([1, 2] as unknown as torch.Tensor)), /^nn\.Parameter: expected a Tensor to wrap, got an Array/);
});

test('getSubmodule / getParameter / getBuffer and their errors', () => {
  class M extends nn.Module { enc = new nn.Sequential(new Lin(2, 2), new Stats(2)); k = 3; }
  const m = new M();
  assert.equal(m.getSubmodule(''), m);
  assert.equal(m.getSubmodule('enc.1')._getName(), 'Stats');
  assert.deepEqual(m.getParameter('enc.0.weight').shape, [2, 2]);
  assert.equal(m.getBuffer('enc.1.num_batches_tracked').dtype, 'int64');
  assert.equal(msg(() => m.getSubmodule('enc.5')), "getSubmodule('enc.5'): Sequential has no attribute `5`");
  assert.equal(msg(() => m.getSubmodule('k')), "getSubmodule('k'): `k` is not an nn.Module");
  assert.equal(msg(() => m.getParameter('enc.1.running_mean')), "getParameter('enc.1.running_mean'): `running_mean` is not an nn.Parameter");
  assert.equal(msg(() => m.getParameter('enc.0.nope')), "getParameter('enc.0.nope'): Lin has no attribute `nope`");
  assert.equal(msg(() => m.getBuffer('enc.1.weight')), "getBuffer('enc.1.weight'): `weight` is not a buffer");
});

test('weight tying: yielded once, under both keys in stateDict, tie kept through .to(), loadStateDict and an optimizer-style step', () => {
  class Tied extends nn.Module {
    emb = new Lin(3, 4);
    head = new Lin(3, 4);
    constructor() { super(); this.head.weight = this.emb.weight; }
  }
  const m = new Tied();
  assert.deepEqual(m.namedParameters().map(([k]) => k), ['emb.weight', 'emb.bias', 'head.bias']);
  assert.deepEqual(m.namedParameters({ removeDuplicate: false }).map(([k]) => k), ['emb.weight', 'emb.bias', 'head.weight', 'head.bias']);
  assert.deepEqual(m.namedParameters({ prefix: 'model' }).map(([k]) => k), ['model.emb.weight', 'model.emb.bias', 'model.head.bias']);
  assert.deepEqual(m.namedParameters({ recurse: false }), []);
  assert.deepEqual([...m.stateDict().keys()], ['emb.weight', 'emb.bias', 'head.weight', 'head.bias']);
  m.double();
  assert.equal(m.head.weight, m.emb.weight);
  assert.equal(m.emb.weight.dtype, 'float64');
  const sd = new Map([...m.stateDict()].map(([k, v]) => [k, torch.fullLike(v, k === 'head.weight' ? 7 : 5)]));
  m.loadStateDict(sd);
  assert.equal(m.head.weight, m.emb.weight);
  assert.deepEqual((m.emb.weight.tolist() as number[][])[0], [7, 7, 7]);
  torch.noGrad(() => m.emb.weight.sub_(1));
  assert.deepEqual((m.head.weight.tolist() as number[][])[0], [6, 6, 6]);
});

test('call: forward pre-hooks, forward hooks, prepend, remove(); train/eval; requiresGrad_; zeroGrad; apply', () => {
  const lin = new Lin(2, 1);
  torch.noGrad(() => { lin.weight.fill_(1); lin.bias!.fill_(0); });
  const log: string[] = [];
  const h1 = lin.registerForwardPreHook((_m, args) => { log.push('pre1'); return [(args[0] as torch.Tensor).mul(2)]; });
  const h2 = lin.registerForwardPreHook(() => { log.push('pre0'); }, { prepend: true });
  const h3 = lin.registerForwardHook((_m, _a, out) => { log.push('post'); return (out as torch.Tensor).add(100); });
  assert.deepEqual(lin.call(torch.ones([1, 2])).tolist(), [[104]]);
  assert.deepEqual(log, ['pre0', 'pre1', 'post']);
  h1.remove(); h2.remove(); h3.remove();
  assert.deepEqual(lin.call(torch.ones([1, 2])).tolist(), [[2]]);

  const s = new nn.Sequential(new Stats(2), new nn.Sequential(new Stats(2)));
  assert.equal(s.eval(), s);
  assert.ok(s.modules().every((m) => m.training === false));
  s.call(torch.ones([3, 2]));
  assert.equal(s.getBuffer('0.num_batches_tracked').item(), 0);
  s.train();
  assert.ok(s.modules().every((m) => m.training === true));
  s.call(torch.ones([3, 2]));
  assert.equal(s.getBuffer('0.num_batches_tracked').item(), 1);
  assert.deepEqual((s.getBuffer('1.0.running_mean').tolist() as number[]).map((v) => Math.round(v * 1e6) / 1e6), [0.09, 0.09]); // stats 0 updated first: its output is 1 - 0.1

  s.requiresGrad_(false);
  assert.ok(s.parameters().every((p) => !p.requiresGrad));
  s.requiresGrad_();
  s.call(torch.ones([3, 2])).sum().backward();
  const g = s.getParameter('0.weight').grad!;
  assert.ok(g instanceof torch.Tensor);
  s.zeroGrad({ setToNone: false });
  assert.equal(s.getParameter('0.weight').grad, g);
  assert.deepEqual(g.tolist(), [0, 0]);
  s.zeroGrad();
  assert.ok(s.parameters().every((p) => p.grad === null));
  const visited: string[] = [];
  assert.equal(s.apply((m) => visited.push(m._getName())), s);
  assert.deepEqual(visited, ['Stats', 'Stats', 'Sequential', 'Sequential']);
});

test('forward errors name the module path and keep their class; dtype mixing names both dtypes', () => {
  class Net extends nn.Module {
    fc = new Lin(4, 8);
    encoder = new nn.Sequential(new Lin(8, 8));
    forward(x: torch.Tensor) { return this.encoder.call(this.fc.call(x)); }
  }
  const net = new Net();
  assert.throws(() => net.call(torch.ones([1, 3])), (e: Error) => {
    assert.ok(e instanceof torch.ShapeError);
    assert.equal(e.message, 'in Net.fc (Lin): matmul: mat1 and mat2 shapes cannot be multiplied ([1, 3] and [4, 8]): inner dimensions 3 and 4 differ');
    return true;
  });
  torch.noGrad(() => { net.encoder.at(0).weight.setData_(torch.ones([8, 5])); });
  assert.match(msg(() => net.call(torch.ones([1, 4]))), /^in Net\.encoder\.0 \(Lin\): matmul: /);
  const lin = new Lin(2, 2).double();
  assert.throws(() => lin.call(torch.ones([1, 2])), (e: Error) => {
    assert.ok(e instanceof torch.DTypeError);
    assert.equal(e.message, 'in Lin: matmul: expected both operands to have the same dtype, but got float32 for the first (shape [1, 2]) and float64 for the second (shape [2, 2]); cast one with .to(dtype)');
    return true;
  });
  assert.equal(msg(() => new nn.ModuleList([new Lin(1, 1)]).call()), 'in ModuleList: ModuleList has no forward(): define forward(...) in the subclass (containers such as ModuleList and ModuleDict are not callable)');
});

test('.to / float / double / half: identity kept, integer buffers keep their dtype, non-float dtype rejected', () => {
  const s = new Stats(3);
  const w = s.weight, rm = s.getBuffer('running_mean'), n = s.getBuffer('num_batches_tracked');
  s.half();
  assert.equal(s.weight, w); assert.equal(s.getBuffer('running_mean'), rm);
  assert.equal(w.dtype, 'float16'); assert.equal(rm.dtype, 'float16'); assert.equal(n.dtype, 'int64');
  s.to({ dtype: 'float64', device: 'cpu' });
  assert.equal(w.dtype, 'float64'); assert.equal(n.dtype, 'int64');
  s.float();
  assert.equal(w.dtype, 'float32');
  assert.deepEqual(w.tolist(), [1, 1, 1]);
  assert.equal(s.to('cpu'), s);
  assert.equal(msg(() => s.to('int64')), 'Stats.to: nn.Module.to only accepts floating point dtypes, but got desired dtype=int64; integer buffers keep their dtype on float casts, and parameters must stay floating point');
});

test('Parameter and Buffer: share storage, work in ops, print like PyTorch', () => {
  const t = torch.tensor([1, 2], { dtype: 'float32' });
  const p = new nn.Parameter(t);
  assert.equal(p.storage, t.storage);
  assert.ok(p.isLeaf && p.requiresGrad);
  assert.equal(String(p), 'Parameter containing:\ntensor([1., 2.], requires_grad=True)');
  const q = p.mul(3);
  assert.ok(!(q instanceof nn.Parameter));
  assert.deepEqual(q.tolist(), [3, 6]);
  assert.equal(q.gradFn!.toString(), '<MulBackward0>');
  const b = new nn.Buffer(t, { persistent: false });
  assert.equal(b.persistent, false);
  assert.equal(b.storage, t.storage);
  assert.deepEqual(torch.add(b, p).tolist(), [2, 4]);
  assert.equal(new nn.Parameter(t, false).requiresGrad, false);
});

test('containers: Sequential (varargs, record, at, length, iteration, append, insert, pop, slice), ModuleList, ModuleDict, ParameterList, ParameterDict', () => {
  const a = new Lin(2, 3), b = new Lin(3, 1);
  const seq = new nn.Sequential(a, b);
  torch.noGrad(() => { a.weight.fill_(1); b.weight.fill_(1); });
  assert.deepEqual(seq.call(torch.ones([1, 2])).tolist(), [[6]]);
  assert.equal(seq.length, 2); assert.equal(seq.at(-1), b); assert.deepEqual([...seq], [a, b]);
  seq.append(new Lin(1, 1));
  assert.deepEqual(seq.namedParameters().map(([k]) => k), ['0.weight', '0.bias', '1.weight', '1.bias', '2.weight', '2.bias']);
  const c = new Lin(2, 2);
  seq.insert(0, c);
  assert.equal(seq.at(0), c); assert.equal(seq.at(1), a);
  assert.equal(seq.pop(0), c);
  const tail = seq.slice(1);
  assert.deepEqual(tail.namedChildren().map(([k]) => k), ['1', '2']);
  const named = new nn.Sequential({ conv: new Lin(1, 1), act: new Stats(1) });
  assert.deepEqual([...named.stateDict().keys()], ['conv.weight', 'conv.bias', 'act.weight', 'act.bias', 'act.running_mean', 'act.running_var', 'act.num_batches_tracked']);
  assert.match(msg(() => new nn.Sequential(new Lin(1, 1), 3 as unknown as torch.nn.Module)), /^Sequential: argument 1: number is not a Module subclass/);

  class Net extends nn.Module {
    layers = new nn.ModuleList([new Lin(1, 1), new Lin(1, 1)]);
    heads = new nn.ModuleDict({ x: new Lin(1, 1) });
    pl = new nn.ParameterList([torch.ones([2])]);
    pd = new nn.ParameterDict({ s: torch.ones([1]) });
  }
  const n = new Net();
  assert.deepEqual([...n.stateDict().keys()], ['layers.0.weight', 'layers.0.bias', 'layers.1.weight', 'layers.1.bias', 'heads.x.weight', 'heads.x.bias', 'pl.0', 'pd.s']);
  assert.ok(n.pl.at(0) instanceof nn.Parameter);
  assert.ok(n.pd.get('s').requiresGrad);
  n.layers.append(new Lin(1, 1));
  assert.equal(n.layers.length, 3);
  assert.deepEqual([...n.heads], ['x']);
  n.heads.set('y', new Lin(1, 1));
  assert.deepEqual(n.heads.keys(), ['x', 'y']);
  assert.equal(n.heads.pop('x')._getName(), 'Lin');
  assert.deepEqual([...n.pd], ['s']);
  assert.equal(msg(() => n.heads.get('nope')), "ModuleDict.get: no module under key 'nope' (keys: y)");
  assert.equal(msg(() => n.layers.at(5)), 'ModuleList.at: index 5 is out of range (length 3)');
  assert.equal(msg(() => new nn.ModuleDict({ train: new Lin(1, 1) })), "ModuleDict.registerModule: attribute 'train' already exists");
  assert.match(msg(() => n.pl.append(new nn.Buffer(torch.ones([1])))), /^ParameterList\.append: got an nn\.Buffer/);
});

test('subclass #private fields hold non-state values (e.g. a cache) without registration', () => {
  class C extends nn.Module {
    #cache: torch.Tensor | null = null;
    w = new nn.Parameter(torch.ones([2]));
    forward(x: torch.Tensor) { this.#cache = x.mul(this.w); return this.#cache; }
    get cached() { return this.#cache; }
  }
  const c = new C();
  const y = c.call(torch.tensor([2, 3], { dtype: 'float32' }));
  assert.equal(c.cached, y);
  assert.deepEqual(c.namedParameters().map(([k]) => k), ['w']);
  assert.deepEqual([...c.stateDict().keys()], ['w']);
});

// ---- device moves, on every device of test/helpers/devices.ts (webgpu: skipped with the reason when absent) ----
for (const dev of await testDevices()) {
  deviceTests(dev, 'module.to(device)', (test) => {
    test(`${dev.prefix}module.to('${dev.name}'): parameters, buffers and gradients move in place, ties kept, gradients flow on the device`, async () => {
      class TiedStats extends nn.Module {
        emb = new Lin(3, 4);
        head = new Lin(3, 4);
        bn = new Stats(4);
        constructor() { super(); this.head.weight = this.emb.weight; }
        forward(x: torch.Tensor): torch.Tensor { return this.emb.call(x).add(this.head.call(x)).mul(this.bn.weight).add(this.bn.bias).add(this.bn.running_mean); }
      }
      const m = new TiedStats();
      torch.manualSeed(3);
      torch.noGrad(() => { for (const p of m.parameters()) p.copy_(torch.randn([...p.shape])); });
      const x = torch.randn([5, 3]);
      m.call(x).square().sum().backward();
      const params = m.parameters(), buffers = m.buffers();
      const before = await Promise.all(params.map((p) => valuesOf(p.grad!)));
      assert.equal(m.to(dev.name), m, 'returns itself');
      assert.deepEqual(m.parameters(), params, 'the same Parameter objects');
      assert.deepEqual(m.buffers(), buffers, 'the same Buffer objects');
      for (const [k, p] of m.namedParameters()) {
        assert.equal(p.device, dev.name, `${k} on ${dev.name}`);
        assert.ok(p.isLeaf && p.gradFn === null && p.requiresGrad, `${k} is still a trainable leaf`);
        assert.equal(p.grad!.device, dev.name, `${k}.grad moved`);
      }
      for (const [k, b] of m.namedBuffers()) assert.equal(b.device, dev.name, `${k} on ${dev.name}`);
      assert.equal(m.getBuffer('bn.num_batches_tracked').dtype, 'int64', 'integer buffer keeps int64');
      assert.equal(m.head.weight, m.emb.weight, 'tie kept');
      assert.deepEqual(await Promise.all(params.map((p) => valuesOf(p.grad!))), before, 'gradients moved unchanged');
      // a second backward on the device accumulates into the moved gradients: twice the CPU gradients
      m.call(x.to(dev.name)).square().sum().backward();
      const after = await Promise.all(params.map((p) => valuesOf(p.grad!)));
      after.forEach((g, i) => g.forEach((v, j) => assert.ok(Math.abs(v - 2 * before[i][j]) <= 1e-4 * (1 + Math.abs(v)), `grad ${i}[${j}]: ${v} vs 2 x ${before[i][j]}`)));
    });
  });
}

test('optional slots without boilerplate: nn.optionalParameter / optionalBuffer / optionalModule register null slots in place', () => {
  class Head extends nn.Module {
    weight = new nn.Parameter(torch.ones([2]));
    bias = nn.optionalParameter();
    mask = nn.optionalBuffer({ persistent: false });
    norm = nn.optionalModule<torch.nn.LayerNorm>();
    forward(x: torch.Tensor): torch.Tensor { return this.bias ? x.mul(this.weight).add(this.bias) : x.mul(this.weight); }
  }
  const m = new Head();
  assert.deepEqual([...m._parameters.keys()], ['weight', 'bias']);
  assert.equal(m.bias, null);
  assert.equal(m.mask, null);
  assert.equal(m.norm, null);
  assert.deepEqual([...m.stateDict().keys()], ['weight']);
  m.bias = new nn.Parameter(torch.zeros([2]));
  m.mask = torch.ones([2]);
  m.norm = new nn.LayerNorm(2);
  assert.deepEqual([...m.stateDict().keys()], ['weight', 'bias', 'norm.weight', 'norm.bias']); // mask: not persistent
  assert.deepEqual(m.buffers().length, 1);
  assert.throws(() => { m.bias = torch.zeros([2]); }, /cannot assign Tensor .* as parameter 'bias'.*wrap it: new nn.Parameter/);
  assert.throws(() => { (m as unknown as Record<string, unknown>).other = torch.zeros([2]); }, /Head\.other is a raw Tensor/);
  assert.throws(() => nn.optionalBuffer({ persistant: false } as never), /did you mean 'persistent'/);
  assert.throws(() => (nn.optionalParameter as (x: unknown) => unknown)(1), /takes no arguments/);
});
