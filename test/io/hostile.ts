/**
 * @file Builders of hostile checkpoint bytes shared by hostile.test.ts and fuzz.test.ts: pickles that nest
 * containers deeply, and zips whose deflated entries lie about their sizes.
 */
import { zipSync } from 'fflate';
import { deflateRawSync, constants as zlibConstants } from 'node:zlib';
import { writeStoredZip } from '../../src/io/codecs/index.js';

const PROTO2 = [0x80, 2];
const STOP = 0x2e;

/** A protocol-2 pickle of `depth` lists nested in one another: [[[...[]...]]] (depth 1 = []). */
export function nestedListsPickle(depth: number): Uint8Array {
  const p = new Uint8Array(2 + depth + (depth - 1) + 1);
  let o = 0;
  for (const b of PROTO2) p[o++] = b;
  for (let i = 0; i < depth; i++) p[o++] = 0x5d; // EMPTY_LIST
  for (let i = 0; i < depth - 1; i++) p[o++] = 0x61; // APPEND: pops the inner list into the one below it
  p[o++] = STOP;
  return p;
}

/** Nested containers of mixed kinds, outermost first: list (']' ... APPEND), tuple (MARK ... TUPLE), dict ('}' key ... SETITEM). */
export function nestedMixedPickle(kinds: ('list' | 'tuple' | 'dict')[]): Uint8Array {
  const b: number[] = [...PROTO2];
  for (const [i, k] of kinds.entries()) {
    if (k === 'list') b.push(0x5d); // EMPTY_LIST
    else if (k === 'tuple') b.push(0x28); // MARK
    else b.push(0x7d, 0x4b, i & 0xff); // EMPTY_DICT, BININT1 key
  }
  b.push(0x4e); // None, the innermost value
  for (let i = kinds.length - 1; i >= 0; i--) b.push(kinds[i] === 'list' ? 0x61 : kinds[i] === 'tuple' ? 0x74 : 0x73);
  b.push(STOP);
  return new Uint8Array(b);
}

/** A torch.save-like zip holding `pkl` as archive/data.pkl (stored). */
export function zipWithPickle(pkl: Uint8Array): Uint8Array {
  return writeStoredZip([
    { name: 'archive/data.pkl', data: pkl },
    { name: 'archive/byteorder', data: new TextEncoder().encode('little') },
    { name: 'archive/version', data: new TextEncoder().encode('3\n') },
  ]);
}

export interface RawEntry { name: string; method: 0 | 8; data: Uint8Array; size: number; crc: number }

/** A zip written byte by byte: each entry's stored/deflated bytes, declared size and CRC as given (they may lie). */
export function rawZip(entries: RawEntry[]): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = enc.encode(e.name);
    const h = new Uint8Array(30 + name.length), dv = new DataView(h.buffer);
    dv.setUint32(0, 0x04034b50, true); dv.setUint16(4, 20, true); dv.setUint16(8, e.method, true);
    dv.setUint32(14, e.crc, true); dv.setUint32(18, e.data.length, true); dv.setUint32(22, e.size, true);
    dv.setUint16(26, name.length, true); h.set(name, 30);
    const c = new Uint8Array(46 + name.length), cv = new DataView(c.buffer);
    cv.setUint32(0, 0x02014b50, true); cv.setUint16(4, 20, true); cv.setUint16(6, 20, true); cv.setUint16(10, e.method, true);
    cv.setUint32(16, e.crc, true); cv.setUint32(20, e.data.length, true); cv.setUint32(24, e.size, true);
    cv.setUint16(28, name.length, true); cv.setUint32(42, offset, true); c.set(name, 46);
    parts.push(h, e.data); central.push(c);
    offset += h.length + e.data.length;
  }
  const cdSize = central.reduce((a, c) => a + c.length, 0);
  const end = new Uint8Array(22), ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true); ev.setUint16(8, entries.length, true); ev.setUint16(10, entries.length, true);
  ev.setUint32(12, cdSize, true); ev.setUint32(16, offset, true);
  const all = [...parts, ...central, end];
  const out = new Uint8Array(all.reduce((a, x) => a + x.length, 0));
  let o = 0;
  for (const x of all) { out.set(x, o); o += x.length; }
  return out;
}

/**
 * A raw deflate stream of `mib` MiB of zeros, made in milliseconds: one MiB compressed with a full flush (which
 * resets the history, so the bytes can be repeated) `mib` times, then an empty final stored block.
 */
export function deflatedZeros(mib: number): Uint8Array {
  const block = deflateRawSync(new Uint8Array(1 << 20), { level: 9, finishFlush: zlibConstants.Z_FULL_FLUSH });
  const out = new Uint8Array(block.length * mib + 5);
  for (let i = 0; i < mib; i++) out.set(block, i * block.length);
  out.set([0x01, 0x00, 0x00, 0xff, 0xff], block.length * mib);
  return out;
}

/** A zip with deflated entries (fflate, level 9); optionally rewrite one entry's declared uncompressed size. */
export function deflatedZip(files: Record<string, Uint8Array>, lie?: { entry: string; size: number }): Uint8Array {
  const z = zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, [v, { level: 9 }]])));
  if (!lie) return z;
  const dv = new DataView(z.buffer, z.byteOffset, z.byteLength);
  const name = new TextEncoder().encode(lie.entry);
  const matches = (at: number) => name.every((c, i) => z[at + i] === c);
  for (let o = 0; o + 46 < z.length; o++) {
    const sig = dv.getUint32(o, true);
    if (sig === 0x04034b50 && dv.getUint16(o + 26, true) === name.length && matches(o + 30)) dv.setUint32(o + 22, lie.size, true);
    if (sig === 0x02014b50 && dv.getUint16(o + 28, true) === name.length && matches(o + 46)) dv.setUint32(o + 24, lie.size, true);
  }
  return z;
}
