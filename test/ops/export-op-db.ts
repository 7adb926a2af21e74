/**
 * @file Prints the op table (test/ops/op-db.ts) as JSON for scripts/fixtures/ops.py: ids, inputs, PyTorch
 * expressions and grad flags. Not a test; run by the fixture script.
 */
import { samples, baseShape } from './op-db.js';

const rows = samples.map((s) => ({
  id: s.id, op: s.op, py: s.py, grad: s.grad ?? true,
  inputs: s.inputs.map((i) => ({ ...i, base: baseShape(i) })),
}));
// NaN and infinities travel as strings (JSON has no literal for them)
const special = (_k: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? (Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf') : v);
process.stdout.write(JSON.stringify(rows, special));
