/**
 * @file The explorer page's UI: reads the controls, asks the worker (worker.ts) for the numbers, draws them
 * (plots.ts), and mirrors every figure in `window.__explorer` for scripts and tests.
 */
import { ema, fmt, histogramSvg, lineChartSvg } from './plots.js';
import type {
  Analysis, Config, InitSpec, LoadReport, LoadResult, Reply, Request, Scheme, StateRow, StepResult, TrainResult,
} from './protocol.js';

/** What the page exposes for scripts and tests. */
export interface ExplorerState {
  ready: boolean;
  busy: boolean;
  /** completed analyses (any op that re-measured the model) */
  analyses: number;
  error: string | null;
  device: string;
  config: Config | null;
  layerNames: string[];
  activationStd: number[];
  gradientStd: number[];
  weightStd: number[];
  loss: number;
  state: StateRow[];
  deltas: Record<string, number> | null;
  train: { running: boolean; runs: number; steps: number; losses: [number[], number[]]; ms: number };
  loadReport: LoadReport | null;
  lastDownloadBytes: number;
}

declare global { interface Window { __explorer: ExplorerState } }

const X: ExplorerState = {
  ready: false, busy: false, analyses: 0, error: null, device: '', config: null, layerNames: [],
  activationStd: [], gradientStd: [], weightStd: [], loss: NaN, state: [], deltas: null,
  train: { running: false, runs: 0, steps: 0, losses: [[], []], ms: 0 }, loadReport: null, lastDownloadBytes: 0,
};
window.__explorer = X;

const $ = <T extends HTMLElement = HTMLElement>(id: string) => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing from the page`);
  return el as T;
};
const COLOR_A = '#2f6fdf', COLOR_B = '#e8590c', COLOR_W = '#6741d9';

// ---- worker RPC ----
const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
let nextId = 1;
const pending = new Map<number, { ok(v: unknown): void; fail(e: Error): void; progress?(p: { run: 0 | 1; step: number; loss: number }): void }>();
worker.onmessage = (e: MessageEvent<Reply>) => {
  const m = e.data;
  const p = pending.get(m.id);
  if (!p) return;
  if ('progress' in m) { p.progress?.(m.progress); return; }
  pending.delete(m.id);
  if (m.ok) p.ok(m.result); else p.fail(new Error(m.error));
};
worker.onerror = (e) => setStatus('error', `worker failed: ${e.message}`);
function call<T>(req: Request, progress?: (p: { run: 0 | 1; step: number; loss: number }) => void): Promise<T> {
  const id = nextId++;
  return new Promise<T>((ok, fail) => {
    pending.set(id, { ok: ok, fail, progress });
    worker.postMessage({ id, req }, req.op === 'load' ? [req.bytes.buffer as ArrayBuffer] : []);
  });
}

function setStatus(state: 'busy' | 'ready' | 'error', text: string): void {
  const s = $('status');
  s.dataset.state = state;
  s.textContent = text;
  if (state === 'error') X.error = text;
}

// ---- controls ----
const SCHEMES: [Scheme, string][] = [
  ['default', 'PyTorch default'], ['xavier_uniform', 'xavier uniform'], ['xavier_normal', 'xavier normal'],
  ['kaiming_uniform', 'kaiming uniform'], ['kaiming_normal', 'kaiming normal'], ['normal', 'normal N(0, std)'], ['zeros', 'zeros'],
];

function buildInitFieldset(kind: string, def: InitSpec): void {
  const fs = $(`init-${kind}`);
  const opt = (v: string, t: string, sel: string) => `<option value="${v}"${v === sel ? ' selected' : ''}>${t}</option>`;
  fs.insertAdjacentHTML('beforeend', `
    <label>scheme <select id="${kind}-scheme">${SCHEMES.map(([v, t]) => opt(v, t, def.scheme)).join('')}</select></label>
    <label data-for="kaiming">mode <select id="${kind}-mode">${['fan_in', 'fan_out'].map((v) => opt(v, v, def.mode)).join('')}</select></label>
    <label data-for="kaiming">nonlinearity <select id="${kind}-nonlinearity">${['relu', 'leaky_relu', 'tanh', 'linear'].map((v) => opt(v, v, def.nonlinearity)).join('')}</select></label>
    <label data-for="normal">std <input id="${kind}-std" type="number" step="any" min="0" value="${def.std}"></label>`);
  const sync = () => {
    const s = $<HTMLSelectElement>(`${kind}-scheme`).value;
    fs.querySelectorAll<HTMLElement>('label[data-for]').forEach((l) => { l.style.display = s.startsWith(l.dataset.for!) ? '' : 'none'; });
  };
  $(`${kind}-scheme`).addEventListener('change', sync);
  sync();
}

function readSpec(kind: string): InitSpec {
  return {
    scheme: $<HTMLSelectElement>(`${kind}-scheme`).value as Scheme,
    mode: $<HTMLSelectElement>(`${kind}-mode`).value as InitSpec['mode'],
    nonlinearity: $<HTMLSelectElement>(`${kind}-nonlinearity`).value as InitSpec['nonlinearity'],
    std: Number($<HTMLInputElement>(`${kind}-std`).value) || 0,
  };
}

function intOf(id: string, lo: number, hi: number, def: number): number {
  const v = Math.round(Number($<HTMLInputElement>(id).value));
  return Number.isFinite(v) ? Math.max(lo, Math.min(hi, v)) : def;
}

function readConfig(): Config {
  return {
    model: $<HTMLSelectElement>('model').value as Config['model'],
    depth: intOf('depth', 1, 64, 10),
    width: intOf('width', 2, 1024, 256),
    activation: $<HTMLSelectElement>('activation').value as Config['activation'],
    init: { linear: readSpec('linear'), conv: readSpec('conv') },
    seed: intOf('seed', 0, 2 ** 31 - 1, 0),
    batch: intOf('batch', 8, 2000, 256),
    device: $<HTMLSelectElement>('device').value as Config['device'],
  };
}

// ---- rendering ----
function renderAnalysis(a: Analysis): void {
  X.config = a.config;
  X.device = a.device;
  X.layerNames = a.layers.map((l) => l.name);
  X.activationStd = a.activationStd;
  X.gradientStd = a.gradientStd;
  X.weightStd = a.weightStd;
  X.loss = a.loss;
  X.state = a.state;
  X.analyses++;

  $('std-chart').innerHTML = lineChartSvg([
    { values: a.activationStd, color: COLOR_A },
    { values: a.gradientStd, color: COLOR_B },
  ], { log: true, xStart: 1, xLabel: 'layer', yLabel: 'std', width: 760, height: 170 });
  const first = a.activationStd[0], lastHidden = a.activationStd[Math.max(0, a.activationStd.length - 2)];
  $('summary').textContent = `${a.layers.length} weight layers on ${a.device}; cross-entropy on ${a.config.batch} digits = ${fmt(a.loss)}; `
    + `activation std layer 1 → ${a.layers.length > 1 ? a.layers.length - 1 : 1}: ${fmt(first)} → ${fmt(lastHidden)}`
    + ` (×${fmt(lastHidden / first)}); measured in ${a.ms.toFixed(0)} ms`;

  const rows = [`<div class="layer head-row"><div>layer</div><div>weights</div><div>activations</div><div>weight gradients</div></div>`];
  for (const l of a.layers) {
    const cap = (h: { std: number; mean: number } | null) => (h ? `mean ${fmt(h.mean)} · std ${fmt(h.std)}` : 'frozen: no gradient');
    rows.push(`<div class="layer" data-layer="${l.name}"><div class="name">${l.name}<small>${l.kind}</small></div>`
      + `<figure class="hist" style="margin:0">${histogramSvg(l.weight, COLOR_W)}<figcaption>${cap(l.weight)}</figcaption></figure>`
      + `<figure class="hist" style="margin:0">${histogramSvg(l.activation, COLOR_A)}<figcaption>${cap(l.activation)}</figcaption></figure>`
      + `<figure class="hist" style="margin:0">${histogramSvg(l.gradient, COLOR_B, { empty: 'frozen' })}<figcaption>${cap(l.gradient)}</figcaption></figure></div>`);
  }
  $('layers').innerHTML = rows.join('');

  renderState(a.state);
  $('freeze').innerHTML = '<span class="muted">freeze:</span>' + a.freezable.map((f) =>
    `<label class="check"><input type="checkbox" data-module="${f.name}"${f.frozen ? ' checked' : ''}> ${f.name}</label>`).join('');
  $('repr').textContent = a.repr;
  $('init-report').textContent = a.initReport;
}

function renderState(rows: StateRow[]): void {
  const hasDelta = rows.some((r) => r.delta !== undefined);
  const head = ['name', 'kind', 'shape', 'dtype', 'requires grad', 'persistent', 'device', 'bytes'].map((h) => `<th${h === 'bytes' ? ' class="num"' : ''}>${h}</th>`).join('')
    + (hasDelta ? '<th class="num">max |Δ| after step</th>' : '');
  const body = rows.map((r) => `<tr data-name="${r.name}"><td>${r.name}</td><td>${r.kind}</td><td>[${r.shape.join(', ')}]</td><td>${r.dtype}</td>`
    + `<td class="${r.trainable ? 'trainable' : 'frozen'}">${r.kind === 'buffer' ? '—' : r.trainable ? 'trainable' : 'frozen'}</td>`
    + `<td>${r.persistent ? 'yes (saved)' : 'no (not saved)'}</td><td>${r.device}</td><td class="num">${r.bytes.toLocaleString('en-US')}</td>`
    + (hasDelta ? `<td class="num">${r.delta === undefined ? '—' : r.delta === 0 ? '0 (skipped)' : fmt(r.delta)}</td>` : '') + '</tr>').join('');
  const total = rows.reduce((s, r) => s + r.bytes, 0);
  $('state').innerHTML = `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`
    + `<p class="muted" style="margin:4px 0">${rows.filter((r) => r.kind === 'parameter').length} parameters, ${rows.filter((r) => r.kind === 'buffer').length} buffers, ${total.toLocaleString('en-US')} bytes</p>`;
}

function renderLoss(): void {
  const [a, b] = X.train.losses;
  $('loss-chart').innerHTML = lineChartSvg([
    { values: a, color: COLOR_A, width: 0.8 }, { values: b, color: COLOR_B, width: 0.8 },
    { values: ema(a), color: COLOR_A, dashed: true, width: 2 }, { values: ema(b), color: COLOR_B, dashed: true, width: 2 },
  ], { xLabel: 'step', yLabel: 'loss', width: 420, height: 190 });
}

function renderLoadReport(r: LoadReport): void {
  const list = (title: string, items: string[], cls: string) =>
    `<div><b>${title}</b> (${items.length})${items.length ? `<ul class="${cls}" data-list="${title}">${items.map((i) => `<li>${i}</li>`).join('')}</ul>` : ''}</div>`;
  $('load-report').innerHTML = `<p style="margin:6px 0 2px"><b>${r.file}</b> · ${r.format}</p>`
    + list('loaded', r.loaded, 'ok') + list('missing', r.missing, 'bad') + list('unexpected', r.unexpected, 'bad')
    + list('mismatched', r.mismatched.map((m) => `${m.key}: expected [${m.expected.join(', ')}], file has [${m.got.join(', ')}]`), 'bad');
}

// ---- actions ----
let inFlight: Promise<unknown> | null = null;
/** Run one worker op at a time from the UI; keeps X.busy and the status line in step. */
async function run<T>(label: string, f: () => Promise<T>): Promise<T | undefined> {
  while (inFlight) await inFlight.catch(() => undefined);
  X.busy = true;
  setStatus('busy', label);
  const p = f();
  inFlight = p;
  try {
    const v = await p;
    X.error = null;
    setStatus('ready', `ready · ${X.device || 'cpu'}`);
    return v;
  } catch (e) {
    setStatus('error', (e as Error).message);
    return undefined;
  } finally {
    inFlight = null;
    X.busy = false;
  }
}

let applyQueued = false;
async function apply(): Promise<void> {
  if (applyQueued) return;
  applyQueued = true;
  await run('measuring…', async () => {
    applyQueued = false;
    renderAnalysis(await call<Analysis>({ op: 'analyze', config: readConfig() }));
  });
}

async function train(): Promise<void> {
  const a = readConfig();
  const bSpec = readSpec('b');
  const b: Config = { ...a, init: { linear: bSpec, conv: bSpec } };
  const steps = intOf('steps', 1, 5000, 300);
  const lr = Number($<HTMLInputElement>('lr').value) || 0.01;
  X.train = { running: true, runs: X.train.runs, steps: 0, losses: [[], []], ms: 0 };
  renderLoss();
  $<HTMLButtonElement>('train').disabled = true;
  $<HTMLButtonElement>('stop').disabled = false;
  let drawPending = false;
  const r = await run(`training ${steps} steps…`, () => call<TrainResult>({
    op: 'train',
    train: { configs: [a, b], steps, lr, optimizer: $<HTMLSelectElement>('optimizer').value as 'sgd' | 'adam', batch: intOf('train-batch', 1, 2000, 64) },
  }, (p) => {
    X.train.losses[p.run][p.step] = p.loss;
    X.train.steps = Math.max(X.train.steps, p.step + 1);
    $('train-status').textContent = `step ${p.step + 1}/${steps} · A ${fmt(X.train.losses[0][p.step])} · B ${fmt(X.train.losses[1][p.step] ?? NaN)}`;
    if (!drawPending) { drawPending = true; requestAnimationFrame(() => { drawPending = false; renderLoss(); }); }
  }));
  if (r) {
    X.train.losses = r.losses;
    X.train.steps = r.steps;
    X.train.ms = r.ms;
    const last = (v: number[]) => ema(v).at(-1) ?? NaN;
    $('train-status').textContent = `${r.stopped ? 'stopped after' : 'done:'} ${r.steps} steps in ${(r.ms / 1000).toFixed(1)} s · final loss (avg) A ${fmt(last(r.losses[0]))} · B ${fmt(last(r.losses[1]))}`;
  }
  X.train.running = false;
  X.train.runs++;
  renderLoss();
  $<HTMLButtonElement>('train').disabled = false;
  $<HTMLButtonElement>('stop').disabled = true;
}

function stepResult(r: StepResult | undefined): void {
  if (!r) return;
  X.deltas = r.deltas;
  renderAnalysis(r.analysis);
}

async function download(): Promise<void> {
  const bytes = await run('saving…', () => call<Uint8Array>({ op: 'save' }));
  if (!bytes) return;
  X.lastDownloadBytes = bytes.length;
  const c = X.config;
  const name = c ? (c.model === 'mlp' ? `torchlet-mlp-${c.depth}x${c.width}-${c.activation}.safetensors` : `torchlet-cnn-${c.activation}.safetensors`) : 'torchlet-model.safetensors';
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }));
  const a = document.createElement('a');
  a.href = url; a.download = name;
  document.body.appendChild(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

async function upload(file: File): Promise<void> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const r = await run(`loading ${file.name}…`, () => call<LoadResult>({ op: 'load', bytes, name: file.name }));
  if (!r) { $('load-report').innerHTML = `<p class="report bad">${X.error ?? 'load failed'}</p>`; return; }
  X.loadReport = r.report;
  renderLoadReport(r.report);
  renderAnalysis(r.analysis);
}

// ---- wiring ----
const DEFAULT_SPEC: InitSpec = { scheme: 'default', mode: 'fan_in', nonlinearity: 'relu', std: 0.01 };
buildInitFieldset('linear', DEFAULT_SPEC);
buildInitFieldset('conv', DEFAULT_SPEC);
buildInitFieldset('b', { ...DEFAULT_SPEC, scheme: 'normal', std: 0.01 });

// Controls can be preset from the address: ?model=mlp&depth=20&linear-scheme=kaiming_normal&auto=0
for (const [k, v] of new URLSearchParams(location.search)) {
  const el = document.getElementById(k);
  if (el instanceof HTMLInputElement && el.type === 'checkbox') el.checked = v !== '0' && v !== 'false';
  else if (el instanceof HTMLInputElement || el instanceof HTMLSelectElement) {
    el.value = v;
    el.dispatchEvent(new Event('change'));
  }
}

const form = $<HTMLFormElement>('config');
form.addEventListener('submit', (e) => { e.preventDefault(); void apply(); });
form.addEventListener('change', () => { if ($<HTMLInputElement>('auto').checked) void apply(); });
const syncModel = () => {
  const mlp = $<HTMLSelectElement>('model').value === 'mlp';
  for (const id of ['depth', 'width']) $(id).closest('label')!.style.opacity = mlp ? '1' : '.4';
};
$('model').addEventListener('change', syncModel);
syncModel();
$('train').addEventListener('click', () => { void train(); });
$('stop').addEventListener('click', () => { void call({ op: 'stop' }); });
$('step').addEventListener('click', () => { void run('optimizer step…', () => call<StepResult>({ op: 'step', lr: Number($<HTMLInputElement>('step-lr').value) || 0.01 })).then(stepResult); });
$('freeze').addEventListener('change', (e) => {
  const box = e.target as HTMLInputElement;
  if (!box.dataset.module) return;
  void run(`${box.checked ? 'freezing' : 'unfreezing'} ${box.dataset.module}…`, () => call<StepResult>({
    op: 'freeze', module: box.dataset.module!, frozen: box.checked, lr: Number($<HTMLInputElement>('step-lr').value) || 0.01,
  })).then(stepResult);
});
$('download').addEventListener('click', () => { void download(); });
$('upload').addEventListener('change', () => {
  const f = $<HTMLInputElement>('upload').files?.[0];
  if (f) void upload(f).finally(() => { $<HTMLInputElement>('upload').value = ''; });
});

renderLoss();
void apply().finally(() => { X.ready = true; });
