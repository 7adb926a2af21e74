/**
 * @file `torchlet inspect FILE` and `torchlet summary FILE`: list the tensors of a checkpoint (either format)
 * with dtype, shape, element count and bytes, and totals; `summary` groups them by module and tells
 * parameters from buffers by PyTorch's buffer names.
 */
import { loadBytes, Tensor } from '../index.js';
import { readFileBytes } from '../io/file.js';
import { detectFormat } from '../io/format.js';

export interface TensorRow { key: string; dtype: string; shape: number[]; numel: number; bytes: number }

/** Every tensor in a loaded checkpoint, with dotted keys for nested containers. */
export function tensorRows(value: unknown, prefix = ''): TensorRow[] {
  const rows: TensorRow[] = [];
  const walk = (v: unknown, key: string) => {
    if (v instanceof Tensor) { rows.push({ key, dtype: v.dtype, shape: [...v.shape], numel: v.numel(), bytes: v.nbytes() }); return; }
    if (v instanceof Map) { for (const [k, e] of v) walk(e, key ? `${key}.${String(k)}` : String(k)); return; }
    if (Array.isArray(v)) { v.forEach((e, i) => walk(e, key ? `${key}.${i}` : String(i))); return; }
  };
  walk(value, prefix);
  return rows;
}

export function human(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(2)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

export function table(head: string[], rows: string[][], right: number[] = []): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (right.includes(i) ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  ').trimEnd();
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}

export function readCheckpoint(path: string): { value: unknown; format: string } {
  const bytes = readFileBytes(path);
  return { value: loadBytes(bytes, { name: path }), format: detectFormat(bytes, path) };
}

export function inspectFile(path: string, json = false): string {
  const { value, format } = readCheckpoint(path);
  const rows = tensorRows(value);
  const totalNumel = rows.reduce((a, r) => a + r.numel, 0), totalBytes = rows.reduce((a, r) => a + r.bytes, 0);
  if (json) return JSON.stringify({ file: path, format, tensors: rows, total: { tensors: rows.length, numel: totalNumel, bytes: totalBytes } }, null, 2);
  const body = table(['key', 'dtype', 'shape', 'numel', 'bytes'],
    rows.map((r) => [r.key, r.dtype, `[${r.shape.join(', ')}]`, String(r.numel), human(r.bytes)]), [3, 4]);
  return `${path} (${format})\n${body}\n${rows.length} tensors, ${totalNumel.toLocaleString('en-US')} elements, ${human(totalBytes)}`;
}

const BUFFER_NAMES = /(^|\.)(running_mean|running_var|num_batches_tracked)$/;

export function summarizeFile(path: string): string {
  const { value } = readCheckpoint(path);
  // a training checkpoint keeps the model under 'model'
  const inner: unknown = value instanceof Map ? value.get('model') : undefined;
  const model = inner instanceof Map ? inner : value;
  const rows = tensorRows(model);
  const groups = new Map<string, TensorRow[]>();
  for (const r of rows) {
    const mod = r.key.includes('.') ? r.key.slice(0, r.key.lastIndexOf('.')) : '(root)';
    if (!groups.has(mod)) groups.set(mod, []);
    groups.get(mod)!.push(r);
  }
  const out: string[][] = [];
  let pN = 0, pB = 0, bN = 0, bB = 0;
  for (const [mod, rs] of groups) {
    for (const r of rs) {
      const isBuf = BUFFER_NAMES.test(r.key);
      if (isBuf) { bN += r.numel; bB += r.bytes; } else { pN += r.numel; pB += r.bytes; }
      out.push([mod, r.key.slice(mod === '(root)' ? 0 : mod.length + 1), isBuf ? 'buffer' : 'parameter', r.dtype, `[${r.shape.join(', ')}]`, r.numel.toLocaleString('en-US'), human(r.bytes)]);
    }
  }
  return `${path}\n${table(['module', 'name', 'kind', 'dtype', 'shape', 'numel', 'bytes'], out, [5, 6])}\n` +
    `parameters: ${pN.toLocaleString('en-US')} (${human(pB)})  buffers: ${bN.toLocaleString('en-US')} (${human(bB)})  ` +
    '(kind from the key: running_mean/running_var/num_batches_tracked are buffers)';
}
