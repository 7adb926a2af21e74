/**
 * @file Memory scopes, device-neutral: torch.tidy(fn) (also torch.webgpu.tidy) disposes the storages created
 * while fn runs (a device whose storages free themselves, the CPU, never reports any; webgpu does, from its
 * storage constructor), except those of the tensors it
 * returns (found in the result: a tensor, or arrays/objects of them) and those passed to keep(). Scopes nest:
 * kept storages belong to the enclosing scope. Async functions are not supported (the scope would end at the
 * first await): use dispose() there.
 */
import type { Storage } from './backend.js';

const scopes: Set<Storage>[] = [];
const kept = new WeakSet<Storage>();

/** internal: a backend whose storages need `dispose()` reports each new one. */
export function noteCreated(s: Storage): void {
  if (scopes.length) scopes[scopes.length - 1].add(s);
}

function collect(v: unknown, out: Set<Storage>, seen: Set<unknown>): void {
  if (v === null || typeof v !== 'object' || seen.has(v)) return;
  seen.add(v);
  const st = (v as { storage?: unknown }).storage;
  if (st && typeof st === 'object' && 'device' in st && 'dtype' in st) { out.add(st as Storage); return; }
  if (Array.isArray(v)) { for (const x of v) collect(x, out, seen); return; }
  if (v instanceof Map) { for (const x of v.values()) collect(x, out, seen); return; }
  if (Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) collect(x, out, seen);
}

/** Keep a tensor's storage alive past the enclosing tidy(). Returns its argument. */
export function keep<T extends { storage: Storage }>(t: T): T { kept.add(t.storage); return t; }

export function tidy<T>(fn: () => T): T {
  const scope = new Set<Storage>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const s of scope) if (!kept.has(s)) s.dispose?.();
    throw e;
  }
  scopes.pop();
  if (result instanceof Promise) throw new TypeError('tidy(fn): fn must be synchronous (the scope cannot span an await); dispose tensors explicitly in async code');
  const live = new Set<Storage>();
  collect(result, live, new Set());
  const parent = scopes.length ? scopes[scopes.length - 1] : null;
  for (const s of scope) {
    if (kept.has(s)) continue;
    if (live.has(s)) { parent?.add(s); continue; }
    s.dispose?.();
  }
  return result;
}
