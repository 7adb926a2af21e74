// Bundles the library for the browser with esbuild (platform=browser): any Node-only module reachable from
// the core entry fails the build. Output: dist/torchlet.browser.js (ESM).
import { build } from 'esbuild';

export async function bundleBrowser({ outfile = 'dist/torchlet.browser.js', write = true } = {}) {
  return build({
    entryPoints: ['src/index.ts'],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outfile,
    write,
    logLevel: 'silent',
    metafile: true,
    // The Node WebGPU binding is loaded lazily only where navigator.gpu is absent; it never ships to browsers.
    external: ['webgpu'],
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await bundleBrowser();
  const bytes = Object.values(r.metafile.outputs).reduce((a, o) => a + o.bytes, 0);
  console.log(`dist/torchlet.browser.js: ${(bytes / 1024).toFixed(0)} KiB`);
}
