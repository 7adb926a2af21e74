/**
 * @file The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian header
 * length N, N bytes of JSON (`{"__metadata__": {str: str}, name: {dtype, shape, data_offsets: [begin, end]}}`,
 * padded with spaces to a multiple of 8), then the tensors' bytes, contiguous, little-endian, row-major.
 * Parsing validates like the reference implementation; tensors come back as zero-copy subarrays.
 * Imports only src/core/dtype.ts.
 */
import { ITEM_SIZE, type DType } from '../../core/dtype.js';
import { dtypeFromSafetensors, SAFETENSORS_CODE } from './dtypeNames.js';
import { CheckpointFormatError, fileLabel } from './errors.js';
import { contiguousBytes, numelOf } from './rawTensor.js';
import { utf8Decode, utf8Encode } from './bytes.js';
import { isRawTensor, type RawTensor } from './types.js';

/** One tensor of a safetensors file: contiguous row-major little-endian bytes. */
export interface SafetensorsTensor {
  dtype: DType;
  shape: number[];
  data: Uint8Array;
}

export interface SafetensorsFile {
  /** Tensors in the order of their data in the file. */
  tensors: Map<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

export interface ParseSafetensorsOptions {
  /** File name for error messages. */
  name?: string;
  /** Largest accepted JSON header, in bytes (default 100 MB, as the reference). */
  maxHeaderBytes?: number;
}

export const SAFETENSORS_MAX_HEADER = 100_000_000;

function fail(name: string | undefined, msg: string): never {
  throw new CheckpointFormatError(`${fileLabel(name)}${msg}`, name);
}

const NOT_SAFETENSORS = 'is it a safetensors file? Re-export it with safetensors.torch.save_file';

/** Parse safetensors bytes. Throws CheckpointFormatError naming the file, key and problem. */
export function parseSafetensors(bytes: Uint8Array, opts: ParseSafetensorsOptions = {}): SafetensorsFile {
  const { entries, metadata, dataStart } = parseSafetensorsHeader(bytes, bytes.length, opts);
  const tensors = new Map<string, SafetensorsTensor>();
  for (const e of entries) tensors.set(e.key, { dtype: e.dtype, shape: e.shape, data: bytes.subarray(dataStart + e.begin, dataStart + e.end) });
  return { tensors, metadata };
}

/** The length of the JSON header of a safetensors file, from its first 8 bytes (validated against the limit). */
export function safetensorsHeaderLength(first8: Uint8Array, fileLength: number, opts: ParseSafetensorsOptions = {}): number {
  const { name } = opts;
  const maxHeader = opts.maxHeaderBytes ?? SAFETENSORS_MAX_HEADER;
  if (fileLength < 8 || first8.length < 8) fail(name, `safetensors file too short (${fileLength} bytes): it must start with an 8-byte header length; ${NOT_SAFETENSORS}`);
  const n64 = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (n64 > BigInt(maxHeader)) fail(name, `safetensors header length ${n64} exceeds the limit of ${maxHeader} bytes; the file is corrupt or not safetensors`);
  const n = Number(n64);
  if (8 + n > fileLength) fail(name, `safetensors header length ${n} is larger than the file (${fileLength} bytes); the file is truncated or corrupt`);
  return n;
}

export interface SafetensorsEntry { key: string; dtype: DType; shape: number[]; begin: number; end: number }

/**
 * Validate a safetensors header against the file's length without its data: `head` holds at least the first
 * 8 + header-length bytes. Returns the entries in file order, the metadata and where the data starts (for
 * readers that fetch each tensor with a positioned read).
 */
export function parseSafetensorsHeader(head: Uint8Array, fileLength: number, opts: ParseSafetensorsOptions = {}): { entries: SafetensorsEntry[]; metadata: Record<string, string>; dataStart: number } {
  const { name } = opts;
  const n = safetensorsHeaderLength(head, fileLength, opts);
  const bytes = head;
  if (bytes.length < 8 + n) fail(name, `internal: safetensors header needs ${8 + n} bytes, got ${bytes.length}`);
  if (n === 0 || bytes[8] !== 0x7b /* '{' */) fail(name, `safetensors header does not start with '{'; ${NOT_SAFETENSORS}`);
  let header: unknown;
  try {
    header = JSON.parse(utf8Decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    fail(name, `safetensors header is not valid UTF-8 JSON (${(e as Error).message}); the file is corrupt`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail(name, 'safetensors header must be a JSON object');
  const dataStart = 8 + n;
  const dataLen = fileLength - dataStart;
  const metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [key, info] of Object.entries(header as Record<string, unknown>)) {
    if (key === '__metadata__') {
      if (typeof info !== 'object' || info === null || Array.isArray(info)) fail(name, '__metadata__ must be an object of strings');
      for (const [mk, mv] of Object.entries(info as Record<string, unknown>)) {
        if (typeof mv !== 'string') fail(name, `__metadata__["${mk}"] must be a string, got ${JSON.stringify(mv)}`);
        metadata[mk] = mv;
      }
      continue;
    }
    const where = `tensor "${key}"`;
    if (typeof info !== 'object' || info === null || Array.isArray(info)) fail(name, `${where}: header entry must be an object with dtype, shape and data_offsets`);
    const { dtype: code, shape, data_offsets: offsets } = info as Record<string, unknown>;
    if (typeof code !== 'string') fail(name, `${where}: dtype must be a string`);
    const dtype = dtypeFromSafetensors(code);
    if (!dtype) fail(name, `${where}: unknown or unsupported dtype "${code}"; torchlet reads ${Object.values(SAFETENSORS_CODE).join(', ')}; convert the tensor in Python before saving`);
    if (!Array.isArray(shape) || !shape.every((s) => Number.isSafeInteger(s) && s >= 0)) {
      fail(name, `${where} (${code}): shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]) {
      fail(name, `${where} (${code}): data_offsets must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as number[];
    const numel = numelOf(shape as number[]);
    const expected = numel * ITEM_SIZE[dtype];
    if (!Number.isSafeInteger(expected) || expected !== end - begin) {
      fail(name, `${where}: ${code} shape [${shape}] needs ${expected} bytes, but data_offsets [${begin}, ${end}] span ${end - begin}; the header is corrupt`);
    }
    if (end > dataLen) fail(name, `${where}: data_offsets [${begin}, ${end}] run past the end of the data (${dataLen} bytes); the file is truncated`);
    entries.push({ key, dtype, shape: shape as number[], begin, end });
  }
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  let prevKey = '';
  for (const e of sorted) {
    if (e.begin < pos) fail(name, `tensors "${prevKey}" and "${e.key}" overlap (byte ${e.begin} < ${pos}); the header is corrupt`);
    if (e.begin > pos) fail(name, `gap in the data before tensor "${e.key}" (bytes ${pos}..${e.begin} are unused); the header is corrupt`);
    pos = e.end;
    prevKey = e.key;
  }
  if (pos !== dataLen) fail(name, `the data section holds ${dataLen} bytes but the tensors cover ${pos}; the file is corrupt or has trailing bytes`);
  return { entries: sorted, metadata, dataStart };
}

/** What writeSafetensors accepts per name: contiguous bytes, or any RawTensor (gathered if strided). */
export type SafetensorsInput = SafetensorsTensor | RawTensor;

/**
 * Serialize tensors (in the given order) and optional string metadata to safetensors bytes.
 * The header is padded with spaces to a multiple of 8 bytes, as the reference writer does.
 */
export function writeSafetensors(
  tensors: Map<string, SafetensorsInput> | Iterable<readonly [string, SafetensorsInput]> | Record<string, SafetensorsInput>,
  metadata?: Record<string, string>,
): Uint8Array {
  const list: [string, SafetensorsInput][] =
    tensors instanceof Map || Symbol.iterator in Object(tensors)
      ? [...(tensors as Iterable<[string, SafetensorsInput]>)]
      : Object.entries(tensors as Record<string, SafetensorsInput>);
  const parts: string[] = [];
  if (metadata !== undefined) {
    const m: string[] = [];
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new TypeError(`writeSafetensors: metadata["${k}"] must be a string, got ${typeof v}`);
      m.push(`${JSON.stringify(k)}:${JSON.stringify(v)}`);
    }
    parts.push(`"__metadata__":{${m.join(',')}}`);
  }
  const datas: Uint8Array[] = [];
  const seen = new Set<string>();
  let offset = 0;
  for (const [key, t] of list) {
    if (key === '__metadata__') throw new TypeError('writeSafetensors: "__metadata__" is reserved and cannot name a tensor');
    if (seen.has(key)) throw new TypeError(`writeSafetensors: duplicate tensor name "${key}"`);
    seen.add(key);
    const dtype = isRawTensor(t) ? t.storage.dtype : t.dtype;
    const shape = t.shape;
    if (!(dtype in SAFETENSORS_CODE)) throw new TypeError(`writeSafetensors: tensor "${key}" has unknown dtype ${String(dtype)}`);
    let data: Uint8Array;
    if (isRawTensor(t)) {
      try {
        data = contiguousBytes(t);
      } catch (e) {
        throw new RangeError(`writeSafetensors: tensor "${key}" (${dtype} [${shape}]): ${(e as Error).message}`);
      }
    } else {
      data = t.data;
      if (!shape.every((s) => Number.isSafeInteger(s) && s >= 0)) throw new RangeError(`writeSafetensors: tensor "${key}": shape [${shape}] must hold non-negative integers`);
      const need = numelOf(shape) * ITEM_SIZE[dtype];
      if (!(data instanceof Uint8Array) || data.length !== need) {
        throw new RangeError(`writeSafetensors: tensor "${key}": ${dtype} shape [${shape}] needs ${need} bytes, got ${data?.length}; pass the little-endian element bytes`);
      }
    }
    parts.push(`${JSON.stringify(key)}:{"dtype":"${SAFETENSORS_CODE[dtype]}","shape":[${shape.join(',')}],"data_offsets":[${offset},${offset + data.length}]}`);
    offset += data.length;
    datas.push(data);
  }
  const json = utf8Encode(`{${parts.join(',')}}`);
  const padded = json.length + ((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + padded + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  let p = 8 + padded;
  for (const d of datas) {
    out.set(d, p);
    p += d.length;
  }
  return out;
}
