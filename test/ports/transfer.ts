/**
 * @file Port 4 — transfer learning with a frozen backbone ("ConvNet as fixed feature extractor"), side by side with
 * scripts/ports/transfer.py.
 */
import * as torch from '../../src/index.js';
import { nn, optim, data, type Tensor } from '../../src/index.js';
import { report, type PortResult } from './report.js';

class SmallNet extends nn.Module {
  conv1: nn.Conv2d;
  bn1: nn.BatchNorm2d;
  relu = new nn.ReLU();
  avgpool = new nn.AdaptiveAvgPool2d([1, 1]);
  fc: nn.Linear;

  constructor(numClasses = 10) {
    super();
    this.conv1 = new nn.Conv2d(3, 8, 3, { padding: 1, bias: false });
    this.bn1 = new nn.BatchNorm2d(8);
    this.fc = new nn.Linear(8, numClasses);
  }

  forward(x: Tensor): Tensor {
    x = this.relu.call(this.bn1.call(this.conv1.call(x)));
    x = this.avgpool.call(x);
    x = torch.flatten(x, 1);
    return this.fc.call(x);
  }
}

export function main(): PortResult {
  torch.manualSeed(0);

  // "pretrained" weights
  const pretrained = new SmallNet();
  const preOpt = new optim.SGD(pretrained.parameters(), { lr: 0.1 });
  const preX = torch.randn([16, 3, 8, 8]), preY = torch.randint(0, 10, [16]);
  for (let i = 0; i < 3; i++) {
    preOpt.zeroGrad();
    nn.functional.crossEntropy(pretrained.call(preX), preY).backward();
    preOpt.step();
  }
  const weights = torch.saveBytes(pretrained.stateDict());

  const modelConv = new SmallNet();
  modelConv.loadStateDict(torch.loadBytes(weights) as Map<string, Tensor>);
  for (const param of modelConv.parameters()) param.requiresGrad = false;

  // Parameters of newly constructed modules have requiresGrad true by default
  const numFtrs = modelConv.fc.inFeatures;
  modelConv.fc = new nn.Linear(numFtrs, 2);

  const criterion = new nn.CrossEntropyLoss();
  const optimizerConv = new optim.SGD(modelConv.fc.parameters(), { lr: 0.01, momentum: 0.9 });
  const expLrScheduler = new optim.lrScheduler.StepLR(optimizerConv, { stepSize: 2, gamma: 0.1 });

  const inputsAll = torch.randn([32, 3, 8, 8]), labelsAll = torch.randint(0, 2, [32]);
  const dataloader = new data.DataLoader(new data.TensorDataset(inputsAll, labelsAll), { batchSize: 8, shuffle: true });

  const losses: number[] = [], corrects: number[] = [];
  for (let epoch = 0; epoch < 3; epoch++) {
    modelConv.train();
    let runningCorrects = 0;
    for (const [inputs, labels] of dataloader) {
      optimizerConv.zeroGrad();
      const outputs = modelConv.call(inputs);
      const preds = outputs.max(1).indices;
      const loss = criterion.call(outputs, labels);
      loss.backward();
      optimizerConv.step();
      losses.push(loss.item());
      runningCorrects += torch.sum(preds.eq(labels)).item();
    }
    expLrScheduler.step();
    corrects.push(runningCorrects);
  }

  const frozenUnchanged = torch.equal(modelConv.conv1.weight, pretrained.conv1.weight);
  return report(losses, modelConv.stateDict(), { corrects, frozen_unchanged: [frozenUnchanged ? 1 : 0], lr: [optimizerConv.paramGroups[0].lr] });
}
