/**
 * @file State-dict helpers.
 */
import { ArgumentError, describeValue } from '../../core/args.js';

/**
 * Strip `prefix` from every key that starts with it, in place (PyTorch's consume_prefix_in_state_dict_if_present),
 * e.g. the `module.` of a DataParallel checkpoint. Returns the same dict, for chaining.
 */
export function consumePrefixInStateDict<V, D extends Map<string, V> | Record<string, V>>(stateDict: D, prefix: string): D {
  if (stateDict instanceof Map) {
    const map: Map<string, V> = stateDict; // instanceof narrows to Map<any, any>; the constraint says Map<string, V>
    const entries = [...map];
    map.clear();
    for (const [k, v] of entries) map.set(k.startsWith(prefix) ? k.slice(prefix.length) : k, v);
    return stateDict;
  }
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- tsc needs it: `instanceof Map` does not remove the Map member from the generic D here
  const rec = stateDict as Record<string, V>;
  const entries = Object.entries(rec);
  for (const k of Object.keys(rec)) delete rec[k];
  for (const [k, v] of entries) rec[k.startsWith(prefix) ? k.slice(prefix.length) : k] = v;
  return stateDict;
}

/** Prefix rules of remapStateDictKeys: `[from, to]` pairs, or an object `{ from: to }`, applied in order. */
export type RemapRules = readonly (readonly [string, string])[] | Record<string, string>;

/** The prefixes checkpoints pick up on the way: DataParallel/DistributedDataParallel's and torch.compile's. */
export const DEFAULT_REMAP_RULES: readonly (readonly [string, string])[] = [['module.', ''], ['_orig_mod.', '']];

export interface RemapResult<V> {
  /** The remapped state dict (a new Map, same order and values). */
  stateDict: Map<string, V>;
  /** Every key that changed, as [old key, new key], in order. */
  changed: [string, string][];
}

/**
 * Rename state-dict keys by prefix rules (default: strip `module.` from DataParallel/DDP and `_orig_mod.` from
 * torch.compile; pass `{ 'model.': '' }` for Lightning's `model.`). Each rule is applied at the start of the key
 * and again while it still matches (`module.module.`); a rule whose `from` starts with '.' (e.g. `._orig_mod.`)
 * matches inside keys too (a compiled submodule). Returns the new dict and every key it changed; two keys that
 * would land on one name are an error naming both.
 *
 *   const { stateDict, changed } = nn.utils.remapStateDictKeys(await torch.load('ddp.pt'));
 */
export function remapStateDictKeys<V>(stateDict: Map<string, V> | Record<string, V>, rules: RemapRules = DEFAULT_REMAP_RULES): RemapResult<V> {
  const fn = 'nn.utils.remapStateDictKeys';
  const entries: [string, V][] = stateDict instanceof Map ? [...stateDict] : stateDict !== null && typeof stateDict === 'object' ? Object.entries(stateDict) : [];
  if (!(stateDict instanceof Map) && (stateDict === null || typeof stateDict !== 'object' || Array.isArray(stateDict))) {
    throw new ArgumentError(`${fn}: expected a state dict (a Map or a plain object), got ${describeValue(stateDict)}`);
  }
  const list: readonly (readonly [string, string])[] | null = Array.isArray(rules) ? (rules as readonly (readonly [string, string])[]) : rules !== null && typeof rules === 'object' ? Object.entries(rules) : null;
  if (!list || list.some((r) => !Array.isArray(r) || r.length !== 2 || typeof r[0] !== 'string' || typeof r[1] !== 'string' || r[0] === '')) {
    throw new ArgumentError(`${fn}: rules must be [from, to] string pairs or an object { from: to } with non-empty 'from', e.g. { 'model.': '' }`);
  }
  const out = new Map<string, V>();
  const from = new Map<string, string>();
  const changed: [string, string][] = [];
  for (const [key, v] of entries) {
    let k = key;
    for (const [a, b] of list) {
      if (a.startsWith('.')) { k = k.split(a).join(`.${b}`); continue; }
      while (k.startsWith(a) && k.length > a.length) k = b + k.slice(a.length);
    }
    if (out.has(k)) throw new ArgumentError(`${fn}: '${from.get(k)}' and '${key}' both become '${k}'; adjust the rules`);
    out.set(k, v);
    from.set(k, key);
    if (k !== key) changed.push([key, k]);
  }
  return { stateDict: out, changed };
}
