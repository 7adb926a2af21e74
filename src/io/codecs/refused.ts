/**
 * @file A global a weights-only load refuses is replaced, while unpickling, by an inert marker (nothing is
 * imported or called; REDUCE/NEWOBJ/BUILD on a marker give a marker), so that the error can name where the
 * refused value sits in the checkpoint (`scheduler.anneal_func`) instead of only a byte offset.
 */
import { isTuple, PyOrderedDict, type PyValue } from './types.js';

const MARK = Symbol('refused global');

/** The marker that stands for a refused global and anything built from it. */
export interface Refused { readonly [MARK]: true; readonly global: string }

export function refused(global: string): PyValue { return { [MARK]: true, global } as unknown as PyValue; }
export function isRefused(v: unknown): v is Refused { return typeof v === 'object' && v !== null && MARK in v; }

/** The first path (`scheduler.anneal_func`, `layers[2]`; '' for the root) at which a marker sits in `root`, or null. */
export function findRefused(root: PyValue, maxDepth = 64): { path: string; global: string } | null {
  const seen = new Set<unknown>();
  const walk = (v: unknown, path: string, depth: number): { path: string; global: string } | null => {
    if (isRefused(v)) return { path, global: v.global };
    if (typeof v !== 'object' || v === null || seen.has(v) || depth > maxDepth) return null;
    seen.add(v);
    const child = (k: unknown) => (typeof k === 'number' ? `${path}[${k}]` : path ? `${path}.${String(k)}` : String(k));
    if (v instanceof Map) {
      for (const [k, x] of v) { const r = walk(x, child(k), depth + 1); if (r) return r; }
      if (v instanceof PyOrderedDict && v.attrs) for (const [k, x] of v.attrs) { const r = walk(x, child(k), depth + 1); if (r) return r; }
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) { const r = walk(v[i], child(i), depth + 1); if (r) return r; }
    } else if (isTuple(v)) {
      for (let i = 0; i < v.items.length; i++) { const r = walk(v.items[i], child(i), depth + 1); if (r) return r; }
    }
    return null;
  };
  return walk(root, '', 0);
}
