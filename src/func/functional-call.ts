/**
 * @file `torch.func.functionalCall` (PyTorch 2's torch.func.functional_call): run a module's forward with some or
 * all of its parameters and buffers replaced by given tensors, without touching the module's own. The
 * substitutes are placed in the module's registries for the duration of the call and the originals restored
 * afterwards (also on error), so gradients flow to the substitutes: per-example gradients, ensembles of one
 * module with several weight sets, meta-learning.
 */
import { ArgumentError, checkOptions, closestKey, optBoolean } from '../core/args.js';
import { Tensor } from '../tensor/tensor.js';
import type { Module } from '../nn/module.js';

type Dict = Map<string, Tensor> | Record<string, Tensor>;
export interface FunctionalCallOptions {
  /** Keyword arguments of forward as a trailing options object (passed as the last argument). */
  kwargs?: Record<string, unknown>;
  /** Tied parameters/buffers (one tensor under several names) take the substitute given for any of their names (default true). */
  tieWeights?: boolean;
  /** Every parameter and buffer must be given (default false). */
  strict?: boolean;
}

interface Slot { owner: Module; local: string; kind: 'parameter' | 'buffer'; orig: Tensor }

const FN = 'func.functionalCall';

function toMap(d: unknown, i: number): Map<string, Tensor> {
  const entries = d instanceof Map ? [...d] : d !== null && typeof d === 'object' && !Array.isArray(d) && !(d instanceof Tensor) ? Object.entries(d) : null;
  if (!entries) throw new ArgumentError(`${FN}: parameterAndBufferDicts${i >= 0 ? `[${i}]` : ''} must be a Map or a plain object of name -> Tensor`);
  for (const [k, v] of entries) {
    if (!(v instanceof Tensor)) throw new ArgumentError(`${FN}: the value for '${String(k)}' is not a Tensor (got ${typeof v}); every substitute must be a Tensor`);
  }
  return new Map(entries as [string, Tensor][]);
}

/** Every parameter and buffer slot under its dotted name, duplicates (ties) included, in PyTorch's order. */
function slotsOf(module: Module): Map<string, Slot> {
  const out = new Map<string, Slot>();
  const visit = (m: Module, prefix: string, seen: Set<Module>) => {
    if (seen.has(m)) return;
    seen.add(m);
    for (const [k, p] of m._parameters) if (p) out.set(prefix + k, { owner: m, local: k, kind: 'parameter', orig: p });
    for (const [k, b] of m._buffers) if (b) out.set(prefix + k, { owner: m, local: k, kind: 'buffer', orig: b });
    for (const [k, c] of m._modules) if (c) visit(c, `${prefix}${k}.`, new Set(seen));
  };
  visit(module, '', new Set());
  return out;
}

/**
 * `functionalCall(module, paramsAndBuffers, args, { kwargs, tieWeights = true, strict = false })`: the module's
 * forward on `args` (an array of forward arguments, or one argument) with the named parameters/buffers replaced.
 *
 *   const params = new Map([...model.namedParameters()].map(([k, p]) => [k, p.detach().requiresGrad_()]));
 *   const out = torch.func.functionalCall(model, params, [x]);   // gradients go to params' tensors
 *
 * Unlike PyTorch, a name that is neither a parameter nor a buffer of the module is an error even when not
 * strict (PyTorch would set it as a plain attribute for the call; here that is almost always a typo).
 */
export function functionalCall(module: Module, parameterAndBufferDicts: Dict | Dict[], args: unknown = [], opts: FunctionalCallOptions = {}): unknown {
  if (!module || typeof (module as { call?: unknown }).call !== 'function' || !(module as { _parameters?: unknown })._parameters) {
    throw new ArgumentError(`${FN}: expected an nn.Module as the first argument`);
  }
  const o = checkOptions<FunctionalCallOptions>(FN, opts, ['kwargs', 'tieWeights', 'strict']);
  const tieWeights = optBoolean(FN, 'tieWeights', o.tieWeights, true);
  const strict = optBoolean(FN, 'strict', o.strict, false);

  // one dict, or several without overlapping keys
  const dicts = Array.isArray(parameterAndBufferDicts) ? parameterAndBufferDicts.map((d, i) => toMap(d, i)) : [toMap(parameterAndBufferDicts, -1)];
  const given = new Map<string, Tensor>();
  const repeated: string[] = [];
  for (const d of dicts) for (const [k, v] of d) { if (given.has(k)) repeated.push(k); given.set(k, v); }
  if (repeated.length) throw new ArgumentError(`${FN}: ${repeated.map((k) => `'${k}'`).join(', ')} appeared in multiple dictionaries; behavior of functional call is ambiguous`);

  const slots = slotsOf(module);
  const names = [...slots.keys()];
  const unexpected = [...given.keys()].filter((k) => !slots.has(k));

  // ties: names whose slot holds the same tensor object
  const subs = new Map(given);
  if (tieWeights) {
    const groups = new Map<Tensor, string[]>();
    for (const [k, s] of slots) { const g = groups.get(s.orig) ?? []; g.push(k); groups.set(s.orig, g); }
    for (const group of groups.values()) {
      if (group.length < 2) continue;
      const provided = group.filter((k) => given.has(k));
      if (!provided.length) continue;
      const values = new Set(provided.map((k) => given.get(k)!));
      if (values.size > 1) {
        throw new ArgumentError(`${FN}: functional_call got multiple values for keys [${provided.map((k) => `'${k}'`).join(', ')}], which are tied. ` +
          'Consider using tieWeights: false');
      }
      for (const k of group) subs.set(k, given.get(provided[0])!);
    }
  }
  const missing = names.filter((k) => !subs.has(k));
  if (strict && (missing.length || unexpected.length)) {
    const msgs: string[] = [];
    const q = (ks: string[]) => [...ks].sort().map((k) => `'${k}'`).join(', '); // sorted, as PyTorch
    if (unexpected.length) msgs.push(`Unexpected key(s): ${q(unexpected)}.`);
    if (missing.length) msgs.push(`Missing key(s): ${q(missing)}.`);
    throw new ArgumentError(`Error(s) in reparametrizing for ${module._getName()}:\n\t${msgs.join('\n\t')}`);
  }
  if (unexpected.length) {
    throw new ArgumentError(`${FN}: ${unexpected.map((k) => { const g = closestKey(k, names); return `'${k}'${g ? ` (did you mean '${g}'?)` : ''}`; }).join(', ')} ` +
      `${unexpected.length > 1 ? 'are' : 'is'} neither a parameter nor a buffer of ${module._getName()}; known names: ${names.slice(0, 8).join(', ')}${names.length > 8 ? ', ...' : ''}`);
  }

  const argList: unknown[] = Array.isArray(args) ? [...(args as unknown[])] : [args];
  if (o.kwargs !== undefined) argList.push(o.kwargs);
  const swapped: Slot[] = [];
  try {
    for (const [k, t] of subs) {
      const s = slots.get(k)!;
      (s.kind === 'parameter' ? s.owner._parameters : s.owner._buffers).set(s.local, t);
      swapped.push(s);
    }
    return (module as unknown as { call(...a: unknown[]): unknown }).call(...argList);
  } finally {
    for (const s of swapped) (s.kind === 'parameter' ? s.owner._parameters : s.owner._buffers).set(s.local, s.orig);
  }
}
