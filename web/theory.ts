/**
 * @file The activation std each layer of the MLP should have under an init scheme, from the textbook
 * signal-propagation argument: a Linear layer with weights of variance v (bias variance vb) maps inputs of mean
 * square m to pre-activations z ~ N(0, q) with q = fan_in · v · m + vb; the activation a(z) then has mean square
 * E[a(z)²] (ReLU: q/2) and std √(E[a²] − E[a]²), computed here by quadrature for any activation.
 */
import type { Activation, InitSpec } from './protocol.js';

/** Variance of the weights and of the bias that a scheme gives a Linear(fanIn, fanOut) (nn.init's formulas). */
export function initVariance(spec: InitSpec, fanIn: number, fanOut: number): { weight: number; bias: number } {
  const gain2 = { relu: 2, leaky_relu: 2 / (1 + 0.01 ** 2), tanh: (5 / 3) ** 2, linear: 1 }[spec.nonlinearity];
  switch (spec.scheme) {
    // kaiming_uniform_(a=√5): bound 1/√fan_in; bias U(−1/√fan_in, 1/√fan_in)
    case 'default': return { weight: 1 / (3 * fanIn), bias: 1 / (3 * fanIn) };
    case 'xavier_uniform': case 'xavier_normal': return { weight: 2 / (fanIn + fanOut), bias: 0 };
    case 'kaiming_uniform': case 'kaiming_normal': return { weight: gain2 / (spec.mode === 'fan_in' ? fanIn : fanOut), bias: 0 };
    case 'normal': return { weight: spec.std ** 2, bias: 0 };
    case 'zeros': return { weight: 0, bias: 0 };
  }
}

const SQRT1_2 = Math.SQRT1_2;
/** erf, Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7). */
function erf(x: number): number {
  const s = Math.sign(x), a = Math.abs(x), t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}
const ACT: Record<Activation, (z: number) => number> = {
  relu: (z) => Math.max(0, z),
  tanh: Math.tanh,
  gelu: (z) => 0.5 * z * (1 + erf(z * SQRT1_2)),
};

/** E[a(z)] and E[a(z)²] for z ~ N(0, q), by the midpoint rule over ±8 standard deviations. */
export function activationMoments(act: Activation, q: number): { mean: number; meanSquare: number } {
  if (!(q > 0)) { const v = ACT[act](0); return { mean: v, meanSquare: v * v }; }
  const s = Math.sqrt(q), n = 1600, du = 16 / n;
  let m1 = 0, m2 = 0;
  for (let i = 0; i < n; i++) {
    const u = -8 + (i + 0.5) * du;
    const w = Math.exp(-0.5 * u * u) * du / Math.sqrt(2 * Math.PI);
    const a = ACT[act](s * u);
    m1 += w * a; m2 += w * a * a;
  }
  return { mean: m1, meanSquare: m2 };
}

/**
 * Expected std of each weight layer's output in the deep MLP (after its activation; the head's logits last),
 * given the mean square of the (normalized) input pixels.
 */
export function mlpTheoryStd(depth: number, width: number, act: Activation, spec: InitSpec, inputMeanSquare: number): number[] {
  const out: number[] = [];
  let m = inputMeanSquare, fanIn = 784;
  for (let l = 0; l <= depth; l++) {
    const head = l === depth;
    const fanOut = head ? 10 : width;
    const v = initVariance(spec, fanIn, fanOut);
    const q = fanIn * v.weight * m + v.bias;
    if (head) { out.push(Math.sqrt(q)); break; }
    const { mean, meanSquare } = activationMoments(act, q);
    out.push(Math.sqrt(Math.max(0, meanSquare - mean * mean)));
    m = meanSquare;
    fanIn = width;
  }
  return out;
}
