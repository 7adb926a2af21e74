/**
 * The README's loading-memory figures: a 100M-parameter model (24 x Linear(2048, 2048), float32) saved as
 * safetensors and .pt, then loaded (a) into a CPU model by copying and (b) into a meta model with assign.
 * Prints the accounted peak (torch.memory.stats) and the process's RSS growth. Run:
 *   node --import tsx scripts/measure-load-memory.mts [layers=24] [width=2048]
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { rmSync } from 'node:fs';
import * as torch from '../src/index.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const settle = async () => { for (let i = 0; i < 3; i++) { gc(); await new Promise((r) => setTimeout(r, 50)); } };
const { nn } = torch;
const L = Number(process.argv[2] ?? 24), D = Number(process.argv[3] ?? 2048);
const build = () => new nn.Sequential(...Array.from({ length: L }, () => new nn.Linear(D, D)));
const MiB = (b: number) => (b / 2 ** 20).toFixed(0);

const sd = torch.noGrad(() => torch.withDevice('meta', build).toEmpty({ device: 'cpu' }).stateDict());
const weights = [...sd.values()].reduce((a, t) => a + t.nbytes(), 0);
const params = [...sd.values()].reduce((a, t) => a + t.numel(), 0);
const files = ['/tmp/torchlet-m100.safetensors', '/tmp/torchlet-m100.pt'];
for (const f of files) await torch.save(sd, f);
sd.clear();
console.log(`${params.toLocaleString()} parameters, ${MiB(weights)} MiB of weights`);
for (const f of files) {
  for (const how of ['copy', 'meta+assign'] as const) {
    await settle();
    const live0 = torch.memory.stats().liveBytes, rss0 = process.memoryUsage().rss;
    torch.memory.resetPeak();
    let rss = rss0;
    const t0 = performance.now();
    const m = how === 'copy' ? build() : torch.withDevice('meta', build);
    rss = Math.max(rss, process.memoryUsage().rss);
    const loaded = await torch.load(f) as Map<string, torch.Tensor>;
    rss = Math.max(rss, process.memoryUsage().rss);
    m.loadStateDict(loaded, { assign: how !== 'copy' });
    rss = Math.max(rss, process.memoryUsage().rss);
    const ms = performance.now() - t0;
    const peak = torch.memory.stats().peakBytes - live0;
    console.log(`${f.split('.').pop()!.padEnd(11)} ${how.padEnd(11)} accounted peak ${MiB(peak)} MiB (${(peak / weights).toFixed(2)}x), RSS +${MiB(rss - rss0)} MiB, ${(ms / 1000).toFixed(1)} s`);
  }
}
for (const f of files) rmSync(f, { force: true });
