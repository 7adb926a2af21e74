/**
 * `npm run bench`: bundles bench/run.ts with esbuild into bench/run.bundle.mjs (next to it, so its paths hold)
 * and runs it with the same arguments. Why not `node --import tsx`: tsx compiles with esbuild's keepNames,
 * which wraps every function made at run time in a `__name(...)` call; torchlet's published build (tsc, dist/)
 * has none, and on a 1,000-element add that wrapper alone was 15-25 % of the op. The bench measures the code
 * users run.
 */
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const out = fileURLToPath(new URL('../bench/run.bundle.mjs', import.meta.url));
await build({
  entryPoints: [fileURLToPath(new URL('../bench/run.ts', import.meta.url))], outfile: out, bundle: true,
  platform: 'node', format: 'esm', target: 'node20', packages: 'external', keepNames: false, logLevel: 'warning',
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});
const r = spawnSync(process.execPath, [out, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
