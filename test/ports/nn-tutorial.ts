/**
 * @file Port 2 — "What is torch.nn really?", side by side with scripts/ports/nn_tutorial.py.
 */
import * as torch from '../../src/index.js';
import { nn, optim, data, type Tensor } from '../../src/index.js';
import { report, type PortResult } from './report.js';

const F = nn.functional;

export function main(): PortResult {
  torch.manualSeed(0);

  const nIn = 20, nClasses = 5;
  const teacher = torch.randn([nIn, nClasses]);
  const xTrain = torch.randn([256, nIn]);
  const yTrain = xTrain.matmul(teacher).argmax(1);
  const xValid = torch.randn([64, nIn]);
  const yValid = xValid.matmul(teacher).argmax(1);

  const bs = 32;
  const lr = 0.1;
  const epochs = 3;
  const lossFunc = F.crossEntropy;

  const getModel = () => {
    const model = new nn.Sequential(new nn.Linear(nIn, 32), new nn.ReLU(), new nn.Linear(32, nClasses));
    return [model, new optim.SGD(model.parameters(), { lr, momentum: 0.9 })] as const;
  };

  const lossBatch = (model: nn.Module, xb: Tensor, yb: Tensor, opt?: optim.Optimizer): [number, number] => {
    const loss = lossFunc(model.call(xb) as Tensor, yb);
    if (opt) {
      loss.backward();
      opt.step();
      opt.zeroGrad();
    }
    return [loss.item(), xb.shape[0]];
  };

  const getData = (trainDs: data.TensorDataset, validDs: data.TensorDataset, bs: number) =>
    [new data.DataLoader(trainDs, { batchSize: bs, shuffle: true }), new data.DataLoader(validDs, { batchSize: bs * 2 })] as const;

  const trainLosses: number[] = [], validLosses: number[] = [];

  const fit = (epochs: number, model: nn.Module, opt: optim.Optimizer, trainDl: Iterable<Tensor[]>, validDl: Iterable<Tensor[]>) => {
    for (let epoch = 0; epoch < epochs; epoch++) {
      model.train();
      for (const [xb, yb] of trainDl) trainLosses.push(lossBatch(model, xb, yb, opt)[0]);
      model.eval();
      const results = torch.noGrad(() => [...validDl].map(([xb, yb]) => lossBatch(model, xb, yb)));
      const valLoss = results.reduce((s, [l, n]) => s + l * n, 0) / results.reduce((s, [, n]) => s + n, 0);
      validLosses.push(valLoss);
    }
  };

  const [trainDl, validDl] = getData(new data.TensorDataset(xTrain, yTrain), new data.TensorDataset(xValid, yValid), bs);
  const [model, opt] = getModel();
  fit(epochs, model, opt, trainDl as Iterable<Tensor[]>, validDl as Iterable<Tensor[]>);
  return report(trainLosses, model.stateDict(), { valid: validLosses });
}
