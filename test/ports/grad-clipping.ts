/**
 * @file Port 9 — gradient clipping with clipGradNorm_ (returns the total norm) and clipGradValue_, side by side with
 * scripts/ports/grad_clipping.py.
 */
import * as torch from '../../src/index.js';
import { nn, optim, type Tensor } from '../../src/index.js';
import { report, type PortResult } from './report.js';

class GRURegressor extends nn.Module {
  gru = new nn.GRU(3, 8, { batchFirst: true });
  head = new nn.Linear(8, 1);

  forward(x: Tensor): Tensor {
    const [out] = this.gru.call(x);
    return this.head.call(out.select(1, -1));
  }
}

export function main(): PortResult {
  torch.manualSeed(0);

  const model = new GRURegressor();
  const x = torch.randn([16, 5, 3]);
  const y = x.sum([1, 2]).unsqueeze(1);
  const optimizer = new optim.SGD(model.parameters(), { lr: 0.05 });
  const criterion = new nn.MSELoss();

  const losses: number[] = [], norms: number[] = [];
  for (let step = 0; step < 12; step++) {
    optimizer.zeroGrad();
    const loss = criterion.call(model.call(x), y);
    loss.backward();
    const totalNorm = nn.utils.clipGradNorm_(model.parameters(), 1.0);
    norms.push(totalNorm.item());
    optimizer.step();
    losses.push(loss.item());
  }

  for (let step = 0; step < 6; step++) {
    optimizer.zeroGrad();
    const loss = criterion.call(model.call(x), y);
    loss.backward();
    nn.utils.clipGradValue_(model.parameters(), 0.05);
    optimizer.step();
    losses.push(loss.item());
  }
  return report(losses, model.stateDict(), { norms });
}
