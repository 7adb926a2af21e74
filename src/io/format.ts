/**
 * @file Which checkpoint format a file holds: by magic bytes first, then by extension. Browser-safe.
 */
export type CheckpointFormat = 'torch-zip' | 'safetensors' | 'torch-legacy' | 'unknown';

export function formatFromPath(path: string): CheckpointFormat {
  const m = /\.([A-Za-z0-9]+)$/.exec(path);
  const ext = m ? m[1].toLowerCase() : '';
  if (ext === 'safetensors') return 'safetensors';
  if (ext === 'pt' || ext === 'pth' || ext === 'bin' || ext === 'ckpt') return 'torch-zip';
  return 'unknown';
}

/**
 * 'PK\x03\x04' -> torch zip; an 8-byte little-endian header length followed by '{' -> safetensors;
 * a pickle protocol header -> legacy torch.save (named, not supported); else the extension decides.
 */
export function detectFormat(bytes: Uint8Array, path = ''): CheckpointFormat {
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) return 'torch-zip';
  if (bytes.length >= 9 && bytes[8] === 0x7b) {
    const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
    if (n > 0n && n <= BigInt(bytes.length - 8)) return 'safetensors';
  }
  if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1] >= 2 && bytes[1] <= 5) return 'torch-legacy';
  return formatFromPath(path);
}
