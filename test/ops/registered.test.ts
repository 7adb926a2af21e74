/**
 * @file Every function torch.* gets from src/ops/index.ts is a registered op (src/ops/registry.ts: `OPS`), so its
 * backward declaration, kernels, method forms and op-table rows come from its one definition (issue 19). The
 * exceptions are the one list below, each with its reason, and the families whose move into the registry is
 * still under way (`PENDING`, checked once they are done). Importing src/index.js loads every family, so `OPS`
 * is complete here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import '../../src/index.js'; // every family (torch.*, nn.functional, optim), so OPS is complete
import * as ops from '../../src/ops/index.js';
import { OPS } from '../../src/ops/registry.js';
import * as indexing from '../../src/ops/indexing.js';
import * as movement from '../../src/ops/movement.js';
import * as subscript from '../../src/ops/subscript.js';

/** torch.* functions that are not ops, or not op definitions, with the reason. Keep it short: register instead. */
const EXEMPT: Record<string, string> = {
  setDefaultDtype: 'a process-wide setting (torch.set_default_dtype), not an op',
  getDefaultDtype: 'reads a process-wide setting, not an op',
  to: "Tensor.to's functional form: parses its dtype/device/options and dispatches to movement.ts's toDtype/toDevice",
};

/**
 * Families being moved into the registry on other branches (issue 19). Their exports are skipped until the family
 * is registered; the last test fails once every function of a family is registered, to have its entry removed
 * (what is left unregistered then goes to EXEMPT with a reason).
 */
const PENDING: Record<string, Record<string, unknown>> = {
  'indexing.ts': indexing, 'movement.ts': movement, 'subscript.ts': subscript,
};

const registered = new Set<unknown>(OPS.map((o) => o.fn));
const pendingFns = new Set<unknown>(Object.values(PENDING).flatMap((m) => Object.values(m)));
const exported: [string, unknown][] = Object.entries(ops as Record<string, unknown>).filter(([, v]) => typeof v === 'function');

test('every function exported by src/ops/index.ts is a registered op or exempt with a reason', () => {
  const missing = exported.filter(([k, f]) => !registered.has(f) && !(k in EXEMPT) && !pendingFns.has(f)).map(([k]) => k);
  assert.deepEqual(missing, [], 'define these with unaryOp/binaryOp/customOp/freeOp/factoryOp (src/ops/registry.ts) or add them to EXEMPT with the reason');
});

test('the exemptions are current: each names an exported function that is not registered', () => {
  const byName = new Map(exported);
  for (const [name, reason] of Object.entries(EXEMPT)) {
    assert.ok(reason.length > 10, `${name}: give the reason`);
    const f = byName.get(name);
    assert.ok(f, `EXEMPT names ${name}, which src/ops/index.ts does not export`);
    assert.ok(!registered.has(f), `${name} is registered now: remove it from EXEMPT`);
  }
});

test('a registered op exported by torch.* is exported under its definition name', () => {
  for (const op of OPS) {
    const names = exported.filter(([, f]) => f === op.fn).map(([k]) => k);
    if (names.length) assert.ok(names.includes(op.name), `op '${op.name}' is exported only as ${names.join(', ')}`);
  }
});

test('a pending family leaves PENDING once all its functions are registered', () => {
  for (const [file, mod] of Object.entries(PENDING)) {
    const fns = Object.values(mod).filter((f) => typeof f === 'function' && exported.some(([, g]) => g === f));
    assert.ok(fns.some((f) => !registered.has(f)), `every torch.* function of ops/${file} is registered: remove it from PENDING`);
  }
});

test("every registered op's samples are rows of the op table (test/ops/op-db.ts loads the op's family)", () => {
  // the table as the suites and the fixture script see it: op-db.ts loaded alone (here src/index.js loaded every family first)
  const out = execFileSync(process.execPath, ['--import', 'tsx', new URL('./export-op-db.ts', import.meta.url).pathname], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const ids = new Set((JSON.parse(out) as { id: string }[]).map((r) => r.id));
  const missing = OPS.flatMap((op) => op.samples.map((s) => `${s.op ?? op.name}/${s.id}`)).filter((id) => !ids.has(id));
  assert.deepEqual(missing, [], 'import the family file of these ops in test/ops/op-db.ts');
});
