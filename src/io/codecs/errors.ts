/**
 * @file The error thrown by every codec for malformed, unsafe or unsupported checkpoint bytes.
 * Messages name the file, the key/entry, what is wrong and what to do. Imports nothing.
 */

export class CheckpointFormatError extends Error {
  /** The file name given by the caller (`name` option), if any. */
  readonly file?: string;
  constructor(message: string, file?: string) {
    super(message);
    this.name = 'CheckpointFormatError';
    this.file = file;
  }
}

/** 'model.pt: ' or '' — the prefix every message starts with. */
export function fileLabel(name: string | undefined): string {
  return name ? `${name}: ` : '';
}
