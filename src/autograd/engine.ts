/**
 * @file The backward engine: visits the graph in dependency order, accumulates gradients (fan-out sums),
 * reduces broadcast gradients back to each input's shape, runs hooks, frees the graph unless retained.
 * It knows no op: the few tensor functions it needs (sum to a shape, cast, add) are installed by the op
 * layer through `installGradOps`, so imports go one way (ops -> autograd).
 */
import { ArgumentError, checkSpec, isOptionsObject } from '../core/args.js';
import type { Tensor } from '../tensor/tensor.js';
import { AutogradError } from '../core/errors.js';
import { fmt, shapesEqual } from '../core/shape.js';
import { noGrad } from './grad-mode.js';
import type { Node } from './node.js';

export interface GradOps {
  sumToShape(g: Tensor, shape: readonly number[]): Tensor;
  cast(g: Tensor, like: Tensor): Tensor;
  add(a: Tensor, b: Tensor): Tensor;
  onesLike(t: Tensor): Tensor;
  /** In-place a += b (for .grad accumulation, keeping the grad tensor's identity). */
  addInPlace(a: Tensor, b: Tensor): void;
  clone(t: Tensor): Tensor;
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

  // dependency counts over the reachable graph
  const deps = new Map<Node, number>();
  const stack: Node[] = [];
  for (const r of roots) if (r.gradFn && !deps.has(r.gradFn)) { deps.set(r.gradFn, 0); stack.push(r.gradFn); }
  while (stack.length) {
    const n = stack.pop()!;
    for (const c of n.edges) {
      if (!c) continue;
      if (!deps.has(c)) { deps.set(c, 0); stack.push(c); }
      deps.set(c, deps.get(c)! + 1);
    }
  }

  const pending = new Map<Node, Tensor>();
  const accumulateLeaf = (leaf: Tensor, g: Tensor) => {
    g = runHooks(leaf.gradHooks, g);
    if (captureSet) {
      if (captureSet.has(leaf)) captured.set(leaf, captured.has(leaf) ? o.add(captured.get(leaf)!, g) : g);
      return;
    }
    if (leaf.grad === null) leaf.grad = o.clone(g);
    else o.addInPlace(leaf.grad, g);
  };
  /** Route a gradient to the node that produced t (edge), or into t itself when it was a leaf. */
  const send = (t: Tensor, edge: Node | null, g: Tensor) => {
    if (edge) {
      const prev = pending.get(edge);
      pending.set(edge, prev ? o.add(prev, g) : g);
    } else if (t.requiresGrad) accumulateLeaf(t, g);
  };

  roots.forEach((r, i) => send(r, r.gradFn, rootGrads[i]));

  const ready: Node[] = [];
  for (const [n, c] of deps) if (c === 0) ready.push(n);
  const visited: Node[] = [];
  while (ready.length) {
    const node = ready.pop()!;
    visited.push(node);
    let g = pending.get(node);
    pending.delete(node);
    if (g !== undefined) {
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
      const grads = node.backwardFn(g);
      node.inputs.forEach((inp, i) => {
        const gi = grads[i];
        if (!inp || !gi) return;
        send(inp, node.edges[i], fit(gi, inp, node));
      });
    }
    for (const c of node.edges) {
      if (!c) continue;
      const left = deps.get(c)! - 1;
      deps.set(c, left);
      if (left === 0) ready.push(c);
    }
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
