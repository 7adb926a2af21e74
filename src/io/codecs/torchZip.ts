/**
 * @file PyTorch's zip checkpoint format (torch.save since 1.6): `<archive>/data.pkl` (a protocol-2 pickle whose
 * tensors reference storages by persistent id), `<archive>/data/<key>` (raw little-endian storage bytes),
 * `<archive>/byteorder` ('little') and `<archive>/version` ('3\n'). Every other record PyTorch writes is read and
 * checked (see RECORDS): torch 2.x adds `.data/serialization_id` (a decimal id of the save), later versions
 * `.format_version` and `.storage_alignment`; a record torchlet does not know is reported in `unknownRecords`. Reading rebuilds tensors as RawTensor
 * (views of one storage share one RawStorage); writing produces what torch 1.13 and 2.x load with
 * `torch.load(path, weights_only=True)`. Imports only src/core/dtype.ts and fflate (through zipArchive.ts).
 */
import { ITEM_SIZE } from '../../core/dtype.js';
import { dtypeFromStorageClass, STORAGE_CLASS } from './dtypeNames.js';
import { CheckpointFormatError, fileLabel } from './errors.js';
import { utf8Decode, utf8Encode } from './bytes.js';
import { pickle } from './pickler.js';
import { unpickle } from './unpickler.js';
import { isRandomAccess, listZipEntries, pagedBytes, readZipEntries, writeStoredZip, zipEntryReader, type RandomAccess } from './zipArchive.js';
import { isPyGlobal, isTuple, type PyValue, type RawStorage } from './types.js';

export interface ReadTorchZipOptions {
  /** File name for error messages. */
  name?: string;
  /** Keep integral Python floats as PyFloat (see UnpickleOptions). */
  preserveFloatType?: boolean;
  /** Verify the CRC-32 of every entry (default true). */
  verifyCrc?: boolean;
  /** Receives the checked small records (version, byteorder, serialization id, ...) and the unknown ones. */
  onRecords?: (records: TorchZipRecords) => void;
}

/** Read and check the small records of a torch.save zip (see TorchZipRecords). */
function readRecords(files: { get(n: string): Uint8Array | undefined }, prefix: string, names: string[], fail: (msg: string) => never): TorchZipRecords {
  const text = (r: string): string | undefined => {
    const b = files.get(`${prefix}/${r}`);
    if (!b) return undefined;
    if (b.length > 128) fail(`record ${prefix}/${r} holds ${b.length} bytes; PyTorch writes a few characters there; the file is corrupt`);
    return utf8Decode(b).trim();
  };
  const integer = (r: string, lo: number, hi: number, what: string): number | undefined => {
    const t = text(r);
    if (t === undefined) return undefined;
    const v = /^\d{1,9}$/.test(t) ? Number(t) : NaN;
    if (!(v >= lo && v <= hi)) fail(`${prefix}/${r} is "${t.slice(0, 20)}": ${what}`);
    return v;
  };
  const out: TorchZipRecords = { unknownRecords: [] };
  const version = integer('version', MIN_FILE_VERSION, MAX_FILE_VERSION, `torchlet reads file format versions ${MIN_FILE_VERSION} to ${MAX_FILE_VERSION} (as PyTorch 2.6); this file was written by an unknown PyTorch`)
    ?? integer('.data/version', MIN_FILE_VERSION, MAX_FILE_VERSION, `torchlet reads file format versions ${MIN_FILE_VERSION} to ${MAX_FILE_VERSION} (as PyTorch 2.6)`);
  if (version !== undefined) out.version = version;
  const order = text('byteorder');
  if (order !== undefined) {
    if (order !== 'little' && order !== 'big') fail(`unknown byteorder "${order.slice(0, 20)}" in ${prefix}/byteorder`);
    out.byteorder = order;
  }
  const id = text('.data/serialization_id');
  if (id !== undefined) {
    if (!/^\d{1,64}$/.test(id)) fail(`${prefix}/.data/serialization_id is "${id.slice(0, 20)}", not the decimal id torch.save writes; the file is corrupt`);
    out.serializationId = id;
  }
  const fv = integer('.format_version', 1, 1, 'torchlet knows storage layout format 1 only; load it in that PyTorch and save it again');
  if (fv !== undefined) out.formatVersion = fv;
  const al = integer('.storage_alignment', 1, 1 << 20, 'expected a storage alignment in bytes');
  if (al !== undefined) out.storageAlignment = al;
  const known = new Set([`${prefix}/data.pkl`, ...RECORDS.map((r) => `${prefix}/${r}`)]);
  for (const n of names) if (!known.has(n) && !n.startsWith(`${prefix}/data/`)) out.unknownRecords.push(n);
  return out;
}

export interface WriteTorchZipOptions {
  /** The top folder inside the zip; torch.save uses the file's stem, torch reads any name. Default 'archive'. */
  archiveName?: string;
}

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];

/** File format versions PyTorch's reader accepts (caffe2/serialize/versions.h: kMin/kMaxSupportedFileFormatVersion). */
const MIN_FILE_VERSION = 1, MAX_FILE_VERSION = 10;

/** The small records of a torch.save zip besides data.pkl and data/<key>, as read and checked by readTorchZip. */
export interface TorchZipRecords {
  /** `version` (or `.data/version`): the file format version, 1..10 (torch.save writes 3). */
  version?: number;
  /** `byteorder`: 'little' or 'big' (absent in files older than PyTorch 1.10: little). */
  byteorder?: 'little' | 'big';
  /** `.data/serialization_id` (torch >= 2.0): a decimal id of this save, at most 64 digits. */
  serializationId?: string;
  /** `.format_version` (torch >= 2.7): the layout of data.pkl's storages; 1 is the only one defined. */
  formatVersion?: number;
  /** `.storage_alignment` (torch >= 2.7): the alignment of data/<key> records in bytes (64). */
  storageAlignment?: number;
  /** Records under the archive folder that torchlet does not know (kept out of the load, listed here). */
  unknownRecords: string[];
}

/** The small records' names under the archive folder (the prefix is added by the reader). */
const RECORDS = ['version', '.data/version', 'byteorder', '.data/serialization_id', '.format_version', '.storage_alignment'];

function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && ZIP_MAGIC.every((b, i) => bytes[i] === b);
}

function swapBytes(b: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(b.length);
  for (let i = 0; i < b.length; i += size) for (let j = 0; j < size; j++) out[i + j] = b[i + size - 1 - j];
  return out;
}

/**
 * Read a torch.save zip checkpoint into neutral values (tensors as RawTensor). Only weights-only content is
 * accepted (see unpickler.ts). Throws CheckpointFormatError naming the file and the problem.
 */
export function readTorchZip(input: Uint8Array | RandomAccess, opts: ReadTorchZipOptions = {}): PyValue {
  // From a RandomAccess (torch.load(path, { mmap: true })): the directory through 64 KiB pages, each storage
  // with its own read when the unpickler asks for it; nothing holds the whole file.
  const src = isRandomAccess(input) ? input : null;
  const bytes = src ? pagedBytes(src) : input as Uint8Array;
  const { name } = opts;
  const fail = (msg: string): never => {
    throw new CheckpointFormatError(`${fileLabel(name)}${msg}`, name);
  };
  if (!isZip(bytes)) {
    if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1] <= 5) {
      fail('this is a legacy (pre-1.6, non-zip) torch.save file or a bare pickle, which torchlet does not read; load it in Python and save it again with torch.save (PyTorch >= 1.6) or safetensors');
    }
    fail('not a torch.save zip checkpoint (it does not start with PK\\x03\\x04); torchlet reads PyTorch >= 1.6 .pt/.pth files and .safetensors');
  }
  const entries = listZipEntries(bytes, name, src !== null);
  if (entries.length === 0) fail('the zip is empty; not a torch.save checkpoint');
  const names = new Set(entries.map((e) => e.name));
  // torch takes the archive folder from the first entry; fall back to the folder holding data.pkl.
  const slash = entries[0].name.indexOf('/');
  let prefix = slash > 0 ? entries[0].name.slice(0, slash) : '';
  if (!names.has(`${prefix}/data.pkl`)) {
    const pkl = entries.find((e) => /^[^/]+\/data\.pkl$/.test(e.name));
    if (pkl) prefix = pkl.name.slice(0, pkl.name.indexOf('/'));
  }
  if (!prefix) fail(`first zip entry "${entries[0].name}" is not inside an archive folder; not a torch.save checkpoint`);
  const pklName = `${prefix}/data.pkl`;
  if (!names.has(pklName)) {
    if (names.has(`${prefix}/constants.pkl`)) fail('this is a TorchScript archive (torch.jit.save), not a torch.save checkpoint; save model.state_dict() with torch.save instead');
    fail(`zip has no "${pklName}"; not a torch.save checkpoint`);
  }
  const dataPrefix = `${prefix}/data/`;
  const recordNames = new Set(RECORDS.map((r) => `${prefix}/${r}`));
  const wanted = (n: string) => n === pklName || recordNames.has(n) || n.startsWith(dataPrefix);
  const files: { get(n: string): Uint8Array | undefined } = src
    ? zipEntryReader(src, entries.filter((e) => wanted(e.name)), { name, verifyCrc: opts.verifyCrc })
    : readZipEntries(bytes, wanted, { name, verifyCrc: opts.verifyCrc });
  const records = readRecords(files, prefix, [...names], fail);
  opts.onRecords?.(records);
  const bigEndian = records.byteorder === 'big';
  const storages = new Map<string, RawStorage>();
  const persistentLoad = (pid: PyValue): PyValue => {
    if (!isTuple(pid) || pid.items.length !== 5 || pid.items[0] !== 'storage') {
      return fail('persistent id is not (\'storage\', type, key, location, numel); only storages may be loaded by persistent id');
    }
    const [, type, key, location, numel] = pid.items;
    if (!isPyGlobal(type) || type.module !== 'torch') return fail('persistent id: storage type must be a torch.<X>Storage class');
    const dtype = dtypeFromStorageClass(type.name) ?? fail(`storage class torch.${type.name} is not supported`);
    if (typeof key !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(key)) return fail(`persistent id: bad storage key ${JSON.stringify(key)}`);
    if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) return fail(`storage "${key}": bad element count ${typeof numel === 'number' || typeof numel === 'bigint' ? String(numel) : `of type ${typeof numel}`}`);
    const cached = storages.get(key);
    if (cached) {
      if (cached.dtype !== dtype) fail(`storage "${key}" is used as both ${cached.dtype} and ${dtype}; torch does not support that either`);
      return cached;
    }
    const record = `${dataPrefix}${key}`;
    let data = files.get(record) ?? fail(`storage "${key}" (${dtype}, ${numel} elements) is referenced but "${record}" is missing; the file is truncated or corrupt`);
    const size = ITEM_SIZE[dtype];
    if (data.length !== numel * size) fail(`storage "${key}": ${dtype} x ${numel} elements needs ${numel * size} bytes but "${record}" holds ${data.length}; the file is corrupt`);
    if (bigEndian && size > 1) data = swapBytes(data, size);
    const s: RawStorage = { kind: 'storage', dtype, bytes: data, key, owned: src !== null || undefined };
    if (typeof location === 'string') s.location = location;
    storages.set(key, s);
    return s;
  };
  return unpickle(files.get(pklName) as Uint8Array, {
    name: `${name ?? 'checkpoint'} (${pklName})`,
    persistentLoad,
    preserveFloatType: opts.preserveFloatType,
  });
}

/**
 * Write values (state dicts, optimizer states, nested containers with RawTensor leaves) as a torch.save zip
 * checkpoint. Storages are written once per RawStorage object, so views that share a storage stay shared.
 */
export function writeTorchZip(value: PyValue, opts: WriteTorchZipOptions = {}): Uint8Array {
  const archive = opts.archiveName ?? 'archive';
  if (!/^[A-Za-z0-9_.-]+$/.test(archive)) throw new TypeError(`writeTorchZip: archiveName "${archive}" must be a plain folder name (letters, digits, _ . -)`);
  const keys = new Map<RawStorage, string>();
  const order: RawStorage[] = [];
  const storageId = (s: RawStorage): PyValue => {
    let key = keys.get(s);
    const size = ITEM_SIZE[s.dtype];
    if (size === undefined) throw new TypeError(`writeTorchZip: storage has unknown dtype ${String(s.dtype)}`);
    if (!(s.bytes instanceof Uint8Array) || s.bytes.length % size !== 0) {
      throw new RangeError(`writeTorchZip: ${s.dtype} storage holds ${s.bytes?.length} bytes, not a multiple of ${size}`);
    }
    if (key === undefined) {
      key = String(keys.size);
      keys.set(s, key);
      order.push(s);
    }
    return {
      kind: 'tuple',
      items: ['storage', { kind: 'global', module: 'torch', name: STORAGE_CLASS[s.dtype] }, key, 'cpu', s.bytes.length / size],
    };
  };
  const pkl = pickle(value, { storageId });
  const entries = [
    { name: `${archive}/data.pkl`, data: pkl },
    { name: `${archive}/byteorder`, data: utf8Encode('little') },
  ];
  // torch writes storages sorted by key as strings ('0', '1', '10', '2', ...).
  const sorted = order.map((s) => ({ s, key: keys.get(s) as string })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const { s, key } of sorted) entries.push({ name: `${archive}/data/${key}`, data: s.bytes });
  entries.push({ name: `${archive}/version`, data: utf8Encode('3\n') });
  return writeStoredZip(entries, 64);
}
