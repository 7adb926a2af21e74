/**
 * @file The backward engine: visits the graph in dependency order, accumulates gradients (fan-out sums),
 * reduces broadcast gradients back to each input's shape, runs hooks, frees the graph unless retained.
 * It knows no op: the few tensor functions it needs (sum to a shape, cast, add) are installed by the op
 * layer through `installGradOps`, so imports go one way (ops -> autograd).
 */
import { ArgumentError, checkSpec, isOptionsObject } from '../core/args.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Storage } from '../backend/backend.js';
import { AutogradError } from '../core/errors.js';
import { fmt, shapesEqual } from '../core/shape.js';
import { noGrad } from './grad-mode.js';
import type { GradWindow, Node } from './node.js';

export interface GradOps {
  sumToShape(g: Tensor, shape: readonly number[]): Tensor;
  cast(g: Tensor, like: Tensor): Tensor;
  add(a: Tensor, b: Tensor): Tensor;
  onesLike(t: Tensor): Tensor;
  /** In-place a += b (for .grad accumulation, keeping the grad tensor's identity). */
  addInPlace(a: Tensor, b: Tensor): void;
  clone(t: Tensor): Tensor;
  /** A tensor object on t's storage and geometry with no view base (t itself when it has none). */
  adopt(t: Tensor): Tensor;
  /** The serial of the most recently created storage (backend/memory.ts). */
  lastSerial(): number;
  /** Zeros shaped like `like` (or `into`, a buffer of that shape) with g copied into the window apply(z); returns z. */
  intoWindow(g: Tensor, like: Tensor, apply: (z: Tensor) => Tensor, into?: Tensor): Tensor;
  /** t's storage is unreachable: its memory may back a later allocation (Backend.recycle). */
  recycle(t: Tensor): void;
}
let ops: GradOps | null = null;
export function installGradOps(o: GradOps): void { ops = o; }

function fit(g: Tensor, input: Tensor, node: Node): Tensor {
  const o = ops!;
  if (!shapesEqual(g.shape, input.shape)) {
    try { g = o.sumToShape(g, input.shape); } catch {
      throw new AutogradError(`internal: ${node.name} backward produced a gradient of shape ${fmt(g.shape)} for an input of shape ${fmt(input.shape)}`);
    }
  }
  if (g.dtype !== input.dtype) g = o.cast(g, input);
  return g;
}

function runHooks(hooks: ((g: Tensor) => Tensor | void)[], g: Tensor): Tensor {
  for (const h of hooks) { const r = h(g); if (r) g = r; }
  return g;
}

/** Window gradients written into a shared buffer (GradWindow; internal, tests read it). */
export const gradWindows = { written: 0 };

/** First gradients of leaves handed over without a copy, those copied, and buffers recycled (internal; tests read them). */
export const gradSteals = { taken: 0, copied: 0, recycled: 0 };

/**
 * Takes over gradient buffers instead of cloning them into a leaf's first `.grad` (PyTorch's AccumulateGrad
 * steals the incoming buffer when nothing else references it). JavaScript has no reference counts, so a buffer
 * is taken only when aliasing is impossible:
 * - the pass runs no user code and keeps no other copy: no hooks on any reached node or leaf, no retainGrad,
 *   no autograd.grad capture, no node marked `runsUserCode` (checkpoint) — decided before the pass starts;
 * - its storage was allocated during this pass (serial above the one at the start: not a saved tensor, a
 *   parameter, the user's root gradient or an array a caller supplied), and the tensor covers the whole storage
 *   contiguously (no other view of it can hide elsewhere);
 * - when the pass ends, the engine's count of live references to that storage (pending node gradients and
 *   leaf gradients; a node's incoming gradient is released when its backward consumes it) is exactly 1.
 * Until the pass ends such a leaf's `.grad` is provisional: it is never written in place (a second gradient
 * for the same leaf clones it first, as before), and a buffer whose count is not 1 at the end is cloned then.
 *
 * The same count frees memory within the pass (PyTorch frees a consumed gradient when its last reference goes):
 * a storage made during the pass whose count drops to 0 is referenced by nothing any more (the engine held every
 * reference the pass made to it: the gradients a backward returned are all sent, none is kept), so once the node
 * that released it has sent all of its gradients (a later send of that node may still read it; a node's own
 * backward may return its incoming gradient), the storage is recycled (GradOps.recycle): a later allocation of
 * the same size (in this pass, or the next step's forward) reuses its memory. A count of 0 means the engine held
 * and released the storage; -1 marks one recycled (never recycled twice).
 */
class Steals {
  readonly refs = new Map<Storage, number>();
  readonly provisional = new Map<Tensor, Tensor>();
  /** Tensors whose storage's count reached 0 since the last flush. */
  readonly dead: Tensor[] = [];
  constructor(readonly since: number) {}
  hold(g: Tensor): void {
    const s = g.storage;
    if (s.serial > this.since) this.refs.set(s, (this.refs.get(s) ?? 0) + 1);
  }
  release(g: Tensor): void {
    const s = g.storage;
    if (s.serial <= this.since) return;
    const n = this.refs.get(s)! - 1;
    this.refs.set(s, n);
    if (n === 0) this.dead.push(g);
  }
  /** Between nodes: recycle the storages still at count 0. */
  flush(o: GradOps): void {
    for (const g of this.dead) {
      if (this.refs.get(g.storage) !== 0) continue;
      this.refs.set(g.storage, -1);
      o.recycle(g);
      gradSteals.recycled++;
    }
    this.dead.length = 0;
  }
  candidate(g: Tensor): boolean {
    return g.storage.serial > this.since && g.offset === 0 && !g.requiresGrad && g.gradFn === null &&
      g.numel() === g.storage.size && g.isContiguous();
  }
  /** End of the pass: keep the buffers referenced once, clone the rest (all of them after an error). */
  settle(o: GradOps, ok: boolean): void {
    for (const [leaf, g] of this.provisional) {
      if (ok && this.refs.get(g.storage) === 1) { gradSteals.taken++; continue; }
      leaf.grad = o.clone(g);
      gradSteals.copied++;
    }
    this.provisional.clear();
  }
}

/** Whether user code can run or see gradients during the pass (then no buffer is taken over). */
function seesUserCode(n: Node): boolean {
  if (n.hooks.length || n.retained || n.runsUserCode) return true;
  for (let i = 0; i < n.inputs.length; i++) {
    const t = n.inputs[i];
    if (t && n.edges[i] === null && t.gradHooks.length) return true;
  }
  return false;
}

export interface BackwardOptions { retainGraph?: boolean; inputs?: Tensor[] }

/**
 * Core traversal. With `capture`, gradients for those tensors are returned instead of being accumulated into
 * `.grad` (torch.autograd.grad); otherwise leaves accumulate.
 */
function execute(roots: Tensor[], rootGrads: Tensor[], retainGraph: boolean, capture: Tensor[] | null): Map<Tensor, Tensor> {
  const o = ops!;
  const captured = new Map<Tensor, Tensor>();
  const captureSet = capture ? new Set(capture) : null;
  const captureByNode = new Map<Node, Tensor>();
  if (capture) for (const t of capture) if (t.gradFn) captureByNode.set(t.gradFn, t);

  // dependency counts over the reachable graph; whether user code runs during the pass
  let userCode = capture !== null;
  for (const r of roots) if (!r.gradFn && r.gradHooks.length) userCode = true;
  const deps = new Map<Node, number>();
  const stack: Node[] = [];
  for (const r of roots) if (r.gradFn && !deps.has(r.gradFn)) { deps.set(r.gradFn, 0); stack.push(r.gradFn); }
  while (stack.length) {
    const n = stack.pop()!;
    if (!userCode && seesUserCode(n)) userCode = true;
    for (const c of n.edges) {
      if (!c) continue;
      if (!deps.has(c)) { deps.set(c, 0); stack.push(c); }
      deps.set(c, deps.get(c)! + 1);
    }
  }
  const steals = userCode ? null : new Steals(o.lastSerial());

  const pending = new Map<Node, Tensor>();
  const accumulateLeaf = (leaf: Tensor, g: Tensor) => {
    g = runHooks(leaf.gradHooks, g);
    if (captureSet) {
      if (captureSet.has(leaf)) captured.set(leaf, captured.has(leaf) ? o.add(captured.get(leaf)!, g) : g);
      return;
    }
    if (leaf.grad === null) {
      if (steals && steals.candidate(g)) {
        const a = o.adopt(g);
        leaf.grad = a;
        steals.provisional.set(leaf, a);
        steals.hold(a);
      } else {
        leaf.grad = o.clone(g);
        gradSteals.copied++;
      }
      return;
    }
    const p = steals?.provisional.get(leaf);
    if (p) { // a second gradient for this leaf: never write into a provisional buffer (it may be read elsewhere)
      steals!.provisional.delete(leaf);
      steals!.release(p);
      leaf.grad = o.clone(p);
    }
    o.addInPlace(leaf.grad, g);
  };
  /** Route a gradient to the node that produced t (edge), or into t itself when it was a leaf. */
  const send = (t: Tensor, edge: Node | null, g: Tensor) => {
    if (edge) {
      const prev = pending.get(edge);
      if (prev) {
        const sum = o.add(prev, g);
        if (steals) { steals.release(prev); steals.hold(sum); }
        pending.set(edge, sum);
      } else {
        steals?.hold(g);
        pending.set(edge, g);
      }
    } else if (t.requiresGrad) accumulateLeaf(t, g);
  };

  /**
   * Gradient buffers made of windows (chunk/split backward, PyTorch's one cat): the first windowing node that
   * sends to an edge makes the zeros buffer, later ones with disjoint windows along the same dim copy into it,
   * instead of each making full-size zeros that are then added. Only without user code (steals on), into a
   * buffer nothing else holds; any other case runs the node's own backward.
   */
  const windows = new Map<Tensor, GradWindow[]>();
  const intoWindow = (node: Node, w: GradWindow, g: Tensor): boolean => {
    const inp = node.inputs[0], edge = node.edges[0];
    if (!steals || !inp || !edge || node.inputs.length !== 1 || g.dtype !== inp.dtype) return false;
    const prev = pending.get(edge);
    if (prev === undefined) {
      const z = o.intoWindow(g, inp, w.apply);
      steals.hold(z);
      pending.set(edge, z);
      windows.set(z, [w]);
      gradWindows.written++;
      return true;
    }
    const ws = windows.get(prev);
    if (!ws || steals.refs.get(prev.storage) !== 1 || g.storage === prev.storage) return false;
    for (const v of ws) if (v.dim !== w.dim || (v.start < w.start + w.length && w.start < v.start + v.length)) return false;
    o.intoWindow(g, inp, w.apply, prev);
    ws.push(w);
    gradWindows.written++;
    return true;
  };

  let ok = false;
  const visited: Node[] = [];
  try {
    roots.forEach((r, i) => send(r, r.gradFn, rootGrads[i]));
    steals?.flush(o);

    const ready: Node[] = [];
    for (const [n, c] of deps) if (c === 0) ready.push(n);
    while (ready.length) {
      const node = ready.pop()!;
      visited.push(node);
      let g = pending.get(node);
      pending.delete(node);
      if (g !== undefined) {
        steals?.release(g);
        g = runHooks(node.hooks, g);
        if (node.retained) {
          const t = node.retained;
          t.grad = t.grad === null ? o.clone(g) : o.add(t.grad, g);
        }
        const cap = captureByNode.get(node);
        if (cap) captured.set(cap, g);
        if (node.freed || !node.backwardFn) {
          throw new AutogradError(
            `${node.name} backward: trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). ` +
            'Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). ' +
            'Pass {retainGraph: true} to the first backward() if you need to backward through the graph a second time.');
        }
        node.checkSaved();
        if (!node.window || !intoWindow(node, node.window, g)) {
          const grads = node.backwardFn(g);
          const inputs = node.inputs;
          for (let i = 0; i < inputs.length; i++) {
            const inp = inputs[i], gi = grads[i];
            if (!inp || !gi) continue;
            send(inp, node.edges[i], fit(gi, inp, node));
          }
        }
        steals?.flush(o);
      }
      for (const c of node.edges) {
        if (!c) continue;
        const left = deps.get(c)! - 1;
        deps.set(c, left);
        if (left === 0) ready.push(c);
      }
    }
    ok = true;
  } finally {
    steals?.settle(o, ok);
  }
  if (!retainGraph) for (const n of visited) n.free();
  return captured;
}

function rootGrad(t: Tensor, g: Tensor | undefined, what: string): Tensor {
  if (!t.requiresGrad) {
    throw new AutogradError(`${what}: element 0 of tensors does not require grad and does not have a grad_fn. ` +
      'Set requiresGrad on a leaf (torch.tensor(..., {requiresGrad: true}) or p.requiresGrad_()) and make sure the computation ran outside noGrad().');
  }
  if (g === undefined) {
    if (t.numel() !== 1) {
      throw new AutogradError(`${what}: grad can be implicitly created only for scalar outputs, got shape ${fmt(t.shape)}. ` +
        'Pass a gradient of the same shape, e.g. y.backward(torch.onesLike(y)), or reduce first (y.sum().backward()).');
    }
    return ops!.onesLike(t);
  }
  if (!shapesEqual(g.shape, t.shape)) {
    throw new AutogradError(`${what}: gradient has shape ${fmt(g.shape)} but the output has shape ${fmt(t.shape)}; they must match`);
  }
  return g;
}

/** tensor.backward(gradient?, {retainGraph}). */
export function backward(t: Tensor, gradient?: Tensor | BackwardOptions, opts: BackwardOptions = {}): void {
  if (isOptionsObject(gradient)) { opts = gradient; gradient = undefined; } // loss.backward({ retainGraph: true })
  opts = checkSpec<BackwardOptions>('backward', opts, { retainGraph: 'bool', createGraph: 'bool', inputs: 'any' });
  if (opts.inputs !== undefined) throw new ArgumentError('backward: inputs is not supported; compute the gradients of selected tensors with torch.autograd.grad(outputs, inputs)');
  if ((opts as { createGraph?: boolean }).createGraph) throw new ArgumentError('backward: createGraph (higher-order gradients) is not supported');
  const g = rootGrad(t, gradient as Tensor | undefined, 'backward()');
  noGrad(() => { execute([t], [g], opts.retainGraph ?? false, null); });
}

/** torch.autograd.grad(outputs, inputs, gradOutputs?, {retainGraph, allowUnused}): first order. */
export function grad(outputs: Tensor | Tensor[], inputs: Tensor | Tensor[],
  gradOutputs?: Tensor | Tensor[] | null, opts: { retainGraph?: boolean; allowUnused?: boolean } = {}): (Tensor | null)[] {
  const outs = Array.isArray(outputs) ? outputs : [outputs];
  const ins = Array.isArray(inputs) ? inputs : [inputs];
  const gos = gradOutputs == null ? [] : Array.isArray(gradOutputs) ? gradOutputs : [gradOutputs];
  ins.forEach((x, i) => {
    if (!x.requiresGrad) throw new AutogradError(`autograd.grad(): input ${i} (shape ${fmt(x.shape)}) does not require grad`);
  });
  const roots = outs.map((o, i) => rootGrad(o, gos[i], 'autograd.grad()'));
  const res = noGrad(() => execute(outs, roots, opts.retainGraph ?? false, ins));
  return ins.map((x, i) => {
    const g = res.get(x) ?? null;
    if (g === null && !opts.allowUnused) {
      throw new AutogradError(`autograd.grad(): input ${i} (shape ${fmt(x.shape)}) was not used in the graph of the outputs. Pass {allowUnused: true} to get null for it.`);
    }
    return g;
  });
}
