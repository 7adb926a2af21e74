/**
 * @file WebGPU elementwise kernels: contiguous/cast, copyInto, fill, unary, binary, where. One generated
 * "map" kernel per (op, dtypes, rank, layout): operands are read through shapes/strides in the metadata after
 * merging contiguous dims; when every operand is contiguous, 16-byte aligned float32, the kernel loads and
 * stores vec4 (4 elements per thread).
 */
import type { BinaryOp, UnaryOp, View } from '../backend.js';
import { isFloating, type DType } from '../../core/dtype.js';
import { DeviceError } from '../../core/errors.js';
import { numel } from '../../core/shape.js';
import { dispatch, pipeline } from './device.js';
import { COMMON_WGSL, type CT, checkDtype, loadAs, scalarWord, storeAs, wordType } from './dtypes.js';
import { WebGPUStorage, gpuStorage } from './storage.js';
import { coalesce, isRowMajor, offsetCode } from './strided.js';

export const WG = 256;

/** Scalar math in WGSL (f32). Accurate to a few ulp of float32. */
export const MATH_WGSL = /* wgsl */ `
const SQRT1_2: f32 = 0.7071067811865476;
const SQRT_2_OVER_PI: f32 = 0.7978845608028654;
fn erf_f(x: f32) -> f32 {
  // Abramowitz & Stegun 7.1.26 refined: max abs error ~1.2e-7 (Numerical Recipes erfc, Chebyshev).
  let z = abs(x);
  let t = 1.0 / (1.0 + 0.5 * z);
  let r = t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
          t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  let e = 1.0 - r;
  return select(e, -e, x < 0.0);
}
fn erfinv_f(y: f32) -> f32 {
  if (y <= -1.0) { return select(nan_f(), (-inf_f()), y == -1.0); }
  if (y >= 1.0) { return select(nan_f(), inf_f(), y == 1.0); }
  var w = -log((1.0 - y) * (1.0 + y));
  var p: f32;
  if (w < 5.0) {
    w = w - 2.5;
    p = 2.81022636e-08; p = 3.43273939e-07 + p * w; p = -3.5233877e-06 + p * w; p = -4.39150654e-06 + p * w;
    p = 0.00021858087 + p * w; p = -0.00125372503 + p * w; p = -0.00417768164 + p * w; p = 0.246640727 + p * w;
    p = 1.50140941 + p * w;
  } else {
    w = sqrt(w) - 3.0;
    p = -0.000200214257; p = 0.000100950558 + p * w; p = 0.00134934322 + p * w; p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w; p = -0.0076224613 + p * w; p = 0.00943887047 + p * w; p = 1.00167406 + p * w;
    p = 2.83297682 + p * w;
  }
  var x = p * y;
  // one Newton step on erf(x) = y
  x = x - (erf_f(x) - y) / (1.1283791670955126 * exp(-x * x));
  return x;
}
// sin/cos with Cody-Waite reduction by pi/4 and minimax polynomials (Cephes sinf/cosf): WGSL only promises
// 2^-11 absolute error for its builtins.
fn sincos_f(x: f32, want_cos: bool) -> f32 {
  let ax = abs(x);
  if (ax > 8192.0) { return select(sin(x), cos(x), want_cos); }
  var j = i32(ax * 1.2732395447351628);
  var y = f32(j);
  if ((j & 1) == 1) { j += 1; y += 1.0; }
  j = j & 7;
  var sgn = select(1.0, -1.0, x < 0.0 && !want_cos);
  if (j > 3) { sgn = -sgn; j -= 4; }
  if (want_cos && j > 1) { sgn = -sgn; }
  let z = ((ax - y * 0.78515625) - y * 2.4187564849853515625e-4) - y * 3.77489497744594108e-8;
  let zz = z * z;
  let cp = ((2.443315711809948e-5 * zz - 1.388731625493765e-3) * zz + 4.166664568298827e-2) * zz * zz - 0.5 * zz + 1.0;
  let sp = ((-1.9515295891e-4 * zz + 8.3321608736e-3) * zz - 1.6666654611e-1) * zz * z + z;
  let use_cos = (j == 1 || j == 2) != want_cos;
  return sgn * select(sp, cp, use_cos);
}
fn tanh_f(x: f32) -> f32 {
  let a = abs(x);
  if (a < 0.55) { let x2 = x * x; return x * (1.0 + x2 * (-0.33333334 + x2 * (0.13333334 + x2 * (-0.053968254 + x2 * 0.021869488)))); }
  let e = exp(-2.0 * min(a, 20.0));
  let t = (1.0 - e) / (1.0 + e);
  return select(t, -t, x < 0.0);
}
fn sigmoid_f(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x); return e / (1.0 + e);
}
fn expm1_f(x: f32) -> f32 {
  if (abs(x) < 1e-5) { return x + 0.5 * x * x; }
  let u = exp(x);
  if (u == 1.0) { return x; }
  let um1 = u - 1.0;
  if (um1 == -1.0) { return -1.0; }
  if (is_inf(u)) { return u; }
  return um1 * x / log(u);
}
fn log1p_f(x: f32) -> f32 {
  let u = 1.0 + x;
  if (u == 1.0) { return x; }
  if (is_inf(u)) { return u; }
  return log(u) * x / (u - 1.0);
}
fn pow_f(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (is_nan(a) || is_nan(b)) { return nan_f(); }
  if (b == 1.0) { return a; }
  if (b == 2.0) { return a * a; }
  if (b == 0.5) { return sqrt(a); }
  if (b == -1.0) { return 1.0 / a; }
  let isInt = trunc(b) == b;
  let oddInt = isInt && abs(b) < 16777216.0 && (i32(b) & 1) == 1;
  if (a == 0.0) {
    if (b > 0.0) { return select(0.0, a, oddInt); }
    let inf = inf_f();
    return select(inf, select(inf, -inf, bitcast<u32>(a) == 0x80000000u), oddInt);
  }
  if (a < 0.0) {
    if (!isInt) { return nan_f(); }
    let m = exp2(b * log2(-a));
    return select(m, -m, oddInt);
  }
  return exp2(b * log2(a));
}
fn gelu_f(x: f32) -> f32 { return 0.5 * x * (1.0 + erf_f(x * SQRT1_2)); }
fn gelu_tanh_f(x: f32) -> f32 { return 0.5 * x * (1.0 + tanh_f(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))); }
fn gelu_grad_f(x: f32) -> f32 {
  let cdf = 0.5 * (1.0 + erf_f(x * SQRT1_2));
  let pdf = exp(-0.5 * x * x) * 0.3989422804014327;
  return cdf + x * pdf;
}
fn gelu_tanh_grad_f(x: f32) -> f32 {
  let inner = SQRT_2_OVER_PI * (x + 0.044715 * x * x * x);
  let t = tanh_f(inner);
  let dinner = SQRT_2_OVER_PI * (1.0 + 3.0 * 0.044715 * x * x);
  return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * dinner;
}
fn fmod_py(a: f32, b: f32) -> f32 {
  let r = a - b * trunc(a / b);
  if (r != 0.0 && ((r < 0.0) != (b < 0.0))) { return r + b; }
  return r;
}
fn imod_py(a: i32, b: i32) -> i32 {
  if (b == 0) { return 0; }
  let r = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) { return r + b; }
  return r;
}
fn idiv_floor(a: i32, b: i32) -> i32 {
  if (b == 0) { return 0; }
  let q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) { return q - 1; }
  return q;
}
fn ipow(a: i32, b: i32) -> i32 {
  if (b < 0) { if (a == 1) { return 1; } if (a == -1) { return select(-1, 1, (b & 1) == 0); } return 0; }
  var r = 1; var base = a; var e = b;
  loop { if (e == 0) { break; } if ((e & 1) == 1) { r = r * base; } base = base * base; e = e >> 1u; }
  return r;
}
`;

/**
 * A kernel's WGSL expression, or `{ notOnDevice: reason }` for a kernel this device does not offer (the op then
 * fails with a DeviceError that gives the reason). The float tables are typed by the CPU's kernel names, so a
 * kernel without a row here does not compile.
 */
type Row = string | { readonly notOnDevice: string };

function rowExpr(op: string, row: Row): string {
  if (typeof row === 'string') return row;
  throw new DeviceError(`${op}: not available on webgpu: ${row.notOnDevice}; compute it on the CPU (.to('cpu'))`);
}

const F_UNARY: Record<UnaryOp, Row> = {
  neg: '-x', abs: 'abs(x)', sqrt: 'sqrt(x)', rsqrt: '1.0 / sqrt(x)', exp: 'exp(x)', expm1: 'expm1_f(x)',
  // WGSL leaves log(0) and log(x < 0) to the implementation (SwiftShader gives -88.03 for log(0)): PyTorch's -inf / NaN
  log: 'select(select(log(x), -inf_f(), x == 0.0), nan_f(), x < 0.0)',
  log1p: 'log1p_f(x)', sin: 'sincos_f(x, false)', cos: 'sincos_f(x, true)', tan: 'sincos_f(x, false) / sincos_f(x, true)', tanh: 'tanh_f(x)', sigmoid: 'sigmoid_f(x)',
  relu: 'select(0.0, x, x > 0.0 || is_nan(x))', erf: 'erf_f(x)', erfinv: 'erfinv_f(x)',
  sign: 'select(select(select(nan_f(), 0.0, x == 0.0), -1.0, x < 0.0), 1.0, x > 0.0)', floor: 'floor(x)', ceil: 'ceil(x)',
  round: 'round(x)', trunc: 'trunc(x)', reciprocal: '1.0 / x', square: 'x * x', logicalNot: 'select(0.0, 1.0, x == 0.0)',
  isnan: 'select(0.0, 1.0, is_nan(x))', gelu: 'gelu_f(x)', geluTanh: 'gelu_tanh_f(x)', silu: 'x * sigmoid_f(x)',
  softplus: 'select(log1p_f(exp(x)), x, x > 20.0)',
};
const I_UNARY: Partial<Record<UnaryOp, string>> = {
  neg: '-x', abs: 'abs(x)', relu: 'max(x, 0)', sign: 'sign(x)', floor: 'x', ceil: 'x', round: 'x', trunc: 'x', square: 'x * x',
  logicalNot: 'select(0, 1, x == 0)', isnan: '0',
};
const F_BINARY: Record<BinaryOp, Row> = {
  add: 'a + b', sub: 'a - b', mul: 'a * b', div: 'a / b', pow: 'pow_f(a, b)',
  maximum: 'select(max(a, b), nan_f(), is_nan(a) || is_nan(b))', minimum: 'select(min(a, b), nan_f(), is_nan(a) || is_nan(b))',
  atan2: 'atan2(a, b)', remainder: 'fmod_py(a, b)', floorDivide: 'floor(a / b)',
  eq: 'select(0.0, 1.0, a == b)', ne: 'select(0.0, 1.0, a != b)', lt: 'select(0.0, 1.0, a < b)', le: 'select(0.0, 1.0, a <= b)',
  gt: 'select(0.0, 1.0, a > b)', ge: 'select(0.0, 1.0, a >= b)',
  logicalAnd: 'select(0.0, 1.0, a != 0.0 && b != 0.0)', logicalOr: 'select(0.0, 1.0, a != 0.0 || b != 0.0)',
  logicalXor: 'select(0.0, 1.0, (a != 0.0) != (b != 0.0))',
  // reluBackward is threshold_backward: a NaN result passes the gradient
  reluBackward: 'select(0.0, b, a > 0.0 || is_nan(a))', geluBackward: 'b * gelu_grad_f(a)', geluTanhBackward: 'b * gelu_tanh_grad_f(a)',
  erfinvBackward: 'b * 0.886226925452758 * exp(a * a)',
};
const I_BINARY: Partial<Record<BinaryOp, string>> = {
  add: 'a + b', sub: 'a - b', mul: 'a * b', pow: 'ipow(a, b)', maximum: 'max(a, b)', minimum: 'min(a, b)',
  remainder: 'imod_py(a, b)', floorDivide: 'idiv_floor(a, b)',
  eq: 'select(0, 1, a == b)', ne: 'select(0, 1, a != b)', lt: 'select(0, 1, a < b)', le: 'select(0, 1, a <= b)',
  gt: 'select(0, 1, a > b)', ge: 'select(0, 1, a >= b)',
  logicalAnd: 'select(0, 1, a != 0 && b != 0)', logicalOr: 'select(0, 1, a != 0 || b != 0)', logicalXor: 'select(0, 1, (a != 0) != (b != 0))',
  reluBackward: 'select(0, b, a > 0)',
};

const NAN_AWARE_UNARY = new Set<UnaryOp>(['isnan', 'logicalNot', 'sign', 'relu', 'neg', 'abs']);
const NAN_PROPAGATING_BINARY = new Set<BinaryOp>(['atan2', 'remainder', 'floorDivide', 'geluBackward', 'geluTanhBackward', 'erfinvBackward']);

interface MapSpec {
  /** Unique name of the computation (part of the pipeline key). */
  name: string;
  inputs: View[];
  /** Compute type per input. */
  inCt: CT[];
  ct: CT;
  /** WGSL expression over x0, x1, ... (compute-typed loaded inputs) giving the ct result; `s0` is the scalar word. */
  expr: string;
  out: View;
  /** one i32 word appended to the metadata (fills) */
  scalar?: number;
  /** store the i32 result's bits as the output word, unconverted (fills) */
  rawStore?: boolean;
}

/** Encode a map kernel writing spec.out (a view of a GPU storage) from the inputs. */
function runMap(spec: MapSpec): void {
  const n = numel(spec.out.shape);
  if (n === 0) return;
  const views = [...spec.inputs, spec.out];
  const { shape, strides } = coalesce(spec.out.shape, views.map((v) => v.strides));
  const nd = shape.length;
  const rowMajor = strides.map((s) => isRowMajor(shape, s));
  const offsets = views.map((v) => v.offset);
  const allF32 = views.every((v) => v.dtype === 'float32');
  const vec4 = allF32 && rowMajor.every((r) => r) && n % 4 === 0 && offsets.every((o) => o % 4 === 0) && spec.ct === 'f32';
  const key = `map|${spec.name}|${views.map((v) => v.dtype).join(',')}|${spec.inCt.join(',')}|${spec.ct}|${vec4 ? 'v4' : `${nd}:${rowMajor.map(Number).join('')}`}`;
  const shapeBase = 2;
  const opBase = (j: number) => shapeBase + nd + j * (nd + 1);
  const scalarAt = opBase(views.length);
  const pipe = pipeline(key, () => {
    const decls: string[] = [];
    spec.inputs.forEach((v, j) => {
      decls.push(`@group(0) @binding(${j}) var<storage, read> in${j}: array<${vec4 ? 'vec4<f32>' : wordType(v.dtype)}>;`);
    });
    const k = spec.inputs.length;
    decls.push(`@group(0) @binding(${k}) var<storage, read_write> outb: array<${vec4 ? 'vec4<f32>' : wordType(spec.out.dtype)}>;`);
    decls.push(`@group(0) @binding(${k + 1}) var<storage, read> md: array<i32>;`);
    const args = spec.inputs.map((_, j) => `x${j}: ${spec.inCt[j]}`);
    if (spec.scalar !== undefined) args.push('s0: i32');
    const fnDef = `fn op(${args.join(', ')}) -> ${spec.ct} { return ${spec.expr}; }`;
    const callArgs = (comp: string) => {
      const a = spec.inputs.map((_, j) => (vec4 ? `v${j}.${comp}` : `x${j}`));
      if (spec.scalar !== undefined) a.push(`md[${scalarAt}]`);
      return a.join(', ');
    };
    let body: string;
    if (vec4) {
      const loads = spec.inputs.map((_, j) => `let v${j} = in${j}[(md[${opBase(j)}] >> 2u) + i];`).join('\n  ');
      body = `let i = idx; if (i * 4 >= md[0]) { return; }
  ${loads}
  outb[(md[${opBase(k)}] >> 2u) + i] = vec4<f32>(op(${callArgs('x')}), op(${callArgs('y')}), op(${callArgs('z')}), op(${callArgs('w')}));`;
    } else {
      const lines = [`let i = idx; if (i >= md[0]) { return; }`];
      views.forEach((_, j) => lines.push(offsetCode(`o${j}`, 'i', nd, shapeBase, opBase(j), rowMajor[j])));
      spec.inputs.forEach((v, j) => lines.push(`let x${j} = ${loadAs(v.dtype, spec.inCt[j], `in${j}[o${j}]`)};`));
      lines.push(`let r = op(${callArgs('')});`);
      lines.push(`outb[o${k}] = ${spec.rawStore ? `bitcast<${wordType(spec.out.dtype)}>(r)` : storeAs(spec.out.dtype, spec.ct, 'r')};`);
      body = lines.join('\n  ');
    }
    return `${COMMON_WGSL}\n${MATH_WGSL}\n${decls.join('\n')}\n${fnDef}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = i32(gid.x + gid.y * nwg.x * ${WG}u);
  ${body}
}`;
  });
  const words = new Int32Array(scalarAt + 1);
  words[0] = n; words[1] = nd;
  shape.forEach((s, d) => { words[shapeBase + d] = s; });
  views.forEach((_, j) => {
    words[opBase(j)] = offsets[j];
    strides[j].forEach((s, d) => { words[opBase(j) + 1 + d] = s; });
  });
  words[scalarAt] = spec.scalar ?? 0;
  const threads = vec4 ? n / 4 : n;
  dispatch(pipe, views.map((v) => gpuStorage(v.storage).buffer), words, [Math.ceil(threads / WG)]);
}

function outView(s: WebGPUStorage, shape: readonly number[]): View {
  const strides = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { strides[i] = acc; acc *= shape[i]; }
  return { storage: s, dtype: s.dtype, shape, strides, offset: 0 };
}

function newOut(dtype: DType, shape: readonly number[]): [WebGPUStorage, View] {
  checkDtype('webgpu', dtype);
  const s = new WebGPUStorage(dtype, numel(shape));
  return [s, outView(s, shape)];
}

export function contiguous(x: View, dtype: DType): WebGPUStorage {
  const [s, o] = newOut(dtype, x.shape);
  const ct: CT = isFloating(dtype) || isFloating(x.dtype) ? 'f32' : 'i32';
  runMap({ name: 'copy', inputs: [x], inCt: [ct], ct, expr: 'x0', out: o });
  return s;
}

export function copyInto(dst: View, src: View): void {
  if (dst.storage === src.storage) {
    // overlapping windows: read everything first
    const tmp = contiguous(src, src.dtype);
    try { copyInto(dst, outView(tmp, src.shape)); } finally { tmp.dispose(); }
    return;
  }
  const ct: CT = isFloating(dst.dtype) || isFloating(src.dtype) ? 'f32' : 'i32';
  runMap({ name: 'copy', inputs: [src], inCt: [ct], ct, expr: 'x0', out: dst });
}

export function fill(dst: View, value: number): void {
  // the word is already in the destination's representation: store it bit-exact
  runMap({ name: 'fill', inputs: [], inCt: [], ct: 'i32', expr: 's0', out: dst, scalar: scalarWord(dst.dtype, value), rawStore: true });
}

export function unary(op: UnaryOp, x: View, outDtype: DType): WebGPUStorage {
  const [s, o] = newOut(outDtype, x.shape);
  let ct: CT = isFloating(x.dtype) || isFloating(outDtype) ? 'f32' : 'i32';
  if (ct === 'i32' && I_UNARY[op] === undefined) ct = 'f32';
  let expr = (ct === 'f32' ? rowExpr(op, F_UNARY[op]) : I_UNARY[op]!).replace(/\bx\b/g, 'x0');
  // NaN in, NaN out: GPU transcendentals may turn NaN into inf or a finite value
  if (ct === 'f32' && !NAN_AWARE_UNARY.has(op)) expr = `select(${expr}, x0, is_nan(x0))`;
  runMap({ name: `u.${op}`, inputs: [x], inCt: [ct], ct, expr, out: o });
  return s;
}

export function binary(op: BinaryOp, a: View, b: View, outDtype: DType): WebGPUStorage {
  const [s, o] = newOut(outDtype, a.shape);
  let ct: CT = isFloating(a.dtype) || isFloating(b.dtype) || isFloating(outDtype) ? 'f32' : 'i32';
  if (ct === 'i32' && I_BINARY[op] === undefined) ct = 'f32';
  let expr = (ct === 'f32' ? rowExpr(op, F_BINARY[op]) : I_BINARY[op]!).replace(/\ba\b/g, 'x0').replace(/\bb\b/g, 'x1');
  if (ct === 'f32' && NAN_PROPAGATING_BINARY.has(op)) expr = `select(${expr}, x0 + x1, is_nan(x0) || is_nan(x1))`;
  runMap({ name: `b.${op}`, inputs: [a, b], inCt: [ct, ct], ct, expr, out: o });
  return s;
}

export function where(cond: View, a: View, b: View, outDtype: DType): WebGPUStorage {
  const [s, o] = newOut(outDtype, cond.shape);
  const ct: CT = isFloating(outDtype) ? 'f32' : 'i32';
  const cct: CT = isFloating(cond.dtype) ? 'f32' : 'i32';
  const zero = cct === 'f32' ? '0.0' : '0';
  runMap({ name: 'where', inputs: [cond, a, b], inCt: [cct, ct, ct], ct, expr: `select(x2, x1, x0 != ${zero})`, out: o });
  return s;
}

/** x * y + z with WGSL's fma (fused where the GPU fuses it; the WGSL spec allows either rounding). */
export function fma(x: View, y: View, z: View, outDtype: DType): WebGPUStorage {
  const [s, o] = newOut(outDtype, x.shape);
  runMap({ name: 'fma', inputs: [x, y, z], inCt: ['f32', 'f32', 'f32'], ct: 'f32', expr: 'fma(x0, x1, x2)', out: o });
  return s;
}
