/**
 * @file Port 7 — parameter groups without weight decay on biases and norms (minGPT's configure_optimizers), side by
 * side with scripts/ports/param_groups.py. Param-group keys are the optimizer's options in camelCase (`weightDecay`).
 */
import * as torch from '../../src/index.js';
import { nn, optim, type Tensor } from '../../src/index.js';
import { report, type PortResult } from './report.js';

class Block extends nn.Module {
  emb: nn.Embedding;
  ln: nn.LayerNorm;
  fc1: nn.Linear;
  fc2: nn.Linear;

  constructor(vocab = 16, dim = 12) {
    super();
    this.emb = new nn.Embedding(vocab, dim);
    this.ln = new nn.LayerNorm(dim);
    this.fc1 = new nn.Linear(dim, 24);
    this.fc2 = new nn.Linear(24, vocab);
  }

  forward(idx: Tensor): Tensor {
    const x = this.ln.call(this.emb.call(idx));
    return this.fc2.call(torch.relu(this.fc1.call(x)));
  }
}

export function main(): PortResult {
  torch.manualSeed(0);

  const model = new Block();
  const decay = new Set<string>(), noDecay = new Set<string>();
  const whitelistWeightModules = [nn.Linear];
  const blacklistWeightModules = [nn.LayerNorm, nn.Embedding];
  for (const [mn, m] of model.namedModules()) {
    for (const [pn] of m.namedParameters({ recurse: false })) {
      const fpn = mn ? `${mn}.${pn}` : pn;
      if (pn.endsWith('bias')) noDecay.add(fpn);
      else if (pn.endsWith('weight') && whitelistWeightModules.some((c) => m instanceof c)) decay.add(fpn);
      else if (pn.endsWith('weight') && blacklistWeightModules.some((c) => m instanceof c)) noDecay.add(fpn);
    }
  }
  const paramDict = new Map(model.namedParameters());
  const optimGroups = [
    { params: [...decay].sort().map((pn) => paramDict.get(pn)!), weightDecay: 0.1 },
    { params: [...noDecay].sort().map((pn) => paramDict.get(pn)!), weightDecay: 0.0 },
  ];
  const optimizer = new optim.AdamW(optimGroups, { lr: 3e-3, betas: [0.9, 0.95] });

  const idx = torch.randint(0, 16, [8, 6]);
  const targets = torch.randint(0, 16, [8, 6]);
  const losses: number[] = [];
  for (let step = 0; step < 15; step++) {
    const logits = model.call(idx);
    const loss = nn.functional.crossEntropy(logits.view([-1, logits.shape[logits.ndim - 1]]), targets.view([-1]));
    optimizer.zeroGrad({ setToNone: true });
    loss.backward();
    optimizer.step();
    losses.push(loss.item());
  }
  return report(losses, model.stateDict(), {
    group_sizes: optimizer.paramGroups.map((g) => g.params.length),
    weight_decay: optimizer.paramGroups.map((g) => g.weightDecay as number),
  });
}
