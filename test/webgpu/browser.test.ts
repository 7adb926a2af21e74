/**
 * The library bundle in a real browser: scripts/bundle-browser.mjs bundles src/index.ts, a node:http server on
 * 127.0.0.1 (port 0) serves it with a page, and Debian's Chromium (never a downloaded browser), driven by
 * playwright-core with WebGPU on SwiftShader, trains the same small MLP (8-16-3, tanh, cross-entropy, SGD with
 * momentum) for 20 steps on the webgpu device and on the CPU. The two loss curves must agree within
 * atol 1e-5 + rtol 1e-4 per step and the loss must go down. Skipped, with the reason printed, only when
 * Chromium or playwright-core is missing or the browser offers no WebGPU adapter; in CI (CI=true) that fails.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleBrowser } from '../../scripts/bundle-browser.mjs';
import { requireOrSkip } from '../helpers/python.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu-sandbox', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--enable-unsafe-webgpu', '--enable-features=Vulkan',
  '--use-vulkan=swiftshader', '--use-angle=swiftshader', '--use-webgpu-adapter=swiftshader'];
const STEPS = 20;
const TOL = { atol: 1e-5, rtol: 1e-4 };

const PAGE = /* html */ `<!doctype html>
<meta charset="utf-8"><title>torchlet webgpu vs cpu</title>
<script type="module">
import * as torch from '/torchlet.js';
async function curve(device) {
  torch.manualSeed(0);
  const { nn, optim } = torch;
  const model = new nn.Sequential(new nn.Linear(8, 16), new nn.Tanh(), new nn.Linear(16, 3)).to(device);
  const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
  const lossFn = new nn.CrossEntropyLoss();
  const g = new torch.Generator().manualSeed(1);
  const x = torch.randn([32, 8], { generator: g }).to(device);
  const y = torch.randint(0, 3, [32], { generator: g }).to(device);
  const losses = [];
  for (let i = 0; i < ${STEPS}; i++) {
    opt.zeroGrad();
    const loss = lossFn.call(model.call(x), y);
    loss.backward();
    opt.step();
    losses.push(await loss.itemAsync());
  }
  return { losses, device: model.parameters()[0].device };
}
const out = { adapter: null, noAdapter: null, cpu: null, gpu: null, error: null };
try {
  try { const i = await torch.webgpu.init(); out.adapter = [i.name, i.architecture, i.isFallbackAdapter ? '(fallback)' : ''].filter(Boolean).join(' '); } catch (e) { out.noAdapter = String(e.message ?? e); }
  out.cpu = await curve('cpu');
  if (out.adapter) out.gpu = await curve('webgpu');
} catch (e) {
  out.error = String(e && e.stack || e);
}
window.__result = out;
</script>`;

function missing(): string | null {
  if (!existsSync(CHROMIUM)) return `chromium not installed: ${CHROMIUM} is missing (apt-get install -y chromium)`;
  try { createRequire(import.meta.url).resolve('playwright-core'); } catch { return 'playwright-core not installed (npm ci)'; }
  return null;
}

interface Curve { losses: number[]; device: string }
interface Result { adapter: string | null; noAdapter: string | null; cpu: Curve | null; gpu: Curve | null; error: string | null }

test('browser: the bundle trains an MLP on webgpu and on the CPU in headless Chromium; the loss curves agree', { timeout: 180_000 }, async (t) => {
  const why = missing();
  if (requireOrSkip(t, why)) return;
  const r = await bundleBrowser({ write: false });
  const js = r.outputFiles[0].text;
  const server = createServer((req, res) => {
    if (req.url === '/') { res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }); res.end(PAGE); return; }
    if (req.url === '/torchlet.js') { res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }); res.end(js); return; }
    res.writeHead(404); res.end();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const url = `http://localhost:${(server.address() as AddressInfo).port}/`;
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'torchlet-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS });
  try {
    const page = ctx.pages()[0] ?? await ctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForFunction(() => (window as unknown as { __result?: unknown }).__result !== undefined, null, { timeout: 150_000 });
    const res = await page.evaluate(() => (window as unknown as { __result: unknown }).__result) as Result;
    assert.equal(res.error, null, `page error: ${res.error}`);
    assert.deepEqual(errors, []);
    if (requireOrSkip(t, res.adapter ? null : `no WebGPU adapter in this Chromium: ${res.noAdapter}`)) return;
    const cpu = res.cpu!, gpu = res.gpu!;
    assert.equal(cpu.device, 'cpu');
    assert.equal(gpu.device, 'webgpu');
    let worst = 0;
    for (let i = 0; i < STEPS; i++) {
      const d = Math.abs(gpu.losses[i] - cpu.losses[i]);
      worst = Math.max(worst, d);
      assert.ok(d <= TOL.atol + TOL.rtol * Math.abs(cpu.losses[i]), `step ${i + 1}: webgpu loss ${gpu.losses[i]} vs cpu ${cpu.losses[i]}`);
    }
    assert.ok(cpu.losses[STEPS - 1] < cpu.losses[0], 'the loss went down');
    console.log(`# browser adapter: ${res.adapter}; loss ${cpu.losses[0].toFixed(5)} -> ${cpu.losses[STEPS - 1].toFixed(5)} (cpu), ${gpu.losses[0].toFixed(5)} -> ${gpu.losses[STEPS - 1].toFixed(5)} (webgpu); worst |difference| ${worst.toExponential(2)}`);
  } finally {
    await ctx.close();
    rmSync(profile, { recursive: true, force: true });
    server.close();
  }
});
