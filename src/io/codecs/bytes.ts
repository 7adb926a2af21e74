/**
 * @file Byte helpers shared by the codecs: CRC-32 (zip), strict UTF-8, a growable little-endian writer.
 * Imports nothing.
 */

let CRC_TABLE: Uint32Array | undefined;
function crcTable(): Uint32Array {
  if (CRC_TABLE) return CRC_TABLE;
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return (CRC_TABLE = t);
}

/** CRC-32 (IEEE, as zip uses) of bytes. */
export function crc32(bytes: Uint8Array): number {
  const t = crcTable();
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const UTF8_STRICT = new TextDecoder('utf-8', { fatal: true });
const ENCODER = new TextEncoder();

/** Decode UTF-8, throwing a TypeError on invalid sequences. */
export function utf8Decode(bytes: Uint8Array): string {
  return UTF8_STRICT.decode(bytes);
}
/** Map bytes 1:1 to code points (Python's 'latin1'). */
export function latin1Decode(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return s;
}
export function utf8Encode(s: string): Uint8Array {
  return ENCODER.encode(s);
}

/** A growable byte buffer with little-endian integer writers. */
export class ByteWriter {
  private buf: Uint8Array;
  private dv: DataView;
  length = 0;
  constructor(initial = 1024) {
    this.buf = new Uint8Array(initial);
    this.dv = new DataView(this.buf.buffer);
  }
  private ensure(extra: number): void {
    const need = this.length + extra;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.dv = new DataView(next.buffer);
  }
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.length++] = b;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  u16(v: number): void {
    this.ensure(2);
    this.dv.setUint16(this.length, v, true);
    this.length += 2;
  }
  u32(v: number): void {
    this.ensure(4);
    this.dv.setUint32(this.length, v >>> 0, true);
    this.length += 4;
  }
  i32(v: number): void {
    this.ensure(4);
    this.dv.setInt32(this.length, v, true);
    this.length += 4;
  }
  u64(v: number): void {
    this.ensure(8);
    this.dv.setBigUint64(this.length, BigInt(v), true);
    this.length += 8;
  }
  f64be(v: number): void {
    this.ensure(8);
    this.dv.setFloat64(this.length, v, false);
    this.length += 8;
  }
  /** The written bytes, without copying (a view of the internal buffer; do not write further). */
  bytesView(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
  /** A copy of the written bytes. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}
