/**
 * @file State-dict helpers.
 */

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
