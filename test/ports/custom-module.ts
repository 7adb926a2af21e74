/**
 * @file Port 12 — a custom module with nn.Parameter, a persistent buffer updated in forward, a step counter and a
 * non-persistent cache, side by side with scripts/ports/custom_module.py.
 */
import * as torch from '../../src/index.js';
import { nn, optim, type Tensor } from '../../src/index.js';
import { report, values, type PortResult } from './report.js';

class ScaleShift extends nn.Module {
  momentum: number;
  weight: nn.Parameter;
  bias: nn.Parameter;
  declare running_mean: Tensor;
  declare steps: Tensor;
  declare cache: Tensor;

  constructor(numFeatures: number, momentum = 0.1) {
    super();
    this.momentum = momentum;
    this.weight = new nn.Parameter(torch.ones([numFeatures]));
    this.bias = new nn.Parameter(torch.zeros([numFeatures]));
    this.registerBuffer('running_mean', torch.zeros([numFeatures]));
    this.registerBuffer('steps', torch.tensor(0, { dtype: 'int64' }));
    this.registerBuffer('cache', torch.zeros([numFeatures]), { persistent: false });
  }

  forward(x: Tensor): Tensor {
    if (this.training) {
      torch.noGrad(() => {
        this.running_mean.mul_(1 - this.momentum).add_(x.mean(0), { alpha: this.momentum });
        this.steps.add_(1);
      });
    }
    const centered = x.sub(this.running_mean);
    this.cache.copy_(centered.detach().abs().mean(0));
    return centered.mul(this.weight).add(this.bias);
  }
}

export function main(): PortResult {
  torch.manualSeed(0);

  const model = new nn.Sequential(new nn.Linear(4, 6), new ScaleShift(6), new nn.ReLU(), new nn.Linear(6, 1));
  const x = torch.randn([32, 4]);
  const y = x.prod(1, { keepdim: true });
  const optimizer = new optim.RMSprop(model.parameters(), { lr: 1e-2 });
  const losses: number[] = [];
  for (let step = 0; step < 10; step++) {
    optimizer.zeroGrad();
    const loss = nn.functional.mseLoss(model.call(x), y);
    loss.backward();
    optimizer.step();
    losses.push(loss.item());
  }
  model.eval();
  const evalLoss = torch.noGrad(() => nn.functional.mseLoss(model.call(x), y).item());
  const keys = [...model.stateDict().keys()];
  return report(losses, model.stateDict(), { eval_loss: [evalLoss], keys: keys.map((k) => (k.includes('cache') ? 0 : 1)), cache: values(model.at(1).cache) });
}
