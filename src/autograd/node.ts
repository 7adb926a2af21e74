/**
 * @file A node of the autograd graph: the op's name, its inputs, and its backward written with other ops.
 * `record` is the single place an op attaches itself to the graph. Imports only types of Tensor.
 */
import type { Tensor } from '../tensor/tensor.js';
import { AutogradError } from '../core/errors.js';
import { fmt } from '../core/shape.js';
import { isGradEnabled } from './grad-mode.js';

/** Gradient of the op's output -> one gradient per input (null/undefined where none flows). */
export type BackwardFn = (grad: Tensor) => (Tensor | null | undefined)[];

/**
 * A windowing view's backward (narrow, select, slice with step 1): the input's gradient is zeros except
 * `apply(zeros)`, which is the output's gradient; the window is [start, start + length) along dim of the input.
 * The engine writes the gradients of disjoint windows of one input (chunk, split, unbind) into one buffer.
 */
export interface GradWindow { dim: number; start: number; length: number; apply: (z: Tensor) => Tensor }

export class Node {
  /** Nodes created so far (each node's `seq` is its creation index; utils/checkpoint tells its own nodes apart). */
  static created = 0;
  readonly seq = Node.created++;
  /** Hooks registered on the non-leaf output tensor; applied to the incoming gradient before backward runs. */
  hooks: ((g: Tensor) => Tensor | void)[] = [];
  /** Set when the output called retainGrad(): receives the gradient. */
  retained: Tensor | null = null;
  /** Tensors saved for backward, with the storage version they had when saved. */
  saved: { t: Tensor; version: number }[];
  /**
   * The grad_fn of each input when the op ran (null for leaves and inputs that need no gradient). Captured here,
   * not read from the input later, because an in-place op gives its tensor a new grad_fn afterwards.
   */
  readonly edges: (Node | null)[];
  freed = false;
  /** Set on windowing views (GradWindow); backwardFn stays the reference path. */
  window: GradWindow | null = null;
  /** Set when the backward runs user code (utils/checkpoint's recomputation): no gradient buffer is taken over in its pass. */
  runsUserCode = false;

  constructor(
    readonly name: string,
    readonly inputs: (Tensor | null)[],
    public backwardFn: BackwardFn | null,
    saved: Tensor[],
    /** Shape/dtype of the output, for gradient checks and messages. */
    readonly outShape: readonly number[],
  ) {
    this.saved = saved.map((t) => ({ t, version: t.version }));
    this.edges = inputs.map((t) => (t ? t.gradFn : null));
  }

  /** The name PyTorch prints for grad_fn, e.g. MulBackward0. */
  toString(): string { return `<${this.name}Backward0>`; }

  checkSaved(): void {
    for (const { t, version } of this.saved) {
      if (t.version !== version) {
        throw new AutogradError(
          `${this.name} backward: one of the variables needed for gradient computation has been modified by an inplace operation: ` +
          `[${t.dtype} ${fmt(t.shape)}] is at version ${t.version}; expected version ${version} instead. ` +
          `Hint: replace the in-place op (e.g. x.add_(...)) with its out-of-place form, or clone() the tensor before modifying it.`);
      }
    }
  }

  free(): void {
    this.backwardFn = null;
    this.saved = [];
    this.freed = true;
  }
}

/**
 * Attach `out` to the graph when grad mode is on and any input requires grad. `saved` lists the tensors the
 * backward closure reads, so in-place modification of them is caught at backward time.
 */
export function record(out: Tensor, name: string, inputs: (Tensor | null)[], backward: BackwardFn, saved: Tensor[] = []): Tensor {
  if (!isGradEnabled()) return out;
  let any = false;
  for (const t of inputs) if (t && t.requiresGrad) { any = true; break; }
  if (!any) return out;
  out.gradFn = new Node(name, inputs.map((t) => (t && t.requiresGrad ? t : null)), backward, saved, out.shape);
  out.setRequiresGradInternal(true);
  return out;
}
