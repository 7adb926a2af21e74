/**
 * @file nn.Module's state dicts: stateDict() (PyTorch's keys and order, hooks, `_extra_state`) and loadStateDict()
 * (validate everything, then copy or assign; one StateDictError listing every problem). Module's methods call
 * these; this file knows Module only as a type.
 */
import type { Module } from './module.js';
import { isFloating } from '../core/dtype.js';
import { checkOptions } from '../core/args.js';
import { StateDictError } from '../core/errors.js';
import { fmt, shapesEqual } from '../core/shape.js';
import { noGrad } from '../autograd/grad-mode.js';
import { Tensor } from '../tensor/tensor.js';
import { detach } from '../ops/movement.js';
import { copy_ } from '../ops/inplace.js';
import { Parameter, describe } from './parameter.js';
import { runLoadPostHooks, runLoadPreHooks, runStateDictPostHooks, runStateDictPreHooks } from './hook-registry.js';

/** A state dict: PyTorch's keys in PyTorch's order. `_extra_state` entries hold whatever getExtraState returned. */
export type StateDict = Map<string, Tensor>;

/** What loadStateDict returns: the keys that did not match (PyTorch's _IncompatibleKeys). */
export class IncompatibleKeys {
  constructor(readonly missingKeys: string[], readonly unexpectedKeys: string[]) {}
  toString(): string {
    if (!this.missingKeys.length && !this.unexpectedKeys.length) return '<All keys matched successfully>';
    return `IncompatibleKeys(missingKeys=${JSON.stringify(this.missingKeys)}, unexpectedKeys=${JSON.stringify(this.unexpectedKeys)})`;
  }
}

/**
 * Parameters and persistent buffers under PyTorch's keys, in PyTorch's order. Values are detached tensors
 * sharing storage with the module (no copy); `keepVars: true` returns the Parameters themselves. A tensor
 * reachable under several keys (weight tying) is the same object under each key.
 */
export function stateDictOf(self: Module, options: { prefix?: string; keepVars?: boolean; destination?: StateDict } = {}): StateDict {
  const opts = checkOptions<{ prefix: string; keepVars: boolean; destination: StateDict }>(`${self._path()}.stateDict`, options, ['prefix', 'keepVars', 'destination']);
  self._checkHidden();
  const dest = opts.destination ?? new Map<string, Tensor>();
  const keepVars = opts.keepVars ?? false;
  const detached = new Map<Tensor, Tensor>();
  const value = (t: Tensor) => {
    if (keepVars) return t;
    let d = detached.get(t);
    if (!d) { d = detach(t); detached.set(t, d); }
    return d;
  };
  const visit = (m: Module, prefix: string) => {
    runStateDictPreHooks(m, prefix, keepVars);
    for (const [k, p] of m._parameters) if (p) dest.set(prefix + k, value(p));
    for (const [k, b] of m._buffers) if (b && !m._nonPersistentBuffers.has(k)) dest.set(prefix + k, value(b));
    if (m._hasExtraState()) dest.set(`${prefix}_extra_state`, m.getExtraState() as Tensor);
    for (const [k, c] of m._modules) if (c) visit(c, `${prefix}${k}.`);
    runStateDictPostHooks(m, dest, prefix);
  };
  visit(self._self(), opts.prefix ?? '');
  return dest;
}

/**
 * Copy a state dict into the module's parameters and buffers in place (no graph; values are cast to each
 * tensor's dtype and device). With `assign`, each parameter/buffer object adopts the checkpoint tensor's
 * storage instead (no copy; ties kept). Validates everything first: on any error nothing is modified and one
 * StateDictError lists every missing key, unexpected key (both only when strict) and size mismatch.
 */
export function loadStateDictInto(self: Module, stateDict: Map<string, unknown> | Record<string, unknown>, options: { strict?: boolean; assign?: boolean } = {}): IncompatibleKeys {
  const opts = checkOptions<{ strict: boolean; assign: boolean }>(`${self._path()}.loadStateDict`, options, ['strict', 'assign']);
  self._checkHidden();
  const strict = opts.strict ?? true;
  const assign = opts.assign ?? false;
  let sd: Map<string, unknown>;
  if (stateDict instanceof Map) sd = new Map(stateDict); // a shallow copy, as PyTorch (hooks may edit it)
  else if (stateDict !== null && typeof stateDict === 'object' && !Array.isArray(stateDict) && !(stateDict instanceof Tensor)) sd = new Map(Object.entries(stateDict));
  else throw new StateDictError(`loadStateDict: Expected state_dict to be dict-like (a Map or a plain object), got ${describe(stateDict)}.`);

  const missing: string[] = [], unexpected: string[] = [], errors: string[] = [];
  let mismatches = 0;
  const copies: { dst: Tensor; src: Tensor }[] = [];
  const extras: { m: Module; v: unknown }[] = [];
  const visit = (m: Module, prefix: string) => {
    runLoadPreHooks(m, sd, prefix, strict, missing, unexpected, errors);
    const local = new Map<string, Tensor>();
    for (const [k, p] of m._parameters) if (p) local.set(k, p);
    for (const [k, b] of m._buffers) if (b && !m._nonPersistentBuffers.has(k)) local.set(k, b);
    for (const [name, dst] of local) {
      const key = prefix + name;
      if (!sd.has(key)) { missing.push(key); continue; }
      const src = sd.get(key);
      if (!(src instanceof Tensor)) {
        errors.push(`While copying the parameter named "${key}", expected torch.Tensor or Tensor-like object from checkpoint but received ${describe(src)}`);
        continue;
      }
      const srcShape = dst.ndim === 0 && src.ndim === 1 && src.numel() === 1 ? [] : src.shape;
      if (!shapesEqual(srcShape, dst.shape)) {
        errors.push(`size mismatch for ${key}: copying a param with shape ${fmt(src.shape)} from checkpoint, the shape in current model is ${fmt(dst.shape)}.`);
        mismatches++;
        continue;
      }
      if (assign && dst instanceof Parameter && dst.requiresGrad && !isFloating(src.dtype)) {
        errors.push(`While assigning the parameter named "${key}": the checkpoint holds ${src.dtype}, and only Tensors of floating point dtype can require gradients; ` +
          'cast it in the state dict (.float()) or load without assign');
        continue;
      }
      if (!assign && dst.device === 'meta' && src.device !== 'meta') {
        errors.push(`While copying the parameter named "${key}": it is on meta, where copying values in is a no-op; load with { assign: true } or call toEmpty({ device }) first`);
        continue;
      }
      copies.push({ dst, src });
    }
    const extraKey = `${prefix}_extra_state`;
    if (m._overridesExtraState()) {
      if (sd.has(extraKey)) extras.push({ m, v: sd.get(extraKey) }); else missing.push(extraKey);
    } else if (sd.has(extraKey)) unexpected.push(extraKey);
    for (const key of sd.keys()) {
      if (key.startsWith(prefix) && key !== extraKey) {
        const inputName = key.slice(prefix.length).split('.')[0];
        if (!m._modules.has(inputName) && !local.has(inputName)) unexpected.push(key);
      }
    }
    for (const [k, c] of m._modules) if (c) visit(c, `${prefix}${k}.`);
  };
  visit(self._self(), '');
  if (!errors.length) runLoadPostHooks(self._self(), new IncompatibleKeys(missing, unexpected)); // before the copy: all-or-nothing holds

  if (strict) {
    if (unexpected.length) errors.unshift(`Unexpected key(s) in state_dict: ${unexpected.map((k) => `"${k}"`).join(', ')}.`);
    if (missing.length) errors.unshift(`Missing key(s) in state_dict: ${missing.map((k) => `"${k}"`).join(', ')}.`);
  }
  if (errors.length) {
    const hints: string[] = [];
    if (strict && (missing.length || unexpected.length)) {
      const prefixed = unexpected.length > 0 && unexpected.every((k) => k.startsWith('module.'));
      hints.push(prefixed
        ? "the unexpected keys start with 'module.' (a DataParallel checkpoint): nn.utils.consumePrefixInStateDict(sd, 'module.') removes it"
        : 'use {strict: false} to load the matching keys and ignore missing/unexpected ones');
    }
    if (mismatches) {
      hints.push('a size mismatch means the checkpoint was made for a different configuration (sizes, vocabulary, number of classes): ' +
        'build the model with the checkpoint\'s sizes, or delete those keys from the state dict (and load with {strict: false}) to keep their fresh initialization');
    }
    const err = new StateDictError(`Error(s) in loading state_dict for ${self._getName()}:\n\t${errors.join('\n\t')}\n` +
      `Nothing was loaded.${hints.length ? ` ${hints.map((h) => h[0].toUpperCase() + h.slice(1)).join('. ')}.` : ''}`);
    Object.assign(err, { missingKeys: missing, unexpectedKeys: unexpected, errorMsgs: errors });
    throw err;
  }
  noGrad(() => {
    for (const { dst, src } of copies) {
      if (assign) {
        const s = src.ndim === 1 && dst.ndim === 0 ? src.reshape([]) : src;
        dst.setData_(s);
      } else copy_(dst, src.ndim === 1 && dst.ndim === 0 ? src.reshape([]) : src);
    }
  });
  for (const { m, v } of extras) m.setExtraState(v);
  return new IncompatibleKeys(missing, unexpected);
}
