/**
 * @file Port 3 — saving and loading a general checkpoint for resuming training, side by side with
 * scripts/ports/save_load.py.
 */
import * as torch from '../../src/index.js';
import { nn, optim, type Tensor } from '../../src/index.js';
import { report, type PortResult } from './report.js';

class Net extends nn.Module {
  fc1 = new nn.Linear(10, 16);
  fc2 = new nn.Linear(16, 1);

  forward(x: Tensor): Tensor {
    return this.fc2.call(torch.tanh(this.fc1.call(x)));
  }
}

export function main(): PortResult {
  torch.manualSeed(0);

  const X = torch.randn([64, 10]);
  const Y = X.slice(1, 0, 3).sum(1, { keepdim: true });
  const criterion = new nn.MSELoss();

  const train = (model: Net, optimizer: optim.Optimizer, steps: number, losses: number[]): Tensor => {
    let loss!: Tensor;
    for (let i = 0; i < steps; i++) {
      optimizer.zeroGrad();
      loss = criterion.call(model.call(X), Y);
      loss.backward();
      optimizer.step();
      losses.push(loss.item());
    }
    return loss;
  };

  const initial = new Net().stateDict();
  const losses: number[] = [];
  let model = new Net();
  model.loadStateDict(initial);
  let optimizer = new optim.Adam(model.parameters(), { lr: 0.01 });
  const loss = train(model, optimizer, 6, losses);

  const buffer = torch.saveBytes({ epoch: 6, model_state_dict: model.stateDict(), optimizer_state_dict: optimizer.stateDict(), loss: loss.item() });

  model = new Net();
  optimizer = new optim.Adam(model.parameters(), { lr: 0.01 });
  const checkpoint = torch.loadBytes(buffer) as Map<string, unknown>;
  model.loadStateDict(checkpoint.get('model_state_dict') as Map<string, Tensor>);
  optimizer.loadStateDict(checkpoint.get('optimizer_state_dict') as Map<string, unknown>);
  const epoch = checkpoint.get('epoch') as number;
  model.train();
  train(model, optimizer, 6, losses);

  const straight = new Net();
  straight.loadStateDict(initial);
  train(straight, new optim.Adam(straight.parameters(), { lr: 0.01 }), 12, []);
  const a = [...model.stateDict().values()], b = [...straight.stateDict().values()];
  const same = a.every((t, i) => torch.equal(t, b[i]));

  return report(losses, model.stateDict(), { epoch: [epoch], resumed_equals_uninterrupted: [same ? 1 : 0] });
}
