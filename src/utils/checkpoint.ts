/**
 * @file `torch.utils.checkpoint`: activation checkpointing, non-reentrant semantics. `checkpoint(fn, ...args)`
 * runs fn, keeps only its arguments (not the activations inside it) and records one `Checkpoint` node; its
 * backward runs fn again with grad enabled (the default generator's state restored, so dropout draws the same
 * masks) and backpropagates through that recomputed graph. The graph memory of a stack of checkpointed blocks
 * is then the blocks' inputs instead of all their activations (nn.utils.graphMemory shows it).
 *
 * Gradients reach fn's tensor arguments and the leaves fn reads (parameters). A tensor computed outside fn that
 * requires grad and is not passed as an argument is refused at the call (pass it as an argument).
 */
import { ArgumentError, checkFunction, checkOptions, optBoolean } from '../core/args.js';
import { Tensor } from '../tensor/tensor.js';
import { Node, record } from '../autograd/node.js';
import { grad } from '../autograd/engine.js';
import { enableGrad, isGradEnabled } from '../autograd/grad-mode.js';
import { detach } from '../ops/movement.js';
import { defaultGenerator } from '../random/index.js';
const getRngState = (): Uint8Array => defaultGenerator.getState();
const setRngState = (s: Uint8Array): void => { defaultGenerator.setState(s); };

export interface CheckpointOptions {
  /** Only false (non-reentrant) is implemented, as PyTorch 2.6 recommends; true is an error. */
  useReentrant?: boolean;
  /** Restore the default generator's state for the recomputation (default true): dropout masks match. */
  preserveRngState?: boolean;
}
const OPTION_KEYS = ['useReentrant', 'preserveRngState'];

function isOptions(v: unknown): v is CheckpointOptions {
  return v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype &&
    Object.keys(v).length > 0 && Object.keys(v).every((k) => OPTION_KEYS.includes(k));
}

/** The leaves (requiring grad) fn's graph reads, other than its arguments; refuses outside non-leaves. */
function leavesOf(out: Tensor, args: Set<Tensor>, firstSeq: number): Tensor[] {
  const leaves = new Set<Tensor>();
  const seen = new Set<Node>();
  const stack: Node[] = out.gradFn ? [out.gradFn] : [];
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    n.inputs.forEach((t, i) => {
      if (!t || args.has(t)) return;
      const e = n.edges[i];
      if (e === null) { if (t.requiresGrad) leaves.add(t); return; }
      if (e.seq >= firstSeq) { stack.push(e); return; }
      throw new ArgumentError(`utils.checkpoint: fn uses a tensor computed outside it that requires grad (${t.dtype} [${t.shape.join(', ')}], ` +
        `grad_fn ${e.toString()}) without receiving it as an argument; pass it as an argument of checkpoint(fn, ...args)`);
    });
  }
  return [...leaves];
}

/**
 * `checkpoint(fn, ...args)` (PyTorch's torch.utils.checkpoint.checkpoint with use_reentrant=False): the same
 * value as fn(...args), with fn's activations recomputed in backward instead of kept. fn must return one Tensor.
 * A trailing `{ useReentrant: false, preserveRngState }` object is taken as options.
 *
 *   const h = torch.utils.checkpoint.checkpoint((t) => block.call(t), x);
 */
export function checkpoint(fn: (...args: never[]) => unknown, ...rest: unknown[]): Tensor {
  const f = checkFunction<(...a: unknown[]) => unknown>('utils.checkpoint', 'fn', fn);
  let opts: CheckpointOptions = {};
  if (rest.length && isOptions(rest[rest.length - 1])) opts = rest.pop() as CheckpointOptions;
  const o = checkOptions<CheckpointOptions>('utils.checkpoint', opts, OPTION_KEYS);
  if (o.useReentrant === true) {
    throw new ArgumentError('utils.checkpoint: useReentrant: true is not implemented; use the non-reentrant variant (useReentrant: false, the default here and PyTorch 2.6\'s recommendation)');
  }
  const preserve = optBoolean('utils.checkpoint', 'preserveRngState', o.preserveRngState, true);
  const args = rest;
  const check = (out: unknown): Tensor => {
    if (!(out instanceof Tensor)) throw new ArgumentError(`utils.checkpoint: fn must return one Tensor (got ${out === null ? 'null' : Array.isArray(out) ? 'an array' : typeof out}); checkpoint each output's computation separately`);
    return out;
  };
  if (!isGradEnabled()) return check(f(...args));

  const rng = preserve ? getRngState() : null;
  const firstSeq = Node.created;
  const full = check(f(...args)); // with grad: this segment's graph lives until the leaves are found, then is dropped
  const tensorArgs = args.filter((a): a is Tensor => a instanceof Tensor && a.requiresGrad);
  const leaves = leavesOf(full, new Set(tensorArgs), firstSeq);
  const inputs = [...tensorArgs, ...leaves];
  const out = detach(full);
  if (!full.requiresGrad || !inputs.length) return out;

  const res = record(out, 'Checkpoint', inputs, (g) => {
    const state = rng ? getRngState() : null;
    if (rng) setRngState(rng);
    let again: Tensor, redo: unknown[];
    try {
      redo = args.map((a) => (a instanceof Tensor && a.requiresGrad ? detach(a).requiresGrad_(true) : a));
      again = enableGrad(() => check(f(...redo)));
    } finally { if (state) setRngState(state); }
    const targets = [...redo.filter((a, i) => args[i] instanceof Tensor && (args[i]).requiresGrad) as Tensor[], ...leaves];
    return grad([again], targets, [g], { allowUnused: true });
  });
  if (res.gradFn) res.gradFn.runsUserCode = true; // its backward calls fn again
  return res;
}

interface CallableModule { call(x: unknown): unknown; children?(): Iterable<unknown> }

/**
 * `checkpointSequential(functions, segments, input)` (PyTorch's checkpoint_sequential): runs an nn.Sequential (or
 * an array of modules/functions) in `segments` chunks, checkpointing every chunk but the last.
 */
export function checkpointSequential(functions: CallableModule | readonly (CallableModule | ((x: Tensor) => Tensor))[], segments: number, input: Tensor, opts: CheckpointOptions = {}): Tensor {
  const fns: unknown[] | null = Array.isArray(functions) ? [...(functions as readonly unknown[])] : typeof (functions as CallableModule).children === 'function' ? [...(functions as CallableModule).children!()] : null;
  if (!fns) throw new ArgumentError('utils.checkpointSequential: functions must be an nn.Sequential or an array of modules/functions');
  if (!Number.isInteger(segments) || segments < 1) throw new ArgumentError(`utils.checkpointSequential: segments must be a positive integer, got ${String(segments)}`);
  const run = (start: number, end: number) => (x: Tensor): Tensor => {
    for (let i = start; i <= end; i++) {
      const m = fns[i] as CallableModule | ((x: Tensor) => Tensor);
      x = (typeof m === 'function' ? m(x) : m.call(x)) as Tensor;
    }
    return x;
  };
  const size = Math.floor(fns.length / segments);
  let end = -1, x = input;
  for (let start = 0; start < size * (segments - 1); start += size) {
    end = start + size - 1;
    x = Object.keys(opts).length ? checkpoint(run(start, end), x, opts) : checkpoint(run(start, end), x);
  }
  return run(end + 1, fns.length - 1)(x);
}
