/**
 * @file Checkpoint files on disk (Node only): crash-safe atomic writes and format detection.
 * Imports node:fs, node:path, node:crypto.
 */
import { closeSync, fstatSync, fsyncSync, openSync, readFileSync, readSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * Write bytes to `path` so that a crash at any moment leaves either the old file or the new complete one:
 * write a temporary file in the same folder, fsync it, rename it over the target, fsync the folder.
 */
export function atomicWrite(path: string, bytes: Uint8Array): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd = openSync(tmp, 'wx', 0o644);
  try {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, Math.min(bytes.length - off, 1 << 30));
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    try { unlinkSync(tmp); } catch { /* already gone */ }
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* already gone */ }
    throw e;
  }
  // Persist the rename itself. Some platforms (Windows) cannot open folders; the rename is still atomic there.
  try {
    fd = openSync(dir, 'r');
    try { fsyncSync(fd); } finally { closeSync(fd); }
  } catch { /* folder fsync unsupported */ }
}

// Format detection is browser-safe and lives in format.ts; re-exported for Node callers.
export { detectFormat, type CheckpointFormat } from './format.js';

/** Read a whole checkpoint file, with an error that names the path and what to do. */
export function readFileBytes(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new Error(`load: cannot read '${path}': ${why}`);
  }
}

/** A file read with positioned reads (no size limit; nothing is held but what each read returns). */
import type { FileLayer, FileRandomAccess } from './file-layer.js';
export type { FileRandomAccess };

/** Open `path` for positioned reads (torch.load with mmap, big and sharded checkpoints). */
export function openRandomAccess(path: string): FileRandomAccess {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new Error(`load: cannot read '${path}': ${why}`);
  }
  const length = fstatSync(fd).size;
  return {
    length,
    read(offset: number, n: number): Uint8Array {
      if (offset < 0 || n < 0 || offset + n > length) throw new RangeError(`read: bytes [${offset}, ${offset + n}) lie outside '${path}' (${length} bytes)`);
      const out = new Uint8Array(n);
      let done = 0;
      while (done < n) {
        const got = readSync(fd, out, done, Math.min(n - done, 1 << 30), offset + done);
        if (got === 0) throw new Error(`load: '${path}' ended at byte ${offset + done} while ${n - done} more bytes were expected (was it truncated while reading?)`);
        done += got;
      }
      return out;
    },
    close: () => closeSync(fd),
  };
}

/** Whether `path` exists (for shard checks). */
export function fileSize(path: string): number | null {
  try { return statSync(path).size; } catch { return null; }
}

export { readFileSync as readTextFileSync };

// The file layer satisfies the interface the browser-safe code is written against.
const _check: FileLayer = { atomicWrite, readFileBytes, openRandomAccess, fileSize, readTextFileSync: readFileSync };
void _check;
