/** @file Elementwise add and a sum reduction in GB/s: plain JS, torchlet wasm (resident and with copies), tfjs. */
import { WasmEngine } from '../src/backend/wasm/index.js';
import { measure, type BenchContext, type Row, type SuiteResult } from './harness.js';
import { loadTf, useBackend } from './peers.js';

export async function run(ctx: BenchContext): Promise<SuiteResult> {
  const rows: Row[] = [];
  const n = 1 << 20, x = new Float32Array(n).map((_, i) => (i % 97) - 48), y = new Float32Array(n).fill(0.5), out = new Float32Array(n);
  const e = new WasmEngine({ variant: 'simd', threads: 1 });
  const addBytes = 3 * 4 * n, sumBytes = 4 * n;
  const push = (op: string, impl: string, bytes: number, sec: number) => {
    rows.push({ suite: 'elementwise', case: `${op} 2^20 f32`, impl, threads: 1, value: bytes / sec / 1e9, unit: 'GB/s' });
    ctx.log(`  ${op.padEnd(5)} ${impl.padEnd(36)} ${(bytes / sec / 1e9).toFixed(1)} GB/s`);
  };
  push('add', 'plain JS loop', addBytes, measure(() => { for (let i = 0; i < n; i++) out[i] = x[i] + y[i]; }).median);
  push('add', 'torchlet wasm, data resident', addBytes, (() => {
    const base = e.reserve(3 * n); const f = e.view(); f.set(x, base); f.set(y, base + n);
    return measure(() => e.addResident(base, base + n, base + 2 * n, n)).median;
  })());
  push('add', 'torchlet wasm, copy in + out', addBytes, measure(() => e.add(x, y, out)).median);
  push('sum', 'plain JS loop', sumBytes, measure(() => { let s = 0; for (let i = 0; i < n; i++) s += x[i]; if (s === 1.5) console.log(s); }).median);
  push('sum', 'torchlet wasm, data resident', sumBytes, (() => {
    const base = e.reserve(n); e.view().set(x, base);
    return measure(() => { e.sumResident(base, n); }).median;
  })());
  push('sum', 'torchlet wasm, copy in', sumBytes, measure(() => { e.sum(x); }).median);
  const tf = await loadTf();
  for (const backend of ['wasm', 'cpu'] as const) {
    await useBackend(tf, backend);
    const a = tf.tensor1d(x), b = tf.tensor1d(y);
    push('add', `tfjs-backend-${backend} (incl. dataSync)`, addBytes, measure(() => { const c = tf.add(a, b); c.dataSync(); c.dispose(); }).median);
    push('sum', `tfjs-backend-${backend} (incl. dataSync)`, sumBytes, measure(() => { const c = tf.sum(a); c.dataSync(); c.dispose(); }).median);
    a.dispose(); b.dispose();
  }
  e.dispose();
  return { suite: 'elementwise', rows, notes: ['Memory-bound ops: copying operands into wasm memory costs as much as the op, so elementwise wasm kernels pay only on data that lives in wasm memory.'] };
}
