/**
 * @file `torchlet explore`: serves the initialization explorer (web/, built into dist/explore/) on localhost.
 * Builds the page first when its build is missing or older than the sources (a checkout); an installed package
 * serves the prebuilt dist/explore/. Sends COOP/COEP so the page is cross-origin isolated (SharedArrayBuffer,
 * hence the threaded WebAssembly kernels, in its worker). Node only.
 */
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The package root: src/cli/explore.ts and dist/cli/explore.js both sit two folders below it. */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.bin': 'application/octet-stream',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

interface BuildModule {
  DEFAULT_OUTDIR: string;
  needsBuild(outdir?: string): boolean;
  buildExplorer(opts?: { outdir?: string }): Promise<{ outdir: string; files: Record<string, number> }>;
}

export interface ExplorerServer { server: Server; url: string; port: number; outdir: string; close(): Promise<void> }

/** Build the page if needed; returns the folder to serve. */
export async function preparePage(opts: { outdir?: string; log?: (s: string) => void } = {}): Promise<string> {
  const outdir = opts.outdir ?? join(PACKAGE_ROOT, 'dist', 'explore');
  const script = join(PACKAGE_ROOT, 'web', 'build.mjs');
  if (existsSync(script)) {
    const b = (await import(pathToFileURL(script).href)) as BuildModule;
    if (b.needsBuild(outdir)) {
      opts.log?.('torchlet explorer: building the page (web/ -> dist/explore/) ...');
      await b.buildExplorer({ outdir });
    }
  }
  if (!existsSync(join(outdir, 'index.html'))) {
    throw new Error(`the explorer page is not built (${outdir}/index.html is missing) and web/build.mjs is not here to build it`);
  }
  return outdir;
}

/** Start the static server (port 0 = any free port). */
export async function startExplorer(opts: { port?: number; host?: string; outdir?: string; log?: (s: string) => void } = {}): Promise<ExplorerServer> {
  const outdir = await preparePage(opts);
  const host = opts.host ?? '127.0.0.1';
  const root = resolve(outdir);
  const server = createServer((req, res) => {
    const headers: Record<string, string> = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...headers, Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      res.writeHead(400, { ...headers, 'Content-Type': 'text/plain' }).end('bad request\n');
      return;
    }
    if (path.endsWith('/')) path += 'index.html';
    const file = normalize(join(root, path));
    if (file !== root && !file.startsWith(root + sep)) {
      res.writeHead(403, { ...headers, 'Content-Type': 'text/plain' }).end('forbidden\n');
      return;
    }
    if (!existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end(`not found: ${path}\n`);
      return;
    }
    const body = readFileSync(file);
    res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': String(body.length) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 5173, host, () => { server.off('error', fail); ok(); });
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : (opts.port ?? 0);
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    server, port, outdir, url: `http://${shownHost}:${port}/`,
    close: () => new Promise<void>((ok) => { server.closeAllConnections?.(); server.close(() => ok()); }),
  };
}

/** `torchlet explore`: serve the page, print its address, run until killed. */
export async function explore(opts: { port: number; host: string }): Promise<void> {
  const s = await startExplorer({ ...opts, log: (m) => console.log(m) });
  console.log(`torchlet explorer: ${s.url}`);
  console.log('(Ctrl+C to stop)');
  await new Promise<void>((ok) => {
    const stop = () => { void s.close().then(ok); };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
