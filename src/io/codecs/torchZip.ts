/**
 * @file PyTorch's zip checkpoint format (torch.save since 1.6): `<archive>/data.pkl` (a protocol-2 pickle whose
 * tensors reference storages by persistent id), `<archive>/data/<key>` (raw little-endian storage bytes),
 * `<archive>/byteorder` ('little') and `<archive>/version` ('3\n'). Reading rebuilds tensors as RawTensor
 * (views of one storage share one RawStorage); writing produces what torch 1.13 and 2.x load with
 * `torch.load(path, weights_only=True)`. Imports only src/core/dtype.ts and fflate (through zipArchive.ts).
 */
import { ITEM_SIZE } from '../../core/dtype.js';
import { dtypeFromStorageClass, STORAGE_CLASS } from './dtypeNames.js';
import { CheckpointFormatError, fileLabel } from './errors.js';
import { utf8Decode, utf8Encode } from './bytes.js';
import { pickle } from './pickler.js';
import { unpickle } from './unpickler.js';
import { listZipEntries, readZipEntries, writeStoredZip } from './zipArchive.js';
import { isPyGlobal, isTuple, type PyValue, type RawStorage } from './types.js';

export interface ReadTorchZipOptions {
  /** File name for error messages. */
  name?: string;
  /** Keep integral Python floats as PyFloat (see UnpickleOptions). */
  preserveFloatType?: boolean;
  /** Verify the CRC-32 of every entry (default true). */
  verifyCrc?: boolean;
}

export interface WriteTorchZipOptions {
  /** The top folder inside the zip; torch.save uses the file's stem, torch reads any name. Default 'archive'. */
  archiveName?: string;
}

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];

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
export function readTorchZip(bytes: Uint8Array, opts: ReadTorchZipOptions = {}): PyValue {
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
  const entries = listZipEntries(bytes, name);
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
  const files = readZipEntries(bytes, (n) => n === pklName || n === `${prefix}/byteorder` || n.startsWith(dataPrefix), { name, verifyCrc: opts.verifyCrc });
  let bigEndian = false;
  const bo = files.get(`${prefix}/byteorder`);
  if (bo) {
    const order = utf8Decode(bo).trim();
    if (order === 'big') bigEndian = true;
    else if (order !== 'little') fail(`unknown byteorder "${order.slice(0, 20)}" in ${prefix}/byteorder`);
  }
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
    const s: RawStorage = { kind: 'storage', dtype, bytes: data, key };
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
