/**
 * @file Printing tensors like PyTorch: fixed or scientific notation chosen from the values, integer-valued
 * floats as "1.", column alignment, summarization of more than 1000 elements with "...", and the
 * dtype/requires_grad/grad_fn suffixes.
 */
import type { DType } from '../core/dtype.js';
import { isFloating } from '../core/dtype.js';

const THRESHOLD = 1000, EDGE = 3, PRECISION = 4, LINE = 80;

function floatFormatter(vals: number[]): (v: number) => string {
  const finite = vals.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return (v) => String(v).replace('Infinity', 'inf').replace('NaN', 'nan');
  const abs = finite.map(Math.abs).filter((v) => v !== 0);
  const intMode = finite.every((v) => Number.isInteger(v));
  const max = abs.length ? Math.max(...abs) : 0, min = abs.length ? Math.min(...abs) : 0;
  const special = (v: number) => (Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf');
  if (intMode) {
    if (max > 1e8) return (v) => (Number.isFinite(v) ? sci(v) : special(v));
    return (v) => (Number.isFinite(v) ? `${v.toFixed(0)}.` : special(v));
  }
  if (abs.length && (max / min > 1000 || max > 1e8 || min < 1e-4)) return (v) => (Number.isFinite(v) ? sci(v) : special(v));
  return (v) => (Number.isFinite(v) ? v.toFixed(PRECISION) : special(v));
}

function sci(v: number): string {
  const [m, e] = v.toExponential(PRECISION).split('e');
  const n = Number(e);
  return `${m}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
}

export function formatTensor(values: number[], shape: readonly number[], dtype: DType,
  meta: { device: string; requiresGrad: boolean; gradFn: string | null }): string {
  const n = values.length;
  const summarize = n > THRESHOLD;
  // elements shown (for choosing the format) when summarizing
  const shown: number[] = [];
  const strides: number[] = [];
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { strides[i] = acc; acc *= shape[i]; }
  const walk = (d: number, off: number) => {
    if (d === shape.length) { shown.push(values[off]); return; }
    const s = shape[d];
    const idx = summarize && s > 2 * EDGE ? [...Array(EDGE).keys(), ...Array.from({ length: EDGE }, (_, i) => s - EDGE + i)] : [...Array(s).keys()];
    for (const i of idx) walk(d + 1, off + i * strides[d]);
  };
  if (n > 0) walk(0, 0);
  const f = dtype === 'bool' ? (v: number) => (v ? 'True' : 'False')
    : isFloating(dtype) ? floatFormatter(shown) : (v: number) => String(v);
  const width = Math.max(1, ...shown.map((v) => f(v).length));
  const cell = (v: number) => f(v).padStart(width);

  const indent = 'tensor('.length;
  const fmtDim = (d: number, off: number, ind: number): string => {
    if (d === shape.length) return cell(values[off]);
    const s = shape[d];
    const parts: string[] = [];
    const edge = summarize && s > 2 * EDGE;
    const idx = edge ? [...Array(EDGE).keys(), -1, ...Array.from({ length: EDGE }, (_, i) => s - EDGE + i)] : [...Array(s).keys()];
    for (const i of idx) parts.push(i < 0 ? '...' : fmtDim(d + 1, off + i * strides[d], ind + 1));
    if (d === shape.length - 1) {
      // wrap long rows
      const perLine = Math.max(1, Math.floor((LINE - ind) / (width + 2)));
      const lines: string[] = [];
      for (let i = 0; i < parts.length; i += perLine) lines.push(parts.slice(i, i + perLine).join(', '));
      return `[${lines.join(',\n' + ' '.repeat(ind + 1))}]`;
    }
    const sep = ',' + '\n'.repeat(shape.length - d - 1) + ' '.repeat(ind + 1);
    return `[${parts.join(sep)}]`;
  };
  let body: string;
  const suffix: string[] = [];
  if (n === 0) {
    body = '[]';
    if (shape.length !== 1) suffix.push(`size=(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`);
  } else body = shape.length === 0 ? f(values[0]) : fmtDim(0, 0, indent);
  if (meta.device !== 'cpu') suffix.push(`device='${meta.device}'`);
  if (dtype !== 'float32' && dtype !== 'int64' && dtype !== 'bool') suffix.push(`dtype=torch.${dtype}`);
  if (meta.gradFn) suffix.push(`grad_fn=${meta.gradFn}`);
  else if (meta.requiresGrad) suffix.push('requires_grad=True');
  return `tensor(${body}${suffix.length ? ', ' + suffix.join(', ') : ''})`;
}
