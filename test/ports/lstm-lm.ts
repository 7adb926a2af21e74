/**
 * @file Port 5 — pytorch/examples word_language_model (LSTM), side by side with scripts/ports/lstm_lm.py.
 */
import * as torch from '../../src/index.js';
import { nn, type Tensor } from '../../src/index.js';
import { report, type PortResult } from './report.js';

const F = nn.functional;
type Hidden = [Tensor, Tensor];

class RNNModel extends nn.Module {
  ntoken: number;
  drop: nn.Dropout;
  encoder: nn.Embedding;
  rnn: nn.LSTM;
  decoder: nn.Linear;
  nhid: number;
  nlayers: number;

  constructor(ntoken: number, ninp: number, nhid: number, nlayers: number, dropout = 0.5) {
    super();
    this.ntoken = ntoken;
    this.drop = new nn.Dropout(dropout);
    this.encoder = new nn.Embedding(ntoken, ninp);
    this.rnn = new nn.LSTM(ninp, nhid, { numLayers: nlayers, dropout });
    this.decoder = new nn.Linear(nhid, ntoken);
    this.initWeights();
    this.nhid = nhid;
    this.nlayers = nlayers;
  }

  initWeights(): void {
    const initrange = 0.1;
    nn.init.uniform_(this.encoder.weight, -initrange, initrange);
    nn.init.zeros_(this.decoder.bias!);
    nn.init.uniform_(this.decoder.weight, -initrange, initrange);
  }

  forward(input: Tensor, hidden: Hidden): [Tensor, Hidden] {
    const emb = this.drop.call(this.encoder.call(input));
    const [rnnOut, h] = this.rnn.call(emb, hidden);
    const output = this.drop.call(rnnOut);
    const decoded = this.decoder.call(output).view([-1, this.ntoken]);
    return [F.logSoftmax(decoded, 1), h];
  }

  initHidden(bsz: number): Hidden {
    const weight = this.parameters()[0];
    return [torch.zeros([this.nlayers, bsz, this.nhid], { dtype: weight.dtype }), torch.zeros([this.nlayers, bsz, this.nhid], { dtype: weight.dtype })];
  }
}

function batchify(data: Tensor, bsz: number): Tensor {
  const nbatch = Math.floor(data.shape[0] / bsz);
  data = data.narrow(0, 0, nbatch * bsz);
  return data.view([bsz, -1]).t().contiguous();
}

const bptt = 8;

function getBatch(source: Tensor, i: number): [Tensor, Tensor] {
  const seqLen = Math.min(bptt, source.shape[0] - 1 - i);
  const data = source.slice(0, i, i + seqLen);
  const target = source.slice(0, i + 1, i + 1 + seqLen).reshape([-1]);
  return [data, target];
}

const repackageHidden = (h: Hidden): Hidden => [h[0].detach(), h[1].detach()];

export function main(): PortResult {
  torch.manualSeed(0);

  const ntokens = 24;
  const trainData = batchify(torch.randint(0, ntokens, [200]), 4);
  const valData = batchify(torch.randint(0, ntokens, [60]), 2);
  const model = new RNNModel(ntokens, 16, 16, 2, 0.2);
  const criterion = new nn.NLLLoss();
  const lr = 2.0, clip = 0.25;

  const evaluate = (dataSource: Tensor): number => {
    model.eval();
    let totalLoss = 0;
    let hidden = model.initHidden(2);
    torch.noGrad(() => {
      for (let i = 0; i < dataSource.shape[0] - 1; i += bptt) {
        const [data, targets] = getBatch(dataSource, i);
        const [output, h] = model.call(data, hidden);
        hidden = repackageHidden(h);
        totalLoss += data.shape[0] * criterion.call(output, targets).item();
      }
    });
    return totalLoss / (dataSource.shape[0] - 1);
  };

  const losses: number[] = [], valLosses: number[] = [];
  for (let epoch = 0; epoch < 2; epoch++) {
    model.train();
    let hidden = model.initHidden(4);
    for (let i = 0; i < trainData.shape[0] - 1; i += bptt) {
      const [data, targets] = getBatch(trainData, i);
      model.zeroGrad();
      hidden = repackageHidden(hidden);
      const [output, h] = model.call(data, hidden);
      hidden = h;
      const loss = criterion.call(output, targets);
      loss.backward();
      nn.utils.clipGradNorm_(model.parameters(), clip);
      torch.noGrad(() => { for (const p of model.parameters()) p.add_(p.grad!, { alpha: -lr }); });
      losses.push(loss.item());
    }
    valLosses.push(evaluate(valData));
  }
  return report(losses, model.stateDict(), { val: valLosses });
}
