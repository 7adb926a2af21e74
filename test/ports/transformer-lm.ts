/**
 * @file Port 6 — "Language Modeling with nn.Transformer", side by side with scripts/ports/transformer_lm.py.
 */
import * as torch from '../../src/index.js';
import { nn, optim, type Tensor } from '../../src/index.js';
import { report, type PortResult } from './report.js';

class PositionalEncoding extends nn.Module {
  dropout: nn.Dropout;
  declare pe: Tensor;

  constructor(dModel: number, dropout = 0.1, maxLen = 5000) {
    super();
    this.dropout = new nn.Dropout(dropout);
    const position = torch.arange(maxLen).unsqueeze(1);
    const divTerm = torch.exp(torch.arange(0, dModel, 2).mul(-Math.log(10000.0) / dModel));
    const pe = torch.zeros([maxLen, 1, dModel]);
    pe.select(1, 0).slice(1, 0, null, 2).copy_(torch.sin(position.mul(divTerm)));
    pe.select(1, 0).slice(1, 1, null, 2).copy_(torch.cos(position.mul(divTerm)));
    this.registerBuffer('pe', pe);
  }

  forward(x: Tensor): Tensor {
    x = x.add(this.pe.slice(0, 0, x.shape[0]));
    return this.dropout.call(x);
  }
}

/** Fields holding modules keep the Python attribute names, so the state-dict keys are the tutorial's (`pos_encoder.pe`). */
class TransformerModel extends nn.Module {
  modelType = 'Transformer';
  pos_encoder: PositionalEncoding;
  transformer_encoder: nn.TransformerEncoder;
  encoder: nn.Embedding;
  dModel: number;
  decoder: nn.Linear;

  constructor(ntoken: number, dModel: number, nhead: number, dHid: number, nlayers: number, dropout = 0.5) {
    super();
    this.pos_encoder = new PositionalEncoding(dModel, dropout, 64);
    const encoderLayers = new nn.TransformerEncoderLayer(dModel, nhead, { dimFeedforward: dHid, dropout: 0.0 });
    this.transformer_encoder = new nn.TransformerEncoder(encoderLayers, nlayers);
    this.encoder = new nn.Embedding(ntoken, dModel);
    this.dModel = dModel;
    this.decoder = new nn.Linear(dModel, ntoken);
    this.initWeights();
  }

  initWeights(): void {
    const initrange = 0.1;
    torch.noGrad(() => {
      this.encoder.weight.uniform_(-initrange, initrange);
      this.decoder.bias!.zero_();
      this.decoder.weight.uniform_(-initrange, initrange);
    });
  }

  forward(src: Tensor, srcMask: Tensor): Tensor {
    src = this.encoder.call(src).mul(Math.sqrt(this.dModel));
    src = this.pos_encoder.call(src);
    const output = this.transformer_encoder.call(src, { mask: srcMask });
    return this.decoder.call(output);
  }
}

const generateSquareSubsequentMask = (sz: number): Tensor => torch.triu(torch.ones([sz, sz]).mul(-Infinity), 1);

function batchify(data: Tensor, bsz: number): Tensor {
  const seqLen = Math.floor(data.shape[0] / bsz);
  data = data.slice(0, 0, seqLen * bsz);
  return data.view([bsz, seqLen]).t().contiguous();
}

const bptt = 8;

function getBatch(source: Tensor, i: number): [Tensor, Tensor] {
  const seqLen = Math.min(bptt, source.shape[0] - 1 - i);
  return [source.slice(0, i, i + seqLen), source.slice(0, i + 1, i + 1 + seqLen).reshape([-1])];
}

export function main(): PortResult {
  torch.manualSeed(0);

  const ntokens = 20;
  const trainData = batchify(torch.randint(0, ntokens, [160]), 4);
  const model = new TransformerModel(ntokens, 16, 2, 32, 2, 0.1);
  const criterion = new nn.CrossEntropyLoss();
  const lr = 1.0;
  const optimizer = new optim.SGD(model.parameters(), { lr });
  const scheduler = new optim.lrScheduler.StepLR(optimizer, { stepSize: 1, gamma: 0.95 });

  const losses: number[] = [];
  for (let epoch = 0; epoch < 2; epoch++) {
    model.train();
    let srcMask = generateSquareSubsequentMask(bptt);
    for (let i = 0; i < trainData.shape[0] - 1; i += bptt) {
      const [data, targets] = getBatch(trainData, i);
      const seqLen = data.shape[0];
      if (seqLen !== bptt) srcMask = srcMask.slice(0, 0, seqLen).slice(1, 0, seqLen);
      const output = model.call(data, srcMask);
      const loss = criterion.call(output.view([-1, ntokens]), targets);
      optimizer.zeroGrad();
      loss.backward();
      nn.utils.clipGradNorm_(model.parameters(), 0.5);
      optimizer.step();
      losses.push(loss.item());
    }
    scheduler.step();
  }
  return report(losses, model.stateDict(), { lr: scheduler.getLastLr() });
}
