/**
 * @file The shape of the Node-only file layer (file.ts), without importing it: the browser-safe io code and the
 * public type declarations name these types, so a consumer without Node's types (a browser bundle) type-checks.
 */
export interface FileRandomAccess { readonly length: number; read(offset: number, length: number): Uint8Array; close(): void }

export interface FileLayer {
  atomicWrite(path: string, bytes: Uint8Array): void;
  readFileBytes(path: string): Uint8Array;
  openRandomAccess(path: string): FileRandomAccess;
  fileSize(path: string): number | null;
  readTextFileSync(path: string, encoding: 'utf8'): string;
}
