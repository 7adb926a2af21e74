/**
 * @file Port 11 — weight tying (decoder.weight = encoder.weight), side by side with scripts/ports/weight_tying.py.
 */
import * as torch from '../../src/index.js';
import { nn, optim, type Tensor } from '../../src/index.js';
import { report, type PortResult } from './report.js';

class TiedLM extends nn.Module {
  encoder: nn.Embedding;
  rnn: nn.GRU;
  decoder: nn.Linear;

  constructor(ntoken = 20, nhid = 12) {
    super();
    this.encoder = new nn.Embedding(ntoken, nhid);
    this.rnn = new nn.GRU(nhid, nhid);
    this.decoder = new nn.Linear(nhid, ntoken);
    this.decoder.weight = this.encoder.weight;
  }

  forward(input: Tensor): Tensor {
    const [output] = this.rnn.call(this.encoder.call(input));
    return this.decoder.call(output);
  }
}

export function main(): PortResult {
  torch.manualSeed(0);

  const model = new TiedLM();
  const nParams = model.parameters().length;
  const data = torch.randint(0, 20, [10, 3]);
  const optimizer = new optim.Adam(model.parameters(), { lr: 5e-3 });
  const losses: number[] = [];
  for (let step = 0; step < 10; step++) {
    optimizer.zeroGrad();
    const out = model.call(data.slice(0, 0, -1));
    const loss = nn.functional.crossEntropy(out.reshape([-1, 20]), data.slice(0, 1).reshape([-1]));
    loss.backward();
    optimizer.step();
    losses.push(loss.item());
  }

  const fresh = new TiedLM();
  fresh.loadStateDict(model.stateDict());
  const stillTied = fresh.decoder.weight === fresh.encoder.weight;
  return report(losses, model.stateDict(), { n_params: [nParams], still_tied: [stillTied ? 1 : 0] });
}
