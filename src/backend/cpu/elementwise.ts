/**
 * @file CPU elementwise kernels: copy/cast, fill, unary, binary, where. One table row per op; loops are
 * specialised for contiguous operands (the common case) and walk offset tables otherwise.
 */
import type { BinaryOp, UnaryOp, View } from '../backend.js';
import { arrayFor, bfloat16BitsToFloat32, float16BitsToFloat32, float32ToBfloat16Bits, float32ToFloat16Bits, type DType, type TypedArray } from '../../core/dtype.js';
import { isContiguous, numel } from '../../core/shape.js';
import { CpuStorage, dataOf } from './storage.js';
import { viewOffsets } from './strided.js';
import { binaryF32, copyStrided, copyViewF32, unaryF32 } from './f32.js';
import { BINARY, UNARY } from './math.js';

export { UNARY, BINARY } from './math.js';

export function contiguous(x: View, dtype: DType): CpuStorage {
  const n = numel(x.shape);
  const out = arrayFor(dtype, n);
  const src = dataOf(x.storage);
  if (n > 0 && x.strides.every((s) => s === 0)) {
    // a broadcast scalar (gather's backward scatters into a broadcast zero): one fill, none for +0 (out is zeros)
    const conv = converter(x.dtype, dtype);
    const v = conv === null ? src[x.offset] : conv(src[x.offset]);
    if (!Object.is(v, 0)) out.fill(v);
    return new CpuStorage(dtype, out);
  }
  if (dtype === 'float32' && x.dtype === 'float32') {
    copyStrided(src as Float32Array, x.offset, x.shape, x.strides, out as Float32Array, 0);
    return new CpuStorage(dtype, out);
  }
  const offs = viewOffsets(x);
  const conv = converter(x.dtype, dtype);
  if (offs === null) {
    if (conv === null) out.set(src.subarray(x.offset, x.offset + n));
    else for (let i = 0; i < n; i++) out[i] = conv(src[x.offset + i]);
  } else if (conv === null) for (let i = 0; i < n; i++) out[i] = src[offs[i]];
  else for (let i = 0; i < n; i++) out[i] = conv(src[offs[i]]);
  return new CpuStorage(dtype, out);
}

/**
 * Stored element of dtype `from` -> stored element of dtype `to`, or null when the typed-array store alone is
 * right (same dtype, or float/int widths whose conversion the store does). 16-bit floats are held as raw bits
 * and decode/encode through float32, rounding to nearest even as PyTorch.
 */
export function converter(from: DType, to: DType): ((v: number) => number) | null {
  const half = (d: DType) => d === 'float16' || d === 'bfloat16';
  if (from === to) return null;
  if (!half(from) && !half(to) && to !== 'bool' && to !== 'int64') return null;
  const dec = from === 'float16' ? float16BitsToFloat32 : from === 'bfloat16' ? bfloat16BitsToFloat32 : null;
  const enc = to === 'float16' ? float32ToFloat16Bits : to === 'bfloat16' ? float32ToBfloat16Bits : (v: number) => cast(v, to);
  return dec ? (v) => enc(dec(v)) : enc;
}

/** Value conversion beyond what typed-array stores do: float -> int truncates toward zero; -> bool is != 0. */
export function cast(v: number, to: DType): number {
  switch (to) {
    case 'bool': return v !== 0 ? 1 : 0; // NaN -> true, as PyTorch
    case 'int64': return Number.isFinite(v) ? Math.trunc(v) : -9223372036854775808; // PyTorch's x86 result for NaN/inf
    default: return v;
  }
}

export function copyInto(dst: View, src: View): void {
  const n = numel(dst.shape);
  if (n === 0) return;
  const d = dataOf(dst.storage), s = dataOf(src.storage);
  const conv = converter(src.dtype, dst.dtype);
  const sameStorage = dst.storage === src.storage;
  const dc = isContiguous(dst.shape, dst.strides);
  if (!sameStorage && !conv && dc && isContiguous(src.shape, src.strides) && d.constructor === s.constructor) {
    // the common case (in-place ops, state-dict loads): one block copy
    (d as Float32Array).set(s.subarray(src.offset, src.offset + n), dst.offset);
    return;
  }
  if (!sameStorage && dst.dtype === 'float32' && src.dtype === 'float32') {
    copyViewF32(s as Float32Array, src.offset, src.strides, d as Float32Array, dst.offset, dst.strides, dst.shape);
    return;
  }
  const od = dc ? null : viewOffsets(dst), os = viewOffsets(src);
  // A copy from a view of the same storage reads everything first, so overlapping windows stay correct.
  const tmp: number[] | null = sameStorage ? new Array(n) : null;
  if (tmp) { for (let i = 0; i < n; i++) tmp[i] = s[os ? os[i] : src.offset + i]; }
  for (let i = 0; i < n; i++) {
    const v = tmp ? tmp[i] : s[os ? os[i] : src.offset + i];
    d[od ? od[i] : dst.offset + i] = conv ? conv(v) : v;
  }
}

export function fill(dst: View, value: number): void {
  const d = dataOf(dst.storage);
  const n = numel(dst.shape);
  const v = converter('float64', dst.dtype)?.(value) ?? value;
  const od = viewOffsets(dst);
  if (od === null) d.fill(v, dst.offset, dst.offset + n);
  else for (let i = 0; i < n; i++) d[od[i]] = v;
}

export function unary(op: UnaryOp, x: View, outDtype: DType): CpuStorage {
  const n = numel(x.shape);
  const out = arrayFor(outDtype, n);
  const src = dataOf(x.storage);
  const o = x.offset;
  if (outDtype === 'float32' && x.dtype === 'float32') {
    // no offset table here: a strided input is gathered by copyStrided
    if (isContiguous(x.shape, x.strides)) unaryF32(op, src as Float32Array, o, out as Float32Array, n);
    else {
      // gather into the output, then apply in place (every unaryF32 path reads element i before writing it)
      copyStrided(src as Float32Array, o, x.shape, x.strides, out as Float32Array, 0);
      unaryF32(op, out as Float32Array, 0, out as Float32Array, n);
    }
    return new CpuStorage(outDtype, out);
  }
  const offs = viewOffsets(x);
  const castOut = outDtype === 'int64' || outDtype === 'bool';
  if (op === 'relu' && offs === null) {
    for (let i = 0; i < n; i++) { const v = src[o + i]; out[i] = v > 0 ? v : v !== v ? v : 0; }
  } else {
    const f = UNARY[op];
    for (let i = 0; i < n; i++) {
      const r = f(src[offs ? offs[i] : o + i]);
      out[i] = castOut ? cast(r, outDtype) : r;
    }
  }
  return new CpuStorage(outDtype, out);
}

function isScalarView(v: View): boolean {
  for (let i = 0; i < v.shape.length; i++) if (v.shape[i] !== 1 && v.strides[i] !== 0) return false;
  return true;
}

export function binary(op: BinaryOp, a: View, b: View, outDtype: DType): CpuStorage {
  const n = numel(a.shape);
  const out = arrayFor(outDtype, n);
  const A = dataOf(a.storage), B = dataOf(b.storage);
  const castOut = outDtype === 'int64' || outDtype === 'bool' || outDtype === 'int32' || outDtype === 'uint8' || outDtype === 'int8';
  if (outDtype === 'float32' && a.dtype === 'float32' && b.dtype === 'float32') {
    binaryF32(op, A as Float32Array, a.offset, a.strides, B as Float32Array, b.offset, b.strides, a.shape, out as Float32Array);
    return new CpuStorage(outDtype, out);
  }
  if (!castOut) {
    // Hot paths without offset tables: tensor (op) tensor and tensor (op) scalar, both unit-stride.
    const aScalar = isScalarView(a), bScalar = isScalarView(b);
    const aFlat = aScalar || isContiguous(a.shape, a.strides), bFlat = bScalar || isContiguous(b.shape, b.strides);
    if (aFlat && bFlat && fastBinary(op, A, a.offset, aScalar, B, b.offset, bScalar, out, n)) return new CpuStorage(outDtype, out);
  }
  const oa = viewOffsets(a), ob = viewOffsets(b);
  const f = BINARY[op];
  const ao = a.offset, bo = b.offset;
  if (castOut) {
    const isInt = outDtype !== 'bool';
    for (let i = 0; i < n; i++) {
      let r = f(A[oa ? oa[i] : ao + i], B[ob ? ob[i] : bo + i]);
      if (isInt && !Number.isFinite(r)) r = 0; // matches no PyTorch UB; ints cannot hold inf/nan
      out[i] = cast(r, outDtype);
    }
  } else {
    for (let i = 0; i < n; i++) out[i] = f(A[oa ? oa[i] : ao + i], B[ob ? ob[i] : bo + i]);
  }
  return new CpuStorage(outDtype, out);
}

/**
 * Unit-stride loops for the hot arithmetic ops, with either side possibly a broadcast scalar; returns false
 * when not handled. Each op gets its own loop so V8 compiles the arithmetic inline (no per-element call).
 */
function fastBinary(op: BinaryOp, A: TypedArray, ao: number, aS: boolean, B: TypedArray, bo: number, bS: boolean, out: TypedArray, n: number): boolean {
  if (aS && bS) {
    const r = BINARY[op](A[ao], B[bo]);
    out.fill(r);
    return true;
  }
  if (bS) {
    const c = B[bo];
    switch (op) {
      case 'add': for (let i = 0; i < n; i++) out[i] = A[ao + i] + c; return true;
      case 'sub': for (let i = 0; i < n; i++) out[i] = A[ao + i] - c; return true;
      case 'mul': for (let i = 0; i < n; i++) out[i] = A[ao + i] * c; return true;
      case 'div': for (let i = 0; i < n; i++) out[i] = A[ao + i] / c; return true;
      case 'pow':
        if (c === 2) { for (let i = 0; i < n; i++) { const v = A[ao + i]; out[i] = v * v; } return true; }
        for (let i = 0; i < n; i++) out[i] = Math.pow(A[ao + i], c);
        return true;
      default: { const f = BINARY[op]; for (let i = 0; i < n; i++) out[i] = f(A[ao + i], c); return true; }
    }
  }
  if (aS) {
    const c = A[ao];
    switch (op) {
      case 'add': for (let i = 0; i < n; i++) out[i] = c + B[bo + i]; return true;
      case 'sub': for (let i = 0; i < n; i++) out[i] = c - B[bo + i]; return true;
      case 'mul': for (let i = 0; i < n; i++) out[i] = c * B[bo + i]; return true;
      case 'div': for (let i = 0; i < n; i++) out[i] = c / B[bo + i]; return true;
      default: { const f = BINARY[op]; for (let i = 0; i < n; i++) out[i] = f(c, B[bo + i]); return true; }
    }
  }
  switch (op) {
    case 'add': for (let i = 0; i < n; i++) out[i] = A[ao + i] + B[bo + i]; return true;
    case 'sub': for (let i = 0; i < n; i++) out[i] = A[ao + i] - B[bo + i]; return true;
    case 'mul': for (let i = 0; i < n; i++) out[i] = A[ao + i] * B[bo + i]; return true;
    case 'div': for (let i = 0; i < n; i++) out[i] = A[ao + i] / B[bo + i]; return true;
    case 'reluBackward': for (let i = 0; i < n; i++) out[i] = A[ao + i] <= 0 ? 0 : B[bo + i]; return true;
    default: { const f = BINARY[op]; for (let i = 0; i < n; i++) out[i] = f(A[ao + i], B[bo + i]); return true; }
  }
}

export function where(cond: View, a: View, b: View, outDtype: DType): CpuStorage {
  const n = numel(cond.shape);
  const out = arrayFor(outDtype, n);
  const C = dataOf(cond.storage), A = dataOf(a.storage), B = dataOf(b.storage);
  const oc = viewOffsets(cond), oa = viewOffsets(a), ob = viewOffsets(b);
  for (let i = 0; i < n; i++) {
    out[i] = C[oc ? oc[i] : cond.offset + i] ? A[oa ? oa[i] : a.offset + i] : B[ob ? ob[i] : b.offset + i];
  }
  return new CpuStorage(outDtype, out);
}
