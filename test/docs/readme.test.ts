/**
 * The README's TypeScript code blocks, run. Every ```ts block of README.md becomes a test: `'torchlet'`
 * imports point at the sources, the block runs as an ES module (top-level await allowed) with tsx in a fresh
 * folder, and must exit 0. An HTML comment right before a block changes what is checked:
 *
 *   <!-- readme-test: setup
 *   ...code run before the block (the names it needs), shown only in the README source...
 *   -->
 *   <!-- readme-test: excerpt of examples/x.ts: why it cannot run alone -->
 *       the block is part of a runnable file: each of its lines must appear in that file, in order (the file
 *       itself is run by its own test)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

interface Block { line: number; code: string; setup: string; excerptOf: string | null; why: string }

function blocks(md: string): Block[] {
  const out: Block[] = [];
  const re = /```ts\n([\s\S]*?)```/g;
  for (let m = re.exec(md); m; m = re.exec(md)) {
    const before = md.slice(0, m.index);
    const line = before.split('\n').length;
    // the HTML comments directly above the block (only blank lines between)
    let setup = '', excerptOf: string | null = null, why = '';
    let rest = before.replace(/\s+$/, '');
    while (rest.endsWith('-->')) {
      const start = rest.lastIndexOf('<!--');
      if (start < 0) break;
      const body = rest.slice(start + 4, -3).trim();
      const s = /^readme-test: setup\n([\s\S]*)$/.exec(body);
      const e = /^readme-test: excerpt of (\S+): (.+)$/s.exec(body);
      if (s) setup = s[1];
      else if (e) { excerptOf = e[1]; why = e[2].trim(); }
      rest = rest.slice(0, start).replace(/\s+$/, '');
    }
    out.push({ line, code: m[1], setup, excerptOf, why });
  }
  return out;
}

const INDEX = pathToFileURL(join(ROOT, 'src/index.ts')).href;
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const SRC = pathToFileURL(join(ROOT, 'src')).href;
/** 'torchlet' and its subpaths ('torchlet/vision' is src/vision.ts, as package.json's exports map it for dist/). */
const toSources = (code: string): string => code
  .replace(/from 'torchlet'/g, `from '${INDEX}'`)
  .replace(/from 'torchlet\/([a-z]+)'/g, (_, sub: string) => `from '${SRC}/${sub}.ts'`);

const all = blocks(README);

test('the markers attach to the block right below them, and only to it', () => {
  const md = [
    'text', '<!-- readme-test: setup', 'const a = 1;', '-->', '```ts', 'use(a);', '```',
    '<!-- an ordinary comment -->', '', '<!-- readme-test: excerpt of examples/x.ts: needs the data loaded above it -->', '```ts', 'step();', '```',
    '```ts', 'plain();', '```',
  ].join('\n');
  const [b1, b2, b3] = blocks(md);
  assert.deepEqual([b1.setup.trim(), b1.excerptOf, b1.code], ['const a = 1;', null, 'use(a);\n']);
  assert.deepEqual([b2.setup, b2.excerptOf, b2.why], ['', 'examples/x.ts', 'needs the data loaded above it']);
  assert.deepEqual([b3.setup, b3.excerptOf], ['', null]);
});

test('README.md has TypeScript blocks, and every excerpt names its reason', () => {
  assert.ok(all.length >= 3, `found ${all.length} ts blocks`);
  for (const b of all) if (b.excerptOf) assert.ok(b.why.length > 10, `README.md:${b.line}: say why the block is only an excerpt`);
});

for (const b of all) {
  const first = b.code.split('\n').find((l) => l.trim() && !l.trim().startsWith('//'))?.trim().slice(0, 60) ?? '';
  if (b.excerptOf) {
    const file = b.excerptOf;
    test(`README.md:${b.line} (${first}...) is an excerpt of ${file}, line for line`, () => {
      const src = readFileSync(join(ROOT, file), 'utf8').split('\n').map((l) => l.trim());
      let at = 0;
      for (const l of b.code.split('\n').map((x) => x.trim()).filter(Boolean)) {
        const i = src.indexOf(l, at);
        assert.ok(i >= 0, `README.md:${b.line}: "${l}" is not in ${file} (after line ${at}); keep the excerpt in step with the file`);
        at = i + 1;
      }
    });
    continue;
  }
  test(`README.md:${b.line} (${first}...) runs`, { timeout: 120_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'torchlet-readme-'));
    try {
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ extends: join(ROOT, 'tsconfig.json'), include: ['*.mts'] }));
      writeFileSync(join(dir, 'block.mts'), `${toSources(b.setup)}\n${toSources(b.code)}\nexport {};\n`);
      const r = spawnSync(process.execPath, ['--import', TSX, 'block.mts'], { cwd: dir, encoding: 'utf8', timeout: 110_000 });
      assert.equal(r.status, 0, `README.md:${b.line} failed:\n${r.stderr}\n${r.stdout}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
