/**
 * @file Zip containers as torch.save uses them. Reading validates the end-of-central-directory record, every
 * central directory entry and local header against the file size (so hostile sizes, counts and offsets are
 * refused before anything is allocated), then extracts the wanted entries (stored: copied; deflated: inflated by
 * fflate's streaming inflater in 16 KiB input steps into a buffer of the declared size, stopping as soon as the
 * output would pass it) and checks their CRC-32. The declared sizes of the extracted entries together may not
 * exceed a limit set against the file's size (maxTotalBytes), so a small file cannot make a large allocation.
 * Writing produces stored (uncompressed) entries whose data starts on a 64-byte boundary, padded with an
 * extra field 'FB' of 'Z' bytes as PyTorch's writer does. Imports only fflate.
 */
import { Inflate } from 'fflate';
import { ByteWriter, crc32, latin1Decode, utf8Encode } from './bytes.js';
import { CheckpointFormatError, fileLabel } from './errors.js';

export interface ZipEntryInfo {
  name: string;
  /** 0 stored, 8 deflate. */
  method: number;
  compressedSize: number;
  size: number;
  crc: number;
  /** Byte offset of the entry's data in the file. */
  dataOffset: number;
}

/** Largest deflate expansion ratio (zlib's theoretical maximum is ~1032:1). */
const MAX_DEFLATE_RATIO = 1032;

function u16(b: Uint8Array, o: number): number {
  return b[o] | (b[o + 1] << 8);
}
function u32(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}
function u64(b: Uint8Array, o: number): number {
  return u32(b, o) + u32(b, o + 4) * 4294967296;
}

/**
 * List and validate a zip's entries (central directory), without extracting anything.
 * Throws CheckpointFormatError for anything inconsistent with the file's size.
 */
export function listZipEntries(bytes: Uint8Array, name?: string, large = false): ZipEntryInfo[] {
  const fail = (msg: string): never => {
    throw new CheckpointFormatError(`${fileLabel(name)}${msg}`, name);
  };
  const len = bytes.length;
  if (len < 22) fail(`zip file too short (${len} bytes); the file is truncated`);
  // Same search as fflate: the last end-of-central-directory record, within 64 KiB + 22 bytes of the end.
  let e = len - 22;
  while (u32(bytes, e) !== 0x06054b50) {
    if (e === 0 || len - e > 65558) fail('no zip end-of-central-directory record; the file is truncated or not a zip');
    e--;
  }
  let count = u16(bytes, e + 10);
  let cdSize = u32(bytes, e + 12);
  let cdOffset = u32(bytes, e + 16);
  let zip64 = false;
  // ZIP64 end record, located as fflate locates it (it reads 32-bit fields; larger values are refused).
  if (e >= 20 && u32(bytes, e - 20) === 0x07064b50) {
    const ze = large ? u64(bytes, e - 12) : u32(bytes, e - 12); // fflate reads 32 bits; a zip64 end record past 4 GiB needs 64
    if (u32(bytes, ze) === 0x06064b50) {
      if (ze + 56 > len) fail('zip64 end-of-central-directory record lies outside the file; the file is truncated');
      zip64 = true;
      count = u64(bytes, ze + 32);
      cdSize = u64(bytes, ze + 40);
      cdOffset = u64(bytes, ze + 48);
      if (!large && (count > 0xffffffff || cdOffset > 0xffffffff)) fail('zip64 directory beyond 4 GiB: load it from a path with torch.load(path, { mmap: true })');
    }
  }
  if (cdOffset > len || cdSize > len - cdOffset) fail(`zip central directory (offset ${cdOffset}, ${cdSize} bytes) lies outside the file (${len} bytes); the file is truncated or corrupt`);
  if (count > cdSize / 46) fail(`zip claims ${count} entries but its central directory holds at most ${Math.floor(cdSize / 46)}; the file is corrupt`);
  const entries: ZipEntryInfo[] = [];
  let o = cdOffset;
  const cdEnd = cdOffset + cdSize;
  for (let i = 0; i < count; i++) {
    if (o + 46 > cdEnd || u32(bytes, o) !== 0x02014b50) fail(`zip central directory entry ${i} is malformed; the file is corrupt`);
    const flags = u16(bytes, o + 8);
    const method = u16(bytes, o + 10);
    const crc = u32(bytes, o + 16);
    let csize = u32(bytes, o + 20);
    let usize = u32(bytes, o + 24);
    const nameLen = u16(bytes, o + 28);
    const extraLen = u16(bytes, o + 30);
    const commentLen = u16(bytes, o + 32);
    let local = u32(bytes, o + 42);
    const next = o + 46 + nameLen + extraLen + commentLen;
    if (next > cdEnd) fail(`zip central directory entry ${i} runs past the directory; the file is corrupt`);
    const rawName = bytes.subarray(o + 46, o + 46 + nameLen);
    // Decoded as fflate decodes names, so that its filter sees the same strings.
    const entryName = flags & 0x800 ? new TextDecoder().decode(rawName) : latin1Decode(rawName);
    // ZIP64 extra field (same rule as fflate: only when the zip64 end record exists).
    if (zip64 && (csize === 0xffffffff || usize === 0xffffffff || local === 0xffffffff)) {
      let x = o + 46 + nameLen;
      const xe = x + extraLen;
      while (x + 4 < xe) {
        const id = u16(bytes, x);
        const sz = u16(bytes, x + 2);
        if (id === 1) {
          let p = x + 4;
          if (usize === 0xffffffff) { usize = u64(bytes, p); p += 8; }
          if (csize === 0xffffffff) { csize = u64(bytes, p); p += 8; }
          if (local === 0xffffffff) { local = u64(bytes, p); }
          break;
        }
        x += 4 + sz;
      }
    }
    const where = `zip entry "${entryName}"`;
    if (method !== 0 && method !== 8) fail(`${where} uses compression method ${method}; only stored (0) and deflate (8) are supported`);
    if (flags & 1) fail(`${where} is encrypted; encrypted checkpoints are not supported`);
    if (local + 30 > len || u32(bytes, local) !== 0x04034b50) fail(`${where}: local header at ${local} is missing or outside the file; the file is truncated or corrupt`);
    const dataOffset = local + 30 + u16(bytes, local + 26) + u16(bytes, local + 28);
    if (dataOffset > len || csize > len - dataOffset) fail(`${where} claims ${csize} bytes at offset ${dataOffset}, beyond the end of the file (${len} bytes); the file is truncated`);
    if (method === 0 && usize !== csize) fail(`${where} is stored but claims ${usize} bytes uncompressed vs ${csize} stored; the file is corrupt`);
    if (method === 8 && usize > csize * MAX_DEFLATE_RATIO + 1024) fail(`${where} claims to inflate ${csize} bytes to ${usize}, more than deflate can; the file is corrupt`);
    entries.push({ name: entryName, method, compressedSize: csize, size: usize, crc, dataOffset });
    o = next;
  }
  return entries;
}

export interface ReadZipOptions {
  name?: string;
  /** Check CRC-32 of extracted entries (default true). */
  verifyCrc?: boolean;
  /** Largest entry (uncompressed) accepted, in bytes (default 2^31 - 1, the largest Uint8Array V8 makes). */
  maxEntryBytes?: number;
  /**
   * Most bytes all extracted entries may take together (default `defaultMaxTotalBytes(file size)`: the file's size
   * plus 64 times the compressed size of its deflated entries, at least 64 MiB more than the file).
   */
  maxTotalBytes?: number;
}

/** Compressed input handed to the inflater per step: at most ~16.5 MiB of output (deflate's 1032:1) per step. */
const INFLATE_STEP = 16384;
/** Expansion allowed for deflated entries by default (real checkpoints of floats deflate by less than 2x). */
export const DEFLATE_BUDGET_RATIO = 64;
const MIN_BUDGET = 64 * 1024 * 1024;

/** The default limit on the bytes extracted from a zip of `fileBytes` whose deflated entries hold `deflatedBytes`. */
export function defaultMaxTotalBytes(fileBytes: number, deflatedBytes: number): number {
  return fileBytes + Math.max(MIN_BUDGET, DEFLATE_BUDGET_RATIO * deflatedBytes);
}

/** Inflate one deflated entry into exactly `size` bytes, stopping as soon as the stream goes past it. */
function inflateEntry(src: Uint8Array, size: number, fail: (msg: string) => never, where: string): Uint8Array {
  const out = new Uint8Array(size);
  let got = 0;
  let ended = false;
  const inf = new Inflate((chunk, final) => {
    if (chunk.length > size - got) fail(`${where} inflates to more than its declared ${size} bytes (stopped at ${got + chunk.length}); the file is corrupt or a zip bomb`);
    out.set(chunk, got);
    got += chunk.length;
    if (final) ended = true;
  });
  try {
    for (let o = 0; o < src.length; o += INFLATE_STEP) inf.push(src.subarray(o, o + INFLATE_STEP), o + INFLATE_STEP >= src.length);
    if (src.length === 0) inf.push(src, true);
  } catch (e) {
    if (e instanceof CheckpointFormatError) throw e;
    fail(`${where} cannot be inflated (${(e as Error)?.message ?? String(e)}); the file is corrupt`);
  }
  if (!ended || got !== size) fail(`${where} inflates to ${got} bytes but claims ${size}; the file is corrupt`);
  return out;
}

/**
 * Extract the entries whose names satisfy `want` (all when omitted). Entries are validated by listZipEntries first,
 * their declared sizes checked against maxEntryBytes and (together) maxTotalBytes before anything is allocated;
 * deflated entries are inflated with a running check against the declared size; CRC-32 is verified.
 */
export function readZipEntries(bytes: Uint8Array, want?: (entryName: string) => boolean, opts: ReadZipOptions = {}): Map<string, Uint8Array> {
  const { name } = opts;
  const fail = (msg: string): never => {
    throw new CheckpointFormatError(`${fileLabel(name)}${msg}`, name);
  };
  const infos = listZipEntries(bytes, name);
  const maxEntry = opts.maxEntryBytes ?? 0x7fffffff;
  const byName = new Map<string, ZipEntryInfo>();
  let total = 0, deflated = 0;
  for (const info of infos) {
    if (!want || want(info.name)) {
      if (info.size > maxEntry) fail(`zip entry "${info.name}" is ${info.size} bytes, above the limit of ${maxEntry} bytes per entry`);
      if (byName.has(info.name)) fail(`zip entry "${info.name}" appears twice; the file is corrupt`);
      byName.set(info.name, info);
      total += info.size;
      if (info.method === 8) deflated += info.compressedSize;
    }
  }
  const maxTotal = opts.maxTotalBytes ?? defaultMaxTotalBytes(bytes.length, deflated);
  if (total > maxTotal) {
    const why = opts.maxTotalBytes === undefined
      ? ` for a ${bytes.length}-byte file (the file's size plus ${DEFLATE_BUDGET_RATIO}x its deflated data, at least 64 MiB; raise it with maxTotalBytes)`
      : ' (maxTotalBytes)';
    fail(`zip entries would take ${total} bytes once extracted, above the limit of ${maxTotal} bytes${why}; the file is corrupt or a zip bomb`);
  }
  const out = new Map<string, Uint8Array>();
  for (const [entryName, info] of byName) {
    const where = `zip entry "${entryName}"`;
    const src = bytes.subarray(info.dataOffset, info.dataOffset + info.compressedSize);
    const data = info.method === 0 ? src.slice() : inflateEntry(src, info.size, fail, where);
    if (opts.verifyCrc !== false && crc32(data) !== info.crc) fail(`${where} fails its CRC-32 check; the file is corrupt`);
    out.set(entryName, data);
  }
  return out;
}

/**
 * Write a zip of stored entries, each entry's data aligned to `align` bytes (PyTorch uses 64).
 * Limited to 4 GiB (no ZIP64): larger checkpoints throw a RangeError.
 */
export function writeStoredZip(entries: { name: string; data: Uint8Array }[], align = 64): Uint8Array {
  let total = 22;
  for (const e of entries) total += 30 + 46 + 2 * utf8Encode(e.name).length + 4 + align + e.data.length;
  if (total >= 0xffffffff) throw new RangeError(`writeStoredZip: archive would be ${total} bytes; zips above 4 GiB (ZIP64) are not supported`);
  if (entries.length > 0xffff) throw new RangeError(`writeStoredZip: ${entries.length} entries; more than 65535 (ZIP64) is not supported`);
  const w = new ByteWriter(total);
  const central: { name: Uint8Array; crc: number; size: number; offset: number; utf8: boolean }[] = [];
  for (const e of entries) {
    const name = utf8Encode(e.name);
    const utf8 = name.length !== e.name.length || /[^\x20-\x7e]/.test(e.name);
    const crc = crc32(e.data);
    const offset = w.length;
    const headerEnd = offset + 30 + name.length + 4;
    const pad = (align - (headerEnd % align)) % align;
    w.u32(0x04034b50);
    w.u16(20); // version needed
    w.u16(utf8 ? 0x800 : 0);
    w.u16(0); // stored
    w.u16(0); w.u16(0); // time, date (fixed, for reproducible files)
    w.u32(crc); w.u32(e.data.length); w.u32(e.data.length);
    w.u16(name.length); w.u16(4 + pad);
    w.bytes(name);
    w.u16(0x4246); // 'FB'
    w.u16(pad);
    for (let i = 0; i < pad; i++) w.byte(0x5a); // 'Z'
    w.bytes(e.data);
    central.push({ name, crc, size: e.data.length, offset, utf8 });
  }
  const cdOffset = w.length;
  for (const c of central) {
    w.u32(0x02014b50);
    w.u16(0x031e); // made by: unix, 3.0
    w.u16(20);
    w.u16(c.utf8 ? 0x800 : 0);
    w.u16(0); w.u16(0); w.u16(0);
    w.u32(c.crc); w.u32(c.size); w.u32(c.size);
    w.u16(c.name.length); w.u16(0); w.u16(0); // name, extra, comment lengths
    w.u16(0); w.u16(0); w.u32(0); // disk, internal, external attributes
    w.u32(c.offset);
    w.bytes(c.name);
  }
  const cdSize = w.length - cdOffset;
  w.u32(0x06054b50);
  w.u16(0); w.u16(0);
  w.u16(central.length); w.u16(central.length);
  w.u32(cdSize); w.u32(cdOffset);
  w.u16(0);
  return w.bytesView();
}

/** A file read piece by piece (Node: positioned reads of a file handle; browser: slices of a Blob read ahead). */
export interface RandomAccess {
  readonly length: number;
  /** A fresh buffer with the bytes [offset, offset + length). */
  read(offset: number, length: number): Uint8Array;
}

export function isRandomAccess(v: unknown): v is RandomAccess {
  return typeof v === 'object' && v !== null && !(v instanceof Uint8Array) && typeof (v as RandomAccess).read === 'function' && typeof (v as RandomAccess).length === 'number';
}

/**
 * A read-only Uint8Array look-alike over a RandomAccess (indexing, length, subarray/slice), reading 64 KiB pages
 * on demand: lets the zip directory parser walk a file of any size (zip64 offsets beyond 4 GiB included)
 * without holding it. subarray/slice return fresh buffers (positioned reads).
 */
export function pagedBytes(src: RandomAccess, pageSize = 1 << 16): Uint8Array {
  const pages = new Map<number, Uint8Array>();
  const byte = (i: number): number => {
    const p = Math.floor(i / pageSize);
    let pg = pages.get(p);
    if (!pg) {
      pg = src.read(p * pageSize, Math.min(pageSize, src.length - p * pageSize));
      pages.set(p, pg);
      if (pages.size > 64) pages.delete(pages.keys().next().value as number);
    }
    return pg[i - p * pageSize];
  };
  const cut = (a = 0, b = src.length) => src.read(a, Math.max(0, Math.min(b, src.length) - a));
  return new Proxy({} as Uint8Array, {
    get(_t, prop) {
      if (prop === 'length' || prop === 'byteLength') return src.length;
      if (prop === 'subarray' || prop === 'slice') return cut;
      if (typeof prop === 'string' && /^[0-9]+$/.test(prop)) { const i = Number(prop); return i < src.length ? byte(i) : undefined; }
      return undefined;
    },
  });
}

/**
 * Entries of a zip read one at a time from a RandomAccess (stored ones with one positioned read, deflated ones
 * inflated), size- and CRC-checked; nothing else is held. `infos` come from listZipEntries(pagedBytes(src)).
 */
export function zipEntryReader(src: RandomAccess, infos: ZipEntryInfo[], opts: ReadZipOptions = {}): { get(entryName: string): Uint8Array | undefined } {
  const { name } = opts;
  const fail = (msg: string): never => { throw new CheckpointFormatError(`${fileLabel(name)}${msg}`, name); };
  const byName = new Map(infos.map((i) => [i.name, i]));
  return {
    get(entryName: string): Uint8Array | undefined {
      const info = byName.get(entryName);
      if (!info) return undefined;
      let data = src.read(info.dataOffset, info.compressedSize);
      if (info.method === 8) {
        data = inflateEntry(data, info.size, fail, `zip entry "${entryName}"`);
      }
      if (data.length !== info.size) fail(`zip entry "${entryName}" holds ${data.length} bytes but claims ${info.size}; the file is corrupt`);
      if (opts.verifyCrc !== false && crc32(data) !== info.crc) fail(`zip entry "${entryName}" fails its CRC-32 check; the file is corrupt`);
      return data;
    },
  };
}
