/**
 * @file Port 10 — custom initialization with Module.apply (the DCGAN tutorial's weights_init pattern), side by side
 * with scripts/ports/apply_init.py.
 */
import * as torch from '../../src/index.js';
import { nn, optim, type Tensor } from '../../src/index.js';
import { report, values, type PortResult } from './report.js';

function weightsInit(m: nn.Module): void {
  if (m instanceof nn.Conv2d) {
    nn.init.kaimingNormal_(m.weight, { mode: 'fan_out', nonlinearity: 'relu' });
    if (m.bias !== null) nn.init.zeros_(m.bias);
  } else if (m instanceof nn.BatchNorm2d) {
    nn.init.normal_(m.weight!, 1.0, 0.02);
    nn.init.constant_(m.bias!, 0);
  } else if (m instanceof nn.Linear) {
    nn.init.xavierUniform_(m.weight);
    torch.noGrad(() => m.bias!.fill_(0.01));
  }
}

export function main(): PortResult {
  torch.manualSeed(0);

  const net = new nn.Sequential(
    new nn.Conv2d(1, 4, 3, { padding: 1, bias: false }), new nn.BatchNorm2d(4), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(4, 8, 3, { padding: 1 }), new nn.ReLU(), new nn.AdaptiveAvgPool2d(1),
    new nn.Flatten(), new nn.Linear(8, 3),
  );
  net.apply(weightsInit);
  const initial = new Map([...net.stateDict()].map(([k, v]) => [k, v.clone()] as [string, Tensor]));

  const x = torch.randn([8, 1, 8, 8]);
  const y = torch.randint(0, 3, [8]);
  const optimizer = new optim.Adam(net.parameters(), { lr: 1e-2 });
  const losses: number[] = [];
  for (let step = 0; step < 8; step++) {
    optimizer.zeroGrad();
    const loss = nn.functional.crossEntropy(net.call(x), y);
    loss.backward();
    optimizer.step();
    losses.push(loss.item());
  }
  return report(losses, net.stateDict(), Object.fromEntries([...initial].map(([k, v]) => [`init.${k}`, values(v)])));
}
