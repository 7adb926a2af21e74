/**
 * @file nn.utils.parametrize / parametrizations and the old weightNorm/spectralNorm hooks against PyTorch 2.6
 * (test/fixtures/parametrize/, made by scripts/fixtures/parametrize.py): forward, grads of the originals, state
 * dicts (keys, order, values), registration from the same seed, assignment through rightInverse, removal,
 * parametrized buffers, caching, and the errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { assertThrowsWith, loadFixture } from '../helpers/index.js';
import { T, close, sdOf, type JT } from './helpers.js';

const { nn } = torch;
const P = nn.utils.parametrize;
const PZ = nn.utils.parametrizations;

type SD = [string, JT][];
interface Run { y: JT; grads: [string, JT][] }
interface Case {
  sd_after_register: SD; sd_perturbed?: SD; x: JT; c: JT; train: Run; sd_after_forward: SD; eval?: Run; sd_after_eval?: SD;
  repr: string; weight: JT;
}
const FIX = loadFixture<{ cases: Record<string, Case & Record<string, unknown>>; ops: Record<string, Record<string, JT>> }>('parametrize/parametrize.json');

function closeSd(m: torch.nn.Module, sd: SD, what: string, tol?: { atol: number; rtol: number }): void {
  const mine = m.stateDict();
  assert.deepEqual([...mine.keys()], sd.map(([k]) => k), `${what}: keys`);
  for (const [k, v] of sd) close(mine.get(k)!, v, `${what} ${k}`, tol);
}

class Symmetric extends nn.Module {
  forward(X: Tensor): Tensor { return X.triu().add(X.triu(1).transpose(-1, -2)); }
  rightInverse(A: Tensor): Tensor { return A.triu(); }
}
class Scale extends nn.Module {
  forward(X: Tensor): Tensor { return X.mul(2); }
  rightInverse(A: Tensor): Tensor { return A.div(2); }
}
class NoInverse extends nn.Module {
  forward(X: Tensor): Tensor { return X.tanh(); }
}
const stacked = () => { const m = new nn.Linear(3, 3); P.registerParametrization(m, 'weight', new Symmetric()); return P.registerParametrization(m, 'weight', new Scale()); };

const BUILD: Record<string, () => torch.nn.Module> = {
  weight_norm_linear: () => PZ.weightNorm(new nn.Linear(4, 3)),
  weight_norm_conv_dim_none: () => PZ.weightNorm(new nn.Conv2d(2, 3, 3), { dim: null }),
  weight_norm_linear_dim1: () => PZ.weightNorm(new nn.Linear(4, 3), { dim: 1 }),
  spectral_norm_linear: () => PZ.spectralNorm(new nn.Linear(5, 4)),
  spectral_norm_linear_3iter: () => PZ.spectralNorm(new nn.Linear(5, 4), { nPowerIterations: 3 }),
  spectral_norm_convT: () => PZ.spectralNorm(new nn.ConvTranspose2d(2, 3, 3)),
  orthogonal_householder_notriv: () => PZ.orthogonal(new nn.Linear(3, 5), { orthogonalMap: 'householder', useTrivialization: false }),
  orthogonal_default_square: () => PZ.orthogonal(new nn.Linear(4, 4)),
  custom_stacked: stacked,
  custom_no_inverse: () => P.registerParametrization(new nn.Linear(3, 2), 'weight', new NoInverse()),
};
for (const map of ['matrix_exp', 'cayley', 'householder'] as const) {
  BUILD[`orthogonal_${map}_square`] = () => PZ.orthogonal(new nn.Linear(4, 4), { orthogonalMap: map });
  BUILD[`orthogonal_${map}_wide`] = () => PZ.orthogonal(new nn.Linear(5, 3), { orthogonalMap: map });
  BUILD[`orthogonal_${map}_tall`] = () => PZ.orthogonal(new nn.Linear(3, 5), { orthogonalMap: map });
}

function forwardAndGrads(m: torch.nn.Module, c: Case, run: Run, what: string): void {
  m.zeroGrad();
  const y = (m as unknown as { call(x: Tensor): Tensor }).call(T(c.x));
  close(y, run.y, `${what} output`);
  y.mul(T(c.c)).sum().backward();
  const grads = new Map(m.namedParameters().map(([k, p]) => [k, p.grad]));
  assert.deepEqual(m.namedParameters().map(([k]) => k).filter((k) => grads.get(k)), run.grads.map(([k]) => k), `${what}: parameters with grads`);
  for (const [k, g] of run.grads) close(grads.get(k)!, g, `${what} grad ${k}`);
}

test('parametrizations: forward, grads of the originals and state dicts match PyTorch 2.6', () => {
  assert.equal(Object.keys(BUILD).length, 19);
  for (const [name, build] of Object.entries(BUILD)) {
    const c = FIX.cases[name];
    torch.manualSeed(0);
    const m = build();
    assert.equal(String(m), c.repr, `${name}: repr`);
    // registration draws from the generator (spectral norm's u, v; orthogonal's random completion): same seed, same state
    closeSd(m, c.sd_after_register, `${name} at registration`, { atol: 1e-5, rtol: 1e-4 });
    m.loadStateDict(sdOf(c.sd_perturbed ?? c.sd_after_register));
    (m as unknown as { call(x: Tensor): Tensor }).call(T(c.x)); // the script's first call (for c's shape): one more power iteration
    forwardAndGrads(m, c, c.train, name);
    closeSd(m, c.sd_after_forward, `${name} after a training forward`);
    if (c.eval) {
      m.eval();
      forwardAndGrads(m, c, c.eval, `${name} (eval)`);
      closeSd(m, c.sd_after_eval!, `${name} after an eval forward (u, v unchanged)`);
    }
    close((m as unknown as { weight: Tensor }).weight, c.weight, `${name} weight`); // last: a training-mode read iterates
  }
});

test('assigning module.weight goes through rightInverse of every parametrization, last first', () => {
  const c = FIX.cases.assign_stacked as unknown as { assigned: JT; sd: SD; weight: JT };
  torch.manualSeed(0);
  const m = stacked();
  (m as unknown as { weight: Tensor }).weight = T(c.assigned);
  closeSd(m, c.sd, 'after assignment');
  close(m.weight, c.weight, 'weight after assignment');
  // the original stays the same Parameter object
  assert.ok(m.getParameter('parametrizations.weight.original') instanceof nn.Parameter);
});

test('removeParametrizations: leaveParametrized keeps the value in the same Parameter; false restores the original', () => {
  const leave = FIX.cases.remove_leave as unknown as { sd: SD; weight_before: JT; repr: string };
  torch.manualSeed(0);
  const m = stacked();
  const orig = m.getParameter('parametrizations.weight.original');
  P.removeParametrizations(m, 'weight');
  closeSd(m, leave.sd, 'leaveParametrized');
  assert.equal(m.weight, orig, 'the original Parameter object is re-registered');
  assert.equal(String(m), leave.repr);
  assert.equal(P.isParametrized(m), false);
  assert.equal((m as unknown as Record<string, unknown>).parametrizations, undefined);
  torch.manualSeed(0);
  const m2 = P.removeParametrizations(stacked(), 'weight', { leaveParametrized: false });
  closeSd(m2, (FIX.cases.remove_no_leave as unknown as { sd: SD }).sd, 'leaveParametrized: false');
  // several originals cannot go back
  assertThrowsWith(() => P.removeParametrizations(PZ.weightNorm(new nn.Linear(2, 2)), 'weight', { leaveParametrized: false }), ['Cannot leave unparametrized']);
  // weight norm removed: one plain Parameter with the computed weight
  const wn = PZ.weightNorm(new nn.Linear(2, 3));
  const w = wn.weight.detach().clone();
  P.removeParametrizations(wn, 'weight');
  assert.deepEqual(wn.namedParameters().map(([k]) => k), ['bias', 'weight']); // re-registered last, as PyTorch
  assert.ok(torch.allclose(wn.weight, w));
});

test('a parametrized buffer: original saved as parametrizations.<name>.original, module reads the computed value', () => {
  const c = FIX.cases.buffer_bn as unknown as { sd: SD; x: JT; y: JT; running_mean: JT; buffers: string[]; params: string[] };
  const bn = new nn.BatchNorm1d(3);
  torch.noGrad(() => bn.getBuffer('running_mean').copy_(torch.tensor([0.5, -1.0, 2.0])));
  P.registerParametrization(bn, 'running_mean', new Scale());
  bn.eval();
  closeSd(bn, c.sd, 'buffer');
  assert.deepEqual(bn.namedBuffers().map(([k]) => k), c.buffers);
  assert.deepEqual(bn.namedParameters().map(([k]) => k), c.params);
  close((bn as unknown as Record<string, Tensor>).running_mean, c.running_mean, 'running_mean');
  close(bn.call(T(c.x)), c.y, 'BatchNorm1d output with a parametrized running_mean');
});

test('stacking checks shape/dtype unless unsafe; errors name the function and the fix', () => {
  class Shrink extends nn.Module { forward(X: Tensor): Tensor { return X.narrow(0, 0, 1); } }
  assertThrowsWith(() => P.registerParametrization(new nn.Linear(2, 2), 'weight', new Shrink()), ['may not change the shape', 'unsafe: true']);
  assertThrowsWith(() => P.registerParametrization(stacked(), 'weight', new Shrink()), ['may not change the shape']);
  const ok = P.registerParametrization(new nn.Linear(2, 2), 'weight', new Shrink(), { unsafe: true });
  assert.deepEqual([...ok.weight.shape], [1, 2]);
  assertThrowsWith(() => P.registerParametrization(new nn.Linear(2, 2), 'wieght', new Scale()), ["does not have a parameter, a buffer, or a parametrized element with name 'wieght'"]);
  assertThrowsWith(() => P.registerParametrization(new nn.Linear(2, 2), 'weight', new Scale(), { usafe: true } as never), ["did you mean 'unsafe'"]);
  assertThrowsWith(() => PZ.orthogonal(new nn.Linear(2, 2), 'bias'), ['Expected a matrix or batch of matrices']);
  assertThrowsWith(() => PZ.orthogonal(new nn.Linear(2, 2), { orthogonalMap: 'caley' as never }), ["did you mean 'cayley'"]);
  assertThrowsWith(() => PZ.spectralNorm(new nn.Linear(2, 2), { nPowerIterations: 0 }), ['nPowerIterations must be >= 1']);
  assertThrowsWith(() => P.removeParametrizations(new nn.Linear(2, 2), 'weight'), ['does not have a parametrization on weight']);
  // a parametrization without rightInverse cannot be assigned to
  const ni = P.registerParametrization(new nn.Linear(2, 2), 'weight', new NoInverse());
  assertThrowsWith(() => { (ni as unknown as { weight: Tensor }).weight = torch.zeros([2, 2]); }, ['does not implement rightInverse']);
  // matrix_exp / cayley without trivialization have no rightInverse: registration keeps the original
  const nt = PZ.orthogonal(new nn.Linear(3, 3), { orthogonalMap: 'cayley', useTrivialization: false });
  assert.deepEqual([...nt.stateDict().keys()], ['bias', 'parametrizations.weight.original']);
  assertThrowsWith(() => { (nt as unknown as { weight: Tensor }).weight = torch.eye(3); }, ['not possible to assign']);
});

test('cached(): a parametrized tensor is computed once inside, again outside', () => {
  let calls = 0;
  class Count extends nn.Module { forward(X: Tensor): Tensor { calls++; return X; } }
  const m = P.registerParametrization(new nn.Linear(2, 2), 'weight', new Count(), { unsafe: true });
  calls = 0;
  const [a, b] = P.cached(() => [m.weight, m.weight]);
  assert.equal(calls, 1);
  assert.equal(a, b);
  void m.weight; void m.weight;
  assert.equal(calls, 3);
  // nested: one cache for the outermost call
  calls = 0;
  P.cached(() => { void m.weight; P.cached(() => void m.weight); void m.weight; });
  assert.equal(calls, 1);
});

test('training through a parametrization: the optimizer updates the originals; orthogonal stays orthogonal', () => {
  torch.manualSeed(0);
  const m = PZ.orthogonal(new nn.Linear(4, 4));
  const opt = new torch.optim.SGD(m.parameters(), { lr: 0.1 });
  const x = torch.randn([8, 4]), y = torch.randn([8, 4]);
  const before = m.getParameter('parametrizations.weight.original').clone();
  for (let i = 0; i < 3; i++) {
    opt.zeroGrad();
    nn.functional.mseLoss(m.call(x), y).backward();
    opt.step();
  }
  assert.ok(!torch.allclose(before, m.getParameter('parametrizations.weight.original')));
  const W = m.weight;
  assert.ok(torch.allclose(W.matmul(W.t()), torch.eye(4), { atol: 1e-5 }));
  // functionalCall substitutes an original by its state-dict name
  const out = torch.func.functionalCall(m, new Map([['parametrizations.weight.original', torch.zeros([4, 4])]]), [x]) as Tensor;
  const base = m.getBuffer('parametrizations.weight.0.base');
  assert.ok(torch.allclose(out, x.matmul(base.t()).add(m.bias!), { atol: 1e-5 }), 'exp(0) = I: the weight is the base');
});

test('old-style nn.utils.weightNorm / spectralNorm: keys, forward, grads, eval; old weight_g/weight_v load into the parametrization', () => {
  const wnc = FIX.cases.old_weight_norm as unknown as Case & { sd: SD; params: string[] };
  torch.manualSeed(0);
  const wn = nn.utils.weightNorm(new nn.Linear(4, 3));
  closeSd(wn, wnc.sd, 'old weight norm at registration');
  assert.deepEqual(wn.namedParameters().map(([k]) => k), wnc.params);
  forwardAndGrads(wn, wnc, wnc.train, 'old weight norm');

  const snc = FIX.cases.old_spectral_norm as unknown as Case & { sd: SD; params: string[]; buffers: string[] };
  torch.manualSeed(0);
  const sn = nn.utils.spectralNorm(new nn.Linear(4, 3));
  closeSd(sn, snc.sd, 'old spectral norm at registration');
  assert.deepEqual(sn.namedParameters().map(([k]) => k), snc.params);
  assert.deepEqual(sn.namedBuffers().map(([k]) => k), snc.buffers);
  forwardAndGrads(sn, snc, snc.train, 'old spectral norm');
  closeSd(sn, snc.sd_after_forward, 'old spectral norm after forward');
  sn.eval();
  forwardAndGrads(sn, snc, snc.eval!, 'old spectral norm (eval)');

  // loading an old checkpoint into fresh modules
  const sn2 = nn.utils.spectralNorm(new nn.Linear(4, 3));
  sn2.loadStateDict(sdOf(snc.sd_after_forward));
  sn2.eval();
  close(sn2.call(T(snc.x)), snc.eval!.y, 'old spectral norm checkpoint, loaded');
  const into = FIX.cases.old_into_new_weight_norm as unknown as { y: JT; sd: SD };
  const nw = PZ.weightNorm(new nn.Linear(4, 3));
  nw.loadStateDict(sdOf(wnc.sd));
  close(nw.call(T(wnc.x)), into.y, 'old weight_g/weight_v into parametrizations.weightNorm');
  closeSd(nw, into.sd, 'renamed keys');

  nn.utils.removeWeightNorm(wn);
  nn.utils.removeSpectralNorm(sn);
  assert.deepEqual(wn.namedParameters().map(([k]) => k), ['bias', 'weight']);
  assert.deepEqual([...sn.stateDict().keys()], ['bias', 'weight']);
  assertThrowsWith(() => nn.utils.weightNorm(nn.utils.weightNorm(new nn.Linear(2, 2))), ['Cannot register two weightNorm hooks']);
});

test('nn.utils.summary and nn.init.report show a parametrized weight as its originals, the function and the bytes', () => {
  torch.manualSeed(0);
  class Net extends nn.Module {
    fc1 = PZ.weightNorm(new nn.Linear(4, 6));
    fc2 = PZ.spectralNorm(new nn.Linear(6, 5));
    fc3 = PZ.orthogonal(new nn.Linear(5, 3));
    forward(x: Tensor): Tensor { return this.fc3.call(this.fc2.call(this.fc1.call(x).tanh()).tanh()); }
  }
  const net = new Net();
  const u = net.getBuffer('fc2.parametrizations.weight.0._u').clone();
  const s = nn.utils.summary(net, torch.randn([2, 4]));
  assert.ok(torch.equal(u, net.getBuffer('fc2.parametrizations.weight.0._u')), 'summary leaves spectral norm\'s u as it was');
  assert.deepEqual(s.parametrized.map((p) => [p.name, p.functions, p.shape, p.bytes, p.originals.map((o) => [o.name, o.bytes, o.trainable])]), [
    ['fc1.weight', ['_WeightNorm'], [6, 4], 96, [['fc1.parametrizations.weight.original0', 24, true], ['fc1.parametrizations.weight.original1', 96, true]]],
    ['fc2.weight', ['_SpectralNorm'], [5, 6], 120, [['fc2.parametrizations.weight.original', 120, true]]],
    ['fc3.weight', ['_Orthogonal'], [3, 5], 60, [['fc3.parametrizations.weight.original', 60, true]]],
  ]);
  assert.equal(s.tensors.find((t) => t.name === 'fc1.parametrizations.weight.original0')!.parametrizes, 'original0 of fc1.weight');
  const text = String(s);
  assert.match(text, /Parametrized tensors \(computed from their originals at every read/);
  assert.match(text, /fc1\.weight\s+\[6, 4\]\s+_WeightNorm\s+96 B\s+fc1\.parametrizations\.weight\.original0\s+\[6, 1\]\s+trainable\s+24 B/);
  const rep = nn.init.report(net);
  const row = (n: string) => rep.rows.find((r) => r.name === n)!;
  assert.equal(row('fc1.parametrizations.weight.original1').note, 'original1 of fc1.weight = _WeightNorm(original0, original1)');
  assert.equal(row('fc1.parametrizations.weight.original1').scheme, 'kaiming_uniform_'); // v is the initialised weight
  // orthogonal's original was rewritten by rightInverse: its kaiming record no longer applies
  assert.equal(row('fc3.parametrizations.weight.original').scheme, null);
  assert.match(row('fc3.parametrizations.weight.original').note, /set by its parametrization's rightInverse; original of fc3\.weight = _Orthogonal\(original\)/);
});

test('orthogonal on a batch of matrices [2, 4, 3]: every map gives orthonormal columns and grads of the original', () => {
  torch.manualSeed(2);
  class M extends nn.Module { w = new nn.Parameter(torch.randn([2, 4, 3])); }
  for (const [map, triv] of [['matrix_exp', true], ['cayley', true], ['householder', true], ['householder', false]] as const) {
    const m = PZ.orthogonal(new M(), 'w', { orthogonalMap: map, useTrivialization: triv });
    const o = m.getParameter('parametrizations.w.original');
    // householder keeps the diagonal of the original at ±1 (no gradient reaches it): move the rest only
    torch.noGrad(() => o.add_(torch.tril(torch.randn([2, 4, 3]), -1).mul(0.3)));
    const W = (m as unknown as { w: Tensor }).w;
    const err = W.transpose(-1, -2).matmul(W).sub(torch.eye(3)).abs().max().item();
    assert.ok(err < 1e-5, `${map} (useTrivialization ${triv}): WᵀW - I up to ${err}`);
    W.mul(torch.randn([2, 4, 3])).sum().backward();
    assert.deepEqual([...o.grad!.shape], [2, 4, 3]);
  }
});
