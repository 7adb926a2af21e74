/**
 * Test models mirroring scripts/fixtures/module.py (layers are written here: nn.Linear/BatchNorm belong to
 * another part of the library).
 */
import * as torch from '../../src/index.js';
const { nn } = torch;

export class Lin extends nn.Module {
  inFeatures: number;
  outFeatures: number;
  weight: torch.nn.Parameter;
  declare bias: torch.nn.Parameter | null;
  constructor(i: number, o: number, bias = true) {
    super();
    this.inFeatures = i;
    this.outFeatures = o;
    this.weight = new nn.Parameter(torch.zeros([o, i]));
    if (bias) this.bias = new nn.Parameter(torch.zeros([o]));
    else this.registerParameter('bias', null);
  }
  forward(x: torch.Tensor): torch.Tensor {
    const y = x.matmul(this.weight.t());
    return this.bias ? y.add(this.bias) : y;
  }
  override extraRepr(): string { return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias ? 'True' : 'False'}`; }
}

/** BatchNorm-style: affine parameters and running statistics registered under PyTorch's names. */
export class Stats extends nn.Module {
  weight: torch.nn.Parameter;
  bias: torch.nn.Parameter;
  declare running_mean: torch.Tensor;
  declare running_var: torch.Tensor;
  declare num_batches_tracked: torch.Tensor;
  constructor(readonly n: number) {
    super();
    this.weight = new nn.Parameter(torch.ones([n]));
    this.bias = new nn.Parameter(torch.zeros([n]));
    this.registerBuffer('running_mean', torch.zeros([n]));
    this.registerBuffer('running_var', torch.ones([n]));
    this.registerBuffer('num_batches_tracked', torch.tensor(0, { dtype: 'int64' }));
  }
  forward(x: torch.Tensor): torch.Tensor {
    if (this.training) {
      torch.noGrad(() => {
        this.running_mean.mul_(0.9).add_(x.mean(0).mul(0.1));
        this.num_batches_tracked.add_(1);
      });
    }
    return x.sub(this.running_mean).mul(this.weight).add(this.bias);
  }
  override extraRepr(): string { return `${this.n}, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True`; }
}

export class Counter extends nn.Module {
  steps = 0;
  constructor() { super(); this.registerBuffer('scale', torch.ones([2])); }
  override getExtraState(): unknown { return { steps: this.steps }; }
  override setExtraState(state: unknown): void { this.steps = (state as { steps: number }).steps; }
}

export class Net extends nn.Module {
  encoder = new nn.Sequential(new Lin(4, 8), new Stats(8), new nn.Sequential({ a: new Lin(8, 8), b: new Stats(8) }));
  blocks = new nn.ModuleList([new Lin(8, 8), new Lin(8, 8, false)]);
  heads = new nn.ModuleDict({ cls: new Lin(8, 3), reg: new Lin(8, 1) });
  scales = new nn.ParameterList([new nn.Parameter(torch.ones([8])), new nn.Parameter(torch.zeros([2, 3]))]);
  extras = new nn.ParameterDict({ alpha: new nn.Parameter(torch.ones([1])), beta: new nn.Parameter(torch.zeros([2, 2])) });
  mask = new nn.Buffer(torch.ones([8]));
  cache = new nn.Buffer(torch.zeros([8]), { persistent: false });
  temperature = new nn.Parameter(torch.ones([]));
  tied = new Lin(8, 8);
  shared = this.heads.get('cls');
  counter = new Counter();
  dropoutP = 0.1;
  constructor() {
    super();
    this.tied.weight = (this.blocks.at(0)).weight;
  }
}
