/**
 * @file Printing tensors like PyTorch: fixed or scientific notation chosen from the values, integer-valued
 * floats as "1.", column alignment, summarization of more than 1000 elements with "...", and the
 * dtype/requires_grad/grad_fn suffixes.
 */
import type { DType } from '../core/dtype.js';
import { isFloating } from '../core/dtype.js';

const THRESHOLD = 1000, EDGE = 3, PRECISION = 4, LINE = 80;

/**
 * PyTorch's _Formatter for floats: the mode (integer-valued "1.", fixed "1.2500" or scientific "1.2500e+00") and
 * the column width come from the nonzero finite values only; nan/inf print as such.
 */
function floatFormatter(vals: number[]): { f: (v: number) => string; width: number } {
  const special = (v: number) => (Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf');
  const nz = vals.filter((v) => Number.isFinite(v) && v !== 0);
  const intStr = (v: number) => (Number.isFinite(v) ? `${negZero(v)}${v.toFixed(0)}.` : special(v));
  if (nz.length === 0) return { f: intStr, width: 1 };
  let max = 0, min = Infinity;
  for (const v of nz) { const a = Math.abs(v); if (a > max) max = a; if (a < min) min = a; }
  const intMode = nz.every((v) => Number.isInteger(v));
  const sciMode = max / min > 1000 || max > 1e8 || (!intMode && min < 1e-4);
  const f = sciMode ? (v: number) => (Number.isFinite(v) ? sci(v) : special(v))
    : intMode ? intStr : (v: number) => (Number.isFinite(v) ? fixed(v) : special(v));
  let width = 1;
  for (const v of nz) width = Math.max(width, f(v).length);
  return { f, width };
}

/**
 * Round the exact decimal expansion `digits` (as printed with 100 digits) to `keep` digits after the point the
 * way Python's format does: half to even on exact ties. JS's toFixed/toExponential round ties away from zero.
 */
function halfEven(exact: string, rounded: string, keep: number): string {
  const dot = exact.indexOf('.');
  if (dot < 0) return rounded;
  const rest = exact.slice(dot + 1 + keep).replace(/e.*$/, '');
  if (!/^50*$/.test(rest)) return rounded;
  const last = keep === 0 ? exact[dot - 1] : exact[dot + keep];
  if (Number(last) % 2 === 1) return rounded;
  // an exact tie below an even digit: truncate instead of rounding up
  const e = exact.match(/e.*$/)?.[0] ?? '';
  return exact.slice(0, keep === 0 ? dot : dot + 1 + keep) + e;
}
/** '-' for negative zero, which JS number formatting drops and Python keeps. */
function negZero(v: number): string { return Object.is(v, -0) ? '-' : ''; }
function fixed(v: number): string { return negZero(v) + halfEven(v.toFixed(100), v.toFixed(PRECISION), PRECISION); }

function sci(v: number): string {
  const [m, e] = halfEven(v.toExponential(100), v.toExponential(PRECISION), PRECISION).split('e');
  const n = Number(e);
  return `${negZero(v)}${m}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
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
    : isFloating(dtype) ? null : (v: number) => (Number.isSafeInteger(v) || !Number.isFinite(v) ? String(v) : BigInt(v).toString());
  const ff = f === null ? floatFormatter(shown) : null;
  const fmtv = f ?? ff!.f;
  let width = ff ? ff.width : 1;
  if (!ff) for (const v of shown) width = Math.max(width, fmtv(v).length);
  const cell = (v: number) => fmtv(v).padStart(width);

  const indent = 'tensor('.length;
  const fmtDim = (d: number, off: number, ind: number): string => {
    if (d === shape.length) return cell(values[off]);
    const s = shape[d];
    const parts: string[] = [];
    const edge = summarize && s > 2 * EDGE;
    const idx = edge ? [...Array(EDGE).keys(), -1, ...Array.from({ length: EDGE }, (_, i) => s - EDGE + i)] : [...Array(s).keys()];
    // PyTorch's summarized rows hold ' ...' as one element; summarized outer dims a line of '...'
    for (const i of idx) parts.push(i < 0 ? (d === shape.length - 1 ? ' ...' : '...') : fmtDim(d + 1, off + i * strides[d], ind + 1));
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
  if (meta.device !== 'cpu') suffix.push(`device='${meta.device}'`);
  if (n === 0) {
    body = '[]';
    if (shape.length !== 1) suffix.push(`size=(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`);
    // an empty tensor has no elements to infer int64/bool from: PyTorch names every non-default dtype
    if (dtype !== 'float32') suffix.push(`dtype=torch.${dtype}`);
  } else {
    body = shape.length === 0 ? cell(values[0]) : fmtDim(0, 0, indent);
    if (dtype !== 'float32' && dtype !== 'int64' && dtype !== 'bool') suffix.push(`dtype=torch.${dtype}`);
  }
  if (meta.gradFn) suffix.push(`grad_fn=${meta.gradFn}`);
  else if (meta.requiresGrad) suffix.push('requires_grad=True');
  return `tensor(${body}${suffix.length ? ', ' + suffix.join(', ') : ''})`;
}
