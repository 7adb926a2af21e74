/**
 * @file Module paths in messages: the stack of running call()s, the `in Net.fc (Linear): ...` prefix a forward
 * error gets once, and the indentation of the printed module tree. Knows Module as a type.
 */
import type { Module } from './module.js';

/** Modules whose call() is running, outermost first (for the module path in forward errors). */
export const callStack: Module[] = [];
const annotated = new WeakSet<object>();

/** Prefix an error thrown inside forward with the module path, once (the innermost module that saw it). */
export function annotateForwardError(e: unknown, self: Module): void {
  if (e instanceof Error && !annotated.has(e)) {
    annotated.add(e);
    const path = callPath();
    const cls = self._getName();
    const prefix = path === cls ? `in ${cls}: ` : `in ${path} (${cls}): `;
    const old = e.message;
    e.message = prefix + old;
    if (typeof e.stack === 'string') e.stack = e.stack.replace(old, e.message);
  }
}

export function addIndent(s: string, n: number): string {
  const lines = s.split('\n');
  if (lines.length === 1) return s;
  return [lines[0], ...lines.slice(1).map((l) => ' '.repeat(n) + l)].join('\n');
}

/** The dotted path of the innermost running module, from the outermost running one. */
function callPath(): string {
  const top = callStack[callStack.length - 1];
  let path = callStack[0]._getName();
  for (let i = 1; i < callStack.length; i++) {
    let name: string | null = null;
    for (const [k, c] of callStack[i - 1]._modules) if (c === callStack[i]) { name = k; break; }
    path = name === null ? callStack[i]._path() : `${path}.${name}`;
  }
  return callStack.length ? path : top._path();
}
