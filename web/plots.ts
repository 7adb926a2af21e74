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

/** A histogram as bars; the x axis shows lo and hi. */
export function histogramSvg(h: Histogram | null, color: string, opts: { width?: number; height?: number; empty?: string } = {}): string {
  const W = opts.width ?? 220, H = opts.height ?? 58, pad = 12;
  if (!h || h.n === 0) {
    return `<svg xmlns="${NS}" viewBox="0 0 ${W} ${H}"><text x="${W / 2}" y="${H / 2}" text-anchor="middle">${esc(opts.empty ?? 'no data')}</text></svg>`;
  }
  const max = Math.max(1, ...h.counts);
  const bw = W / h.counts.length;
  const bars = h.counts.map((c, i) => {
    const bh = c === 0 ? 0 : Math.max(1, (c / max) * (H - pad - 2));
    return `<rect x="${(i * bw).toFixed(2)}" y="${(H - pad - bh).toFixed(2)}" width="${Math.max(0.5, bw - 0.6).toFixed(2)}" height="${bh.toFixed(2)}" fill="${color}"/>`;
  }).join('');
  const axis = `<line x1="0" x2="${W}" y1="${H - pad}" y2="${H - pad}" stroke="#d0d5dd"/>`;
  const labels = `<text x="0" y="${H - 1}">${esc(fmt(h.lo))}</text><text x="${W}" y="${H - 1}" text-anchor="end">${esc(fmt(h.hi))}</text>`;
  return `<svg xmlns="${NS}" viewBox="0 0 ${W} ${H}" role="img">${bars}${axis}${labels}</svg>`;
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
export function lineChartSvg(series: Series[], opts: { width?: number; height?: number; log?: boolean; xStart?: number; xLabel?: string; yLabel?: string } = {}): string {
  const W = opts.width ?? 640, H = opts.height ?? 220;
  const L = 52, R = 10, T = 8, B = 28;
  const log = opts.log ?? false;
  const x0 = opts.xStart ?? 0;
  const ok = (v: number) => Number.isFinite(v) && (!log || v > 0);
  const all = series.flatMap((s) => s.values.filter(ok));
  const n = Math.max(1, ...series.map((s) => s.values.length));
  if (all.length === 0) {
    return `<svg xmlns="${NS}" viewBox="0 0 ${W} ${H}"><text x="${W / 2}" y="${H / 2}" text-anchor="middle">no data yet</text></svg>`;
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
  return `<svg xmlns="${NS}" viewBox="0 0 ${W} ${H}" role="img">${parts.join('')}</svg>`;
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
