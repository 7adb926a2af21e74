/**
 * @file Plain SVG charts for the explorer: histograms and line charts (linear or log y). Each returns SVG
 * markup; no charting dependency.
 */
import type { Histogram } from './protocol.js';

const NS = 'http://www.w3.org/2000/svg';

export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(1).replace('e+', 'e');
  return Number(v.toPrecision(3)).toString();
}

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

export interface HistogramOpts {
  width?: number; height?: number;
  /** text shown when there is nothing to draw */
  empty?: string;
  /** the chart's accessible title */
  title?: string;
  /** a shared x range (the same axis for every layer) instead of the histogram's own [lo, hi] */
  range?: [number, number];
  /** log10(1 + count) on the y axis, so that one tall bar (ReLU's zeros) does not flatten the rest */
  logCount?: boolean;
}

/** A histogram as bars, with a count axis (ticks and labels) and an x axis with ticks; `<title>` for screen readers. */
export function histogramSvg(h: Histogram | null, color: string, opts: HistogramOpts = {}): string {
  const W = opts.width ?? 240, H = opts.height ?? 96;
  const L = 34, R = 6, T = 6, B = 16;
  const title = opts.title ? `<title>${esc(opts.title)}</title>` : '';
  const aria = opts.title ? ` aria-label="${esc(opts.title)}"` : '';
  if (!h || h.n === 0) {
    return `<svg xmlns="${NS}" viewBox="0 0 ${W} ${H}" role="img"${aria}>${title}<text x="${W / 2}" y="${H / 2}" text-anchor="middle">${esc(opts.empty ?? 'no data')}</text></svg>`;
  }
  const [xlo, xhi] = opts.range && opts.range[1] > opts.range[0] ? opts.range : [h.lo, h.hi];
  const maxC = Math.max(1, ...h.counts);
  const ty = (c: number) => (opts.logCount ? Math.log10(1 + c) / Math.log10(1 + maxC) : c / maxC);
  const py = (c: number) => T + (1 - ty(c)) * (H - T - B);
  const px = (v: number) => L + ((v - xlo) / (xhi - xlo)) * (W - L - R);
  const bw = (h.hi - h.lo) / h.counts.length;
  const parts: string[] = [];
  // count axis: 0, max (and the middle, or the powers of ten on a log axis)
  const yt = opts.logCount
    ? [0, ...Array.from({ length: Math.floor(Math.log10(maxC)) + 1 }, (_, k) => 10 ** k).filter((v) => v <= maxC)]
    : [0, ...niceTicks(0, maxC, 2).filter((v) => v > 0 && v <= 0.75 * maxC && Number.isInteger(v)), maxC];
  for (const c of [...new Set(yt)]) {
    const y = py(c);
    parts.push(`<line x1="${L - 3}" x2="${W - R}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#eef0f3"/>`);
    parts.push(`<text x="${L - 5}" y="${(y + 3).toFixed(1)}" text-anchor="end">${esc(c >= 1e4 ? c.toExponential(0).replace('e+', 'e') : String(c))}</text>`);
  }
  h.counts.forEach((c, i) => {
    if (c === 0) return;
    const x0 = Math.max(L, px(h.lo + i * bw)), x1 = Math.min(W - R, px(h.lo + (i + 1) * bw));
    const y = Math.min(py(c), H - B - 1);
    parts.push(`<rect x="${x0.toFixed(2)}" y="${y.toFixed(2)}" width="${Math.max(0.8, x1 - x0 - 0.4).toFixed(2)}" height="${(H - B - y).toFixed(2)}" fill="${color}"/>`);
  });
  parts.push(`<line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#98a2b3"/><line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="#98a2b3"/>`);
  const xt = niceTicks(xlo, xhi, 3);
  for (const v of xt) {
    const x = px(v);
    if (x < L - 0.5 || x > W - R + 0.5) continue;
    parts.push(`<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${H - B}" y2="${H - B + 3}" stroke="#98a2b3"/>`);
    parts.push(`<text x="${x.toFixed(1)}" y="${H - 3}" text-anchor="middle">${esc(fmt(v))}</text>`);
  }
  return `<svg xmlns="${NS}" viewBox="0 0 ${W} ${H}" role="img"${aria} data-axes="count,value">${title}${parts.join('')}</svg>`;
}

export interface Series { values: number[]; color: string; dashed?: boolean; label?: string; width?: number }

function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const step0 = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0) ?? step0;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/**
 * A line chart of one or more series over x = xStart, xStart+1, ... Log y skips values <= 0 and non-finite
 * ones (the line breaks there).
 */
export function lineChartSvg(series: Series[], opts: {
  width?: number; height?: number; log?: boolean; xStart?: number; xLabel?: string; yLabel?: string; title?: string; empty?: string;
} = {}): string {
  const W = opts.width ?? 640, H = opts.height ?? 220;
  const L = 52, R = 10, T = 8, B = 28;
  const log = opts.log ?? false;
  const x0 = opts.xStart ?? 0;
  const ok = (v: number) => Number.isFinite(v) && (!log || v > 0);
  const all = series.flatMap((s) => s.values.filter(ok));
  const n = Math.max(1, ...series.map((s) => s.values.length));
  const title = opts.title ? `<title>${esc(opts.title)}</title>` : '';
  const aria = opts.title ? ` aria-label="${esc(opts.title)}"` : '';
  if (all.length === 0) {
    return `<svg xmlns="${NS}" viewBox="0 0 ${W} ${H}" role="img"${aria}>${title}<text x="${W / 2}" y="${H / 2}" text-anchor="middle">${esc(opts.empty ?? 'no data yet')}</text></svg>`;
  }
  const tf = (v: number) => (log ? Math.log10(v) : v);
  let lo = Math.min(...all.map(tf)), hi = Math.max(...all.map(tf));
  if (hi - lo < 1e-12) { lo -= log ? 1 : Math.abs(lo) * 0.1 + 1e-6; hi += log ? 1 : Math.abs(hi) * 0.1 + 1e-6; }
  if (!log) lo = Math.min(lo, 0) < 0 ? lo : Math.max(0, lo - (hi - lo) * 0.05);
  const px = (i: number) => L + (n === 1 ? (W - L - R) / 2 : (i / (n - 1)) * (W - L - R));
  const py = (v: number) => T + (1 - (tf(v) - lo) / (hi - lo)) * (H - T - B);
  const parts: string[] = [];
  // y grid and ticks
  // log: powers of ten (every k-th when many); over less than ~1.5 decades also 2× and 5×
  const yt = !log ? niceTicks(lo, hi)
    : hi - lo < 1.5
      ? Array.from({ length: Math.floor(hi) - Math.floor(lo) + 1 }, (_, k) => Math.floor(lo) + k)
          .flatMap((e) => [1, 2, 5].map((m) => m * 10 ** e)).filter((v) => Math.log10(v) >= lo - 1e-9 && Math.log10(v) <= hi + 1e-9)
      : Array.from({ length: Math.floor(hi) - Math.ceil(lo) + 1 }, (_, k) => Math.ceil(lo) + k)
          .filter((_, k, arr) => arr.length <= 8 || k % Math.ceil(arr.length / 8) === 0).map((e) => 10 ** e);
  for (const v of yt) {
    const y = py(v);
    if (y < T - 0.5 || y > H - B + 0.5) continue;
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#eef0f3"/>`);
    const isPow = log && Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-9;
    parts.push(`<text x="${L - 4}" y="${(y + 3).toFixed(1)}" text-anchor="end">${esc(isPow && (Math.abs(Math.log10(v)) > 2) ? `1e${Math.round(Math.log10(v))}` : fmt(v))}</text>`);
  }
  // x ticks
  for (const t of niceTicks(0, n - 1, 8)) {
    if (!Number.isInteger(t)) continue;
    parts.push(`<text x="${px(t).toFixed(1)}" y="${H - B + 13}" text-anchor="middle">${t + x0}</text>`);
  }
  parts.push(`<line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#d0d5dd"/><line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="#d0d5dd"/>`);
  if (opts.xLabel) parts.push(`<text x="${(L + W - R) / 2}" y="${H - 2}" text-anchor="middle">${esc(opts.xLabel)}</text>`);
  if (opts.yLabel) parts.push(`<text x="10" y="${(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 10 ${(T + H - B) / 2})">${esc(opts.yLabel)}</text>`);
  for (const s of series) {
    let d = '';
    let pen = false;
    s.values.forEach((v, i) => {
      if (!ok(v)) { pen = false; return; }
      const y = Math.min(H - B, Math.max(T, py(v)));
      d += `${pen ? 'L' : 'M'}${px(i).toFixed(1)},${y.toFixed(1)}`;
      pen = true;
    });
    const dash = s.dashed ? ' stroke-dasharray="3 3"' : '';
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="${s.width ?? 1.6}"${dash}/>`);
    if (s.values.length <= 64) {
      s.values.forEach((v, i) => { if (ok(v)) parts.push(`<circle cx="${px(i).toFixed(1)}" cy="${py(v).toFixed(1)}" r="2.2" fill="${s.color}"/>`); });
    }
  }
  return `<svg xmlns="${NS}" viewBox="0 0 ${W} ${H}" role="img"${aria}>${title}${parts.join('')}</svg>`;
}

/** Exponential moving average (for noisy loss curves). */
export function ema(values: number[], beta = 0.9): number[] {
  const out: number[] = [];
  let m = NaN;
  for (const v of values) {
    if (!Number.isFinite(v)) { out.push(NaN); continue; }
    m = Number.isFinite(m) ? beta * m + (1 - beta) * v : v;
    out.push(m);
  }
  return out;
}
