/**
 * @file torch.nn.init: PyTorch's initialisers with its formulas, defaults and errors (torch/nn/init.py, 1.13 and
 * 2.x's `generator=` keyword). Each records its scheme for `initRecord`/`report` (init-record.ts, re-exported
 * here); orthogonal_'s Householder QR lives with the linear algebra (ops/linalg.ts).
 *
 * Every function runs under noGrad, modifies the tensor in place and returns it. The random ones draw from
 * PyTorch's CPU stream (src/random) in PyTorch's order, so `manualSeed(s)` followed by the same calls gives
 * the same bits as PyTorch (pytorch-rng.md sections 5-6; bounds and stds are computed in double exactly as
 * Python does, then rounded by the fill kernels). `orthogonal_` is the exception: PyTorch's QR is LAPACK's
 * float32 sgeqrf/sorgqr; torchlet does Householder QR in float64, so its values agree to ~1e-6 (see tests),
 * while the stream stays in sync (the same N(0, 1) draws).
 */
import { noGrad } from '../autograd/grad-mode.js';
import { ArgumentError, callArgs, checkNumber, checkOptions, checkString, describeValue } from '../core/args.js';
import { ShapeError, TorchletError } from '../core/errors.js';
import { keepClassNames } from '../core/class-names.js';
import { fmt } from '../core/shape.js';
import { Generator, defaultGenerator, truncNormal_ as rngTruncNormal_ } from '../random/index.js';
import { erf as erfF64 } from '../random/libm-f64.js'; // as Python's math.erf (trunc_normal_ bounds)
import { Tensor } from '../tensor/tensor.js';
import { empty, eye, randperm, tensor } from '../ops/index.js';
import { householderQ, transposeRM } from '../ops/linalg.js';
import { fanPair, record } from './init-record.js';

export { householderQ };
export { initRecord, report, InitReport, type InitRecord, type InitReportRow, type ReportOptions, type HasNamedParameters } from './init-record.js';

/** A value PyTorch rejects with ValueError (unknown nonlinearity or mode, bad slope, groups that do not divide). */
export class InitError extends TorchletError {}
keepClassNames({ InitError });

export interface GenOpt { generator?: Generator }
export interface UniformOpts extends GenOpt { a?: number; b?: number }
export interface NormalOpts extends GenOpt { mean?: number; std?: number }
export interface TruncNormalOpts extends NormalOpts { a?: number; b?: number }

const isOptionsObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function noExtra(fn: string, rest: unknown[]): void {
  if (rest.length && rest.some((v) => v !== undefined)) throw new ArgumentError(`nn.init.${fn}: takes only the tensor, got ${rest.length} more argument(s)`);
}

export type Nonlinearity =
  | 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'conv_transpose1d' | 'conv_transpose2d' | 'conv_transpose3d'
  | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';
export type FanMode = 'fan_in' | 'fan_out';
/** Any other name: accepted by the type (checked at run time with a did-you-mean) while editors still suggest the known ones. */
type OtherName = string & Record<never, never>;

function checkTensor(fn: string, t: unknown): asserts t is Tensor {
  if (!(t instanceof Tensor)) {
    throw new TypeError(`nn.init.${fn}: expected a Tensor to initialise, got ${t === null ? 'null' : typeof t}; pass the weight itself, e.g. nn.init.${fn}(linear.weight)`);
  }
}

function gen(opts: GenOpt | undefined): Generator { return opts?.generator ?? defaultGenerator; }

/** Positional numbers and/or a trailing options object (PyTorch's keyword arguments), checked. */
function initArgs(fn: string, args: readonly unknown[], positional: readonly string[], keywordOnly: readonly string[] = ['generator']): Record<string, unknown> & GenOpt {
  const o = callArgs(`nn.init.${fn}`, args, positional, keywordOnly);
  for (const [k, v] of Object.entries(o)) {
    if (k === 'generator') {
      if (!(v instanceof Generator)) throw new ArgumentError(`nn.init.${fn}: generator must be a torch.Generator, got ${describeValue(v)}`);
    } else if (k === 'mode' || k === 'nonlinearity') checkString(`nn.init.${fn}`, k, v);
    else checkNumber(`nn.init.${fn}`, k, v, { infinite: true });
  }
  return o;
}

// ---------------------------------------------------------------------------------------------------------
// gain and fans

const LINEAR_FNS = new Set(['linear', 'conv1d', 'conv2d', 'conv3d', 'conv_transpose1d', 'conv_transpose2d', 'conv_transpose3d']);

/**
 * The recommended gain for a nonlinearity (torch.nn.init.calculate_gain): linear, conv and sigmoid 1, tanh 5/3,
 * relu √2, leaky_relu √(2/(1+slope²)) with slope = param ?? 0.01, selu 3/4.
 */
export function calculateGain(nonlinearity: Nonlinearity | OtherName, param?: number | null | { param?: number | null }): number {
  if (isOptionsObj(param)) param = checkOptions<{ param: number }>('nn.init.calculateGain', param, ['param']).param;
  if (LINEAR_FNS.has(nonlinearity) || nonlinearity === 'sigmoid') return 1;
  if (nonlinearity === 'tanh') return 5.0 / 3;
  if (nonlinearity === 'relu') return Math.sqrt(2.0);
  if (nonlinearity === 'leaky_relu') {
    let slope: number;
    if (param === undefined || param === null) slope = 0.01;
    else if (typeof param === 'number') slope = param;
    else {
      throw new InitError(`calculateGain: negative_slope ${String(param)} not a valid number; pass the leaky_relu negative slope as a number, e.g. calculateGain('leaky_relu', 0.2)`);
    }
    return Math.sqrt(2.0 / (1 + slope * slope));
  }
  if (nonlinearity === 'selu') return 3.0 / 4;
  throw new InitError(`calculateGain: Unsupported nonlinearity ${String(nonlinearity)}; use one of ${[...LINEAR_FNS, 'sigmoid', 'tanh', 'relu', 'leaky_relu', 'selu'].join(', ')}`);
}


/**
 * `[fanIn, fanOut]` of a weight: fanIn = size(1)·prod(size[2:]), fanOut = size(0)·prod(size[2:]) (conv weights
 * [out, in/groups, ...k]; ConvTranspose weights [in, out/groups, ...k] get PyTorch's swapped fans too).
 */
export function calculateFanInAndFanOut(t: Tensor): [number, number] {
  checkTensor('calculateFanInAndFanOut', t);
  if (t.ndim < 2) {
    throw new ShapeError(`nn.init: Fan in and fan out can not be computed for tensor with fewer than 2 dimensions (got shape ${fmt(t.shape)}); fan-based inits (xavier*, kaiming*) need a weight matrix or conv kernel`);
  }
  return fanPair(t.shape);
}

function correctFan(t: Tensor, mode: string): number {
  const m = String(mode).toLowerCase();
  if (m !== 'fan_in' && m !== 'fan_out') {
    throw new InitError(`nn.init: Mode ${String(mode)} not supported, please use one of ['fan_in', 'fan_out']`);
  }
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  return m === 'fan_in' ? fanIn : fanOut;
}

// ---------------------------------------------------------------------------------------------------------
// plain distributions and fills

/** Fill with U(a, b) (PyTorch's float32 arithmetic: bounds rounded to float32, fma(u, b - a, a)). */
export function uniform_(t: Tensor, a?: number | UniformOpts, b?: number | UniformOpts, opts?: UniformOpts): Tensor;
export function uniform_(t: Tensor, ...args: unknown[]): Tensor {
  checkTensor('uniform_', t);
  const o = initArgs('uniform_', args, ['a', 'b']);
  const a = (o.a ?? 0) as number, b = (o.b ?? 1) as number, opts = o;
  noGrad(() => t.uniform_(a, b, { generator: gen(opts) }));
  record(t, 'uniform_', (b - a) / Math.sqrt(12), { a, b });
  return t;
}

/** Fill with N(mean, std²) (Box-Muller fill path for >= 16 contiguous elements, per-element path otherwise). */
export function normal_(t: Tensor, mean?: number | NormalOpts, std?: number | NormalOpts, opts?: NormalOpts): Tensor;
export function normal_(t: Tensor, ...args: unknown[]): Tensor {
  checkTensor('normal_', t);
  const o = initArgs('normal_', args, ['mean', 'std']);
  const mean = (o.mean ?? 0) as number, std = (o.std ?? 1) as number, opts = o;
  noGrad(() => t.normal_(mean, std, { generator: gen(opts) }));
  record(t, 'normal_', Math.abs(std), { mean, std });
  return t;
}

const SQRT1_2PI = 1 / Math.sqrt(2 * Math.PI);
const phi = (x: number): number => (Number.isFinite(x) ? SQRT1_2PI * Math.exp(-0.5 * x * x) : 0);

/** Std of N(mean, std²) truncated to [a, b] (for report()). */
function truncatedStd(mean: number, std: number, a: number, b: number, l: number, u: number): number {
  const z = u - l;
  if (!(z > 0)) return 0;
  const al = (a - mean) / std, be = (b - mean) / std;
  const pa = phi(al), pb = phi(be);
  const ta = Number.isFinite(al) ? al * pa : 0, tb = Number.isFinite(be) ? be * pb : 0;
  const v = 1 + (ta - tb) / z - ((pa - pb) / z) ** 2;
  return std * Math.sqrt(Math.max(v, 0));
}

let warnedTrunc = false;

/**
 * Fill with N(mean, std²) truncated to the absolute bounds [a, b] (inverse-CDF, as PyTorch: uniform_ between
 * 2Φ(a')-1 and 2Φ(b')-1, erfinv, ×std√2, +mean, clamp). float32 tensors are bit-exact (PyTorch's float32
 * erfinv); other dtypes compute erfinv in float64 (within a few ulp of PyTorch's double path).
 */
export function truncNormal_(t: Tensor, mean?: number | TruncNormalOpts, std?: number | TruncNormalOpts, a?: number | TruncNormalOpts,
  b?: number | TruncNormalOpts, opts?: TruncNormalOpts): Tensor;
export function truncNormal_(t: Tensor, ...args: unknown[]): Tensor {
  checkTensor('truncNormal_', t);
  const o = initArgs('truncNormal_', args, ['mean', 'std', 'a', 'b']);
  const mean = (o.mean ?? 0) as number, std = (o.std ?? 1) as number, a = (o.a ?? -2) as number, b = (o.b ?? 2) as number, opts = o;
  if ((mean < a - 2 * std || mean > b + 2 * std) && !warnedTrunc) {
    warnedTrunc = true;
    console.warn('nn.init.truncNormal_: mean is more than 2 std from [a, b]. The distribution of values may be incorrect.');
  }
  const cdf = (x: number): number => (1 + erfF64(x / Math.sqrt(2))) / 2;
  const l = cdf((a - mean) / std);
  const u = cdf((b - mean) / std);
  noGrad(() => {
    if (t.device === 'meta') return; // shapes only: nothing drawn, as PyTorch's meta kernels
    if (t.dtype === 'float32') {
      const vals = rngTruncNormal_(gen(opts), new Float32Array(t.numel()), mean, std, a, b);
      t.copy_(tensor(vals, { device: t.device }).reshape([...t.shape]));
    } else {
      t.uniform_(2 * l - 1, 2 * u - 1, { generator: gen(opts) });
      t.copy_(t.erfinv().mul(std * Math.sqrt(2)).add(mean).clamp(a, b));
    }
  });
  record(t, 'trunc_normal_', truncatedStd(mean, std, a, b, l, u), { mean, std, a, b });
  return t;
}

/** Fill with `val`. */
export function constant_(t: Tensor, val: number | { val: number }): Tensor {
  checkTensor('constant_', t);
  const o = initArgs('constant_', [val], ['val'], []);
  if (o.val === undefined) throw new ArgumentError('nn.init.constant_: missing the value, e.g. nn.init.constant_(w, 0.5) or nn.init.constant_(w, { val: 0.5 })');
  val = o.val as number;
  noGrad(() => t.fill_(val));
  record(t, 'constant_', 0, { val });
  return t;
}
/** Fill with 1. */
export function ones_(t: Tensor, ...rest: never[]): Tensor {
  checkTensor('ones_', t); noExtra('ones_', rest);
  noGrad(() => t.fill_(1));
  record(t, 'ones_', 0);
  return t;
}
/** Fill with 0. */
export function zeros_(t: Tensor, ...rest: never[]): Tensor {
  checkTensor('zeros_', t); noExtra('zeros_', rest);
  noGrad(() => t.zero_());
  record(t, 'zeros_', 0);
  return t;
}

/** Sample std (correction 1, like Tensor.std()) of a tensor holding `k` ones and `n - k` zeros. */
function patternStd(k: number, n: number): number {
  if (n < 2) return 0;
  const p = k / n;
  return Math.sqrt((k * (1 - p) * (1 - p) + (n - k) * p * p) / (n - 1));
}

/** The 2-D identity (ones on the main diagonal of a possibly rectangular matrix), preserving the inputs' identity in Linear layers. */
export function eye_(t: Tensor, ...rest: never[]): Tensor {
  checkTensor('eye_', t); noExtra('eye_', rest);
  if (t.ndim !== 2) throw new ShapeError(`nn.init.eye_: Only tensors with 2 dimensions are supported (got shape ${fmt(t.shape)})`);
  const [n, m] = t.shape;
  noGrad(() => t.copy_(eye(n, m, { dtype: t.dtype, device: t.device })));
  record(t, 'eye_', patternStd(Math.min(n, m), n * m));
  return t;
}

/**
 * The Dirac delta for 3/4/5-D conv weights: zero, then t[g·outPerGroup + d, d, k1//2, ...] = 1 for each group g
 * and d < min(outPerGroup, size(1)), so the convolution preserves its input (per group).
 */
export function dirac_(t: Tensor, groups: number | { groups?: number } = 1): Tensor {
  checkTensor('dirac_', t);
  const g = Number(initArgs('dirac_', [groups], ['groups'], []).groups ?? 1);
  const dims = t.ndim;
  if (dims < 3 || dims > 5) throw new ShapeError(`nn.init.dirac_: Only tensors with 3, 4, or 5 dimensions are supported (got shape ${fmt(t.shape)})`);
  if (!Number.isInteger(g) || g < 1) throw new InitError(`nn.init.dirac_: groups must be a positive integer, got ${g}`);
  if (t.shape[0] % g !== 0) throw new InitError(`nn.init.dirac_: dim 0 must be divisible by groups (size(0) = ${t.shape[0]}, groups = ${g})`);
  const outPerGroup = t.shape[0] / g;
  const minDim = Math.min(outPerGroup, t.shape[1]);
  noGrad(() => {
    t.zero_();
    for (let gi = 0; gi < g; gi++) {
      for (let d = 0; d < minDim; d++) {
        let v = t.select(0, gi * outPerGroup + d).select(0, d);
        for (let k = 2; k < dims; k++) v = v.select(0, Math.floor(t.shape[k] / 2));
        v.fill_(1);
      }
    }
  });
  record(t, 'dirac_', patternStd(g * minDim, t.numel()), { groups: g });
  return t;
}

// ---------------------------------------------------------------------------------------------------------
// fan-based schemes

export interface GainOpts extends GenOpt { gain?: number }
export interface KaimingOpts extends GenOpt {
  /** Negative slope of the rectifier after this layer (leaky_relu only). Default 0. */
  a?: number;
  /** 'fan_in' (default) keeps the forward variance, 'fan_out' the backward variance. */
  mode?: FanMode | OtherName;
  /** Default 'leaky_relu' (with a = 0 this is relu's gain √2). */
  nonlinearity?: Nonlinearity | OtherName;
}

/** U(-a, a) with a = gain·√(6/(fanIn + fanOut)) (Glorot & Bengio 2010). */
export function xavierUniform_(t: Tensor, gainOrOpts?: number | GainOpts, options?: GainOpts): Tensor {
  checkTensor('xavierUniform_', t);
  const opts = initArgs('xavierUniform_', [gainOrOpts, options], ['gain']) as GainOpts;
  const gain = opts.gain ?? 1.0;
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const std = gain * Math.sqrt(2.0 / divisor('xavierUniform_', fanIn + fanOut));
  const a = Math.sqrt(3.0) * std;
  noGrad(() => t.uniform_(-a, a, { generator: gen(opts) }));
  record(t, 'xavier_uniform_', Math.abs(std), { gain });
  return t;
}

/** N(0, std²) with std = gain·√(2/(fanIn + fanOut)). */
export function xavierNormal_(t: Tensor, gainOrOpts?: number | GainOpts, options?: GainOpts): Tensor {
  checkTensor('xavierNormal_', t);
  const opts = initArgs('xavierNormal_', [gainOrOpts, options], ['gain']) as GainOpts;
  const gain = opts.gain ?? 1.0;
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const std = gain * Math.sqrt(2.0 / divisor('xavierNormal_', fanIn + fanOut));
  noGrad(() => t.normal_(0, std, { generator: gen(opts) }));
  record(t, 'xavier_normal_', Math.abs(std), { gain });
  return t;
}

function divisor(fn: string, v: number): number {
  if (v === 0) throw new InitError(`nn.init.${fn}: float division by zero (fan is 0 for a tensor with a zero-sized dimension)`);
  return v;
}

function kaimingStd(fn: string, t: Tensor, opts: KaimingOpts): { std: number; args: Record<string, number | string> } | null {
  const a = opts.a ?? 0;
  const mode = opts.mode ?? 'fan_in';
  const nonlinearity = opts.nonlinearity ?? 'leaky_relu';
  if (t.shape.includes(0)) {
    console.warn(`nn.init.${fn}: Initializing zero-element tensors is a no-op`);
    return null;
  }
  const fan = correctFan(t, mode);
  const gain = calculateGain(nonlinearity, a);
  return { std: gain / Math.sqrt(fan), args: { a, mode: String(mode).toLowerCase(), nonlinearity } };
}

/** U(-bound, bound) with bound = √3·gain/√fan (He et al. 2015); PyTorch's Linear/Conv default is a = √5. */
export function kaimingUniform_(t: Tensor, a?: number | KaimingOpts, opts?: KaimingOpts): Tensor;
export function kaimingUniform_(t: Tensor, ...args: unknown[]): Tensor {
  checkTensor('kaimingUniform_', t);
  const opts = initArgs('kaimingUniform_', args, ['a', 'mode', 'nonlinearity']) as KaimingOpts;
  const k = kaimingStd('kaimingUniform_', t, opts);
  if (!k) return t;
  const bound = Math.sqrt(3.0) * k.std;
  noGrad(() => t.uniform_(-bound, bound, { generator: gen(opts) }));
  record(t, 'kaiming_uniform_', k.std, k.args);
  return t;
}

/** N(0, std²) with std = gain/√fan. */
export function kaimingNormal_(t: Tensor, a?: number | KaimingOpts, opts?: KaimingOpts): Tensor;
export function kaimingNormal_(t: Tensor, ...args: unknown[]): Tensor {
  checkTensor('kaimingNormal_', t);
  const opts = initArgs('kaimingNormal_', args, ['a', 'mode', 'nonlinearity']) as KaimingOpts;
  const k = kaimingStd('kaimingNormal_', t, opts);
  if (!k) return t;
  noGrad(() => t.normal_(0, k.std, { generator: gen(opts) }));
  record(t, 'kaiming_normal_', k.std, k.args);
  return t;
}

// ---------------------------------------------------------------------------------------------------------
// orthogonal_ and sparse_

/**
 * A (semi-)orthogonal matrix (Saxe et al. 2013): draw N(0, 1) of shape [rows, numel/rows] (the same draws as
 * PyTorch), QR (of the transpose when rows < cols), fix signs by diag(R), scale by gain. Dims beyond 2 are
 * flattened. Values agree with PyTorch's LAPACK float32 QR to within ~1e-6 (not bit for bit).
 */
export function orthogonal_(t: Tensor, gainOrOpts?: number | GainOpts, options?: GainOpts): Tensor {
  checkTensor('orthogonal_', t);
  const opts = initArgs('orthogonal_', [gainOrOpts, options], ['gain']) as GainOpts;
  const gain = opts.gain ?? 1;
  if (t.ndim < 2) throw new ShapeError(`nn.init.orthogonal_: Only tensors with 2 or more dimensions are supported (got shape ${fmt(t.shape)})`);
  if (t.numel() === 0) return t;
  const rows = t.shape[0];
  const cols = t.numel() / rows;
  noGrad(() => {
    const flat = empty([rows, cols], { dtype: t.dtype }).normal_(0, 1, { generator: gen(opts) });
    const raw = flat.double().dataSync() as Float64Array;
    const tall = rows >= cols;
    const m = tall ? rows : cols, n = tall ? cols : rows;
    const a = tall ? raw : transposeRM(raw, rows, cols);
    const q = householderQ(a, m, n);
    const out = tall ? q : transposeRM(q, m, n);
    // built on the CPU and cast there, then uploaded: float64 does not exist on every device (webgpu)
    t.copy_(tensor(out, { dtype: 'float64' }).to(t.dtype).reshape([...t.shape]));
    t.mul_(gain);
  });
  record(t, 'orthogonal_', Math.abs(gain) * Math.sqrt(Math.min(rows, cols) / t.numel()), { gain });
  return t;
}

export interface SparseOpts extends GenOpt { std?: number }

/**
 * A sparse 2-D matrix (Martens 2010): N(0, std²) (std default 0.01), then in each column ceil(sparsity·rows)
 * entries, chosen by one randperm(rows) per column, set to zero.
 */
export function sparse_(t: Tensor, sparsity: number | SparseOpts & { sparsity?: number }, std?: number | SparseOpts, opts?: SparseOpts): Tensor;
export function sparse_(t: Tensor, ...args: unknown[]): Tensor {
  checkTensor('sparse_', t);
  const opts = initArgs('sparse_', args, ['sparsity', 'std']) as SparseOpts & { sparsity?: number };
  if (opts.sparsity === undefined) throw new ArgumentError('nn.init.sparse_: missing sparsity, e.g. nn.init.sparse_(w, 0.1)');
  const sparsity = opts.sparsity;
  const std = opts.std ?? 0.01;
  if (t.ndim !== 2) throw new ShapeError(`nn.init.sparse_: Only tensors with 2 dimensions are supported (got shape ${fmt(t.shape)})`);
  const [rows, cols] = t.shape;
  const numZeros = Math.ceil(sparsity * rows);
  const take = numZeros >= 0 ? Math.min(numZeros, rows) : Math.max(0, rows + numZeros); // Python slice [:numZeros]
  noGrad(() => {
    t.normal_(0, std, { generator: gen(opts) });
    const mask = new Uint8Array(rows * cols);
    for (let c = 0; c < cols; c++) {
      const perm = randperm(rows, { generator: gen(opts) }).dataSync();
      for (let i = 0; i < take; i++) mask[Number(perm[i]) * cols + c] = 1;
    }
    t.maskedFill_(tensor(mask, { dtype: 'bool', device: t.device }).reshape([rows, cols]), 0);
  });
  record(t, 'sparse_', Math.abs(std) * Math.sqrt(rows > 0 ? 1 - take / rows : 0), { sparsity, std });
  return t;
}
