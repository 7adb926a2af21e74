/**
 * @file The nesting limit of unpickled values. A pickle can nest containers (lists, dicts, tuples) as deep as it
 * likes with a few bytes per level, or make a container hold itself through the memo; every consumer of the value
 * (the tensor bridge, printing, the pickler) walks it recursively. `nestingDepth` measures the depth without
 * recursion (an explicit stack; each container is visited once, so shared sub-values cost nothing extra) and stops
 * at the first container deeper than the limit. A container that holds itself (a cycle through the memo, which
 * Python's pickle allows) adds no depth: consumers keep a map of the containers they have seen. Imports only the
 * value types.
 */
import type { PyValue } from './types.js';

/** Deepest container nesting accepted in a checkpoint (Python's own default recursion limit is 1000). */
export const MAX_NESTING = 1000;

function children(v: object): PyValue[] | null {
  if (Array.isArray(v)) return v as PyValue[];
  if (v instanceof Map) {
    const out: PyValue[] = [];
    for (const [k, e] of v as Map<unknown, PyValue>) {
      if (k !== null && typeof k === 'object') out.push(k as PyValue);
      out.push(e);
    }
    const attrs = (v as { attrs?: Map<string, PyValue> }).attrs;
    if (attrs) out.push(...attrs.values());
    return out;
  }
  const kind = (v as { kind?: string }).kind;
  if (kind === 'tuple') return (v as { items: PyValue[] }).items;
  if (kind === 'object') return (v as { args: PyValue[] }).args;
  return null; // tensors, storages, globals, floats, bytes: leaves
}

/**
 * The container depth of `root` along a depth-first walk that does not re-enter a container it is inside of
 * (0 for a leaf). Returns `{ depth }`, or `{ error }` when containers nest deeper than `limit`.
 */
export function nestingDepth(root: PyValue, limit = MAX_NESTING): { depth: number } | { error: string } {
  if (root === null || typeof root !== 'object' || children(root) === null) return { depth: 0 };
  const done = new Map<object, number>();
  const open = new Set<object>();
  const stack: { v: object; kids: PyValue[]; i: number; max: number }[] = [];
  const enter = (v: object): string | null => {
    if (stack.length >= limit) return `containers nested deeper than the limit of ${limit} levels`;
    open.add(v);
    stack.push({ v, kids: children(v) as PyValue[], i: 0, max: 0 });
    return null;
  };
  const first = enter(root);
  if (first) return { error: first };
  for (;;) {
    const f = stack[stack.length - 1];
    if (f.i < f.kids.length) {
      const c = f.kids[f.i++];
      if (c === null || typeof c !== 'object') continue;
      const known = done.get(c);
      if (known !== undefined) { f.max = Math.max(f.max, known); continue; }
      if (children(c) === null || open.has(c)) continue; // a leaf, or a cycle back to an enclosing container
      const err = enter(c);
      if (err) return { error: err };
      continue;
    }
    stack.pop();
    open.delete(f.v);
    const d = f.max + 1;
    done.set(f.v, d);
    if (stack.length === 0) return { depth: d };
    const parent = stack[stack.length - 1];
    parent.max = Math.max(parent.max, d);
  }
}

/**
 * The unpickler's early check: records the depth of each container as items are put into it, so a pickle that
 * nests 300,000 levels with one opcode per level stops at level `limit + 1` instead of building them all. Items
 * added to a container after it was itself nested are not propagated upwards: nestingDepth at STOP is the
 * complete check. Returns `nest(container, newItems)`, which returns the container.
 */
export function nestingTracker(limit: number, fail: (msg: string) => never): <T extends PyValue>(container: T, items: Iterable<PyValue>) => T {
  const depthOf = new WeakMap<object, number>();
  return (container, items) => {
    let d = depthOf.get(container as object) ?? 1;
    for (const it of items) {
      if (it !== null && typeof it === 'object') { const c = depthOf.get(it) ?? 1; if (c + 1 > d) d = c + 1; }
    }
    if (d > limit) fail(`containers nested deeper than the limit of ${limit} levels`);
    depthOf.set(container as object, d);
    return container;
  };
}
