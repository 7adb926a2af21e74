/**
 * @file Messages between the explorer page (app.ts) and its worker (worker.ts). Types only.
 */

export type Activation = 'relu' | 'tanh' | 'gelu';
export type Scheme = 'default' | 'xavier_uniform' | 'xavier_normal' | 'kaiming_uniform' | 'kaiming_normal' | 'normal' | 'zeros';

/** How to initialise one layer type. Non-default schemes set the bias to zero. */
export interface InitSpec {
  scheme: Scheme;
  /** kaiming: 'fan_in' | 'fan_out' */
  mode: 'fan_in' | 'fan_out';
  /** kaiming: the nonlinearity whose gain to use */
  nonlinearity: 'relu' | 'leaky_relu' | 'tanh' | 'linear';
  /** normal: the std */
  std: number;
}

export interface Config {
  model: 'mlp' | 'cnn';
  /** MLP hidden layers (Linear + activation each) */
  depth: number;
  width: number;
  activation: Activation;
  init: { linear: InitSpec; conv: InitSpec };
  seed: number;
  /** digits in the analysis batch */
  batch: number;
  /** auto: a hardware WebGPU adapter if there is one, else the CPU (a software adapter is slower than the CPU) */
  device: 'auto' | 'cpu' | 'webgpu';
}

/** Counts of equal-width bins over [lo, hi]. */
export interface Histogram { lo: number; hi: number; counts: number[]; n: number; mean: number; std: number }

export interface LayerStats {
  /** module name, e.g. 'layers.0' or 'head' */
  name: string;
  /** 'Linear(784, 256)' */
  kind: string;
  weight: Histogram;
  activation: Histogram;
  /** null when the layer is frozen (no gradient) */
  gradient: Histogram | null;
}

export interface StateRow {
  name: string;
  kind: 'parameter' | 'buffer';
  shape: number[];
  dtype: string;
  trainable: boolean;
  persistent: boolean;
  device: string;
  bytes: number;
  /** max |change| of the last optimizer step, when one ran */
  delta?: number;
}

/**
 * One row of the parameter-management panel: a tensor (or plain value) the model holds, with the four columns
 * measured on the library (not assumed): in `parameters()`, moved by `.to()`, reached by backward, in `stateDict()`.
 */
export interface ManagedRow {
  name: string;
  kind: 'parameter' | 'buffer' | 'buffer (non-persistent)' | 'plain value';
  /** shape for tensors; the value for plain values */
  what: string;
  optimizer: boolean;
  moved: boolean;
  graph: boolean;
  saved: boolean;
  /** parameters: requiresGrad */
  frozen?: boolean;
}

/** The parameter-management panel: rows, and one training step's graph memory against the parameters' bytes. */
export interface Managed {
  rows: ManagedRow[];
  /** bytes the autograd graph of one forward + loss keeps alive until backward (nn.utils.graphMemory) */
  graphBytes: number;
  graphNodes: number;
  paramBytes: number;
  trainableParamBytes: number;
}

export interface Analysis {
  config: Config;
  layers: LayerStats[];
  activationStd: number[];
  /** std of each layer's weight gradient (NaN when frozen) */
  gradientStd: number[];
  weightStd: number[];
  loss: number;
  state: StateRow[];
  /** modules that the freeze toggles act on */
  freezable: { name: string; frozen: boolean }[];
  repr: string;
  initReport: string;
  device: string;
  /** why 'auto' chose this device, e.g. 'the only WebGPU adapter is software (SwiftShader): using the CPU' */
  deviceNote: string;
  /** the activation std the theory predicts per layer (MLP only; null for the CNN, whose BatchNorm resets it) */
  theoryStd: number[] | null;
  managed: Managed;
  ms: number;
}

export interface LoadReport {
  file: string;
  format: string;
  loaded: string[];
  missing: string[];
  unexpected: string[];
  mismatched: { key: string; expected: number[]; got: number[] }[];
}

export interface TrainRequest {
  configs: [Config, Config];
  steps: number;
  lr: number;
  optimizer: 'sgd' | 'adam';
  batch: number;
}

export type Request =
  | { op: 'analyze'; config: Config }
  | { op: 'train'; train: TrainRequest }
  | { op: 'stop' }
  | { op: 'freeze'; module: string; frozen: boolean }
  | { op: 'step'; lr: number }
  | { op: 'save' }
  | { op: 'load'; bytes: Uint8Array; name: string }
  | { op: 'tryRaw' };

export type Reply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: string }
  | { id: number; progress: Progress };

/** One training step of one run; ms since the run started. */
export interface Progress { run: 0 | 1; step: number; loss: number; ms: number }

/** The "try it" row: what torchlet says when a raw tensor is assigned to a module attribute. */
export interface TryRawResult { code: string; error: string | null }
export interface TrainResult {
  losses: [number[], number[]]; steps: number; ms: number; stopped: boolean;
  /** the training loop's time, and the part spent in forward + backward + optimizer step (both runs) */
  loopMs: number; computeMs: number;
}
export interface StepResult { analysis: Analysis; deltas: Record<string, number> | null }
export interface LoadResult { report: LoadReport; analysis: Analysis }
