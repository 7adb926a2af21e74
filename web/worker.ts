/**
 * @file The explorer's Web Worker: holds the current model and does all tensor work (analysis, training,
 * freezing + optimizer step, save/load), so the page stays responsive and the WebAssembly kernels may block.
 * Requests are answered in order; 'stop' is handled at once (it ends a training run).
 */
import * as torch from '../src/index.js';
import { setup } from '../src/setup.js';
import { buildNet, describeLayer, probes, type DeepMLP, type Net } from './models.js';
import { mlpTheoryStd } from './theory.js';
import type {
  Analysis, Config, Histogram, LayerStats, LoadReport, LoadResult, Managed, ManagedRow, Reply, Request, StateRow, StepResult, TrainRequest,
  TrainResult, TryRawResult,
} from './protocol.js';

const { nn, optim } = torch;
const F = nn.functional;
setup(); // the worker is the explorer's entry point (the page itself does no tensor work)

const BINS = 40;
let digits: { n: number; x: Float32Array; y: Int32Array } | null = null;
let device: 'cpu' | 'webgpu' = 'cpu';
let deviceNote = '';
let gpuTried = false;
/** 'SwiftShader' etc. when the WebGPU adapter is a software one (slower than the CPU kernels), else null. */
let softwareAdapter: string | null = null;
let model: Net | null = null;
let config: Config | null = null;
let stopRequested = false;

const post = (m: Reply, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);

async function loadDigits(): Promise<NonNullable<typeof digits>> {
  if (digits) return digits;
  const res = await fetch(new URL('./digits.bin', import.meta.url));
  if (!res.ok) throw new Error(`digits.bin: HTTP ${res.status}`);
  const buf = new Uint8Array(await res.arrayBuffer());
  const dv = new DataView(buf.buffer);
  const n = dv.getUint32(4, true), px = dv.getUint32(8, true);
  const y = Int32Array.from(buf.subarray(12, 12 + n));
  const x = new Float32Array(n * px);
  const pix = buf.subarray(12 + n, 12 + n + n * px);
  for (let i = 0; i < x.length; i++) x[i] = pix[i] / 255;
  digits = { n, x, y };
  return digits;
}

/** Digits idx → [B, 1, 28, 28] images in [0, 1] and int64 labels, on the current device. */
function batchOf(d: NonNullable<typeof digits>, idx: ArrayLike<number>): [torch.Tensor, torch.Tensor] {
  const b = idx.length;
  const x = new Float32Array(b * 784);
  const y = new Float64Array(b);
  for (let i = 0; i < b; i++) { x.set(d.x.subarray(idx[i] * 784, idx[i] * 784 + 784), i * 784); y[i] = d.y[idx[i]]; }
  return [torch.tensor(x).reshape([b, 1, 28, 28]).to(device), torch.tensor(y, { dtype: 'int64' }).to(device)];
}

async function pickDevice(want: Config['device']): Promise<void> {
  if (want === 'cpu') { device = 'cpu'; deviceNote = 'chosen'; return; }
  if (!gpuTried) {
    gpuTried = true;
    const nav = (self as unknown as { navigator?: { gpu?: unknown } }).navigator;
    if (nav?.gpu) {
      try {
        const info = await torch.webgpu.init();
        const desc = `${info.vendor} ${info.architecture} ${info.description} ${info.name}`;
        softwareAdapter = info.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe|software/i.test(desc)
          ? (/swiftshader/i.test(desc) ? 'SwiftShader' : (info.description || info.name || 'software')) : null;
      } catch { /* no adapter: stay on the CPU */ }
    }
  }
  const gpu = torch.webgpu.isAvailable();
  if (want === 'webgpu') {
    if (!gpu) throw new Error('device webgpu: this browser has no WebGPU adapter (navigator.gpu is missing or gave none); choose auto or cpu');
    device = 'webgpu';
    deviceNote = softwareAdapter ? `software adapter (${softwareAdapter}): runs on the CPU, slower than the cpu device` : 'hardware adapter';
  } else if (gpu && !softwareAdapter) {
    device = 'webgpu'; deviceNote = 'auto: a hardware WebGPU adapter';
  } else {
    device = 'cpu';
    deviceNote = gpu ? `auto: the only WebGPU adapter is software (${softwareAdapter}), slower than the CPU kernels; choose webgpu to use it anyway`
      : 'auto: no WebGPU adapter in this browser';
  }
}

function histogram(v: ArrayLike<number>): Histogram {
  let lo = Infinity, hi = -Infinity, s = 0, n = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (!Number.isFinite(x)) continue;
    if (x < lo) lo = x;
    if (x > hi) hi = x;
    s += x; n++;
  }
  const counts = new Array<number>(BINS).fill(0);
  if (n === 0) return { lo: 0, hi: 0, counts, n: 0, mean: NaN, std: NaN };
  const mean = s / n;
  let ss = 0;
  for (let i = 0; i < v.length; i++) { const x = v[i]; if (Number.isFinite(x)) ss += (x - mean) * (x - mean); }
  const std = n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
  if (hi === lo) { counts[Math.floor(BINS / 2)] = n; return { lo: lo - 0.5 * (Math.abs(lo) || 1), hi: hi + 0.5 * (Math.abs(hi) || 1), counts, n, mean, std }; }
  const w = (hi - lo) / BINS;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (!Number.isFinite(x)) continue;
    counts[Math.min(BINS - 1, Math.floor((x - lo) / w))]++;
  }
  return { lo, hi, counts, n, mean, std };
}

function stateRows(net: Net, deltas?: Record<string, number>): StateRow[] {
  const rows: StateRow[] = [];
  for (const [name, p] of net.namedParameters()) {
    rows.push({ name, kind: 'parameter', shape: [...p.shape], dtype: p.dtype, trainable: p.requiresGrad, persistent: true, device: p.device, bytes: p.nbytes(), delta: deltas?.[name] });
  }
  const persistentKeys = new Set(net.stateDict().keys());
  for (const [name, b] of net.namedBuffers()) {
    rows.push({ name, kind: 'buffer', shape: [...b.shape], dtype: b.dtype, trainable: false, persistent: persistentKeys.has(name), device: b.device, bytes: b.nbytes(), delta: deltas?.[name] });
  }
  return rows;
}

/** Plain (non-tensor) attribute values of each module: what `.to()`, the optimizer and stateDict() never see. */
function plainValues(net: Net): [string, string][] {
  const out: [string, string][] = [];
  for (const [prefix, m] of net.namedModules()) {
    for (const [k, v] of Object.entries(m)) {
      if (k.startsWith('_') || k === 'training') continue;
      if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') out.push([prefix ? `${prefix}.${k}` : k, String(v)]);
    }
  }
  return out;
}

/**
 * The four columns, each measured on the library: the optimizer's view is `net.parameters()`; `.to()` is run on a
 * structurally identical copy moved to the 'meta' device; "in the graph" means backward reached the tensor (it has
 * a .grad after analyze()'s backward); "saved" is membership in `net.stateDict()`.
 */
function managedPanel(net: Net, c: Config, graph: { bytes: number; nodes: number }): Managed {
  const params = new Set(net.parameters());
  const sd = net.stateDict();
  const copy = buildNet(c);
  const copyPlain = new Map(plainValues(copy));
  copy.to('meta');
  const movedNames = new Set<string>();
  for (const [k, t] of [...copy.namedParameters(), ...copy.namedBuffers()]) if (t.device === 'meta') movedNames.add(k);
  const afterPlain = new Map(plainValues(copy));
  const rows: ManagedRow[] = [];
  for (const [name, p] of net.namedParameters()) {
    rows.push({ name, kind: 'parameter', what: `[${p.shape.join(', ')}] ${p.dtype}`, optimizer: params.has(p), moved: movedNames.has(name),
      graph: p.grad !== null && p.grad !== undefined, saved: sd.has(name), frozen: !p.requiresGrad });
  }
  for (const [name, b] of net.namedBuffers()) {
    rows.push({ name, kind: sd.has(name) ? 'buffer' : 'buffer (non-persistent)', what: `[${b.shape.join(', ')}] ${b.dtype}`,
      optimizer: params.has(b), moved: movedNames.has(name), graph: b.grad !== null && b.grad !== undefined, saved: sd.has(name) });
  }
  for (const [name, v] of plainValues(net)) {
    rows.push({ name, kind: 'plain value', what: v, optimizer: false, moved: copyPlain.get(name) !== afterPlain.get(name), graph: false, saved: sd.has(name) });
  }
  const ps = net.parameters();
  return {
    rows, graphBytes: graph.bytes, graphNodes: graph.nodes,
    paramBytes: ps.reduce((a, p) => a + p.nbytes(), 0), trainableParamBytes: ps.filter((p) => p.requiresGrad).reduce((a, p) => a + p.nbytes(), 0),
  };
}

/** Forward a batch of digits with hooks on each layer's activation, backward the cross-entropy, measure. */
async function analyze(net: Net, c: Config, initReport: string): Promise<Analysis> {
  const t0 = performance.now();
  const d = await loadDigits();
  const b = Math.max(1, Math.min(c.batch, d.n));
  const [x, y] = batchOf(d, Array.from({ length: b }, (_, i) => i));
  const ps = probes(net);
  const acts = new Map<torch.nn.Module, torch.Tensor>();
  const handles = ps.map((p) => p.out.registerForwardHook((m, _args, out) => { acts.set(m, (out as torch.Tensor).detach()); }));
  net.train();
  net.zeroGrad({ setToNone: true });
  let lossValue = NaN;
  let graph = { bytes: 0, nodes: 0 };
  try {
    const logits = net.call(x);
    const loss = F.crossEntropy(logits, y);
    graph = nn.utils.graphMemory(loss);
    lossValue = (await loss.data())[0];
    if (loss.requiresGrad) loss.backward();
  } finally {
    for (const h of handles) h.remove();
  }
  const layers: LayerStats[] = [];
  for (const p of ps) {
    const w = await p.layer.weight.data();
    const a = acts.get(p.out);
    const g = p.layer.weight.grad;
    layers.push({
      name: p.name, kind: describeLayer(p.layer),
      weight: histogram(w),
      activation: a ? histogram(await a.data()) : histogram([]),
      gradient: g ? histogram(await g.data()) : null,
    });
  }
  let theoryStd: number[] | null = null;
  if (c.model === 'mlp') {
    // the normalized input's mean square, as the first layer sees it
    const xin = await (net as DeepMLP).norm.call(x).data();
    let m2 = 0;
    for (let i = 0; i < xin.length; i++) m2 += xin[i] * xin[i];
    theoryStd = mlpTheoryStd(c.depth, c.width, c.activation, c.init.linear, m2 / xin.length);
  }
  const frozenOf = (m: torch.nn.Module) => m.parameters().length > 0 && m.parameters().every((q) => !q.requiresGrad);
  return {
    config: c,
    layers,
    activationStd: layers.map((l) => l.activation.std),
    gradientStd: layers.map((l) => (l.gradient ? l.gradient.std : NaN)),
    weightStd: layers.map((l) => l.weight.std),
    loss: lossValue,
    state: stateRows(net),
    freezable: ps.map((p) => ({ name: p.name, frozen: frozenOf(p.layer) })),
    repr: String(net),
    initReport,
    device: device === 'cpu' ? `cpu (${torch.backends.info().cpu.kernels}, ${torch.getNumThreads()} thread${torch.getNumThreads() > 1 ? 's' : ''})`
      : softwareAdapter ? `webgpu (software: ${softwareAdapter})` : device,
    deviceNote,
    theoryStd,
    managed: managedPanel(net, c, graph),
    ms: performance.now() - t0,
  };
}

let lastInitReport = '';

/** nn.init.report of the net; on the GPU (whose reads are asynchronous) of CPU copies, which carry no init record. */
async function initReport(net: Net): Promise<string> {
  const params = net.namedParameters();
  if (params.every(([, p]) => p.device === 'cpu')) return String(nn.init.report(net));
  const copies: [string, torch.Tensor][] = [];
  for (const [k, p] of params) copies.push([k, await p.detach().toAsync('cpu')]);
  return String(nn.init.report({ namedParameters: () => copies })) + '\n(measured on CPU copies of the webgpu parameters: init records stay with the originals)';
}

async function opAnalyze(c: Config): Promise<Analysis> {
  await pickDevice(c.device);
  const net = buildNet(c);
  lastInitReport = String(nn.init.report(net));
  net.to(device);
  model = net; config = c;
  return analyze(net, c, lastInitReport);
}

function current(): { net: Net; c: Config } {
  if (!model || !config) throw new Error('no model yet: apply a configuration first');
  return { net: model, c: config };
}

/** One SGD step on a digits batch over all parameters (frozen ones have no grad: the optimizer skips them). */
async function opStep(lr: number): Promise<StepResult> {
  const { net, c } = current();
  const d = await loadDigits();
  const before = new Map<string, Float32Array | Float64Array>();
  for (const [k, p] of net.namedParameters()) before.set(k, Float64Array.from(await p.data()));
  const opt = new optim.SGD(net.parameters(), { lr });
  net.train();
  opt.zeroGrad();
  const [x, y] = batchOf(d, Array.from({ length: Math.min(c.batch, d.n) }, (_, i) => i));
  const loss = F.crossEntropy(net.call(x), y);
  if (loss.requiresGrad) loss.backward();
  opt.step();
  const deltas: Record<string, number> = {};
  for (const [k, p] of net.namedParameters()) {
    const a = before.get(k)!, now = await p.data();
    let m = 0;
    for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(now[i] - a[i]));
    deltas[k] = m;
  }
  const analysis = await analyze(net, c, lastInitReport);
  analysis.state = stateRows(net, deltas);
  return { analysis, deltas };
}

/** Freezing only flips requiresGrad (no optimizer step): the page re-measures; "one SGD step" shows the skip. */
async function opFreeze(module: string, frozen: boolean): Promise<StepResult> {
  const { net, c } = current();
  net.getSubmodule(module).requiresGrad_(!frozen);
  return { analysis: await analyze(net, c, lastInitReport), deltas: null };
}

/** The "try it" row: assign a raw tensor to a module attribute, and report what torchlet says. */
function opTryRaw(): TryRawResult {
  const { net } = current();
  const code = 'model.scratch = torch.ones([3])';
  try {
    (net as unknown as Record<string, unknown>).scratch = torch.ones([3]);
  } catch (e) {
    return { code, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
  delete (net as unknown as Record<string, unknown>).scratch;
  return { code, error: null };
}

async function opSave(): Promise<Uint8Array> {
  const { net } = current();
  const sd = new Map<string, torch.Tensor>();
  for (const [k, t] of net.stateDict()) sd.set(k, t.device === 'cpu' ? t : await t.toAsync('cpu'));
  return torch.saveBytes(sd, { format: 'safetensors', metadata: { producer: 'torchlet explorer', config: JSON.stringify(config) } });
}

function asStateDict(obj: unknown): Map<string, unknown> {
  const isTensorMap = (m: Map<unknown, unknown>) => [...m.values()].some((v) => v instanceof torch.Tensor);
  let cur: unknown = obj;
  for (let depth = 0; depth < 3; depth++) {
    const m = cur instanceof Map ? cur as Map<unknown, unknown>
      : cur && typeof cur === 'object' && !(cur instanceof torch.Tensor) ? new Map<unknown, unknown>(Object.entries(cur)) : null;
    if (!m) break;
    if (isTensorMap(m)) return new Map([...m].map(([k, v]) => [String(k), v]));
    const inner = ['model', 'state_dict', 'model_state_dict', 'stateDict'].map((k) => m.get(k)).find((v) => v !== undefined);
    if (inner === undefined) break;
    cur = inner;
  }
  throw new Error('this file holds no state dict (a map of named tensors, or a checkpoint with a "model"/"state_dict" entry)');
}

async function opLoad(bytes: Uint8Array, name: string): Promise<LoadResult> {
  const { net, c } = current();
  const obj = torch.loadBytes(bytes, { name });
  const sd = asStateDict(obj);
  const own = net.stateDict();
  const mismatched: LoadReport['mismatched'] = [];
  const filtered = new Map<string, unknown>();
  for (const [k, v] of sd) {
    const mine = own.get(k);
    if (mine && v instanceof torch.Tensor && (v.shape.length !== mine.shape.length || v.shape.some((s, i) => s !== mine.shape[i]))) {
      mismatched.push({ key: k, expected: [...mine.shape], got: [...v.shape] });
      continue;
    }
    filtered.set(k, v instanceof torch.Tensor && v.device !== device ? v.to(device) : v);
  }
  const r = net.loadStateDict(filtered, { strict: false });
  const mismatchedKeys = new Set(mismatched.map((m) => m.key));
  const unexpected = new Set(r.unexpectedKeys);
  const report: LoadReport = {
    file: name,
    format: bytes[0] === 0x50 && bytes[1] === 0x4b ? 'torch.save (.pt zip)' : 'safetensors',
    loaded: [...filtered.keys()].filter((k) => !unexpected.has(k)),
    missing: r.missingKeys.filter((k) => !mismatchedKeys.has(k)),
    unexpected: r.unexpectedKeys,
    mismatched,
  };
  lastInitReport = await initReport(net);
  return { report, analysis: await analyze(net, c, lastInitReport) };
}

async function opTrain(t: TrainRequest): Promise<TrainResult> {
  const t0 = performance.now();
  stopRequested = false;
  await pickDevice(t.configs[0].device);
  const d = await loadDigits();
  const runs = t.configs.map((c) => {
    const net = buildNet(c);
    net.to(device).train();
    const params = net.parameters();
    const opt = t.optimizer === 'adam' ? new optim.Adam(params, { lr: t.lr }) : new optim.SGD(params, { lr: t.lr, momentum: 0.9 });
    return { net, opt };
  });
  // Both runs see the same batches: a fixed shuffled order (a generator of its own, seeded from A's seed).
  const gen = new torch.Generator().manualSeed(t.configs[0].seed + 12345);
  let order = Array.from(await torch.randperm(d.n, { generator: gen }).data(), Number);
  let pos = 0;
  const losses: [number[], number[]] = [[], []];
  let step = 0, computeMs = 0;
  const tLoop = performance.now();
  for (; step < t.steps && !stopRequested; step++) {
    if (pos + t.batch > d.n) { order = Array.from(await torch.randperm(d.n, { generator: gen }).data(), Number); pos = 0; }
    const idx = order.slice(pos, pos + t.batch);
    pos += t.batch;
    const [x, y] = batchOf(d, idx);
    for (let r = 0 as 0 | 1; r < 2; r = (r + 1) as 0 | 1) {
      const { net, opt } = runs[r];
      const c0 = performance.now();
      opt.zeroGrad();
      const loss = F.crossEntropy(net.call(x), y);
      loss.backward();
      opt.step();
      const v = (await loss.data())[0];
      computeMs += performance.now() - c0;
      losses[r].push(v);
      post({ id: currentId, progress: { run: r, step, loss: v, ms: performance.now() - t0 } });
    }
    // let a 'stop' message in
    if (step % 5 === 4) await new Promise((ok) => setTimeout(ok, 0));
  }
  return { losses, steps: step, ms: performance.now() - t0, loopMs: performance.now() - tLoop, computeMs, stopped: stopRequested };
}

let currentId = 0;

async function handle(id: number, req: Request): Promise<void> {
  currentId = id;
  try {
    let result: unknown;
    const transfer: Transferable[] = [];
    switch (req.op) {
      case 'analyze': result = await opAnalyze(req.config); break;
      case 'train': result = await opTrain(req.train); break;
      case 'freeze': result = await opFreeze(req.module, req.frozen); break;
      case 'tryRaw': result = opTryRaw(); break;
      case 'step': result = await opStep(req.lr); break;
      case 'save': { const b = await opSave(); transfer.push(b.buffer as ArrayBuffer); result = b; break; }
      case 'load': result = await opLoad(req.bytes, req.name); break;
      default: throw new Error(`unknown request ${JSON.stringify(req)}`);
    }
    post({ id, ok: true, result }, transfer);
  } catch (e) {
    post({ id, ok: false, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  }
}

let chain: Promise<void> = Promise.resolve();
self.onmessage = (e: MessageEvent<{ id: number; req: Request }>) => {
  const { id, req } = e.data;
  if (req.op === 'stop') { stopRequested = true; post({ id, ok: true, result: null }); return; }
  chain = chain.then(() => handle(id, req));
};
