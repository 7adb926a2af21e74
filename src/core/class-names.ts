/**
 * @file `keepClassNames({ ShapeError })`: pin classes' `name` to their source names. A minifying bundler renames
 * classes, and an error would then print `P: ...` instead of `ModuleError: ...`. Not a public export.
 */
export function keepClassNames(classes: Record<string, abstract new (...args: never[]) => unknown>): void {
  for (const [name, c] of Object.entries(classes)) Object.defineProperty(c, 'name', { value: name, configurable: true });
}
