/**
 * @file The explorer's networks (deep MLP and digits CNN), built from torchlet's nn modules, and the init
 * schemes applied per layer type. The PyTorch equivalents are in scripts/fixtures/explore.py.
 */
import * as torch from '../src/index.js';
import type { Activation, Config, InitSpec } from './protocol.js';

const { nn } = torch;
const init = nn.init;

/** (x - mean) / std with the usual MNIST statistics, as non-persistent buffers (moved, not saved). */
export class Normalize extends nn.Module {
  mean = new nn.Buffer(torch.tensor([0.1307]), { persistent: false });
  std = new nn.Buffer(torch.tensor([0.3081]), { persistent: false });
  forward(x: torch.Tensor): torch.Tensor { return x.sub(this.mean).div(this.std); }
  // the page's bundle is minified: name the page's own classes (torchlet's classes are named by the library)
  override _getName(): string { return 'Normalize'; }
}

function activation(a: Activation): torch.nn.Module {
  if (a === 'relu') return new nn.ReLU();
  if (a === 'tanh') return new nn.Tanh();
  return new nn.GELU();
}

/** norm → flatten → depth × (Linear, activation) → head Linear(width, 10). */
export class DeepMLP extends nn.Module {
  norm = new Normalize();
  flatten = new nn.Flatten();
  declare layers: torch.nn.Sequential;
  declare head: torch.nn.Linear;
  constructor(depth: number, width: number, act: Activation) {
    super();
    const mods: torch.nn.Module[] = [];
    for (let i = 0; i < depth; i++) mods.push(new nn.Linear(i === 0 ? 784 : width, width), activation(act));
    this.layers = new nn.Sequential(...mods);
    this.head = new nn.Linear(width, 10);
  }
  forward(x: torch.Tensor): torch.Tensor {
    return this.head.call(this.layers.call(this.flatten.call(this.norm.call(x))));
  }
  override _getName(): string { return 'DeepMLP'; }
}

/** The digits CNN of `torchlet train --model cnn` (without dropout), with the chosen activation. */
export class DigitsCNN extends nn.Module {
  norm = new Normalize();
  declare features: torch.nn.Sequential;
  declare head: torch.nn.Sequential;
  constructor(act: Activation) {
    super();
    this.features = new nn.Sequential(
      new nn.Conv2d(1, 16, 3, { padding: 1 }), new nn.BatchNorm2d(16), activation(act), new nn.MaxPool2d(2),
      new nn.Conv2d(16, 32, 3, { padding: 1 }), new nn.BatchNorm2d(32), activation(act), new nn.MaxPool2d(2),
    );
    this.head = new nn.Sequential(new nn.Flatten(), new nn.Linear(32 * 7 * 7, 10));
  }
  forward(x: torch.Tensor): torch.Tensor {
    return this.head.call(this.features.call(this.norm.call(x)));
  }
  override _getName(): string { return 'DigitsCNN'; }
}

export type Net = torch.nn.Module & { forward(x: torch.Tensor): torch.Tensor };

export function isWeightLayer(m: torch.nn.Module): m is torch.nn.Linear | torch.nn.Conv2d {
  return m instanceof nn.Linear || m instanceof nn.Conv2d;
}
export function isActivation(m: torch.nn.Module): boolean {
  return m instanceof nn.ReLU || m instanceof nn.Tanh || m instanceof nn.GELU;
}

/** 'Linear(784, 256)' / 'Conv2d(1, 16, 3)' */
export function describeLayer(m: torch.nn.Module): string {
  if (m instanceof nn.Linear) return `Linear(${m.inFeatures}, ${m.outFeatures})`;
  const w = (m as torch.nn.Conv2d).weight;
  return `Conv2d(${w.shape[1]}, ${w.shape[0]}, ${w.shape[2]})`;
}

/** Apply one scheme to a Linear or Conv2d. 'default' is the layer's own resetParameters() (PyTorch's). */
export function applyInit(m: torch.nn.Linear | torch.nn.Conv2d, spec: InitSpec): void {
  const w = m.weight;
  const b = m.bias;
  switch (spec.scheme) {
    case 'default': m.resetParameters(); return;
    case 'xavier_uniform': init.xavierUniform_(w); break;
    case 'xavier_normal': init.xavierNormal_(w); break;
    case 'kaiming_uniform': init.kaimingUniform_(w, { mode: spec.mode, nonlinearity: spec.nonlinearity }); break;
    case 'kaiming_normal': init.kaimingNormal_(w, { mode: spec.mode, nonlinearity: spec.nonlinearity }); break;
    case 'normal': init.normal_(w, 0, spec.std); break;
    case 'zeros': init.zeros_(w); break;
    default: throw new Error(`unknown init scheme '${String(spec.scheme)}'`);
  }
  if (b) init.zeros_(b);
}

/** Seed, build, initialise (on the CPU). */
export function buildNet(c: Config): Net {
  torch.manualSeed(c.seed);
  const net: Net = c.model === 'cnn' ? new DigitsCNN(c.activation) : new DeepMLP(c.depth, c.width, c.activation);
  for (const m of net.modules()) {
    if (m instanceof nn.Linear) applyInit(m, c.init.linear);
    else if (m instanceof nn.Conv2d) applyInit(m, c.init.conv);
  }
  return net;
}

/** The weight layers of a net in forward order, with the module whose output is "the activation" of each. */
export function probes(net: torch.nn.Module): { name: string; layer: torch.nn.Linear | torch.nn.Conv2d; out: torch.nn.Module }[] {
  const mods = net.namedModules().filter(([n]) => n !== '');
  const out: { name: string; layer: torch.nn.Linear | torch.nn.Conv2d; out: torch.nn.Module }[] = [];
  for (let i = 0; i < mods.length; i++) {
    const [name, m] = mods[i];
    if (!isWeightLayer(m)) continue;
    let target: torch.nn.Module = m;
    for (let j = i + 1; j < mods.length && !isWeightLayer(mods[j][1]); j++) {
      if (isActivation(mods[j][1])) { target = mods[j][1]; break; }
    }
    out.push({ name, layer: m, out: target });
  }
  return out;
}
