/**
 * @file Thread settings for CPU kernels. The WebAssembly kernels read them; with none installed the CPU
 * runs on the calling thread.
 */
let threads = 1;
let hook: ((n: number) => void) | null = null;
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setNumThreads: expected a positive integer, got ${n}`);
  threads = n;
  hook?.(n);
}
export function getNumThreads(): number { return threads; }
/** internal: the kernel layer that honours the setting registers itself here. */
export function onNumThreads(fn: (n: number) => void): void { hook = fn; }
