/**
 * torchlet in someone else's web page, in Debian's headless Chromium (playwright-core), with the bundle served
 * by a node:http server on 127.0.0.1 under three header sets:
 *
 * 1. COOP/COEP (cross-origin isolated) and the library in a module Worker, as the README's "In the browser"
 *    section sets it up: the worker trains an MLP with progress messages; threads > 1 run, the kernels are
 *    WebAssembly SIMD, and the loss sequence equals Node's to the last bit.
 * 2. A Content-Security-Policy without 'wasm-unsafe-eval': the library falls back to the TypeScript kernels,
 *    warns once naming 'wasm-unsafe-eval', and torch.backends.info() says why.
 * 3. COOP/COEP with `worker-src 'self'` in the worker's CSP: the library's Blob-URL workers are refused (the
 *    browser says so asynchronously), it warns naming `worker-src blob:`, and `await torch.backends.threadsReady()`,
 *    then getNumThreads() and info(), report the one thread that runs.
 * Also: torch.save(path) in a page throws at once naming saveBytes, and requests nothing from the server.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../../src/index.js';
import { requireOrSkip } from '../helpers/python.js';
import { bundleBrowser } from '../../scripts/bundle-browser.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-gpu'];
const COI = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };
const STEPS = 12;

/** The training loop of the README's worker example (same code in Node below). */
const TRAIN = `
export async function trainMlp(torch, onStep) {
  torch.manualSeed(0);
  const { nn, optim } = torch;
  const model = new nn.Sequential(new nn.Linear(64, 256), new nn.ReLU(), new nn.Linear(256, 10));
  const opt = new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
  const x = torch.randn([256, 64]);
  const y = torch.randint(0, 10, [256]);
  const losses = [];
  for (let step = 0; step < ${STEPS}; step++) {
    opt.zeroGrad();
    const loss = nn.functional.crossEntropy(model.call(x), y);
    loss.backward();
    opt.step();
    losses.push(loss.item());
    onStep?.(step, losses[step]);
    if (step % 10 === 9) await new Promise((r) => setTimeout(r, 0)); // a task turn: collected buffers are recycled
  }
  return losses;
}`;

const CAPTURE = `const warnings = []; const warn0 = console.warn; console.warn = (...a) => { warnings.push(a.map(String).join(' ')); warn0(...a); };`;

const FILES: Record<string, { body: string; headers?: Record<string, string> }> = {
  // 1. cross-origin isolated page, library in a module worker
  '/coi/': { headers: COI, body: `<!doctype html><meta charset="utf-8"><title>worker</title><script type="module" src="/coi/main.js"></script>` },
  '/coi/main.js': { headers: COI, body: `
const w = new Worker('/coi/worker.js', { type: 'module' });
const progress = [];
w.onmessage = (e) => {
  if (e.data.type === 'progress') progress.push(e.data.step);
  else window.__result = { ...e.data, progress, pageIsolated: crossOriginIsolated };
};
w.onerror = (e) => { window.__result = { error: String(e.message) }; };` },
  '/coi/worker.js': { headers: COI, body: `${CAPTURE}
const torch = await import('/torchlet.js');
const { trainMlp } = await import('/train.js');
try {
  const threads = await torch.backends.threadsReady();
  const losses = await trainMlp(torch, (step, loss) => postMessage({ type: 'progress', step, loss }));
  const a = torch.randn([384, 384]), b = torch.randn([384, 384]);
  torch.matmul(a, b);                     // large enough to run on every thread
  postMessage({ type: 'done', threads, info: torch.backends.info(), losses, warnings });
} catch (e) { postMessage({ type: 'done', error: String(e && e.stack || e), warnings }); }` },
  // 2. a CSP that forbids WebAssembly compilation
  '/nowasm/': { headers: { 'content-security-policy': "script-src 'self'" }, body: `<!doctype html><meta charset="utf-8"><title>nowasm</title><script type="module" src="/nowasm/main.js"></script>` },
  '/nowasm/main.js': { headers: { 'content-security-policy': "script-src 'self'" }, body: `${CAPTURE}
const torch = await import('/torchlet.js');
const { trainMlp } = await import('/train.js');
let saveError = null;
try { await torch.save(new Map([['w', torch.ones([2])]]), 'w.pt'); } catch (e) { saveError = String(e.message); }
const losses = await trainMlp(torch);
window.__result = { info: torch.backends.info(), threads: torch.getNumThreads(), losses, warnings, saveError };` },
  // 3. cross-origin isolated, but the worker's CSP refuses blob: workers
  '/noblob/': { headers: COI, body: `<!doctype html><meta charset="utf-8"><title>noblob</title><script type="module" src="/noblob/main.js"></script>` },
  '/noblob/main.js': { headers: COI, body: `
const w = new Worker('/noblob/worker.js', { type: 'module' });
w.onmessage = (e) => { window.__result = e.data; };
w.onerror = (e) => { window.__result = { error: String(e.message) }; };` },
  '/noblob/worker.js': { headers: { ...COI, 'content-security-policy': "script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'" }, body: `${CAPTURE}
const torch = await import('/torchlet.js');
try {
  const planned = torch.getNumThreads();
  const threads = await torch.backends.threadsReady();
  const a = torch.randn([384, 384]), b = torch.randn([384, 384]);
  torch.matmul(a, b);
  postMessage({ planned, threads, threadsAfter: torch.getNumThreads(), info: torch.backends.info(), warnings });
} catch (e) { postMessage({ error: String(e && e.stack || e), warnings }); }` },
  '/train.js': { headers: COI, body: TRAIN },
};

function missing(): string | null {
  if (!existsSync(CHROMIUM)) return `chromium not installed: ${CHROMIUM} is missing (apt-get install -y chromium)`;
  try { createRequire(import.meta.url).resolve('playwright-core'); } catch { return 'playwright-core not installed (npm ci)'; }
  return null;
}

interface Info { cpu: { kernels: string; reason: string; recycling: { enabled: boolean; heldBytes: number } }; threads: { requested: number; running: number; limitedBy: string | null }; runtime: { name: string; crossOriginIsolated: boolean | null } }
interface PageResult { error?: string; info: Info; threads: number; planned?: number; threadsAfter?: number; losses: number[]; warnings: string[]; progress?: number[]; pageIsolated?: boolean; saveError?: string | null }

async function nodeLosses(): Promise<number[]> {
  const mod = await import(`data:text/javascript,${encodeURIComponent(TRAIN)}`) as { trainMlp(t: typeof torch): Promise<number[]> };
  return mod.trainMlp(torch);
}

test('web page: a cross-origin-isolated page trains in a Worker on several threads; CSP refusals of WebAssembly and of Blob workers warn and are reported', { timeout: 240_000 }, async (t) => {
  if (requireOrSkip(t, missing())) return;
  const r = await bundleBrowser({ write: false });
  const js = r.outputFiles[0].text;
  const requests: { url: string; headers: IncomingHttpHeaders }[] = [];
  const server = createServer((req, res) => {
    requests.push({ url: req.url ?? '', headers: req.headers });
    const path = req.url ?? '/';
    if (path === '/torchlet.js') { res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', ...COI }); res.end(js); return; }
    const f = FILES[path];
    if (!f) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'content-type': path.endsWith('/') ? 'text/html; charset=utf-8' : 'text/javascript; charset=utf-8', ...f.headers });
    res.end(f.body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const base = `http://localhost:${(server.address() as AddressInfo).port}`;
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'torchlet-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS });
  const run = async (path: string): Promise<PageResult> => {
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(base + path);
    await page.waitForFunction(() => (window as unknown as { __result?: unknown }).__result !== undefined, null, { timeout: 120_000 });
    const res = await page.evaluate(() => (window as unknown as { __result: unknown }).__result) as PageResult;
    await page.close();
    assert.equal(res.error, undefined, `${path}: ${res.error}`);
    assert.deepEqual(errors, [], `${path}: page errors`);
    return res;
  };
  try {
    const expected = await nodeLosses();

    const coi = await run('/coi/');
    assert.equal(coi.pageIsolated, true);
    assert.equal(coi.info.runtime.name, 'browser-worker');
    assert.equal(coi.info.runtime.crossOriginIsolated, true);
    assert.equal(coi.info.cpu.kernels, 'wasm-relaxed-simd');
    assert.equal(coi.info.cpu.recycling.enabled, true, 'browsers recycle float32 buffers (core/f32-pool.ts); the losses below still equal Node\'s bit for bit');
    assert.ok(coi.threads > 1, `threads in a cross-origin-isolated worker: ${coi.threads}`);
    assert.equal(coi.info.threads.running, coi.threads);
    assert.equal(coi.info.threads.limitedBy, null);
    assert.deepEqual(coi.warnings, []);
    assert.deepEqual(coi.progress, Array.from({ length: STEPS }, (_, i) => i));
    assert.deepEqual(coi.losses, expected, 'the worker\'s loss sequence equals Node\'s bit for bit');

    const nowasm = await run('/nowasm/');
    assert.equal(nowasm.info.cpu.kernels, 'typescript');
    assert.match(nowasm.info.cpu.reason, /compiling the WebAssembly kernels failed/);
    assert.equal(nowasm.warnings.filter((w) => /wasm-unsafe-eval/.test(w)).length, 1, `one warning naming 'wasm-unsafe-eval': ${JSON.stringify(nowasm.warnings)}`);
    assert.equal(nowasm.threads, 1);
    assert.equal(nowasm.info.runtime.name, 'browser-main');
    for (let i = 0; i < STEPS; i++) assert.ok(Math.abs(nowasm.losses[i] - expected[i]) <= 1e-5 * Math.abs(expected[i]), `TypeScript kernels: step ${i} loss ${nowasm.losses[i]} vs ${expected[i]}`);
    assert.match(nowasm.saveError ?? '', /file paths need Node\.js.*saveBytes/);
    assert.equal(requests.filter((q) => /file\.js/.test(q.url)).length, 0, 'torch.save(path) in a page requests nothing');

    const noblob = await run('/noblob/');
    assert.equal(noblob.info.cpu.kernels, 'wasm-relaxed-simd');
    assert.equal(noblob.threads, 1, 'threadsReady() resolves with the one thread that runs');
    assert.equal(noblob.threadsAfter, 1, 'getNumThreads() after the refusal is known');
    assert.equal(noblob.info.threads.running, 1);
    assert.ok(noblob.info.threads.requested > 1);
    assert.match(noblob.info.threads.limitedBy ?? '', /worker/i);
    assert.equal(noblob.warnings.filter((w) => /worker-src blob:/.test(w)).length, 1, `one warning naming worker-src blob: ${JSON.stringify(noblob.warnings)}`);
    console.log(`# web page: worker threads ${coi.threads}; CSP without wasm-unsafe-eval -> ${nowasm.info.cpu.kernels} (${nowasm.warnings[0]?.slice(0, 90)}…); worker-src 'self' -> ${noblob.threads} thread`);
  } finally {
    await ctx.close();
    rmSync(profile, { recursive: true, force: true });
    server.close();
  }
});
