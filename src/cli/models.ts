/**
 * @file The digits models of `torchlet train`: an MLP and a small CNN with BatchNorm.
 */
import * as torch from '../index.js';
const { nn } = torch;

export class DigitsMLP extends nn.Module {
  flatten = new nn.Flatten();
  fc1 = new nn.Linear(784, 256);
  fc2 = new nn.Linear(256, 128);
  fc3 = new nn.Linear(128, 10);
  dropout = new nn.Dropout(0.1);
  forward(x: torch.Tensor): torch.Tensor {
    x = this.flatten.call(x);
    x = this.dropout.call(this.fc1.call(x).relu());
    x = this.fc2.call(x).relu();
    return this.fc3.call(x);
  }
}

export class DigitsCNN extends nn.Module {
  features = new nn.Sequential(
    new nn.Conv2d(1, 8, 3, { padding: 1 }), new nn.BatchNorm2d(8), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(8, 16, 3, { padding: 1 }), new nn.BatchNorm2d(16), new nn.ReLU(), new nn.MaxPool2d(2),
  );
  head = new nn.Sequential(new nn.Flatten(), new nn.Dropout(0.1), new nn.Linear(16 * 7 * 7, 10));
  forward(x: torch.Tensor): torch.Tensor {
    return this.head.call(this.features.call(x));
  }
}

export type ModelKind = 'mlp' | 'cnn';
export function buildModel(kind: ModelKind): torch.nn.Module & { forward(x: torch.Tensor): torch.Tensor } {
  if (kind === 'mlp') return new DigitsMLP();
  if (kind === 'cnn') return new DigitsCNN();
  throw new Error(`unknown model '${kind as string}': use 'mlp' or 'cnn'`);
}

export const DEFAULTS: Record<ModelKind, { epochs: number; batchSize: number; lr: number }> = {
  mlp: { epochs: 8, batchSize: 64, lr: 2e-3 },
  cnn: { epochs: 4, batchSize: 64, lr: 4e-3 },
};
