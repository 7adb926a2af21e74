/**
 * The initialization explorer (web/, served by `torchlet explore`): the server's headers and paths, then the
 * page itself in Debian's Chromium driven by playwright-core (never a downloaded browser): activation std under
 * kaiming vs N(0, 0.01) on a 20-layer ReLU MLP, a 100-step training run, freezing, the safetensors download, and
 * the load report of a PyTorch .pt fixture (scripts/fixtures/explore.py). Screenshot: artifacts/explorer.png.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { startExplorer, type ExplorerServer } from '../../src/cli/explore.js';
import * as torch from '../../src/index.js';
import type { ExplorerState } from '../../web/app.js';
import { requireOrSkip } from '../helpers/python.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FIXTURE = join(ROOT, 'test/fixtures/explore/mlp-d2-w32.pt');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOT = join(ROOT, 'artifacts/explorer.png');

async function withServer<T>(f: (s: ExplorerServer) => Promise<T>): Promise<T> {
  const outdir = mkdtempSync(join(tmpdir(), 'torchlet-explore-'));
  const s = await startExplorer({ port: 0, outdir });
  try { return await f(s); } finally { await s.close(); rmSync(outdir, { recursive: true, force: true }); }
}

test('explore server: builds the page, serves it cross-origin isolated, refuses paths outside it', { timeout: 60_000 }, async () => {
  await withServer(async (s) => {
    assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.ok(s.port > 0);
    const index = await fetch(s.url);
    assert.equal(index.status, 200);
    assert.equal(index.headers.get('cross-origin-opener-policy'), 'same-origin');
    assert.equal(index.headers.get('cross-origin-embedder-policy'), 'require-corp');
    assert.match(index.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await index.text(), /initialization explorer/);
    for (const f of ['app.js', 'worker.js']) {
      const r = await fetch(new URL(f, s.url));
      assert.equal(r.status, 200, f);
      assert.match(r.headers.get('content-type') ?? '', /javascript/);
      assert.doesNotMatch(await r.text(), /https?:\/\/(cdn|unpkg|esm\.sh)/, `${f} loads nothing from the network`);
    }
    const digits = new Uint8Array(await (await fetch(new URL('digits.bin', s.url))).arrayBuffer());
    assert.deepEqual([...digits.subarray(0, 4)], [0x44, 0x47, 0x54, 0x31]);
    const n = new DataView(digits.buffer).getUint32(4, true);
    assert.equal(n, 2000);
    assert.equal(digits.length, 12 + n + n * 784);
    assert.deepEqual([...digits.subarray(12, 22)], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'classes interleaved');
    assert.equal((await fetch(new URL('nope.js', s.url))).status, 404);
    // a raw path that decodes to outside the folder (fetch would normalise it away)
    const status = await new Promise<number>((ok, fail) => {
      const req = request({ host: '127.0.0.1', port: s.port, path: '/..%2f..%2fpackage.json' }, (res) => { res.resume(); ok(res.statusCode ?? 0); });
      req.on('error', fail);
      req.end();
    });
    assert.equal(status, 403);
    assert.equal((await fetch(s.url, { method: 'POST' })).status, 405);
  });
});

const BASE_ARGS = ['--headless', '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
/** WebGPU on SwiftShader's Vulkan (shipped with Debian's chromium): a real adapter on a machine without a GPU. */
const WEBGPU_ARGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-webgpu-adapter=swiftshader', '--use-angle=swiftshader'];

interface ApplyOpts { depth?: number; width?: number; activation?: string; scheme?: string; mode?: string; nonlinearity?: string; std?: number; device?: string }

async function openPage(url: string, args: string[]) {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'torchlet-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, viewport: { width: 1440, height: 1000 }, acceptDownloads: true, args,
  });
  const errors: string[] = [];
  const page = ctx.pages()[0] ?? await ctx.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  page.setDefaultTimeout(45_000);
  await page.goto(url);
  await page.waitForFunction(() => window.__explorer?.ready === true);
  const X = () => page.evaluate<ExplorerState>(() => window.__explorer);
  await page.uncheck('#auto');
  /** Set controls, press apply, wait for the new measurement. */
  const apply = async (c: ApplyOpts) => {
    await page.selectOption('#model', 'mlp');
    if (c.depth !== undefined) await page.fill('#depth', String(c.depth));
    if (c.width !== undefined) await page.fill('#width', String(c.width));
    if (c.activation) await page.selectOption('#activation', c.activation);
    if (c.scheme) await page.selectOption('#linear-scheme', c.scheme);
    if (c.mode) await page.selectOption('#linear-mode', c.mode);
    if (c.nonlinearity) await page.selectOption('#linear-nonlinearity', c.nonlinearity);
    if (c.std !== undefined) await page.fill('#linear-std', String(c.std));
    if (c.device) await page.selectOption('#device', c.device);
    const before = (await X()).analyses;
    await page.click('#apply');
    await page.waitForFunction((n) => (window.__explorer.analyses > n && !window.__explorer.busy) || window.__explorer.error !== null, before);
    const r = await X();
    assert.equal(r.error, null);
    return r;
  };
  /** Choose FIXTURE in the upload box, wait for the report. */
  const upload = async () => {
    const n = (await X()).analyses;
    await page.setInputFiles('#upload', FIXTURE);
    await page.waitForFunction((k) => (window.__explorer.analyses > k && !window.__explorer.busy) || window.__explorer.error !== null, n);
    const r = await X();
    assert.equal(r.error, null);
    return r;
  };
  const close = async () => { await ctx.close(); rmSync(profile, { recursive: true, force: true }); };
  return { page, profile, errors, X, apply, upload, close };
}

function chromiumMissing(): string | null {
  if (!existsSync(CHROMIUM)) return `chromium not installed: ${CHROMIUM} is missing (apt-get install chromium)`;
  try { createRequire(import.meta.url).resolve('playwright-core'); } catch { return 'playwright-core not installed (npm ci)'; }
  return null;
}

test('explorer page in Chromium: init theory, training, freezing, download, .pt load report', { timeout: 150_000 }, async (t) => {
  const why = chromiumMissing();
  if (requireOrSkip(t, why)) return;
  await withServer(async (s) => {
    const { page, profile, errors, X, apply, upload, close } = await openPage(s.url, [...BASE_ARGS, '--disable-gpu']);
    try {
      let x = await X();
      assert.equal(x.error, null, `first analysis failed: ${x.error}`);
      assert.equal(await page.evaluate(() => crossOriginIsolated), true, 'COOP/COEP make the page cross-origin isolated');
      assert.match(x.device, /^cpu/);

      await t.test('kaiming normal (fan_in, relu) keeps the activation std within a factor 2 over 20 ReLU layers', async () => {
        x = await apply({ depth: 20, width: 256, activation: 'relu', scheme: 'kaiming_normal', mode: 'fan_in', nonlinearity: 'relu' });
        assert.equal(x.layerNames.length, 21);
        assert.deepEqual(x.layerNames.slice(0, 3), ['layers.0', 'layers.2', 'layers.4']);
        assert.equal(x.layerNames[20], 'head');
        const hidden = x.activationStd.slice(0, 20);
        const ratio = Math.max(...hidden) / Math.min(...hidden);
        t.diagnostic(`kaiming: activation std layer 1..20 ${hidden[0].toPrecision(4)} .. ${hidden[19].toPrecision(4)}, max/min ${ratio.toFixed(3)}`);
        assert.ok(hidden.every((v) => Number.isFinite(v) && v > 0));
        assert.ok(ratio < 2, `max/min activation std over 20 layers is ${ratio}`);
        // the weights themselves: std √(2/fan_in)
        assert.ok(Math.abs(x.weightStd[1] / Math.sqrt(2 / 256) - 1) < 0.02, `weight std ${x.weightStd[1]}`);
        assert.ok(x.gradientStd.slice(0, 20).every((v) => Number.isFinite(v) && v > 0));
        // the page shows it
        assert.equal(await page.locator('#layers .layer[data-layer]').count(), 21);
      });

      await t.test('N(0, 0.01) collapses it: each layer scales the std by √(width·σ²/2)', async () => {
        x = await apply({ scheme: 'normal', std: 0.01 });
        const hidden = x.activationStd.slice(0, 20);
        const collapse = hidden[19] / hidden[0];
        // relu(z) with z ~ N(0, width·σ²·E[h²]) has E[relu(z)²] = width·σ²/2·E[h²]; std ∝ rms for zero-mean z
        const theory = Math.sqrt((256 * 0.01 ** 2) / 2);
        const perLayer = collapse ** (1 / 19);
        t.diagnostic(`N(0, 0.01): std layer 20 / layer 1 = ${collapse.toExponential(3)}; per layer ${perLayer.toFixed(4)} (theory ${theory.toFixed(4)})`);
        assert.ok(collapse < 1e-6, `last/first activation std ${collapse}`);
        assert.ok(Math.abs(perLayer / theory - 1) < 0.15, `per-layer factor ${perLayer} vs ${theory}`);
      });

      await t.test('training 100 steps: kaiming (A) lowers the loss, N(0, 0.01) (B) stays at chance', async () => {
        // 20 layers of width 64 (a 256-wide one takes ~10x longer on two cores)
        x = await apply({ width: 64, scheme: 'kaiming_normal', mode: 'fan_in', nonlinearity: 'relu' });
        await page.selectOption('#b-scheme', 'normal');
        await page.fill('#b-std', '0.01');
        await page.fill('#steps', '100');
        await page.selectOption('#optimizer', 'sgd');
        await page.fill('#lr', '0.01');
        const runs = (await X()).train.runs;
        await page.click('#train');
        await page.waitForFunction((n) => window.__explorer.train.runs > n, runs, { timeout: 90_000 });
        x = await X();
        assert.equal(x.error, null);
        const [a, b] = x.train.losses;
        assert.equal(a.length, 100);
        assert.equal(b.length, 100);
        const mean = (v: number[]) => v.reduce((s, y) => s + y, 0) / v.length;
        const a0 = mean(a.slice(0, 10)), a1 = mean(a.slice(-10)), b1 = mean(b.slice(-10));
        t.diagnostic(`train 100 steps in ${(x.train.ms / 1000).toFixed(1)} s: A (kaiming) ${a0.toFixed(3)} -> ${a1.toFixed(3)}; B (N(0, 0.01)) last 10 ${b1.toFixed(3)}`);
        assert.ok(a1 < 0.75 * a0, `loss of A fell from ${a0} to ${a1}`);
        assert.ok(Math.abs(b1 - Math.log(10)) < 0.1, `B stays near ln 10 = 2.303: ${b1}`);
        mkdirSync(dirname(SCREENSHOT), { recursive: true });
        await page.screenshot({ path: SCREENSHOT });
        assert.ok(readFileSync(SCREENSHOT).length > 10_000);
      });

      await t.test('freezing a layer: the optimizer skips it (its weights unchanged by the step)', async () => {
        x = await apply({ depth: 2, width: 32, scheme: 'default' });
        const before = (await X()).analyses;
        await page.check('#freeze input[data-module="layers.0"]');
        await page.waitForFunction((n) => window.__explorer.analyses > n && !window.__explorer.busy, before);
        x = await X();
        const d = x.deltas!;
        assert.equal(d['layers.0.weight'], 0);
        assert.equal(d['layers.0.bias'], 0);
        assert.ok(d['layers.2.weight'] > 0 && d['head.weight'] > 0, JSON.stringify(d));
        const row = (n: string) => x.state.find((r) => r.name === n)!;
        assert.equal(row('layers.0.weight').trainable, false);
        assert.equal(row('layers.2.weight').trainable, true);
        assert.equal(row('norm.mean').kind, 'buffer');
        assert.equal(row('norm.mean').persistent, false);
        assert.equal(row('layers.0.weight').bytes, 32 * 784 * 4);
        assert.ok(Number.isNaN(x.gradientStd[0]), 'no gradient for the frozen layer');
        assert.match(await page.locator('#state tr[data-name="layers.0.weight"]').innerText(), /frozen/);
      });

      await t.test('download: a safetensors file of the state dict', async () => {
        const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
        assert.match(dl.suggestedFilename(), /^torchlet-mlp-2x32-relu\.safetensors$/);
        const file = join(profile, 'dl.safetensors');
        await dl.saveAs(file);
        const sd = torch.loadBytes(new Uint8Array(readFileSync(file))) as Map<string, torch.Tensor>;
        assert.deepEqual([...sd.keys()], ['layers.0.weight', 'layers.0.bias', 'layers.2.weight', 'layers.2.bias', 'head.weight', 'head.bias']);
        assert.deepEqual(sd.get('layers.0.weight')!.shape, [32, 784]);
        const w = sd.get('layers.0.weight')!.double().std().item();
        assert.ok(Math.abs(w / (await X()).weightStd[0] - 1) < 1e-6);
      });

      await t.test('upload a PyTorch .pt: the load report lists the missing and unexpected keys', async () => {
        x = await apply({});
        const fixture = (torch.loadBytes(new Uint8Array(readFileSync(FIXTURE))) as Map<string, torch.Tensor>);
        x = await upload();
        const r = x.loadReport!;
        t.diagnostic(`load report: ${JSON.stringify({ missing: r.missing, unexpected: r.unexpected, mismatched: r.mismatched.length, loaded: r.loaded.length })}`);
        assert.equal(r.format, 'torch.save (.pt zip)');
        assert.deepEqual(r.missing, ['head.bias']);
        assert.deepEqual(r.unexpected, ['layers.4.weight']);
        assert.deepEqual(r.mismatched, []);
        assert.deepEqual(r.loaded, ['layers.0.weight', 'layers.0.bias', 'layers.2.weight', 'layers.2.bias', 'head.weight']);
        // the loaded values are the ones the page now measures
        const want = fixture.get('layers.0.weight')!.double().std().item();
        assert.ok(Math.abs(x.weightStd[0] / want - 1) < 1e-6, `${x.weightStd[0]} vs ${want}`);
        const text = await page.locator('#load-report').innerText();
        assert.match(text, /missing \(1\)\s+head\.bias/);
        assert.match(text, /unexpected \(1\)\s+layers\.4\.weight/);
        await page.screenshot({ path: join(ROOT, 'artifacts/explorer-load.png') });

        // into a wider net: every shared key mismatches, listed before loading, nothing loaded
        x = await apply({ width: 48 });
        x = await upload();
        const m = x.loadReport!;
        assert.deepEqual(m.mismatched.map((e) => e.key), ['layers.0.weight', 'layers.0.bias', 'layers.2.weight', 'layers.2.bias', 'head.weight']);
        assert.deepEqual(m.mismatched[0], { key: 'layers.0.weight', expected: [48, 784], got: [32, 784] });
        assert.deepEqual(m.missing, ['head.bias']);
        assert.deepEqual(m.unexpected, ['layers.4.weight']);
        assert.deepEqual(m.loaded, []);
      });
      assert.deepEqual(errors, [], 'no uncaught errors in the page');
    } finally {
      await close();
    }
  });
});

test('explorer page on WebGPU (SwiftShader adapter): the same numbers as the CPU, a short run, freeze, save, load', { timeout: 120_000 }, async (t) => {
  const why = chromiumMissing();
  if (requireOrSkip(t, why)) return;
  await withServer(async (s) => {
    let t0 = Date.now();
    const lap = (what: string) => { t.diagnostic(`webgpu: ${what} ${Date.now() - t0} ms`); t0 = Date.now(); };
    // a small first network (controls preset from the address): SwiftShader runs kernels on the CPU
    const { page, errors, X, apply, upload, close } = await openPage(`${s.url}?depth=3&width=32`, [...BASE_ARGS, ...WEBGPU_ARGS]);
    lap('page ready');
    try {
      let x = await X();
      if (requireOrSkip(t, x.device.startsWith('webgpu') ? null : `no WebGPU adapter in this chromium (the page runs on ${x.device})`)) return;
      assert.equal(x.error, null);
      const cfg = { depth: 6, width: 48, scheme: 'kaiming_normal', mode: 'fan_in', nonlinearity: 'relu' };
      const gpu = await apply({ ...cfg, device: 'auto' });
      assert.equal(gpu.device, 'webgpu');
      assert.ok(gpu.state.every((r) => r.device === 'webgpu'), 'parameters and buffers live on webgpu');
      lap('analysis');
      const cpu = await apply({ ...cfg, device: 'cpu' });
      lap('cpu analysis');
      assert.match(cpu.device, /^cpu/);
      const rel = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v / b[i] - 1)));
      t.diagnostic(`webgpu vs cpu: activation std max rel diff ${rel(gpu.activationStd, cpu.activationStd).toExponential(2)}, gradient std ${rel(gpu.gradientStd, cpu.gradientStd).toExponential(2)}`);
      assert.ok(rel(gpu.weightStd, cpu.weightStd) < 1e-6, 'same init on both devices');
      assert.ok(rel(gpu.activationStd, cpu.activationStd) < 1e-3);
      assert.ok(rel(gpu.gradientStd, cpu.gradientStd) < 1e-3);

      x = await apply({ device: 'auto' });
      await page.fill('#steps', '4');
      await page.fill('#train-batch', '32');
      const runs = x.train.runs;
      await page.click('#train');
      await page.waitForFunction((n) => window.__explorer.train.runs > n, runs, { timeout: 90_000 });
      lap('train');
      x = await X();
      assert.equal(x.error, null);
      assert.equal(x.train.losses[0].length, 4);
      assert.ok(x.train.losses.flat().every(Number.isFinite));

      const before = x.analyses;
      await page.check('#freeze input[data-module="layers.0"]');
      await page.waitForFunction((n) => window.__explorer.analyses > n && !window.__explorer.busy, before);
      lap('freeze + step');
      x = await X();
      assert.equal(x.deltas!['layers.0.weight'], 0);
      assert.ok(x.deltas!['layers.2.weight'] > 0);

      const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
      const file = join(tmpdir(), `torchlet-explore-${process.pid}.safetensors`);
      await dl.saveAs(file);
      const sd = torch.loadBytes(new Uint8Array(readFileSync(file))) as Map<string, torch.Tensor>;
      rmSync(file, { force: true });
      lap('download');
      assert.equal(sd.size, 14);
      assert.ok(Math.abs(sd.get('head.weight')!.double().std().item() / x.weightStd[6] - 1) < 1e-6);

      x = await apply({ depth: 2, width: 32, scheme: 'default', device: 'auto' });
      x = await upload();
      lap('apply + upload');
      assert.deepEqual(x.loadReport!.missing, ['head.bias']);
      assert.deepEqual(x.loadReport!.unexpected, ['layers.4.weight']);
      assert.equal(x.device, 'webgpu');
      assert.deepEqual(errors, []);
    } finally {
      await close();
    }
  });
});
