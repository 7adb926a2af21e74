/**
 * The initialization explorer (web/, served by `torchlet explore`): the server's headers and paths, then the
 * page itself in Debian's Chromium driven by playwright-core (never a downloaded browser): the default comparison
 * (kaiming vs N(0, 0.01), its duration reported), class names from the minified bundle, activation std under
 * kaiming vs N(0, 0.01) on a 20-layer ReLU MLP against the theory line, histogram axes, the parameter-management
 * panel against what the library does in Node, the raw-tensor "try it" row, freezing, the safetensors download,
 * the load report of a PyTorch .pt fixture (scripts/fixtures/explore.py), no horizontal overflow at 360/420 px,
 * axe (no serious or critical violations). Screenshots at 420, 800 and 1280 px: artifacts/explorer-<width>.png
 * (copies committed in docs/screenshots/).
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
import { buildNet } from '../../web/models.js';
import type { Config } from '../../web/protocol.js';
import { requireOrSkip } from '../helpers/python.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FIXTURE = join(ROOT, 'test/fixtures/explore/mlp-d2-w32.pt');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(ROOT, 'artifacts');

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

interface ApplyOpts { model?: string; depth?: number; width?: number; activation?: string; scheme?: string; mode?: string; nonlinearity?: string; std?: number; device?: string }

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
  const idle = (k: number) => page.waitForFunction((n) => (window.__explorer.analyses > n && !window.__explorer.busy) || window.__explorer.error !== null, k);
  /** Set controls, press apply, wait for the new measurement. */
  const apply = async (c: ApplyOpts) => {
    await page.selectOption('#model', c.model ?? 'mlp');
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
    await idle(before);
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
  return { page, profile, errors, X, apply, upload, close, idle };
}

function chromiumMissing(): string | null {
  if (!existsSync(CHROMIUM)) return `chromium not installed: ${CHROMIUM} is missing (apt-get install chromium)`;
  try { createRequire(import.meta.url).resolve('playwright-core'); } catch { return 'playwright-core not installed (npm ci)'; }
  return null;
}

/** What the library does with each tensor of `net`, in Node: the four columns of the parameter-management panel. */
function libraryColumns(c: Config): Map<string, { optimizer: boolean; moved: boolean; graph: boolean; saved: boolean }> {
  const net = buildNet(c);
  const params = new Set(net.parameters());
  const sd = net.stateDict();
  const x = torch.rand([8, 1, 28, 28]);
  torch.nn.functional.crossEntropy(net.call(x), torch.tensor([0, 1, 2, 3, 4, 5, 6, 7], { dtype: 'int64' })).backward();
  const named = [...net.namedParameters(), ...net.namedBuffers()];
  const inGraph = new Map(named.map(([k, t]) => [k, t.grad !== null && t.grad !== undefined]));
  net.to('meta');
  const moved = new Map([...net.namedParameters(), ...net.namedBuffers()].map(([k, t]) => [k, t.device === 'meta']));
  return new Map(named.map(([k, t]) => [k, { optimizer: params.has(t), moved: moved.get(k)!, graph: inGraph.get(k)!, saved: sd.has(k) }]));
}

test('explorer page in Chromium: default comparison, names, init theory, parameter management, freezing, download, .pt load report, layout, axe', { timeout: 240_000 }, async (t) => {
  const why = chromiumMissing();
  if (requireOrSkip(t, why)) return;
  await withServer(async (s) => {
    const { page, profile, errors, X, apply, upload, close, idle } = await openPage(s.url, [...BASE_ARGS, '--disable-gpu']);
    try {
      let x = await X();
      assert.equal(x.error, null, `first analysis failed: ${x.error}`);
      assert.equal(await page.evaluate(() => crossOriginIsolated), true, 'COOP/COEP make the page cross-origin isolated');
      assert.match(x.device, /^cpu/);

      await t.test('the default comparison: kaiming (A) learns, N(0, 0.01) (B) stays at chance; its duration is reported', async () => {
        assert.equal(x.config!.depth, 10);
        assert.equal(x.config!.init.linear.scheme, 'kaiming_normal');
        const runs = x.train.runs;
        await page.click('#train');
        // controls are disabled while it trains (stop is live)
        await page.waitForFunction(() => window.__explorer.train.running);
        assert.equal(await page.locator('#apply').isDisabled(), true);
        assert.equal(await page.locator('#stop').isDisabled(), false);
        await page.waitForFunction(() => (document.getElementById('train-status')?.textContent ?? '').includes('left'), null, { timeout: 60_000 });
        await page.waitForFunction((n) => window.__explorer.train.runs > n, runs, { timeout: 120_000 });
        x = await X();
        assert.equal(x.error, null);
        const [a, b] = x.train.losses;
        assert.equal(a.length, 100);
        assert.equal(b.length, 100);
        const mean = (v: number[]) => v.reduce((p, y) => p + y, 0) / v.length;
        const a0 = mean(a.slice(0, 10)), a1 = mean(a.slice(-10)), b1 = mean(b.slice(-10));
        t.diagnostic(`default comparison (10x64, 100 steps, two runs): ${(x.train.ms / 1000).toFixed(1)} s (compute ${((x.train.computeMs ?? 0) / 1000).toFixed(1)} s); A ${a0.toFixed(3)} -> ${a1.toFixed(3)}; B last 10 ${b1.toFixed(3)}`);
        assert.ok(a1 < 0.75 * a0, `loss of A fell from ${a0} to ${a1}`);
        assert.ok(Math.abs(b1 - Math.log(10)) < 0.1, `B stays near ln 10 = 2.303: ${b1}`);
        assert.deepEqual(x.train.labels, ['kaiming normal (fan_in, relu)', 'N(0, 0.01)']);
        assert.match(await page.locator('#legend-a').innerText(), /kaiming normal/);
        assert.match(await page.locator('#legend-b').innerText(), /N\(0, 0\.01\)/);
        assert.equal(await page.locator('#apply').isDisabled(), false);
        mkdirSync(ARTIFACTS, { recursive: true });
        for (const [w, h] of [[1280, 900], [800, 1000], [420, 2400]]) {
          await page.setViewportSize({ width: w, height: Math.min(h, 1000) });
          await page.waitForTimeout(400); // the charts redraw at the new width (debounced)
          const file = join(ARTIFACTS, `explorer-${w}.png`);
          // 420 px: the phone's first screens (controls, the std chart, the training run), as one tall image
          await page.screenshot({ path: file, fullPage: h > 1000, clip: h > 1000 ? { x: 0, y: 0, width: w, height: h } : undefined });
          assert.ok(readFileSync(file).length > 10_000);
        }
        await page.setViewportSize({ width: 1440, height: 1000 });
      });

      await t.test('class names from the minified bundle: Linear, BatchNorm2d, Conv2d in the module tree', async () => {
        const bundle = await (await fetch(new URL('worker.js', s.url))).text();
        assert.doesNotMatch(bundle, /class BatchNorm2d\b/, 'the bundle is minified (else this test proves nothing)');
        assert.match(x.repr, /^DeepMLP\(\n {2}\(norm\): Normalize\(\)\n {2}\(flatten\): Flatten\(start_dim=1, end_dim=-1\)\n {2}\(layers\): Sequential\(\n {4}\(0\): Linear\(in_features=784, out_features=64, bias=True\)\n {4}\(1\): ReLU\(\)/);
        const cnn = await apply({ model: 'cnn' });
        assert.match(cnn.repr, /\(0\): Conv2d\(1, 16, kernel_size=\(3, 3\), stride=\(1, 1\), padding=\(1, 1\)\)\n {4}\(1\): BatchNorm2d\(16, eps=1e-05, momentum=0\.1/);
        assert.match(cnn.repr, /MaxPool2d\(kernel_size=2/);
        assert.match(await page.locator('#repr').textContent() ?? '', /^DigitsCNN\(/);
        assert.equal(await page.locator('#init-conv').isVisible(), true, 'the Conv2d init box shows for the CNN');
        // the parameter-management panel: every kind of state, each column as the library does it
        const want = libraryColumns(cnn.config!);
        const rows = cnn.managed!.rows;
        for (const [k, v] of want) {
          const r = rows.find((q) => q.name === k);
          assert.ok(r, `row ${k}`);
          assert.deepEqual({ optimizer: r.optimizer, moved: r.moved, graph: r.graph, saved: r.saved }, v, k);
        }
        const kinds = (k: string) => rows.filter((r) => r.kind === k).map((r) => r.name);
        assert.ok(kinds('parameter').includes('features.0.weight'));
        assert.deepEqual(kinds('buffer').slice(0, 3), ['features.1.running_mean', 'features.1.running_var', 'features.1.num_batches_tracked']);
        assert.deepEqual(kinds('buffer (non-persistent)'), ['norm.mean', 'norm.std']);
        const eps = rows.find((r) => r.name === 'features.1.eps')!;
        assert.deepEqual(eps, { name: 'features.1.eps', kind: 'plain value', what: '0.00001', optimizer: false, moved: false, graph: false, saved: false });
        assert.ok(rows.some((r) => r.name === 'features.1.momentum' && r.kind === 'plain value'));
        // the table shows them, with the four column heads
        const head = await page.locator('#state thead').innerText();
        for (const h of ['seen by the optimizer', 'moved by .to()', 'in the autograd graph', 'saved']) assert.ok(head.includes(h), h);
        assert.match(await page.locator('#state tr[data-name="norm.mean"]').innerText(), /buffer \(non-persistent\)\s+\[1\] float32\s+no\s+yes\s+no\s+no/);
        assert.match(await page.locator('#state tr[data-name="features.1.running_mean"]').innerText(), /buffer\s+\[16\] float32\s+no\s+yes\s+no\s+yes/);
        assert.match(await page.locator('#state tr[data-name="features.0.weight"]').innerText(), /parameter\s+\[16, 1, 3, 3\] float32\s+yes\s+yes\s+yes\s+yes/);
        // graph memory against the parameters' bytes
        const m = cnn.managed!;
        assert.equal(m.paramBytes, cnn.state.filter((r) => r.kind === 'parameter').reduce((p, r) => p + r.bytes, 0));
        assert.ok(m.graphBytes > m.paramBytes, `graph ${m.graphBytes} vs params ${m.paramBytes}`);
        assert.match(await page.locator('#graph-memory').innerText(), /keeps [\d.]+ (KiB|MiB) of activations alive until backward, against [\d.]+ KiB of parameters/);
      });

      await t.test('try it: a raw tensor assigned to the model shows the library\'s error, as Node throws it', async () => {
        await page.click('#try-raw');
        await page.waitForFunction(() => window.__explorer.tryRaw !== null);
        x = await X();
        const net = buildNet(x.config!);
        let want = '';
        try { (net as unknown as Record<string, unknown>).scratch = torch.ones([3]); } catch (e) { want = `${(e as Error).name}: ${(e as Error).message}`; }
        assert.match(want, /^ModuleError: DigitsCNN\.scratch is a raw Tensor: wrap it in nn\.Parameter/);
        assert.equal(x.tryRaw!.error, want);
        assert.equal(await page.locator('#try-raw-out pre').innerText(), want);
      });

      await t.test('kaiming normal (fan_in, relu) keeps the activation std within a factor 2 over 20 ReLU layers, as the theory says', async () => {
        x = await apply({ depth: 20, width: 256, activation: 'relu', scheme: 'kaiming_normal', mode: 'fan_in', nonlinearity: 'relu' });
        assert.equal(await page.locator('#init-conv').isVisible(), false, 'no Conv2d init box for the MLP');
        assert.equal(x.layerNames.length, 21);
        assert.deepEqual(x.layerNames.slice(0, 3), ['layers.0', 'layers.2', 'layers.4']);
        assert.equal(x.layerNames[20], 'head');
        assert.equal(x.train.losses[0].length, 0, 'a new architecture clears the previous loss chart');
        const hidden = x.activationStd.slice(0, 20);
        const ratio = Math.max(...hidden) / Math.min(...hidden);
        t.diagnostic(`kaiming: activation std layer 1..20 ${hidden[0].toPrecision(4)} .. ${hidden[19].toPrecision(4)}, max/min ${ratio.toFixed(3)}; theory ${x.theoryStd![0].toPrecision(4)} .. ${x.theoryStd![19].toPrecision(4)}`);
        assert.ok(hidden.every((v) => Number.isFinite(v) && v > 0));
        assert.ok(ratio < 2, `max/min activation std over 20 layers is ${ratio}`);
        const vsTheory = x.activationStd.map((v, i) => v / x.theoryStd![i]);
        // the theory is flat under kaiming; one random network drifts around it (finite width), within a factor 2
        const th = x.theoryStd!.slice(0, 20);
        assert.ok(Math.max(...th) / Math.min(...th) < 1.01, `theory ${th}`);
        assert.ok(vsTheory.every((r) => r > 0.5 && r < 2), `measured / theory per layer: ${vsTheory.map((r) => r.toFixed(2))}`);
        // the weights themselves: std √(2/fan_in)
        assert.ok(Math.abs(x.weightStd[1] / Math.sqrt(2 / 256) - 1) < 0.02, `weight std ${x.weightStd[1]}`);
        assert.ok(x.gradientStd.slice(0, 20).every((v) => Number.isFinite(v) && v > 0));
        // the page shows it: every histogram with its count and value axes, labelled for screen readers
        assert.equal(await page.locator('#layers .layer[data-layer]').count(), 21);
        const hists = await page.locator('#layers .layer[data-layer] svg').evaluateAll((els) => els.map((e) => ({
          axes: e.getAttribute('data-axes'), title: e.querySelector('title')?.textContent ?? '', labels: Array.from(e.querySelectorAll('text'), (q) => q.textContent ?? ''),
        })));
        assert.equal(hists.length, 63);
        for (const h of hists) {
          assert.equal(h.axes, 'count,value', h.title);
          assert.match(h.title, /histogram of [\d,]+ values/);
          assert.ok(h.labels.includes('0') && h.labels.length >= 4, `${h.title}: ${h.labels}`);
        }
        assert.match(await page.locator('#std-chart svg title').textContent() ?? '', /Per-layer std/);
      });

      await t.test('N(0, 0.01) collapses it: each layer scales the std by √(width·σ²/2)', async () => {
        x = await apply({ scheme: 'normal', std: 0.01 });
        const hidden = x.activationStd.slice(0, 20);
        const collapse = hidden[19] / hidden[0];
        // relu(z) with z ~ N(0, width·σ²·E[h²]) has E[relu(z)²] = width·σ²/2·E[h²]; std ∝ rms for zero-mean z
        const theory = Math.sqrt((256 * 0.01 ** 2) / 2);
        const perLayer = collapse ** (1 / 19);
        t.diagnostic(`N(0, 0.01): std layer 20 / layer 1 = ${collapse.toExponential(3)}; per layer ${perLayer.toFixed(4)} (theory ${theory.toFixed(4)}; the page's theory line ${(x.theoryStd![19] / x.theoryStd![0]).toExponential(3)})`);
        assert.ok(collapse < 1e-6, `last/first activation std ${collapse}`);
        assert.ok(Math.abs(perLayer / theory - 1) < 0.15, `per-layer factor ${perLayer} vs ${theory}`);
        assert.ok(Math.abs((x.theoryStd![19] / x.theoryStd![0]) ** (1 / 19) / theory - 1) < 0.01);
      });

      await t.test('zeros: no NaN ratio, the chart says why it is empty', async () => {
        x = await apply({ depth: 3, width: 32, scheme: 'zeros' });
        const summary = await page.locator('#summary').innerText();
        assert.doesNotMatch(summary, /NaN/);
        assert.match(summary, /all zero/);
        assert.match(await page.locator('#std-chart').innerText(), /exactly 0/);
      });

      await t.test('freezing a layer does not step; the SGD step then skips it (its weights unchanged)', async () => {
        x = await apply({ depth: 2, width: 32, scheme: 'default' });
        const w0 = x.weightStd;
        let before = (await X()).analyses;
        await page.check('#freeze input[data-module="layers.0"]');
        await idle(before);
        x = await X();
        assert.equal(x.deltas, null, 'ticking the box ran no optimizer step');
        assert.deepEqual(x.weightStd, w0);
        assert.equal(x.managed!.rows.find((r) => r.name === 'layers.0.weight')!.graph, false, 'a frozen weight leaves the graph');
        assert.equal(x.managed!.rows.find((r) => r.name === 'layers.0.weight')!.optimizer, true, 'but parameters() still lists it');
        const graphFrozen = x.managed!.graphBytes;
        before = x.analyses;
        await page.click('#step');
        await idle(before);
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
        // unfreezing brings the weight back into the graph, whose memory grows (the input is saved for its gradient)
        before = x.analyses;
        await page.uncheck('#freeze input[data-module="layers.0"]');
        await idle(before);
        x = await X();
        t.diagnostic(`graph memory: ${graphFrozen} B with layers.0 frozen, ${x.managed!.graphBytes} B trainable; parameters ${x.managed!.paramBytes} B`);
        assert.ok(x.managed!.graphBytes >= graphFrozen);
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

      await t.test('every width from 360 px: no horizontal overflow; a long error wraps under the header', async () => {
        for (const w of [360, 420, 800, 1920]) {
          await page.setViewportSize({ width: w, height: 900 });
          const sw = await page.evaluate(() => document.documentElement.scrollWidth);
          assert.ok(sw <= w, `page is ${sw} px wide at a ${w} px viewport`);
        }
        await page.setViewportSize({ width: 420, height: 900 });
        const headerBefore = await page.locator('header').boundingBox();
        await page.fill('#depth', '3');
        await page.selectOption('#device', 'webgpu'); // no adapter with --disable-gpu: a long error
        await page.click('#apply');
        await page.waitForFunction(() => window.__explorer.error !== null);
        assert.match((await X()).error!, /no WebGPU adapter/);
        assert.equal(await page.locator('#error').isVisible(), true);
        const headerAfter = await page.locator('header').boundingBox();
        assert.ok(Math.abs(headerAfter!.height - headerBefore!.height) < 2, 'the header keeps its height');
        assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= 420);
        await page.selectOption('#device', 'cpu');
        await apply({ depth: 2, width: 32 });
        assert.equal(await page.locator('#error').isVisible(), false);
        await page.setViewportSize({ width: 1440, height: 1000 });
      });

      await t.test('accessibility: axe finds no serious or critical violations; charts are labelled; the file input has a label', async () => {
        const { AxeBuilder } = await import('@axe-core/playwright');
        await page.click('#try-raw');
        const r = await new AxeBuilder({ page }).analyze();
        const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
        t.diagnostic(`axe: ${r.violations.length} violations (${r.violations.map((v) => `${v.id}:${v.impact}`).join(', ') || 'none'}), ${r.passes.length} rules passed`);
        assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.length} nodes, e.g. ${v.nodes[0]?.html.slice(0, 120)})`), []);
        assert.equal(await page.locator('label[for="upload"]').count(), 1);
        const unlabelled = await page.locator('svg[role="img"]').evaluateAll((els) => els.filter((e) => !e.getAttribute('aria-label')).length);
        assert.equal(unlabelled, 0);
        // keyboard: Tab reaches the controls in order, and Enter on apply measures
        await page.focus('#seed');
        const before = (await X()).analyses;
        await page.keyboard.press('Enter');
        await idle(before);
        assert.equal((await X()).error, null);
      });
      assert.deepEqual(errors, [], 'no uncaught errors in the page');
    } finally {
      await close();
    }
  });
});

test('explorer page on WebGPU (SwiftShader adapter): the same numbers as the CPU, a short run, freeze, save, load', { timeout: 300_000 }, async (t) => {
  const why = chromiumMissing();
  if (requireOrSkip(t, why)) return;
  await withServer(async (s) => {
    let t0 = Date.now();
    const lap = (what: string) => { t.diagnostic(`webgpu: ${what} ${Date.now() - t0} ms`); t0 = Date.now(); };
    // a small first network (controls preset from the address): SwiftShader runs kernels on the CPU
    const { page, errors, X, apply, upload, close, idle } = await openPage(`${s.url}?depth=3&width=32`, [...BASE_ARGS, ...WEBGPU_ARGS]);
    lap('page ready');
    try {
      let x = await X();
      assert.equal(x.error, null);
      // 'auto' passes over a software adapter (SwiftShader is slower than the CPU kernels) and says so
      assert.match(x.device, /^cpu/);
      t.diagnostic(`auto: ${x.device} (${x.deviceNote})`);
      if (requireOrSkip(t, /software/.test(x.deviceNote) ? null : `no WebGPU adapter in this chromium (${x.deviceNote})`)) return;
      assert.match(x.deviceNote, /only WebGPU adapter is software \(SwiftShader\)/);
      const cfg = { depth: 6, width: 48, scheme: 'kaiming_normal', mode: 'fan_in', nonlinearity: 'relu' };
      page.setDefaultTimeout(150_000); // the first WebGPU analysis compiles every pipeline on SwiftShader (the CPU)
      const gpu = await apply({ ...cfg, device: 'webgpu' });
      assert.equal(gpu.device, 'webgpu (software: SwiftShader)');
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

      x = await apply({ device: 'webgpu' });
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

      let before = x.analyses;
      await page.check('#freeze input[data-module="layers.0"]');
      await idle(before);
      before = (await X()).analyses;
      await page.click('#step');
      await idle(before);
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

      x = await apply({ depth: 2, width: 32, scheme: 'default', device: 'webgpu' });
      x = await upload();
      lap('apply + upload');
      assert.deepEqual(x.loadReport!.missing, ['head.bias']);
      assert.deepEqual(x.loadReport!.unexpected, ['layers.4.weight']);
      assert.match(x.device, /^webgpu/);
      assert.deepEqual(errors, []);
    } finally {
      await close();
    }
  });
});
