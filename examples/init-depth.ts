/**
 * @file Why initialisation matters, made by torchlet: a 20-layer ReLU MLP (width 256), built from plain tensors
 * and matmul, initialised four ways, fed a batch of standard-normal inputs; prints the std of each layer's
 * activations. Run it without npm: `node --import tsx examples/init-depth.ts` (docs/init-example.md explains it).
 */
import * as torch from '../src/index.js';
import * as init from '../src/nn/init.js';

const DEPTH = 20;
const WIDTH = 256;
const BATCH = 1024;

type Layer = { weight: torch.Tensor; bias: torch.Tensor };
type Scheme = { name: string; init(l: Layer): void };

const schemes: Scheme[] = [
  {
    name: 'PyTorch default',
    // nn.Linear.reset_parameters: kaiming_uniform_(a=√5), i.e. U(±1/√fan_in), and bias U(±1/√fan_in)
    init: ({ weight, bias }) => {
      init.kaimingUniform_(weight, { a: Math.sqrt(5) });
      const [fanIn] = init.calculateFanInAndFanOut(weight);
      init.uniform_(bias, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn));
    },
  },
  { name: 'xavier', init: ({ weight, bias }) => { init.xavierUniform_(weight); init.zeros_(bias); } },
  { name: 'kaiming (fan_in, relu)', init: ({ weight, bias }) => { init.kaimingNormal_(weight, { mode: 'fan_in', nonlinearity: 'relu' }); init.zeros_(bias); } },
  { name: 'N(0, 1)', init: ({ weight, bias }) => { init.normal_(weight, 0, 1); init.zeros_(bias); } },
];

torch.manualSeed(0);
const x = torch.randn([BATCH, WIDTH]);

const columns: number[][] = [];
for (const scheme of schemes) {
  torch.manualSeed(1); // every scheme starts from the same stream
  const stds: number[] = [];
  let h = x;
  for (let i = 0; i < DEPTH; i++) {
    const layer: Layer = { weight: torch.empty([WIDTH, WIDTH]), bias: torch.empty([WIDTH]) }; // [out, in] like nn.Linear
    scheme.init(layer);
    h = torch.relu(h.matmul(layer.weight.t()).add(layer.bias));
    stds.push(h.double().std().item()); // in float64: N(0, 1) activations grow past where float32 sums of squares overflow
  }
  columns.push(stds);
}

const fmt = (v: number): string => (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e4) ? v.toExponential(2) : v.toFixed(4));
const width = Math.max(...schemes.map((s) => s.name.length)) + 2;
console.log(`std of the activations after each Linear+ReLU layer (input: ${BATCH}×${WIDTH} standard normal, std ${fmt(x.std().item())})\n`);
console.log('layer' + schemes.map((s) => s.name.padStart(width)).join(''));
for (let i = 0; i < DEPTH; i++) {
  console.log(String(i + 1).padStart(5) + columns.map((c) => fmt(c[i]).padStart(width)).join(''));
}
