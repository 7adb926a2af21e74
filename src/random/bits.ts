/**
 * @file Bit-level views of float32 and float64 values (shared scratch buffers).
 */

const F32 = new Float32Array(1);
const U32F = new Uint32Array(F32.buffer);
const F64 = new Float64Array(1);
const U32D = new Uint32Array(F64.buffer);
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const LO = LITTLE ? 0 : 1;
const HI = LITTLE ? 1 : 0;

/** IEEE-754 bits of a float32 value (uint32). */
export function f32Bits(x: number): number {
  F32[0] = x;
  return U32F[0];
}

/** The float32 value with the given bits. */
export function f32FromBits(b: number): number {
  U32F[0] = b >>> 0;
  return F32[0];
}

/** High 32 bits of a double. */
export function f64Hi(x: number): number {
  F64[0] = x;
  return U32D[HI];
}

/** Low 32 bits of a double. */
export function f64Lo(x: number): number {
  F64[0] = x;
  return U32D[LO];
}

/** The double with the given high and low 32-bit words. */
export function f64FromWords(hi: number, lo: number): number {
  U32D[HI] = hi >>> 0;
  U32D[LO] = lo >>> 0;
  return F64[0];
}

/** The double with the given 16-hex-digit bit pattern. */
export function f64FromHex(h: string): number {
  return f64FromWords(parseInt(h.slice(0, 8), 16), parseInt(h.slice(8, 16), 16));
}
