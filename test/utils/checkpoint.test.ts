/**
 * torch.utils.checkpoint: the same values and bitwise the same gradients as without it (dropout masks replayed
 * from the saved generator state), less graph memory (nn.utils.graphMemory), checkpointSequential, autograd.grad
 * through a checkpoint, and the refusals (outside non-leaf, non-Tensor output, reentrant).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';

const { nn } = torch;
const { checkpoint, checkpointSequential } = torch.utils.checkpoint;

const block = () => new nn.Sequential(new nn.Linear(16, 32), new nn.Dropout(0.3), new nn.GELU(), new nn.Linear(32, 16));
function run(useCkpt: boolean): { out: number[][]; grads: number[][]; xGrad: number[]; mem: number; next: number } {
  torch.manualSeed(0);
  const blocks = Array.from({ length: 4 }, block);
  const x = torch.randn([8, 16], { requiresGrad: true });
  torch.manualSeed(123);
  let h: Tensor = x;
  for (const b of blocks) h = useCkpt ? checkpoint((t: Tensor) => b.call(t), h) : b.call(h);
  const mem = nn.utils.graphMemory(h).bytes;
  h.square().sum().backward();
  return {
    out: h.tolist() as number[][],
    grads: blocks.flatMap((b) => [...b.parameters()].map((p) => [...p.grad!.dataSync()])),
    xGrad: [...x.grad!.dataSync()],
    mem,
    next: torch.rand([1]).item(),
  };
}

test('checkpointed blocks give bitwise the same output and gradients (dropout replayed), keep less graph memory, and leave the generator where the plain run does', () => {
  const plain = run(false), ckpt = run(true);
  assert.deepEqual(ckpt.out, plain.out);
  assert.deepEqual(ckpt.grads, plain.grads);
  assert.deepEqual(ckpt.xGrad, plain.xGrad);
  assert.equal(ckpt.next, plain.next, 'the generator state after backward differs');
  assert.ok(ckpt.mem < plain.mem / 3, `graph memory ${ckpt.mem} vs ${plain.mem}`);
});

test('checkpointSequential matches the plain Sequential; autograd.grad through a checkpoint captures input gradients', () => {
  torch.manualSeed(1);
  const seq = new nn.Sequential(...Array.from({ length: 6 }, () => new nn.Linear(8, 8)), new nn.Tanh());
  const x = torch.randn([3, 8], { requiresGrad: true });
  const a = seq.call(x);
  const ga = torch.autograd.grad(a.sum(), [x, seq.getParameter('0.weight')]);
  const b = checkpointSequential(seq, 3, x);
  assert.deepEqual(b.tolist(), a.tolist());
  const gb = torch.autograd.grad(b.sum(), [x, seq.getParameter('0.weight')]);
  assert.deepEqual(gb[0]!.tolist(), ga[0]!.tolist());
  assert.deepEqual(gb[1]!.tolist(), ga[1]!.tolist());
  assert.equal(seq.getParameter('0.weight').grad, null, 'autograd.grad accumulated into .grad');
});

test('a frozen input still trains the parameters inside; under noGrad checkpoint is a plain call', () => {
  torch.manualSeed(2);
  const lin = new nn.Linear(4, 2);
  const x = torch.randn([3, 4]);
  const y = checkpoint((t: Tensor) => lin.call(t), x);
  assert.ok(y.requiresGrad);
  y.sum().backward();
  assert.deepEqual(lin.bias!.grad!.tolist(), [3, 3]);
  const z = torch.noGrad(() => checkpoint((t: Tensor) => lin.call(t), x));
  assert.equal(z.gradFn, null);
});

test('refusals: an outside non-leaf not passed as argument, a non-Tensor output, useReentrant: true, unknown options', () => {
  const w = torch.randn([4], { requiresGrad: true });
  const outside = w.mul(2);
  const x = torch.randn([4], { requiresGrad: true });
  assert.throws(() => checkpoint((t: Tensor) => t.mul(outside), x), /computed outside it that requires grad .* pass it as an argument/);
  assert.throws(() => checkpoint((t: Tensor) => [t, t], x), /fn must return one Tensor \(got an array\)/);
  assert.throws(() => checkpoint((t: Tensor) => t.mul(2), x, { useReentrant: true }), /useReentrant: true is not implemented/);
  const ok = checkpoint((t: Tensor, u: Tensor) => t.mul(u), x, outside, { useReentrant: false });
  ok.sum().backward();
  assert.deepEqual(x.grad!.tolist(), outside.tolist());
});
