/**
 * @file Memory made visible: `summary(model, ...inputs)` (in the spirit of torchinfo) lists the module tree, every
 * parameter and buffer (shape, dtype, device, trainable/frozen, persistent or not), counts and bytes of
 * parameters, buffers and gradients, and runs one forward pass with and one without grad to show the bytes the
 * autograd graph keeps alive. `graphMemory(output)` measures that figure by walking the graph: it is
 * deterministic (unique storages referenced by the graph's nodes), not a reading of the garbage collector.
 */
import { Tensor } from '../../tensor/tensor.js';
import type { Node } from '../../autograd/node.js';
import { enableGrad, noGrad } from '../../autograd/grad-mode.js';
import { clone } from '../../ops/movement.js';
import { copy_ } from '../../ops/inplace.js';
import { checkOptions } from '../../core/args.js';
import { Module, type RemovableHandle } from '../module.js';
import { parametrizedTensors, peekParametrized } from './parametrize.js';
import { Parameter } from '../parameter.js';

export interface GraphMemory {
  /** Autograd nodes reachable from the output(s). */
  nodes: number;
  /** Distinct storages the graph keeps alive beyond the parameters (leaves that require grad, and frozen nn.Parameters). */
  storages: number;
  /** Bytes of those storages: activations saved for backward and intermediate tensors held by nodes. */
  bytes: number;
  /** Bytes of storages of parameters (leaves requiring grad, and frozen nn.Parameters) the graph references; alive anyway. */
  leafBytes: number;
}

function storageBytes(t: Tensor): number { return t.storage.size * t.elementSize(); }

/** Tensors found in a forward output: a Tensor, or arrays / plain objects / Maps of them. */
export function tensorsIn(v: unknown, out: Tensor[] = [], depth = 0): Tensor[] {
  if (v instanceof Tensor) out.push(v);
  else if (depth < 4 && Array.isArray(v)) for (const x of v) tensorsIn(x, out, depth + 1);
  else if (depth < 4 && v instanceof Map) for (const x of v.values()) tensorsIn(x, out, depth + 1);
  else if (depth < 4 && v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) tensorsIn(x, out, depth + 1);
  return out;
}

/**
 * Bytes the autograd graph behind `output` keeps alive: walks every node reachable from the output(s) and sums
 * the unique storages of the tensors the nodes saved for backward (`Node.saved`) and of the inputs they hold.
 * Storages of leaves that require grad, of frozen nn.Parameters, and of `opts.parameters` (a model's parameters, whose
 * frozen ones a graph may hold only through views such as w.t()) are reported apart in `leafBytes`: the module keeps
 * them alive anyway.
 */
export function graphMemory(output: unknown, opts: { parameters?: Iterable<Tensor> } = {}): GraphMemory { // a Tensor, an array of them, or any nesting
  const o = checkOptions<{ parameters: Iterable<Tensor> }>('nn.utils.graphMemory', opts, ['parameters']);
  const roots = tensorsIn(output);
  const seenNodes = new Set<Node>();
  const counted = new Set<object>();
  const leafStorages = new Set<object>();
  let bytes = 0, leafBytes = 0, storages = 0;
  const stack: Node[] = [];
  for (const r of roots) if (r.gradFn && !seenNodes.has(r.gradFn)) { seenNodes.add(r.gradFn); stack.push(r.gradFn); }
  const held: Tensor[] = [];
  while (stack.length) {
    const n = stack.pop()!;
    for (const s of n.saved) held.push(s.t);
    n.inputs.forEach((t, i) => {
      if (!t) return;
      held.push(t);
      // the input's grad_fn when the op ran (an in-place op since then rebased t.gradFn), as the engine walks
      const e = n.edges[i];
      if (e && !seenNodes.has(e)) { seenNodes.add(e); stack.push(e); }
    });
  }
  for (const t of held) if (t.isLeaf && (t.requiresGrad || t instanceof Parameter)) leafStorages.add(t.storage);
  for (const p of o.parameters ?? []) leafStorages.add(p.storage); // frozen weights held through views (w.t())
  for (const t of held) {
    if (counted.has(t.storage)) continue;
    counted.add(t.storage);
    if (leafStorages.has(t.storage)) leafBytes += storageBytes(t);
    else { bytes += storageBytes(t); storages++; }
  }
  return { nodes: seenNodes.size, storages, bytes, leafBytes };
}

export interface SummaryModuleRow { name: string; type: string; depth: number; params: number; outputShape: number[][] | null }
export interface SummaryTensorRow {
  name: string; kind: 'parameter' | 'buffer'; shape: number[]; dtype: string; device: string;
  /** Parameters: requiresGrad; buffers: null. */
  trainable: boolean | null;
  /** Buffers: saved by stateDict(); parameters: null (always saved). */
  persistent: boolean | null;
  numel: number; bytes: number; gradBytes: number;
  /** For an original of a parametrized tensor: `original0 of fc.weight`; absent otherwise. */
  parametrizes?: string;
}
/** A tensor computed by parametrizations (nn.utils.parametrize): what it costs and what it is made of. */
export interface SummaryParametrizedRow {
  /** Dotted name of the computed tensor (`fc.weight`). */
  name: string;
  /** The parametrizations, innermost first (class names: `_WeightNorm`, ...). */
  functions: string[];
  shape: number[]; dtype: string;
  /** Bytes of the computed tensor: materialised at every read (kept by the graph when it requires grad). */
  bytes: number;
  /** Its originals (state-dict names), what they store and whether they train. */
  originals: { name: string; shape: number[]; bytes: number; trainable: boolean | null }[];
}
export interface SummaryTotals {
  params: number; trainableParams: number; frozenParams: number; paramBytes: number; trainableParamBytes: number;
  /** Bytes of the frozen parameters (requiresGrad false: no gradient, no optimizer state). */
  frozenParamBytes: number;
  /** Adam / AdamW state for the trainable parameters: exp_avg and exp_avg_sq, two values per element. */
  adamStateBytes: number;
  buffers: number; bufferBytes: number; persistentBufferBytes: number; gradBytes: number;
}
export interface SummaryForward { inputShapes: number[][]; outputShapes: number[][]; outputBytes: number; withGrad: GraphMemory; noGrad: GraphMemory }

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024, i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)} ${units[i]}`;
}
const num = (n: number) => n.toLocaleString('en-US');
const shp = (s: readonly number[]) => `[${s.join(', ')}]`;

/** A printable report of a model: `console.log(String(nn.utils.summary(model, x)))`. */
export class ModelSummary {
  constructor(
    readonly modelName: string,
    readonly modules: SummaryModuleRow[],
    readonly tensors: SummaryTensorRow[],
    readonly totals: SummaryTotals,
    readonly forward: SummaryForward | null,
    /** Tensors computed from originals by parametrizations (empty when there are none). */
    readonly parametrized: SummaryParametrizedRow[] = [],
  ) {}

  toString(): string {
    const rule = (w: number, c = '=') => c.repeat(w);
    /** `right` lists the numeric columns (right-aligned); the others are left-aligned. */
    const table = (head: string[], rows: string[][], right: number[]): string[] => {
      const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
      const line = (r: string[]) => r.map((c, i) => (right.includes(i) ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  ').trimEnd();
      const width = w.reduce((a, b) => a + b, 0) + 2 * (w.length - 1);
      return [rule(width), line(head), rule(width), ...rows.map(line), rule(width)];
    };
    const out: string[] = [];
    const modRows = this.modules.map((m) => [
      `${m.depth === 0 ? '' : `${'  '.repeat(m.depth - 1)}└─`}${m.depth === 0 ? m.type : `${m.name.split('.').pop()} (${m.type})`}`,
      m.outputShape ? m.outputShape.map(shp).join(', ') : '--',
      m.params ? num(m.params) : '--',
    ]);
    out.push(...table(['Layer (type)', 'Output Shape', 'Param #'], modRows, [2]), '');
    // the README's four columns: seen by the optimizer (parameters()), moved by .to(), in the autograd graph, saved
    const tRows = this.tensors.map((t) => [
      t.name, t.kind, shp(t.shape), t.dtype, t.device,
      t.kind === 'parameter' ? (t.trainable ? 'yes' : 'frozen: skipped') : 'no',
      'yes',
      t.kind === 'parameter' && t.trainable ? 'yes' : 'no',
      t.kind === 'parameter' || t.persistent ? 'yes' : 'no',
      formatBytes(t.bytes), t.gradBytes ? formatBytes(t.gradBytes) : '-',
    ]);
    out.push(...table(['Tensor', 'Kind', 'Shape', 'dtype', 'device', 'Optimizer', '.to()', 'Graph', 'Saved', 'Bytes', 'Grad'], tRows, [9, 10]), '');
    if (this.parametrized.length) {
      const pRows = this.parametrized.flatMap((p) => p.originals.map((o, i) => [
        i === 0 ? p.name : '', i === 0 ? shp(p.shape) : '', i === 0 ? p.functions.join(' ∘ ') : '', i === 0 ? formatBytes(p.bytes) : '',
        o.name, shp(o.shape), o.trainable === null ? 'buffer' : o.trainable ? 'trainable' : 'frozen', formatBytes(o.bytes),
      ]));
      out.push('Parametrized tensors (computed from their originals at every read; only the originals are stored and trained):',
        ...table(['Tensor', 'Shape', 'Function', 'Per read', 'Original', 'Shape', 'Training', 'Bytes'], pRows, [3, 7]), '');
    }
    const T = this.totals;
    out.push(
      `Total params: ${num(T.params)} (${formatBytes(T.paramBytes)})`,
      `Trainable params: ${num(T.trainableParams)}`,
      `Non-trainable params: ${num(T.frozenParams)}`,
      `Optimizer state (Adam/AdamW: exp_avg + exp_avg_sq): ${formatBytes(T.adamStateBytes)}` + (T.frozenParams
        ? `; training every parameter would hold ${formatBytes(2 * T.paramBytes)} (frozen parameters save ${formatBytes(2 * T.frozenParamBytes)} of optimizer state and ${formatBytes(T.frozenParamBytes)} of gradients)`
        : ''),
      `Buffers: ${num(T.buffers)} elements (${formatBytes(T.bufferBytes)}; saved in stateDict: ${formatBytes(T.persistentBufferBytes)})`,
      `Gradients held: ${formatBytes(T.gradBytes)}`,
    );
    if (this.forward) {
      const F = this.forward;
      out.push('',
        `Forward pass: input ${F.inputShapes.map(shp).join(', ')} -> output ${F.outputShapes.map(shp).join(', ')} (${formatBytes(F.outputBytes)})`,
        `  with grad:   autograd graph of ${num(F.withGrad.nodes)} nodes keeps ${formatBytes(F.withGrad.bytes)} alive until backward ` +
          `(${num(F.withGrad.storages)} tensors saved for backward or held by nodes; parameters referenced: ${formatBytes(F.withGrad.leafBytes)})`,
        `  under noGrad: ${num(F.noGrad.nodes)} nodes, ${formatBytes(F.noGrad.bytes)} kept alive`,
        `Estimated training step: params ${formatBytes(T.paramBytes)} + grads ${formatBytes(T.trainableParamBytes)} ` +
          `+ buffers ${formatBytes(T.bufferBytes)} + graph ${formatBytes(F.withGrad.bytes)} (+ optimizer state above)`);
    }
    return out.join('\n');
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string { return this.toString(); }
}

/**
 * Summarize a model. With example inputs, runs forward once with grad and once under noGrad (buffers such as
 * BatchNorm running statistics are restored afterwards) and reports output shapes per module and graph memory.
 */
export function summary(model: Module, ...exampleInputs: unknown[]): ModelSummary {
  const tensors: SummaryTensorRow[] = [];
  for (const [name, p] of model.namedParameters()) {
    tensors.push({ name, kind: 'parameter', shape: [...p.shape], dtype: p.dtype, device: p.device, trainable: p.requiresGrad, persistent: null,
      numel: p.numel(), bytes: p.nbytes(), gradBytes: p.grad ? p.grad.nbytes() : 0 });
  }
  // persistence is per owning module
  const persistent = new Map<Tensor, boolean>();
  for (const [, m] of model.namedModules()) for (const [k, b] of m._buffers) if (b) persistent.set(b, !m._nonPersistentBuffers.has(k));
  for (const [name, b] of model.namedBuffers()) {
    tensors.push({ name, kind: 'buffer', shape: [...b.shape], dtype: b.dtype, device: b.device, trainable: null, persistent: persistent.get(b) ?? true,
      numel: b.numel(), bytes: b.nbytes(), gradBytes: 0 });
  }
  const parametrized: SummaryParametrizedRow[] = parametrizedTensors(model).map((info) => {
    const value = peekParametrized(model, info.name);
    for (const o of info.originals) {
      const row = tensors.find((t) => t.name === o.name);
      if (row) row.parametrizes = `${o.name.split('.').pop()} of ${info.name}`;
    }
    return {
      name: info.name, functions: info.functions, shape: [...value.shape], dtype: value.dtype, bytes: value.nbytes(),
      originals: info.originals.map((o) => ({ name: o.name, shape: [...o.tensor.shape], bytes: o.tensor.nbytes(), trainable: o.tensor.requiresGrad || (tensors.find((t) => t.name === o.name)?.kind === 'parameter' ? false : null) })),
    };
  });
  const ps = tensors.filter((t) => t.kind === 'parameter'), bs = tensors.filter((t) => t.kind === 'buffer');
  const sum = (rows: SummaryTensorRow[], f: (t: SummaryTensorRow) => number) => rows.reduce((a, t) => a + f(t), 0);
  const totals: SummaryTotals = {
    params: sum(ps, (t) => t.numel), trainableParams: sum(ps.filter((t) => t.trainable), (t) => t.numel),
    frozenParams: sum(ps.filter((t) => !t.trainable), (t) => t.numel), paramBytes: sum(ps, (t) => t.bytes),
    trainableParamBytes: sum(ps.filter((t) => t.trainable), (t) => t.bytes),
    frozenParamBytes: sum(ps.filter((t) => !t.trainable), (t) => t.bytes),
    adamStateBytes: 2 * sum(ps.filter((t) => t.trainable), (t) => t.bytes),
    buffers: sum(bs, (t) => t.numel), bufferBytes: sum(bs, (t) => t.bytes), persistentBufferBytes: sum(bs.filter((t) => t.persistent), (t) => t.bytes),
    gradBytes: sum(ps, (t) => t.gradBytes),
  };

  const named = model.namedModules();
  const rows: SummaryModuleRow[] = named.map(([name, m]) => ({
    name, type: m._getName(), depth: name === '' ? 0 : name.split('.').length, outputShape: null,
    params: m.parameters({ recurse: name === '' }).reduce((a, p) => a + p.numel(), 0),
  }));
  for (let i = 1; i < rows.length; i++) {
    // a container's own row shows the parameters below it
    const [, m] = named[i];
    if (m._modules.size) rows[i].params = m.parameters().reduce((a, p) => a + p.numel(), 0);
  }

  let forward: SummaryForward | null = null;
  if (exampleInputs.length) {
    const saved = noGrad(() => model.buffers().map((b) => [b, clone(b)] as const));
    const handles: RemovableHandle[] = named.map(([, m], i) => m.registerForwardHook((_mod, _args, out) => {
      rows[i].outputShape = tensorsIn(out).map((t) => [...t.shape]);
    }));
    const call = (model as unknown as { call(...a: unknown[]): unknown });
    try {
      const out = enableGrad(() => call.call(...exampleInputs));
      const withGrad = graphMemory(out, { parameters: model.parameters() });
      const outs = tensorsIn(out);
      const noGradOut = noGrad(() => call.call(...exampleInputs));
      forward = {
        inputShapes: tensorsIn(exampleInputs).map((t) => [...t.shape]),
        outputShapes: outs.map((t) => [...t.shape]),
        outputBytes: outs.reduce((a, t) => a + t.nbytes(), 0),
        withGrad, noGrad: graphMemory(noGradOut, { parameters: model.parameters() }),
      };
    } finally {
      for (const h of handles) h.remove();
      noGrad(() => { for (const [b, c] of saved) if (b.shape.length === c.shape.length) copy_(b, c); });
    }
  }
  return new ModelSummary(model._getName(), rows, tensors, totals, forward, parametrized);
}
