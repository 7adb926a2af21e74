/**
 * @file Port 1 — the autograd tutorials, side by side with scripts/ports/autograd.py.
 */
import * as torch from '../../src/index.js';
import { report, type PortResult } from './report.js';

export function main(): PortResult {
  torch.manualSeed(0);

  // --- A Gentle Introduction to torch.autograd
  const x0 = torch.ones([2, 2], { requiresGrad: true });
  const y0 = x0.add(2);
  const z = y0.mul(y0).mul(3);
  const out = z.mean();
  out.backward();
  const firstGrad = x0.grad!; // d(out)/dx = 4.5 everywhere

  // --- Tensors and autograd: y = a + b x + c x^2 + d x^3 fitted to sin(x)
  const dtype = 'float32';
  const x = torch.linspace(-Math.PI, Math.PI, 2000, { dtype });
  const y = torch.sin(x);
  const a = torch.randn([], { dtype, requiresGrad: true });
  const b = torch.randn([], { dtype, requiresGrad: true });
  const c = torch.randn([], { dtype, requiresGrad: true });
  const d = torch.randn([], { dtype, requiresGrad: true });

  const learningRate = 1e-6;
  const losses: number[] = [];
  for (let t = 0; t < 60; t++) {
    const yPred = a.add(b.mul(x)).add(c.mul(x.pow(2))).add(d.mul(x.pow(3)));
    const loss = yPred.sub(y).pow(2).sum();
    losses.push(loss.item());
    loss.backward();
    torch.noGrad(() => {
      for (const p of [a, b, c, d]) {
        p.sub_(p.grad!.mul(learningRate));
        p.grad = null;
      }
    });
  }
  return report(losses, { a, b, c, d, first_grad: firstGrad }, { out: [out.item()] });
}
