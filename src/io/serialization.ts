/**
 * @file torch.save / torch.load: state dicts, optimizer state dicts and training checkpoints, as
 * safetensors or torch.save zip files, picked from the extension on save and from the magic bytes on load.
 * In memory (`saveBytes`/`loadBytes`) everywhere; with file paths on Node (atomic write: a kill mid-save
 * leaves the previous file intact).
 */
import { SerializationError } from '../core/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { parseSafetensors, readTorchZip, writeSafetensors, writeTorchZip, type SafetensorsTensor } from './codecs/index.js';
import { detectFormat, formatFromPath, type CheckpointFormat } from './format.js';
import { bytesToHost, fromPy, TensorDecoder, TensorEncoder, toPy, viewBytes } from './tensor-bridge.js';
import { getBackend } from '../backend/backend.js';
import { ArgumentError, checkOptions, checkSpec, describeValue } from '../core/args.js';
import type { FileLayer } from './file-layer.js';
import { loadSharded, loadStreaming, parseShardSize, planShards, shardNames } from './big-files.js';

export interface SaveOptions { format?: 'safetensors' | 'pt'; metadata?: Record<string, string> }

function flatTensors(obj: unknown, what: string): [string, Tensor][] {
  const entries: [string, unknown][] = obj instanceof Map ? [...obj.entries()].map(([k, v]) => [String(k), v])
    : obj && typeof obj === 'object' && !(obj instanceof Tensor) ? Object.entries(obj) : [];
  if (entries.length === 0 && !(obj instanceof Map)) {
    throw new SerializationError(`${what}: safetensors holds a flat map of named tensors (a state dict); got ${obj instanceof Tensor ? 'a single Tensor' : typeof obj}. Save a Map<string, Tensor>, or use a .pt file for other objects.`);
  }
  for (const [k, v] of entries) {
    if (!(v instanceof Tensor)) {
      throw new SerializationError(`${what}: safetensors holds only tensors, but key '${k}' is ${v instanceof Map ? 'a Map' : typeof v}. Use a .pt file for training checkpoints (model, optimizer, epoch, ...).`);
    }
  }
  return entries as [string, Tensor][];
}

/** Serialize to bytes: 'safetensors' (flat map of tensors) or 'pt' (torch.save zip; any nesting). */
export function saveBytes(obj: unknown, opts: SaveOptions = {}): Uint8Array {
  opts = checkSpec('saveBytes', opts, { format: { oneOf: ['safetensors', 'pt'] }, metadata: 'any' });
  const format = opts.format ?? 'pt';
  if (format === 'safetensors') {
    const list = flatTensors(obj, 'save');
    const tensors = new Map<string, SafetensorsTensor>();
    for (const [k, t] of list) {
      tensors.set(k, { dtype: t.dtype, shape: [...t.shape], data: viewBytes(t, `save: tensor '${k}'`) });
    }
    return writeSafetensors(tensors, opts.metadata);
  }
  return writeTorchZip(toPy(obj, new TensorEncoder()));
}

/** Parse bytes written by saveBytes, torch.save (zip format) or a safetensors writer. */
export function loadBytes(bytes: Uint8Array, opts: { name?: string } = {}): unknown {
  opts = checkSpec('loadBytes', opts, { name: 'string' });
  const name = opts.name ?? '<bytes>';
  const format: CheckpointFormat = detectFormat(bytes, name);
  if (format === 'safetensors') {
    const f = parseSafetensors(bytes, { name });
    const out = new Map<string, Tensor>();
    for (const [k, t] of f.tensors) out.set(k, new Tensor(getBackend('cpu').fromArray(t.dtype, bytesToHost(t.dtype, t.data)), t.shape));
    return out;
  }
  if (format === 'torch-zip') return fromPy(readTorchZip(bytes, { name }), new TensorDecoder());
  if (format === 'torch-legacy') {
    throw new SerializationError(`${name}: this is a legacy (pre-1.6, non-zip) torch.save file; torchlet reads the zip format. Re-save it in PyTorch with torch.save(obj, path) (the default since 1.6).`);
  }
  throw new SerializationError(`${name}: not a checkpoint torchlet recognizes (neither a torch.save zip nor safetensors; first bytes ${[...bytes.slice(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ')})`);
}

// The file layer is Node-only; a computed specifier keeps bundlers from pulling node:fs into browser builds.
const FILE_MODULE = './file.js';
async function fileLayer(): Promise<FileLayer> {
  // Outside Node there is no file system: say so at once, without requesting ./file.js from the server.
  if (!(globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node) {
    throw new SerializationError('file paths need Node.js; in the browser use torch.saveBytes(obj) (then a Blob download) and torch.loadBytes(new Uint8Array(await file.arrayBuffer())) with the File API');
  }
  try {
    return await import(/* @vite-ignore */ FILE_MODULE) as FileLayer;
  } catch (e) {
    throw new SerializationError(`file paths need Node.js (${(e as Error).message}); in the browser use torch.saveBytes / torch.loadBytes`);
  }
}

export interface FileSaveOptions {
  metadata?: Record<string, string>;
  /**
   * .safetensors only: when the tensors exceed this size (bytes, or '5GB' / '500MiB'), write Hugging Face's
   * sharded layout: <stem>-00001-of-0000N.safetensors plus <path>.index.json (metadata.total_size, weight_map).
   */
  maxShardSize?: number | string;
}

/** torch.save(obj, path): the format comes from the extension (.safetensors, or .pt/.pth/.bin/.ckpt). */
export async function save(obj: unknown, path: string, opts: FileSaveOptions = {}): Promise<void> {
  const o = checkOptions<FileSaveOptions>('save', opts, ['metadata', 'maxShardSize']);
  if (typeof path !== 'string') throw new ArgumentError(`save: path must be a string (a file name ending in .safetensors or .pt), got ${describeValue(path)}`);
  const f = formatFromPath(path);
  if (f === 'unknown') throw new SerializationError(`save: cannot tell the format from '${path}': use a .safetensors or .pt/.pth/.bin/.ckpt extension`);
  const files = await fileLayer();
  const host = await toHost(obj);
  if (o.maxShardSize !== undefined) {
    if (f !== 'safetensors') throw new SerializationError(`save: maxShardSize writes Hugging Face's sharded safetensors layout; '${path}' is not a .safetensors path`);
    const list = flatTensors(host, 'save');
    const shards = planShards(list, parseShardSize(o.maxShardSize));
    if (shards.length > 1) {
      const { files: names, index } = shardNames(path, shards.length);
      const weightMap: Record<string, string> = {};
      shards.forEach((shard, i) => {
        files.atomicWrite(names[i], saveBytes(new Map(shard), { format: 'safetensors', metadata: { format: 'pt', ...o.metadata } }));
        for (const [k] of shard) weightMap[k] = names[i].slice(names[i].lastIndexOf('/') + 1);
      });
      const sorted = Object.fromEntries(Object.entries(weightMap).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      const totalSize = list.reduce((a, [, t]) => a + t.nbytes(), 0);
      files.atomicWrite(index, new TextEncoder().encode(JSON.stringify({ metadata: { total_size: totalSize }, weight_map: sorted }, null, 2) + '\n'));
      return;
    }
  }
  const bytes = saveBytes(host, { metadata: o.metadata, format: f === 'safetensors' ? 'safetensors' : 'pt' });
  files.atomicWrite(path, bytes);
}

/**
 * A copy of `obj` (Maps, arrays, plain objects) in which tensors on a device whose reads are asynchronous
 * (webgpu) are replaced by CPU tensors with the same shape, strides and offset; each storage is read once, so
 * views of one storage stay views in the file. Anything else is kept as it is (obj itself when nothing moved).
 */
async function toHost(obj: unknown, storages = new Map<unknown, Promise<Tensor>>()): Promise<unknown> {
  if (obj instanceof Tensor) {
    const be = getBackend(obj.device);
    if (be.capabilities.syncRead) return obj;
    let base = storages.get(obj.storage);
    if (!base) {
      const st = obj.storage;
      // an asynchronous device's read is a fresh host array (Backend.read): the CPU storage adopts it, no copy
      base = be.read(st).then((raw) => new Tensor(getBackend('cpu').fromArray(st.dtype, raw), [raw.length]));
      storages.set(st, base);
    }
    const host = (await base).storage;
    const t = new Tensor(host, obj.shape, obj.strides, obj.offset);
    return t;
  }
  if (obj instanceof Map) {
    const out = new Map();
    let moved = false;
    for (const [k, v] of obj) { const h = await toHost(v, storages); moved ||= h !== v; out.set(k, h); }
    return moved ? out : obj;
  }
  if (Array.isArray(obj)) {
    const out = await Promise.all(obj.map((v) => toHost(v, storages)));
    return out.some((h, i) => h !== obj[i]) ? out : obj;
  }
  if (obj !== null && typeof obj === 'object' && Object.getPrototypeOf(obj) === Object.prototype) {
    const out: Record<string, unknown> = {};
    let moved = false;
    for (const [k, v] of Object.entries(obj)) { const h = await toHost(v, storages); moved ||= h !== v; out[k] = h; }
    return moved ? out : obj;
  }
  return obj;
}

export interface LoadOptions {
  /**
   * Read the file piece by piece with positioned reads (PyTorch 2.1's flag): each tensor is read into its own
   * buffer and adopted, so the checkpoint is held once. Files over 2 GiB are always read this way.
   */
  mmap?: boolean;
}

/**
 * torch.load(path): a state dict as Map<string, Tensor>, or the nested object saved (dicts as Maps). A path
 * ending in `.index.json` loads a Hugging Face sharded checkpoint (the shards its weight_map names).
 */
export async function load(path: string, opts: LoadOptions = {}): Promise<unknown> {
  if (typeof path !== 'string') throw new ArgumentError(`load: path must be a string, got ${describeValue(path)}`);
  const o = checkOptions<LoadOptions>('load', opts, ['mmap']);
  const files = await fileLayer();
  if (path.endsWith('.index.json')) return loadSharded(files, path);
  const size = files.fileSize(path);
  if (o.mmap === true || (size !== null && size > 0x7fffffff)) return loadStreaming(files, path);
  const bytes = files.readFileBytes(path);
  return loadBytes(bytes, { name: path });
}
