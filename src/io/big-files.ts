/**
 * @file Checkpoints read piece by piece and sharded checkpoints (Node): `torch.load(path, { mmap: true })` (and any
 * file over 2 GiB) reads a safetensors file tensor by tensor and a torch.save zip storage by storage with
 * positioned reads, each tensor adopting the buffer it was read into (no second copy), so a checkpoint is held
 * once and zip64 offsets beyond 4 GiB work. Hugging Face's sharded layout: `*.safetensors.index.json` loads the
 * shards its weight_map names; `torch.save(sd, 'dir/model.safetensors', { maxShardSize })` writes
 * model-00001-of-0000N.safetensors plus model.safetensors.index.json when the tensors exceed the limit.
 */
import { SerializationError } from '../core/errors.js';
import { checkOptions, checkString } from '../core/args.js';
import { Tensor } from '../tensor/tensor.js';
import { getBackend } from '../backend/backend.js';
import { parseSafetensorsHeader, readTorchZip, safetensorsHeaderLength } from './codecs/index.js';
import { detectFormat } from './format.js';
import { bytesToHost, fromPy, TensorDecoder } from './tensor-bridge.js';
import type { FileLayer, FileRandomAccess } from './file-layer.js';


/** Load a checkpoint from a file with positioned reads (never the whole file in one buffer). */
export function loadStreaming(files: FileLayer, path: string): unknown {
  const f = files.openRandomAccess(path);
  try {
    const head = f.read(0, Math.min(16, f.length));
    const format = detectFormat(head, path);
    if (format === 'safetensors') return readSafetensorsStreaming(f, path);
    if (format === 'torch-zip') return fromPy(readTorchZip(f, { name: path }), new TensorDecoder());
    throw new SerializationError(`${path}: torch.load with mmap reads safetensors and torch.save zip files; this file is ${format === 'torch-legacy' ? 'a legacy (pre-1.6) torch.save file' : 'neither'}`);
  } finally { f.close(); }
}

function readSafetensorsStreaming(f: FileRandomAccess, name: string): Map<string, Tensor> {
  const n = safetensorsHeaderLength(f.read(0, 8), f.length, { name });
  const { entries, dataStart } = parseSafetensorsHeader(f.read(0, 8 + n), f.length, { name });
  const out = new Map<string, Tensor>();
  for (const e of entries) {
    const bytes = f.read(dataStart + e.begin, e.end - e.begin);
    out.set(e.key, new Tensor(getBackend('cpu').fromArray(e.dtype, bytesToHost(e.dtype, bytes, true)), e.shape));
  }
  return out;
}

/** Load a Hugging Face sharded checkpoint from its index (`model.safetensors.index.json`). */
export function loadSharded(files: FileLayer, indexPath: string): Map<string, Tensor> {
  let index: { weight_map?: Record<string, string> };
  try {
    index = JSON.parse(files.readTextFileSync(indexPath, 'utf8')) as typeof index;
  } catch (e) {
    throw new SerializationError(`load: cannot read the shard index '${indexPath}': ${(e as Error).message}`);
  }
  const map = index.weight_map;
  if (!map || typeof map !== 'object') throw new SerializationError(`load: '${indexPath}' has no weight_map; a Hugging Face index looks like { "metadata": {...}, "weight_map": { "<key>": "model-00001-of-00002.safetensors" } }`);
  const dir = indexPath.slice(0, indexPath.lastIndexOf('/') + 1);
  const shards = new Map<string, Map<string, Tensor>>();
  for (const file of new Set(Object.values(map))) {
    if (typeof file !== 'string' || file.includes('/') || file.includes('\\')) throw new SerializationError(`load: '${indexPath}' names shard ${JSON.stringify(file)}; shards must be plain file names beside the index`);
    if (files.fileSize(dir + file) === null) throw new SerializationError(`load: shard '${dir + file}' named by '${indexPath}' is missing`);
    shards.set(file, loadStreaming(files, dir + file) as Map<string, Tensor>);
  }
  const out = new Map<string, Tensor>();
  for (const [key, file] of Object.entries(map)) {
    const t = shards.get(file)!.get(key);
    if (!t) throw new SerializationError(`load: '${indexPath}' puts '${key}' in '${file}', which does not hold it`);
    out.set(key, t);
  }
  return out;
}

/** Bytes from a number or a Hugging Face size string ('5GB' = 5e9, '500MiB' = 500 * 2^20). */
export function parseShardSize(v: unknown): number {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) return v;
  const m = typeof v === 'string' ? /^\s*([0-9.]+)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$/i.exec(v) : null;
  if (!m) throw new SerializationError(`save: maxShardSize must be a positive integer number of bytes or a size like '5GB' or '500MiB', got ${JSON.stringify(v)}`);
  const units: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };
  return Math.floor(Number(m[1]) * units[m[2].toLowerCase()]);
}

/**
 * Split named tensors into shards as huggingface_hub's split_state_dict_into_shards does: in order, a new shard
 * when the next tensor would pass the limit; a tensor larger than the limit goes alone into a shard of its own,
 * listed when it is met (the current shard continues).
 */
export function planShards(entries: [string, Tensor][], maxBytes: number): [string, Tensor][][] {
  const shards: [string, Tensor][][] = [];
  let cur: [string, Tensor][] = [], size = 0;
  for (const e of entries) {
    const b = e[1].nbytes();
    if (b > maxBytes) { shards.push([e]); continue; }
    if (cur.length && size + b > maxBytes) { shards.push(cur); cur = []; size = 0; }
    cur.push(e); size += b;
  }
  if (cur.length) shards.push(cur);
  return shards;
}

/** Shard file names for `dir/model.safetensors`: dir/model-00001-of-00003.safetensors, and the index path. */
export function shardNames(path: string, count: number): { files: string[]; index: string } {
  const stem = path.replace(/\.safetensors$/, '');
  const pad = (i: number) => String(i).padStart(5, '0');
  return { files: Array.from({ length: count }, (_, i) => `${stem}-${pad(i + 1)}-of-${pad(count)}.safetensors`), index: `${path}.index.json` };
}

/**
 * torch.loadBlob(blob): a checkpoint from a Blob / File (browsers: `<input type=file>`, drag and drop; Node 20's
 * Blob too). Safetensors files are read tensor by tensor with `blob.slice(...)` (any size; each tensor adopts its
 * buffer); a torch.save zip is read whole, so it must be under 2 GiB here (use safetensors for larger ones).
 */
export async function loadBlob(blob: Blob, opts: { name?: string } = {}): Promise<unknown> {
  if (typeof Blob === 'undefined' || !(blob instanceof Blob)) throw new SerializationError(`loadBlob: expected a Blob or File, got ${blob === null ? 'null' : typeof blob}`);
  const o = checkOptions<{ name: string }>('loadBlob', opts, ['name']);
  const name = (o.name !== undefined ? checkString('loadBlob', 'name', o.name) : undefined) ?? ((blob as { name?: string }).name || '<blob>');
  const read = async (a: number, b: number) => new Uint8Array(await blob.slice(a, b).arrayBuffer());
  const head = await read(0, Math.min(16, blob.size));
  const format = detectFormat(head, name);
  if (format === 'safetensors') {
    const n = safetensorsHeaderLength(head.subarray(0, 8), blob.size, { name });
    const { entries, dataStart } = parseSafetensorsHeader(await read(0, 8 + n), blob.size, { name });
    const out = new Map<string, Tensor>();
    for (const e of entries) {
      const bytes = await read(dataStart + e.begin, dataStart + e.end);
      out.set(e.key, new Tensor(getBackend('cpu').fromArray(e.dtype, bytesToHost(e.dtype, bytes, true)), e.shape));
    }
    return out;
  }
  if (blob.size > 0x7fffffff) throw new SerializationError(`loadBlob: ${name} is a ${blob.size}-byte torch.save file; from a Blob only safetensors files may exceed 2 GiB (convert it: torchlet convert in.pt out.safetensors)`);
  const { loadBytes } = await import('./serialization.js');
  return loadBytes(new Uint8Array(await blob.arrayBuffer()), { name });
}
