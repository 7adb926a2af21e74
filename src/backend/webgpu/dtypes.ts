/**
 * @file How each dtype lives on the GPU. Every element is one 32-bit word: float32 as f32; int32, int64,
 * uint8, int8 and bool as i32 (int64 is limited to the int32 range on webgpu); float16/bfloat16 as their raw
 * 16-bit pattern in an i32 (storage dtypes: decoded to f32 on load). float64 is not supported on webgpu.
 * Also: WGSL snippets that load a word as the compute type (f32 or i32) and store a computed value as a dtype
 * with the CPU's conversion rules (float -> int truncates, NaN -> 0; -> bool is != 0; uint8/int8 wrap).
 */
import { arrayFor, isFloating, type DType, type TypedArray } from '../../core/dtype.js';
import { UnsupportedOpError } from '../../core/errors.js';

/** Compute type of a kernel: f32 or i32. */
export type CT = 'f32' | 'i32';

export function checkDtype(op: string, dtype: DType): void {
  if (dtype === 'float64') {
    throw new UnsupportedOpError(op, dtype, 'webgpu', 'WGSL has no 64-bit floats; use float32 on webgpu (x.float()), or keep float64 work on the CPU');
  }
}

/** The WGSL element type of a dtype's buffer. */
export function wordType(d: DType): CT { return d === 'float32' ? 'f32' : 'i32'; }

/** Natural compute type of a dtype. */
export function computeType(d: DType): CT { return isFloating(d) ? 'f32' : 'i32'; }

/** WGSL helpers every kernel includes (small; unused functions cost nothing). */
export const COMMON_WGSL = /* wgsl */ `
var<private> NAN_BITS: u32 = 0x7fc00000u;
var<private> INF_BITS: u32 = 0x7f800000u;
fn nan_f() -> f32 { return bitcast<f32>(NAN_BITS); }
fn inf_f() -> f32 { return bitcast<f32>(INF_BITS); }
fn is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn is_inf(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }
fn f2i(x: f32) -> i32 {
  if (is_nan(x) || is_inf(x)) { return 0; }
  return i32(clamp(trunc(x), -2147483648.0, 2147483520.0));
}
fn f16bits_to_f32(b: i32) -> f32 { return unpack2x16float(u32(b) & 0xffffu).x; }
fn bf16bits_to_f32(b: i32) -> f32 { return bitcast<f32>((u32(b) & 0xffffu) << 16u); }
fn f32_to_bf16bits(x: f32) -> i32 {
  let b = bitcast<u32>(x);
  if ((b & 0x7fffffffu) > 0x7f800000u) { return 0x7fc0; }
  return i32(((b + 0x7fffu + ((b >> 16u) & 1u)) >> 16u) & 0xffffu);
}
fn f32_to_f16bits(x: f32) -> i32 { return i32(pack2x16float(vec2<f32>(x, 0.0)) & 0xffffu); }
`;

/** WGSL expression: word `w` (of the dtype's word type) as compute type `ct`. */
export function loadAs(d: DType, ct: CT, w: string): string {
  let f: string;
  switch (d) {
    case 'float32': return ct === 'f32' ? w : `f2i(${w})`;
    case 'float16': f = `f16bits_to_f32(${w})`; break;
    case 'bfloat16': f = `bf16bits_to_f32(${w})`; break;
    default: return ct === 'i32' ? w : `f32(${w})`;
  }
  return ct === 'f32' ? f : `f2i(${f})`;
}

/** WGSL expression: computed value `v` (of type ct) as a word of dtype `d`. */
export function storeAs(d: DType, ct: CT, v: string): string {
  const asF = ct === 'f32' ? v : `f32(${v})`;
  const asI = ct === 'i32' ? v : `f2i(${v})`;
  switch (d) {
    case 'float32': return asF;
    case 'float16': return `f32_to_f16bits(${asF})`;
    case 'bfloat16': return `f32_to_bf16bits(${asF})`;
    case 'bool': return ct === 'f32' ? `select(0, 1, ${v} != 0.0 && !is_nan(${v}))` : `select(0, 1, ${v} != 0)`;
    case 'uint8': return `(${asI} & 255)`;
    case 'int8': return `((${asI} << 24u) >> 24u)`;
    default: return asI; // int32, int64
  }
}

/** Host array -> the 32-bit words uploaded to the GPU. */
export function toWords(dtype: DType, data: TypedArray): Float32Array | Int32Array {
  checkDtype('to(webgpu)', dtype);
  if (dtype === 'float32') return data as Float32Array;
  if (data instanceof Int32Array) return data;
  const out = new Int32Array(data.length);
  if (dtype === 'int64') {
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (v > 2147483647 || v < -2147483648) {
        throw new RangeError(`webgpu: int64 value ${v} is outside the int32 range that int64 tensors have on webgpu; keep such values on the CPU`);
      }
      out[i] = v;
    }
    return out;
  }
  out.set(data);
  return out;
}

/** GPU words -> the host array the CPU uses for this dtype. */
export function fromWords(dtype: DType, buf: ArrayBuffer, n: number): TypedArray {
  if (dtype === 'float32') return new Float32Array(buf, 0, n);
  const w = new Int32Array(buf, 0, n);
  if (dtype === 'int32') return w;
  const out = arrayFor(dtype, n);
  out.set(w);
  return out;
}

/** A host value as the 32-bit word of `dtype` (for fills), with the CPU's casts. */
export function scalarWord(dtype: DType, value: number): number {
  const f = new Float32Array(1), i = new Int32Array(f.buffer);
  switch (dtype) {
    case 'float32': f[0] = value; return i[0];
    case 'bool': return value !== 0 && !Number.isNaN(value) ? 1 : 0;
    default: {
      const a = arrayFor(dtype, 1);
      a[0] = dtype === 'int64' ? Math.trunc(value) : value;
      return Number.isFinite(a[0]) ? a[0] | 0 : 0;
    }
  }
}
