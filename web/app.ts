/**
 * @file The explorer page's UI: reads the controls, asks the worker (worker.ts) for the numbers, draws them
 * (plots.ts), and mirrors every figure in `window.__explorer` for scripts and tests.
 */
import { ema, fmt, histogramSvg, lineChartSvg } from './plots.js';
import { managedHtml } from './panel.js';
import type {
  Analysis, Config, Histogram, InitSpec, LoadReport, LoadResult, Managed, Progress, Reply, Request, Scheme, StateRow, StepResult, TrainResult,
  TryRawResult,
} from './protocol.js';

/** What the page exposes for scripts and tests. */
export interface ExplorerState {
  ready: boolean;
  busy: boolean;
  /** completed analyses (any op that re-measured the model) */
  analyses: number;
  error: string | null;
  device: string;
  /** why this device (e.g. auto passing over a software WebGPU adapter) */
  deviceNote: string;
  config: Config | null;
  layerNames: string[];
  activationStd: number[];
  gradientStd: number[];
  weightStd: number[];
  /** the activation std the theory predicts (MLP), null for the CNN */
  theoryStd: number[] | null;
  loss: number;
  state: StateRow[];
  managed: Managed | null;
  tryRaw: TryRawResult | null;
  /** String(model) in the worker (the bundled library) */
  repr: string;
  deltas: Record<string, number> | null;
  train: { running: boolean; runs: number; steps: number; losses: [number[], number[]]; ms: number; labels: [string, string]; computeMs?: number; loopMs?: number };
  loadReport: LoadReport | null;
  lastDownloadBytes: number;
}

declare global { interface Window { __explorer: ExplorerState } }

const X: ExplorerState = {
  ready: false, busy: false, analyses: 0, error: null, device: '', deviceNote: '', config: null, layerNames: [],
  activationStd: [], gradientStd: [], weightStd: [], theoryStd: null, loss: NaN, state: [], managed: null, tryRaw: null, repr: '', deltas: null,
  train: { running: false, runs: 0, steps: 0, losses: [[], []], ms: 0, labels: ['A', 'B'] }, loadReport: null, lastDownloadBytes: 0,
};
window.__explorer = X;

const $ = <T extends HTMLElement = HTMLElement>(id: string) => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing from the page`);
  return el as T;
};
const COLOR_A = '#2f6fdf', COLOR_B = '#c2410c', COLOR_W = '#6741d9', COLOR_T = '#1d2330';

// ---- worker RPC ----
const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
let nextId = 1;
const pending = new Map<number, { ok(v: unknown): void; fail(e: Error): void; progress?(p: Progress): void }>();
worker.onmessage = (e: MessageEvent<Reply>) => {
  const m = e.data;
  const p = pending.get(m.id);
  if (!p) return;
  if ('progress' in m) { p.progress?.(m.progress); return; }
  pending.delete(m.id);
  if (m.ok) p.ok(m.result); else p.fail(new Error(m.error));
};
worker.onerror = (e) => setStatus('error', `worker failed: ${e.message}`);
function call<T>(req: Request, progress?: (p: Progress) => void): Promise<T> {
  const id = nextId++;
  return new Promise<T>((ok, fail) => {
    pending.set(id, { ok: ok, fail, progress });
    worker.postMessage({ id, req }, req.op === 'load' ? [req.bytes.buffer as ArrayBuffer] : []);
  });
}

/** The one-line status in the header (cut short); an error's full text goes to the box under the header. */
function setStatus(state: 'busy' | 'ready' | 'error', text: string): void {
  const s = $('status');
  s.dataset.state = state;
  s.textContent = state === 'error' ? 'error (details below the header)' : text;
  s.title = text;
  const box = $('error');
  if (state === 'error') { X.error = text; box.textContent = text; box.hidden = false; } else if (state === 'busy') { X.error = null; box.hidden = true; }
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

/** 'kaiming normal (fan_in, relu)', 'N(0, 0.01)', 'PyTorch default' */
function describeSpec(s: InitSpec): string {
  if (s.scheme === 'normal') return `N(0, ${s.std})`;
  const name = SCHEMES.find(([v]) => v === s.scheme)?.[1] ?? s.scheme;
  return s.scheme.startsWith('kaiming') ? `${name} (${s.mode}, ${s.nonlinearity})` : name;
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
    width: intOf('width', 2, 1024, 64),
    activation: $<HTMLSelectElement>('activation').value as Config['activation'],
    init: { linear: readSpec('linear'), conv: readSpec('conv') },
    seed: intOf('seed', 0, 2 ** 31 - 1, 0),
    batch: intOf('batch', 8, 2000, 256),
    device: $<HTMLSelectElement>('device').value as Config['device'],
  };
}

// ---- rendering ----
let last: Analysis | null = null;
/** The architecture the loss chart belongs to: a new one clears it. */
let lossArch = '';
const archOf = (c: Config) => (c.model === 'mlp' ? `mlp ${c.depth}x${c.width} ${c.activation}` : `cnn ${c.activation}`);

function renderAnalysis(a: Analysis): void {
  last = a;
  X.config = a.config;
  X.device = a.device;
  X.deviceNote = a.deviceNote;
  X.layerNames = a.layers.map((l) => l.name);
  X.activationStd = a.activationStd;
  X.gradientStd = a.gradientStd;
  X.weightStd = a.weightStd;
  X.theoryStd = a.theoryStd;
  X.loss = a.loss;
  X.state = a.state;
  X.managed = a.managed;
  X.repr = a.repr;
  X.analyses++;
  if (lossArch && lossArch !== archOf(a.config) && !X.train.running) clearLoss();

  drawStd(a);
  const scheme = describeSpec(a.config.model === 'mlp' ? a.config.init.linear : a.config.init.conv);
  const allZero = a.activationStd.every((v) => v === 0);
  const first = a.activationStd[0], lastHidden = a.activationStd[Math.max(0, a.activationStd.length - 2)];
  const ratio = first > 0 && Number.isFinite(first) ? ` (×${fmt(lastHidden / first)})` : allZero ? ' (all zero: the weights are zero)' : '';
  const theory = a.theoryStd ? `; theory ${fmt(a.theoryStd[0])} → ${fmt(a.theoryStd[Math.max(0, a.theoryStd.length - 2)])}` : '; no theory line for the CNN (BatchNorm re-normalizes each layer)';
  $('summary').textContent = `${scheme} · ${a.layers.length} weight layers on ${a.device}${a.deviceNote ? ` (${a.deviceNote})` : ''}; cross-entropy on ${a.config.batch} digits = ${fmt(a.loss)}; `
    + `activation std layer 1 → ${a.layers.length > 1 ? a.layers.length - 1 : 1}: ${fmt(first)} → ${fmt(lastHidden)}${ratio}${theory}; measured in ${a.ms.toFixed(0)} ms`;

  renderLayers(a);
  renderState(a.state, a.managed);
  $('freeze').innerHTML = '<span class="muted">freeze:</span>' + a.freezable.map((f) =>
    `<label class="check"><input type="checkbox" data-module="${f.name}"${f.frozen ? ' checked' : ''}> ${f.name}</label>`).join('');
  $('repr').textContent = a.repr;
  $('init-report').textContent = a.initReport;
}

function drawStd(a: Analysis): void {
  const scheme = describeSpec(a.config.model === 'mlp' ? a.config.init.linear : a.config.init.conv);
  $('std-chart').innerHTML = lineChartSvg([
    { values: a.activationStd, color: COLOR_A },
    ...(a.theoryStd ? [{ values: a.theoryStd, color: COLOR_T, dashed: true, width: 1.4 }] : []),
    { values: a.gradientStd, color: COLOR_B },
  ], {
    log: true, xStart: 1, xLabel: 'layer (1 = first, last = the output logits)', yLabel: 'std', width: chartWidth('std-chart', 760), height: 200,
    title: `Per-layer std of activations and weight gradients under ${scheme}, log scale`,
    empty: 'every activation and gradient is exactly 0 (std 0, off a log scale): with zero weights nothing flows forward or back',
  });
}

/** The chart's width in CSS pixels (so its 10 px labels stay 10 px), within [300, max]. */
function chartWidth(id: string, max: number): number {
  const w = $(id).clientWidth;
  return w > 0 ? Math.max(300, Math.min(max, Math.round(w))) : max;
}

function renderLayers(a: Analysis): void {
  const shared = $<HTMLInputElement>('shared-x').checked, logCount = $<HTMLInputElement>('log-count').checked;
  const span = (hs: (Histogram | null)[]): [number, number] | undefined => {
    const ok = hs.filter((h): h is Histogram => !!h && h.n > 0);
    if (!shared || ok.length === 0) return undefined;
    return [Math.min(...ok.map((h) => h.lo)), Math.max(...ok.map((h) => h.hi))];
  };
  const ranges = [span(a.layers.map((l) => l.weight)), span(a.layers.map((l) => l.activation)), span(a.layers.map((l) => l.gradient))];
  const rows = [`<div class="layer head-row"><div>layer</div><div>weights</div><div>activations</div><div>weight gradients</div></div>`];
  for (const l of a.layers) {
    const cap = (h: Histogram | null, empty: string) => (h && h.n ? `mean ${fmt(h.mean)} · std ${fmt(h.std)}` : empty);
    const fig = (h: Histogram | null, color: string, what: string, k: number, empty: string) => {
      const title = h && h.n ? `${l.name} ${what}: histogram of ${h.n.toLocaleString('en-US')} values, mean ${fmt(h.mean)}, std ${fmt(h.std)}` : `${l.name} ${what}: ${empty}`;
      return `<figure class="hist" style="margin:0">${histogramSvg(h, color, { title, range: ranges[k], logCount, empty })}<figcaption data-what="${what}">${cap(h, empty)}</figcaption></figure>`;
    };
    rows.push(`<div class="layer" data-layer="${l.name}"><div class="name">${l.name}<small>${l.kind}</small></div>`
      + fig(l.weight, COLOR_W, 'weights', 0, 'no data')
      + fig(l.activation, COLOR_A, 'activations', 1, 'no data')
      + fig(l.gradient, COLOR_B, 'weight gradients', 2, 'frozen: no gradient') + '</div>');
  }
  $('layers').innerHTML = rows.join('');
}

function renderState(rows: StateRow[], m: Managed): void {
  const { table, memory } = managedHtml(rows, m);
  $('state').innerHTML = table;
  $('graph-memory').innerHTML = memory;
}

function clearLoss(): void {
  X.train.losses = [[], []];
  X.train.steps = 0;
  $('train-status').textContent = '';
  $<HTMLProgressElement>('train-progress').value = 0;
  lossArch = '';
  renderLoss();
}

function renderLoss(): void {
  const [a, b] = X.train.losses;
  if (X.train.runs === 0 && !X.train.running) X.train.labels = [describeSpec(readSpec($<HTMLSelectElement>('model').value === 'mlp' ? 'linear' : 'conv')), describeSpec(readSpec('b'))];
  const [la, lb] = X.train.labels;
  $('legend-a').textContent = `A: ${la}`;
  $('legend-b').textContent = `B: ${lb}`;
  $('loss-chart').innerHTML = lineChartSvg([
    { values: a, color: COLOR_A, width: 0.8 }, { values: b, color: COLOR_B, width: 0.8 },
    { values: ema(a), color: COLOR_A, dashed: true, width: 2 }, { values: ema(b), color: COLOR_B, dashed: true, width: 2 },
  ], { xLabel: 'step', yLabel: 'loss', width: chartWidth('loss-chart', 420), height: 200, title: `Training loss per step: A (${la}) and B (${lb})`, empty: 'press train: the losses appear here' });
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
  setBusy(true);
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
    setBusy(false);
  }
}

/** While the worker is busy every control that would start work is disabled (stop stays live during training). */
function setBusy(busy: boolean): void {
  document.querySelectorAll<HTMLFieldSetElement>('fieldset').forEach((f) => { f.disabled = busy; });
  for (const id of ['apply', 'train', 'step', 'download', 'upload', 'try-raw']) $<HTMLButtonElement | HTMLInputElement>(id).disabled = busy;
  document.querySelectorAll<HTMLInputElement>('#freeze input').forEach((i) => { i.disabled = busy; });
  document.querySelector('main')!.setAttribute('aria-busy', String(busy));
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
  const steps = intOf('steps', 1, 5000, 100);
  const lr = Number($<HTMLInputElement>('lr').value) || 0.01;
  X.train = { running: true, runs: X.train.runs, steps: 0, losses: [[], []], ms: 0, labels: [describeSpec(a.model === 'mlp' ? a.init.linear : a.init.conv), describeSpec(bSpec)] };
  lossArch = archOf(a);
  renderLoss();
  const bar = $<HTMLProgressElement>('train-progress');
  bar.value = 0;
  let drawPending = false;
  let latest: Progress | null = null;
  const draw = () => {
    drawPending = false;
    if (!X.train.running || !latest) return;
    const p = latest;
    const done = p.step + (p.run + 1) / 2;
    bar.value = done / steps;
    const left = (p.ms / done) * (steps - done) / 1000;
    $('train-status').textContent = `step ${p.step + 1}/${steps} · ${(p.ms / 1000).toFixed(1)} s · about ${left < 1 ? '<1' : left.toFixed(0)} s left · `
      + `loss A ${fmt(X.train.losses[0][p.step])} · B ${fmt(X.train.losses[1][p.step] ?? NaN)}`;
    renderLoss();
  };
  const r = await run(`training ${steps} steps…`, () => { $<HTMLButtonElement>('stop').disabled = false; return call<TrainResult>({
    op: 'train',
    train: { configs: [a, b], steps, lr, optimizer: $<HTMLSelectElement>('optimizer').value as 'sgd' | 'adam', batch: intOf('train-batch', 1, 2000, 64) },
  }, (p) => {
    X.train.losses[p.run][p.step] = p.loss;
    X.train.steps = Math.max(X.train.steps, p.step + 1);
    latest = p;
    // redraw at most 4 times a second: the page and the worker share the machine's cores
    if (!drawPending) { drawPending = true; setTimeout(draw, 250); }
  }); });
  if (r) {
    X.train.losses = r.losses;
    X.train.steps = r.steps;
    X.train.ms = r.ms;
    X.train.computeMs = r.computeMs;
    X.train.loopMs = r.loopMs;
    const last = (v: number[]) => ema(v).at(-1) ?? NaN;
    $('train-status').textContent = `${r.stopped ? 'stopped after' : 'done:'} ${r.steps} steps in ${(r.ms / 1000).toFixed(1)} s · final loss (moving average) A ${fmt(last(r.losses[0]))} · B ${fmt(last(r.losses[1]))}`;
    bar.value = r.steps / steps;
  }
  X.train.running = false;
  X.train.runs++;
  renderLoss();
  $<HTMLButtonElement>('stop').disabled = true;
}

function stepResult(r: StepResult | undefined): void {
  if (!r) return;
  X.deltas = r.deltas;
  renderAnalysis(r.analysis);
}

async function tryRaw(): Promise<void> {
  const r = await run('trying a raw tensor…', () => call<TryRawResult>({ op: 'tryRaw' }));
  if (!r) return;
  X.tryRaw = r;
  $('try-raw-out').innerHTML = r.error
    ? `<p style="margin:4px 0">torchlet refuses it, at the assignment, and says how to fix it:</p><pre></pre>`
    : '<p>no error (unexpected: a raw tensor should be refused)</p>';
  const pre = $('try-raw-out').querySelector('pre');
  if (pre) pre.textContent = r.error;
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
// defaults that show the point in seconds: kaiming (A) trains a 10-layer ReLU net in 100 steps, N(0, 0.01) (B) cannot
buildInitFieldset('linear', { ...DEFAULT_SPEC, scheme: 'kaiming_normal' });
buildInitFieldset('conv', { ...DEFAULT_SPEC, scheme: 'kaiming_normal' });
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
  $('depth-label').hidden = !mlp;
  $('width-label').hidden = !mlp;
  $('init-conv').hidden = mlp; // the MLP has no Conv2d layer
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
    op: 'freeze', module: box.dataset.module!, frozen: box.checked,
  })).then(stepResult);
});
$('try-raw').addEventListener('click', () => { void tryRaw(); });
for (const id of ['init-b', 'config']) $(id).addEventListener('change', () => { if (X.train.runs === 0 && !X.train.running) renderLoss(); });
for (const id of ['shared-x', 'log-count']) $(id).addEventListener('change', () => { if (last) renderLayers(last); });
$('download').addEventListener('click', () => { void download(); });
$('upload').addEventListener('change', () => {
  const f = $<HTMLInputElement>('upload').files?.[0];
  if (f) void upload(f).finally(() => { $<HTMLInputElement>('upload').value = ''; });
});

renderLoss();
let resizeTimer = 0;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = window.setTimeout(() => { if (last) drawStd(last); renderLoss(); }, 150);
});
void apply().finally(() => { X.ready = true; });
