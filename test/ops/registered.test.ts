/**
 * @file Every function torch.* gets from src/ops/index.ts is a registered op (src/ops/registry.ts: `OPS`), so its
 * backward declaration, kernels, method forms and op-table rows come from its one definition (issue 19). The
 * exceptions are the one list below, each with its reason. Importing src/index.js loads every family, so `OPS`
 * is complete here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import '../../src/index.js'; // every family (torch.*, nn.functional, optim), so OPS is complete
import * as ops from '../../src/ops/index.js';
import { OPS } from '../../src/ops/registry.js';

/** torch.* functions that are not ops, or not op definitions, with the reason. Keep it short: register instead. */
const EXEMPT: Record<string, string> = {
  setDefaultDtype: 'a process-wide setting (torch.set_default_dtype), not an op',
  getDefaultDtype: 'reads a process-wide setting, not an op',
};

const registered = new Set<unknown>(OPS.map((o) => o.fn));
const exported: [string, unknown][] = Object.entries(ops as Record<string, unknown>).filter(([, v]) => typeof v === 'function');

test('every function exported by src/ops/index.ts is a registered op or exempt with a reason', () => {
  const missing = exported.filter(([k, f]) => !registered.has(f) && !(k in EXEMPT)).map(([k]) => k);
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

test("every registered op's samples are rows of the op table (test/ops/op-db.ts loads the op's family)", () => {
  // the table as the suites and the fixture script see it: op-db.ts loaded alone (here src/index.js loaded every family first)
  const out = execFileSync(process.execPath, ['--import', 'tsx', new URL('./export-op-db.ts', import.meta.url).pathname], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const ids = new Set((JSON.parse(out) as { id: string }[]).map((r) => r.id));
  const missing = OPS.flatMap((op) => op.samples.map((s) => `${s.op ?? op.name}/${s.id}`)).filter((id) => !ids.has(id));
  assert.deepEqual(missing, [], 'import the family file of these ops in test/ops/op-db.ts');
});
