/**
 * @file The printed names of torchlet's nn module classes (`Module._getName()` is `constructor.name`), pinned to
 * their export names: a bundler that minifies class names (esbuild, terser) would otherwise make `String(model)`
 * print `Kr(...)`. A user's subclass has its own `name`, so it prints its own. Called by nn/index.ts (a statement of
 * the namespace module, so a bundle that uses nn keeps it and one that does not drops both).
 */
import { keepClassNames } from '../core/class-names.js';
import { Module } from './module.js';

type Ctor = abstract new (...args: never[]) => unknown;

/** Pin the names of the module classes among `exports` (other exports are left alone). */
export function keepModuleClassNames(...exports: Record<string, unknown>[]): void {
  const classes: Record<string, Ctor> = { Module };
  for (const e of exports) {
    for (const [k, v] of Object.entries(e)) {
      if (typeof v === 'function' && (v as { prototype?: unknown }).prototype instanceof Module) classes[k] = v as Ctor;
    }
  }
  keepClassNames(classes);
}
