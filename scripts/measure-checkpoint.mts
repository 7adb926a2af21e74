/**
 * The README's checkpointing figures: a 6-layer TransformerEncoderLayer stack (dModel 128, 4 heads, feed-forward
 * 512, dropout 0.1, batch-first), batch 2, sequence 256, float32 on the CPU; graph memory kept alive for backward
 * (nn.utils.graphMemory) and forward+backward time, with and without torch.utils.checkpoint per layer.
 *   node --import tsx scripts/measure-checkpoint.mts
 */
import * as torch from '../src/index.js';
import type { Tensor } from '../src/index.js';

const { nn } = torch;
const { checkpoint } = torch.utils.checkpoint;
torch.manualSeed(0);
const layers = Array.from({ length: 6 }, () => new nn.TransformerEncoderLayer(128, 4, { dimFeedforward: 512, batchFirst: true }));
const x = torch.randn([2, 256, 128]);
const MiB = (b: number) => (b / 2 ** 20).toFixed(1);

function step(ckpt: boolean): { mem: number; ms: number; grads: Float32Array[] } {
  for (const l of layers) l.zeroGrad();
  torch.manualSeed(1);
  const t0 = performance.now();
  let h: Tensor = x;
  for (const l of layers) h = ckpt ? checkpoint((t: Tensor) => l.call(t), h) : l.call(h);
  const mem = nn.utils.graphMemory(h).bytes;
  h.square().mean().backward();
  const ms = performance.now() - t0;
  return { mem, ms, grads: layers.flatMap((l) => [...l.parameters()].map((p) => p.grad!.dataSync() as Float32Array)) };
}
const res: Record<string, { mem: number; ms: number[] }> = {};
let ref: Float32Array[] | null = null, same = true;
for (let rep = 0; rep < 3; rep++) {
  for (const ckpt of [false, true]) {
    const r = step(ckpt);
    const k = ckpt ? 'checkpointed' : 'plain';
    (res[k] ??= { mem: r.mem, ms: [] }).ms.push(r.ms);
    if (!ckpt) ref = r.grads; else same &&= r.grads.every((g, i) => g.every((v, j) => v === ref![i][j]));
  }
}
const params = layers.reduce((a, l) => a + [...l.parameters()].reduce((b, p) => b + p.numel(), 0), 0);
console.log(`6 x TransformerEncoderLayer(128, 4, ff 512), ${params.toLocaleString()} parameters, input [2, 256, 128]`);
for (const [k, v] of Object.entries(res)) {
  const med = v.ms.sort((a, b) => a - b)[1];
  console.log(`${k.padEnd(13)} graph memory ${MiB(v.mem)} MiB, forward+backward ${med.toFixed(0)} ms (median of 3)`);
}
console.log(`gradients bitwise identical: ${same}`);
