/**
 * @file The same work in headless Chromium (Debian's chromium, driven by playwright-core; the browser bundle of
 * scripts/bundle-browser.mjs served from 127.0.0.1 with COOP/COEP) and in Node, 1 thread on both sides,
 * interleaved: each repetition times a block in Node, then the same block in the page. Cases: an MLP training
 * step (784-512-512-10, batch 128, SGD), the initialization explorer's default training step (a 10x64 ReLU MLP,
 * batch 64, SGD with momentum: one of the two runs it trains side by side), a million-element add and a 16x512 sigmoid.
 * List it in bench/run.ts SUITES as `browser: () => import('./browser.js')`.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as torch from '../src/index.js';
import type { BenchContext, Row, SuiteResult } from './harness.js';
import { bundleBrowser } from '../scripts/bundle-browser.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Runs in both places: `setup(torch)` returns named blocks; each block runs its case `inner` times. */
const CASES = `
export function setup(torch) {
  torch.setNumThreads(1);
  torch.manualSeed(0);
  const { nn, optim } = torch;
  const model = new nn.Sequential(new nn.Linear(784, 512), new nn.ReLU(), new nn.Linear(512, 512), new nn.ReLU(), new nn.Linear(512, 10));
  const opt = new optim.SGD(model.parameters(), { lr: 0.01 });
  const x = torch.randn([128, 784]), y = torch.randint(0, 10, [128]);
  const a = torch.randn([1000000]), b = torch.randn([1000000]), s = torch.randn([16, 512]);
  const deep = [];
  for (let i = 0; i < 10; i++) deep.push(new nn.Linear(i === 0 ? 784 : 64, 64), new nn.ReLU());
  const explorer = new nn.Sequential(...deep, new nn.Linear(64, 10));
  const eopt = new optim.SGD(explorer.parameters(), { lr: 0.01, momentum: 0.9 });
  const ex = torch.rand([64, 784]), ey = torch.randint(0, 10, [64]);
  const blocks = {
    'MLP 784-512-512-10 step b128': [() => { opt.zeroGrad(); nn.functional.crossEntropy(model.call(x), y).backward(); opt.step(); }, 3],
    'explorer step: MLP 10x64 b64, SGD momentum': [() => { eopt.zeroGrad(); nn.functional.crossEntropy(explorer.call(ex), ey).backward(); eopt.step(); }, 10],
    'add 1M': [() => a.add(b), 20],
    'sigmoid 16x512': [() => s.sigmoid(), 200],
  };
  return (name) => { const [fn, inner] = blocks[name]; const t0 = performance.now(); for (let i = 0; i < inner; i++) fn(); return (performance.now() - t0) / inner; };
}`;
/** The `inner` count of each block in CASES (calls per sample). */
const INNER: Record<string, number> = { 'MLP 784-512-512-10 step b128': 3, 'explorer step: MLP 10x64 b64, SGD momentum': 10, 'add 1M': 20, 'sigmoid 16x512': 200 };
const NAMES = ['MLP 784-512-512-10 step b128', 'explorer step: MLP 10x64 b64, SGD momentum', 'add 1M', 'sigmoid 16x512'];

/**
 * Minor page faults so far of this process and of the Chromium renderers it started (Linux /proc; null
 * elsewhere). Chromium maps fresh pages for every new ArrayBuffer of 16 KiB or more, so faults per step say
 * how much of a gap is allocation (core/f32-pool.ts recycles buffers in browsers).
 */
function procStat(pid: string): string[] | null {
  try { return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); } catch { return null; }
}
function rendererFaults(): number | null {
  if (!existsSync('/proc/self/stat')) return null;
  const me = String(process.pid);
  let sum = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let cmd = '';
    try { cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8'); } catch { continue; }
    if (!cmd.includes('--type=renderer')) continue;
    // Only renderers of the browser this process launched (other sessions may run Chromium too).
    let anc = procStat(pid)?.[1], mine = false;
    for (let i = 0; i < 8 && anc && anc !== '0' && anc !== '1'; i++) { if (anc === me) { mine = true; break; } anc = procStat(anc)?.[1]; }
    if (mine) sum += Number(procStat(pid)?.[7] ?? 0);
  }
  return sum;
}

function stats(xs: number[]): { median: number; min: number; max: number } {
  const s = [...xs].sort((p, q) => p - q);
  return { median: s[s.length >> 1], min: s[0], max: s[s.length - 1] };
}

export async function run(ctx: BenchContext): Promise<SuiteResult> {
  const rows: Row[] = [], notes: string[] = [];
  if (!existsSync(CHROMIUM)) { notes.push(`browser suite skipped: ${CHROMIUM} is missing (apt-get install chromium)`); return { suite: 'browser', rows, notes }; }
  const js = (await bundleBrowser({ write: false })).outputFiles[0].text;
  const COI = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };
  const server = createServer((req, res) => {
    if (req.url === '/t.js') { res.writeHead(200, { 'content-type': 'text/javascript', ...COI }); res.end(js); return; }
    if (req.url === '/c.js') { res.writeHead(200, { 'content-type': 'text/javascript', ...COI }); res.end(CASES); return; }
    res.writeHead(200, { 'content-type': 'text/html', ...COI });
    res.end(`<script type="module">import * as torch from '/t.js'; import { setup } from '/c.js'; window.__sample = setup(torch); window.__kernels = torch.backends.info().cpu.kernels;</script>`);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  const threadsBefore = torch.getNumThreads();
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await page.waitForFunction(() => (window as unknown as { __sample?: unknown }).__sample !== undefined, null, { timeout: 120_000 });
    const kernels = await page.evaluate(() => (window as unknown as { __kernels: string }).__kernels);
    const mod = await import(`data:text/javascript,${encodeURIComponent(CASES)}`) as { setup(t: typeof torch): (name: string) => number };
    const nodeSample = mod.setup(torch);
    const reps = ctx.quick ? 5 : 9;
    for (const name of NAMES) {
      for (let w = 0; w < 2; w++) { nodeSample(name); await page.evaluate((n) => (window as unknown as { __sample(n: string): number }).__sample(n), name); }
      const node: number[] = [], web: number[] = [];
      let nodeFaults = 0, webFaults = 0;
      for (let r = 0; r < reps; r++) {
        const f0 = process.resourceUsage().minorPageFault;
        node.push(nodeSample(name));
        nodeFaults += process.resourceUsage().minorPageFault - f0;
        const w0 = rendererFaults();
        web.push(await page.evaluate((n) => (window as unknown as { __sample(n: string): number }).__sample(n), name));
        const w1 = rendererFaults();
        webFaults += w0 === null || w1 === null ? NaN : w1 - w0;
      }
      const inner = INNER[name];
      const faults = Number.isNaN(webFaults) ? '' : `; minor page faults per call: node ${Math.round(nodeFaults / reps / inner)}, chromium ${Math.round(webFaults / reps / inner)}`;
      const n = stats(node), b = stats(web);
      const spread = (s: { median: number; min: number; max: number }) => (s.max - s.min) / s.median;
      rows.push({ suite: 'browser', case: name, impl: 'torchlet node', threads: 1, value: n.median, unit: 'ms', detail: { min: n.min, max: n.max, reps } });
      rows.push({ suite: 'browser', case: name, impl: `torchlet chromium (${kernels})`, threads: 1, value: b.median, unit: 'ms', detail: { min: b.min, max: b.max, reps } });
      const noisy = spread(n) > 0.2 || spread(b) > 0.2 ? ' (noisy: spread over 20%)' : '';
      const line = `${name}: chromium/node = ${(b.median / n.median).toFixed(2)}x (node ${n.median.toFixed(3)} ms [${n.min.toFixed(3)}–${n.max.toFixed(3)}], chromium ${b.median.toFixed(3)} ms [${b.min.toFixed(3)}–${b.max.toFixed(3)}], ${reps} interleaved reps${faults})${noisy}`;
      notes.push(line);
      ctx.log(`  ${line}`);
    }
  } finally {
    torch.setNumThreads(threadsBefore);
    await browser.close();
    server.close();
  }
  return { suite: 'browser', rows, notes };
}
