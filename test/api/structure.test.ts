/**
 * Structural facts of src/ (issue 19), read with the TypeScript compiler API: no import cycles, no upward imports
 * between the layers of docs/ARCHITECTURE.md, no source file over 450 lines outside generated code, and no layer
 * above backend/ probing a backend (`readSync(...) === null`). Type-only imports are excluded: they vanish at
 * compile time. Each check is also run on a small made-up graph to show it fails on a real violation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = new URL('../../', import.meta.url).pathname;
const SRC = join(ROOT, 'src');
const MAX_LINES = 450;

/** Layers in the order of docs/ARCHITECTURE.md: a value import may only go to the same or a lower rank. */
const LAYERS: [prefix: string, rank: number][] = [
  ['core/', 0],
  ['random/', 1],
  ['backend/', 2],
  ['tensor/', 3],
  ['autograd/', 4],
  ['ops/', 5],
  ['nn/', 6],
  ['func/', 7], ['utils/', 7],
  ['optim/', 8], ['data/', 8],
  ['io/', 9],
  // the public API (src/*.ts other than the subpath entries); text and vision build on it, the CLI on all
  ['setup.ts', 10], ['webgpu.ts', 10], ['backends.ts', 10], ['index.ts', 10],
  ['text/', 11], ['vision/', 11], ['peft/', 12], ['text.ts', 12], ['vision.ts', 12], ['peft.ts', 13],
  ['cli/', 14],
];
/**
 * A device folder backend/<device>/ is reached only from itself, from the devices named here (the wasm kernels
 * extend cpu's GEMM) and from the setup and public-API files (rank >= SETUP_RANK), never from the layers between.
 */
const DEVICE_DEPS: Record<string, string[]> = { wasm: ['cpu'] };
const SETUP_RANK = 10;

export function rankOf(file: string): number {
  for (const [p, r] of LAYERS) if (file === p || file.startsWith(p)) return r;
  throw new Error(`structure test: ${file} is in no layer; add its folder to LAYERS (and to docs/ARCHITECTURE.md)`);
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

export interface Edge { from: string; to: string; line: number; dynamic: boolean }

/** The value imports of one file (relative specifiers only, resolved to src-relative .ts paths). */
export function valueImports(file: string, text: string, srcRoot = SRC): Edge[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const out: Edge[] = [];
  const add = (spec: string, node: ts.Node, dynamic: boolean) => {
    if (!spec.startsWith('.')) return;
    const abs = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
    out.push({ from: relative(srcRoot, file), to: relative(srcRoot, abs), line: sf.getLineAndCharacterOfPosition(node.getStart()).line + 1, dynamic });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const c = node.importClause;
      const typeOnly = c !== undefined && (c.isTypeOnly || (!c.name && c.namedBindings !== undefined && ts.isNamedImports(c.namedBindings)
        && c.namedBindings.elements.length > 0 && c.namedBindings.elements.every((e) => e.isTypeOnly)));
      if (!typeOnly) add(node.moduleSpecifier.text, node, false);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const typeOnly = node.isTypeOnly || (node.exportClause !== undefined && ts.isNamedExports(node.exportClause)
        && node.exportClause.elements.length > 0 && node.exportClause.elements.every((e) => e.isTypeOnly));
      if (!typeOnly) add(node.moduleSpecifier.text, node, false);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments.length > 0 && ts.isStringLiteral(node.arguments[0])) {
      add(node.arguments[0].text, node, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** Import cycles (static value imports only: a dynamic import() does not run at load time): each as a path a -> ... -> a. */
export function cycles(edges: Edge[]): string[][] {
  const adj = new Map<string, string[]>();
  for (const e of edges) if (!e.dynamic) adj.set(e.from, [...(adj.get(e.from) ?? []), e.to]);
  // Tarjan's strongly connected components; report one cycle per component
  let index = 0;
  const idx = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], on = new Set<string>();
  const found: string[][] = [];
  const strong = (v: string) => {
    idx.set(v, index); low.set(v, index); index++; stack.push(v); on.add(v);
    for (const w of adj.get(v) ?? []) {
      if (!idx.has(w)) { strong(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do { w = stack.pop()!; on.delete(w); comp.push(w); } while (w !== v);
      const self = (adj.get(v) ?? []).includes(v);
      if (comp.length > 1 || self) found.push(cyclePath(comp, adj));
    }
  };
  for (const v of [...adj.keys()].sort()) if (!idx.has(v)) strong(v);
  return found;
}

/** One concrete cycle inside a strongly connected component (BFS back to its first node). */
function cyclePath(comp: string[], adj: Map<string, string[]>): string[] {
  const set = new Set(comp), start = [...comp].sort()[0];
  const prev = new Map<string, string>(), queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of adj.get(v) ?? []) {
      if (!set.has(w)) continue;
      if (w === start) { const path = [start]; for (let u = v; u !== start; u = prev.get(u)!) path.splice(1, 0, u); return [...path, start]; }
      if (!prev.has(w)) { prev.set(w, v); queue.push(w); }
    }
  }
  return comp;
}

/** Value imports that go up the layer list, or into a device's folder from anywhere but that device and the setup. */
export function upward(edges: Edge[]): string[] {
  const bad: string[] = [];
  for (const e of edges) {
    const rf = rankOf(e.from), rt = rankOf(e.to);
    if (rt > rf) bad.push(`${e.from}:${e.line} imports ${e.to} (layer ${rt} above ${rf})`);
    const df = /^backend\/([^/]+)\//.exec(e.from)?.[1], dt = /^backend\/([^/]+)\//.exec(e.to)?.[1];
    if (dt !== undefined && df !== dt && rf < SETUP_RANK && !(df !== undefined && DEVICE_DEPS[df]?.includes(dt))) bad.push(`${e.from}:${e.line} imports the ${dt} device's ${e.to}`);
  }
  return bad;
}

const GENERATED = /\/generated\//;
/**
 * Files over the limit whose split belongs to another branch of issue 19, with the reason; each entry must still be
 * over the limit (so a stale entry fails too). Remove the entry once that branch is merged.
 */
const PENDING_SPLIT: Record<string, string> = {};
/** Lines of code that ask a backend whether it reads synchronously by probing it, outside backend/. */
export function probes(file: string, text: string): string[] {
  return text.split('\n').flatMap((l, i) => (/readSync/.test(l) && /null/.test(l) ? [`${file}:${i + 1}: ${l.trim()}`] : []));
}

const files = walk(SRC).sort();
const texts = new Map(files.map((f) => [f, readFileSync(f, 'utf8')]));
const edges = files.flatMap((f) => valueImports(f, texts.get(f)!));

test('structure: no import cycles in src/ (value imports)', () => {
  const found = cycles(edges);
  assert.deepEqual(found.map((c) => c.join(' -> ')), []);
});

test('structure: no upward imports between the layers of docs/ARCHITECTURE.md (value imports)', () => {
  assert.deepEqual(upward(edges), []);
});

test(`structure: no src/ file over ${MAX_LINES} lines outside generated code`, () => {
  const long = files.filter((f) => !GENERATED.test(f)).map((f) => [relative(SRC, f), texts.get(f)!.split('\n').length] as const).filter(([, n]) => n > MAX_LINES);
  assert.deepEqual(long.filter(([f]) => !(f in PENDING_SPLIT)).map(([f, n]) => `${f}: ${n} lines`), []);
  const stale = Object.keys(PENDING_SPLIT).filter((f) => !long.some(([g]) => g === f));
  assert.deepEqual(stale, [], 'these files are no longer over the limit: remove them from PENDING_SPLIT');
});

test('structure: no layer above backend/ probes a backend (`readSync ... null`); ask `backend.syncRead` instead', () => {
  const found = files.filter((f) => !relative(SRC, f).startsWith('backend/')).flatMap((f) => probes(relative(SRC, f), texts.get(f)!));
  assert.deepEqual(found, []);
});

test('structure: each check fails on a made-up violation', () => {
  const at = (f: string) => join(SRC, f);
  const graph = [
    ...valueImports(at('tensor/tensor.ts'), "import { backward } from '../autograd/engine.js';\nimport type { Node } from '../autograd/node.js';"),
    ...valueImports(at('autograd/engine.ts'), "import { Tensor } from '../tensor/tensor.js';\nexport type { X } from '../nn/module.js';"),
    ...valueImports(at('core/args.ts'), "export { type A, type B } from '../ops/index.js';\nconst m = await import('../io/file.js');"),
  ];
  assert.deepEqual(cycles(graph).map((c) => c.join(' -> ')), ['autograd/engine.ts -> tensor/tensor.ts -> autograd/engine.ts']);
  assert.deepEqual(upward(graph), ['tensor/tensor.ts:1 imports autograd/engine.ts (layer 4 above 3)', 'core/args.ts:2 imports io/file.ts (layer 9 above 0)']);
  assert.deepEqual(upward(valueImports(at('backend/cpu/x.ts'), "import { a } from '../webgpu/device.js';")), ['backend/cpu/x.ts:1 imports the webgpu device\'s backend/webgpu/device.ts']);
  assert.deepEqual(upward(valueImports(at('optim/x.ts'), "import { tidy } from '../backend/webgpu/tidy.js';")), ['optim/x.ts:1 imports the webgpu device\'s backend/webgpu/tidy.ts']);
  assert.deepEqual(upward(valueImports(at('index.ts'), "import './backend/cpu/index.js';")), []);
  assert.deepEqual(probes('ops/x.ts', 'if (be(t).readSync(t.storage) === null) return;'), ['ops/x.ts:1: if (be(t).readSync(t.storage) === null) return;']);
});
