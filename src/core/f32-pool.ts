/**
 * @file Where float32 storage arrays come from (`allocFloat32`, the one allocator behind `arrayFor('float32')`):
 * small arrays are views into shared slabs (below), large ones are recycled in browsers, and large arrays the autograd
 * engine proves dead are reused (Dead gradient buffers, below allocFloat32's registry). Imports nothing.
 *
 * ## Slabs (small arrays, every runtime)
 * Why: every `new Float32Array(n)` above V8's on-heap limit (64 bytes) is one malloc of its own plus one
 * ArrayBuffer for the collector to track and sweep; measured in Node 20 on this project's 2-vCPU VM, 3-7 µs for
 * 1,000 floats under load (glibc's lock, contended by V8's background sweeper freeing earlier buffers), most
 * of a 1,000-element add. Sub-allocating views of one ArrayBuffer costs under 1 µs (same-process A/B of a
 * 1,000-element add, slabs on/off: 1.15-1.35x less CPU time, 1.4-1.6x less wall time, on the loaded VM).
 * How: an array of SLAB_MIN_FLOATS to SLAB_MAX_FLOATS floats (68 B to 8 KiB) goes to the size class of its
 * byte length rounded up to a power of two (128 B ... 8 KiB); each class bump-allocates 16-byte-aligned views
 * from its current slab of SLAB_ARRAYS times the class size (1 KiB ... 64 KiB) and starts a fresh slab when
 * the next array does not fit. Slots are never reused: a fresh ArrayBuffer is zero-filled, so every array is
 * zeros as `new Float32Array(n)` gives, and no free list or finalizer is needed; the garbage collector frees a
 * slab once no view of it is reachable.
 * Retention bound: a live array keeps its whole slab alive. An array of b bytes in class 2^c (b > 2^(c-1))
 * pins at most SLAB_ARRAYS * 2^c < 2 * SLAB_ARRAYS * b = 16 b bytes; that is the worst case (one small
 * tensor kept from each slab), typically it is about 8 b, and only arrays of at most 8 KiB are concerned, so
 * a program's large tensors are never pinned by small ones nor pin them.
 * Arrays that leave the library (the CPU backend's readSync/read: dataSync, data, item, tolist, save) go through
 * `keepFloat32`, which hands out a copy with a buffer of its own for a slab view, so user code that wraps
 * `.buffer` sees only its own elements. Library code that wraps a storage array's `.buffer` must pass
 * `byteOffset` and `byteLength` (backend/cpu/f32.ts, io/tensor-bridge.ts and the WebGPU upload do).
 *
 * ## Recycling (large arrays, browsers)
 *
 * Why: Chromium's ArrayBuffer allocator hands out memory the OS has not yet mapped for every buffer of 16 KiB or
 * more (it releases freed buffers' pages), so the first write into each fresh result array takes a page fault
 * per 4 KiB. Measured in headless Chromium 156 on this project's 2-vCPU VM: an MLP step (784-512-512-10, batch
 * 128) took 1,890 minor faults per step against 5 in Node (glibc reuses freed memory), about 12 µs each there,
 * i.e. most of the Chromium/Node gap (see /bench, suite `browser`).
 *
 * How: an array of at least MIN_FLOATS floats is registered with a FinalizationRegistry whose held value is its
 * ArrayBuffer; when the array object is collected, the buffer goes to a free list of its byte length (at most
 * CAP_BYTES held in all), and the next allocation of that length takes it (zero-filled, so callers see what
 * `new Float32Array(n)` gives). Finalization callbacks run as tasks between jobs: in a synchronous loop of many
 * steps nothing is recycled until the loop returns (the allocation is then exactly as without the pool); a loop
 * that yields between steps (await, setTimeout, requestAnimationFrame, one message per step) reuses the
 * previous steps' buffers.
 *
 * Safety: the buffer is reused only once the one array object created for it is unreachable. An array that
 * leaves the library (a read such as dataSync() or data(), where user code may keep a view of its `.buffer`)
 * is marked with keepFloat32() and never recycled. Library code never keeps another view of a pooled buffer
 * past the array it came from (kernels' subarrays are transient).
 */

/** Smallest array taken from a slab (68 bytes: V8 keeps arrays of up to 64 bytes on the JS heap, cheaply). */
export const SLAB_MIN_FLOATS = 17;
/** Largest array taken from a slab (8 KiB; below MIN_FLOATS, so slab and recycled arrays never mix). */
export const SLAB_MAX_FLOATS = 2048;
/** Arrays of the largest size of a class per slab: a slab is this many times its class size (at most 64 KiB). */
export const SLAB_ARRAYS = 8;

let slabsOn = true;
/** Per size class (index: log2 of the class bytes): the current slab and the next free byte in it. */
const slabs: (ArrayBuffer | null)[] = new Array<ArrayBuffer | null>(14).fill(null);
const slabUsed: number[] = new Array<number>(14).fill(0);
const slabStats = { slabs: 0, arrays: 0 };

function slabFloat32(n: number): Float32Array {
  const bytes = n * 4;
  const c = 32 - Math.clz32(bytes - 1); // class 2^c >= bytes
  const need = (bytes + 15) & ~15;
  let slab = slabs[c], at = slabUsed[c];
  if (slab === null || at + need > slab.byteLength) {
    slabs[c] = slab = new ArrayBuffer(SLAB_ARRAYS << c);
    at = 0;
    slabStats.slabs++;
  }
  slabUsed[c] = at + need;
  slabStats.arrays++;
  return new Float32Array(slab, at, n);
}

/** Turn slab allocation of small arrays on or off (tests and A/B measurements); returns the previous setting. */
export function setFloat32Slabs(on: boolean): boolean {
  const was = slabsOn;
  slabsOn = on;
  slabs.fill(null); slabUsed.fill(0);
  return was;
}

/** Whether small arrays come from slabs, and how many slabs and arrays were made so far. */
export function float32Slabs(): { enabled: boolean; slabs: number; arrays: number } {
  return { enabled: slabsOn, ...slabStats };
}

/** Smallest array recycled (16 KiB: below this Chromium's allocator reuses memory on its own). */
export const MIN_FLOATS = 4096;
/**
 * Most bytes held in the free lists; buffers beyond it are left to the garbage collector. It bounds what one
 * task's garbage can hand to the next: an MLP step of 784-512-512-10 at batch 128 frees about 7 MB.
 */
export const CAP_BYTES = 128 * 1024 * 1024;
/** The free lists are emptied when no allocation has taken from them for this long (a program that stopped). */
export const IDLE_MS = 5000;

let enabled = false;
let held = 0;
const free = new Map<number, FreeList>();
const stats = { recycled: 0, fresh: 0, returned: 0, dropped: 0 };

/** One free list per byte length, with the tick of its last use (the stalest list is emptied first when full). */
interface FreeList { bufs: ArrayBuffer[]; used: number }
let tick = 0;
let lastTake = 0;
let trimTimer: ReturnType<typeof setTimeout> | null = null;
let idleMs = IDLE_MS;

function now(): number { return typeof performance === 'object' ? performance.now() : Date.now(); }

/** While buffers are held, check every idleMs whether any was taken since; if none, let them all go. */
function scheduleTrim(): void {
  if (trimTimer !== null || typeof setTimeout !== 'function') return;
  const t = setTimeout(() => {
    trimTimer = null;
    if (held === 0) return;
    if (now() - lastTake >= idleMs) { stats.dropped += [...free.values()].reduce((a, l) => a + l.bufs.length, 0); free.clear(); held = 0; }
    else scheduleTrim();
  }, idleMs);
  (t as { unref?: () => void }).unref?.(); // never keeps a Node process alive
  trimTimer = t;
}

function take(bytes: number): ArrayBuffer | undefined {
  const list = free.get(bytes);
  if (list === undefined || list.bufs.length === 0) return undefined;
  list.used = ++tick;
  lastTake = now();
  const buf = list.bufs.pop()!;
  held -= bytes;
  return buf;
}

function give(buf: ArrayBuffer): void {
  const bytes = buf.byteLength;
  if (!enabled || bytes > CAP_BYTES) { stats.dropped++; return; }
  // Make room by emptying the lists unused for longest (sizes a finished phase of the program allocated).
  while (held + bytes > CAP_BYTES) {
    let stalest: FreeList | undefined;
    for (const l of free.values()) if (l.bufs.length > 0 && (stalest === undefined || l.used < stalest.used)) stalest = l;
    if (stalest === undefined) break;
    const b = stalest.bufs.pop()!;
    held -= b.byteLength;
    stats.dropped++;
  }
  let list = free.get(bytes);
  if (list === undefined) free.set(bytes, list = { bufs: [], used: 0 });
  list.used = ++tick;
  list.bufs.push(buf);
  held += bytes;
  stats.returned++;
  scheduleTrim();
}

const registry: FinalizationRegistry<ArrayBuffer> | null = typeof FinalizationRegistry === 'function'
  ? new FinalizationRegistry<ArrayBuffer>(give)
  : null;

/**
 * ## Dead gradient buffers (every runtime)
 * Why: a fresh large ArrayBuffer costs a malloc, zero-filled pages (often freshly mapped: a fault per 4 KiB, paid
 * by the first kernel that writes it) and external-memory pressure that makes V8 collect more often; a Transformer
 * LM step (bench/steps.ts) allocates about 30 MB of float32 results per step, a third of it gradients that die
 * inside the backward pass, and JavaScript says when an array dies only asynchronously (see Recycling above).
 * How: the autograd engine proves some arrays dead (autograd/engine.ts, Steals: a gradient storage made during a
 * pass that runs no user code, whose count of the references the engine holds drops to 0) and hands them back with
 * `reuseFloat32`; `allocFloat32` of exactly that length takes one, zero-filled (the same contents as a fresh array),
 * in that pass (a later gradient) or after it (the next step's forward results). At most DEAD_CAP_BYTES are held
 * (an array that would pass the cap empties the lists first, so lengths no longer allocated do not stay), and the
 * lists are emptied when nothing was taken from them for IDLE_MS (a program that stopped training).
 */
/** Most bytes of dead arrays held for reuse (beyond it they are left to the garbage collector). */
export const DEAD_CAP_BYTES = 64 * 1024 * 1024;
let reuseOn = true;
const dead = new Map<number, Float32Array[]>();
let deadHeld = 0, deadTake = 0;
let deadTimer: ReturnType<typeof setTimeout> | null = null;
const deadStats = { handed: 0, reused: 0 };

function scheduleDeadTrim(): void {
  if (deadTimer !== null || typeof setTimeout !== 'function') return;
  const t = setTimeout(() => {
    deadTimer = null;
    if (deadHeld === 0) return;
    if (now() - deadTake >= idleMs) { dead.clear(); deadHeld = 0; } else scheduleDeadTrim();
  }, idleMs);
  (t as { unref?: () => void }).unref?.(); // never keeps a Node process alive
  deadTimer = t;
}

/**
 * Hand back an array nothing can reach any more (the caller's proof): only arrays of at least MIN_FLOATS floats
 * that own their whole (non-shared) buffer; false when not taken.
 */
export function reuseFloat32(a: Float32Array): boolean {
  const bytes = a.byteLength;
  if (!reuseOn || a.length < MIN_FLOATS || a.byteOffset !== 0 || bytes !== a.buffer.byteLength ||
    !(a.buffer instanceof ArrayBuffer) || bytes > DEAD_CAP_BYTES) return false;
  if (deadHeld + bytes > DEAD_CAP_BYTES) { dead.clear(); deadHeld = 0; } // sizes no longer allocated go
  let list = dead.get(a.length);
  if (list === undefined) dead.set(a.length, list = []);
  list.push(a);
  deadHeld += bytes;
  deadStats.handed++;
  if (deadTimer === null) deadTake = now();
  scheduleDeadTrim();
  return true;
}

/** Turn the reuse of dead arrays on or off (off empties the lists; tests and A/B runs); returns the previous setting. */
export function setFloat32Reuse(on: boolean): boolean {
  const was = reuseOn;
  reuseOn = on;
  if (!on) { dead.clear(); deadHeld = 0; }
  return was;
}

/** Whether dead arrays are reused, the bytes held, and counts since start: arrays handed back, arrays served. */
export function float32Reuse(): { enabled: boolean; heldBytes: number; handed: number; reused: number } {
  return { enabled: reuseOn, heldBytes: deadHeld, ...deadStats };
}

/** A zero-filled Float32Array of n elements, from a recycled buffer when one of that size is free. */
export function allocFloat32(n: number): Float32Array {
  if (n < MIN_FLOATS) return slabsOn && n >= SLAB_MIN_FLOATS && n <= SLAB_MAX_FLOATS ? slabFloat32(n) : new Float32Array(n);
  if (deadHeld > 0) {
    const a = dead.get(n)?.pop();
    if (a !== undefined) { deadHeld -= n * 4; deadTake = now(); a.fill(0); deadStats.reused++; return a; }
  }
  if (!enabled || registry === null) return new Float32Array(n);
  const buf = take(n * 4);
  let a: Float32Array;
  if (buf !== undefined) {
    a = new Float32Array(buf);
    a.fill(0);
    stats.recycled++;
  } else {
    a = new Float32Array(n);
    stats.fresh++;
  }
  registry.register(a, a.buffer as ArrayBuffer, a);
  return a;
}

/**
 * The array leaves the library (user code may keep views of its buffer): never recycle its buffer, and give a
 * copy of a view into a shared buffer (a slab's) so that its `.buffer` holds its own elements only.
 */
export function keepFloat32<T>(a: T): T {
  if (!(a instanceof Float32Array)) return a;
  if (a.byteLength !== a.buffer.byteLength) return a.slice() as T;
  if (registry !== null && a.length >= MIN_FLOATS) registry.unregister(a);
  return a;
}

/** Turn recycling on or off (off empties the free lists); `idle` sets the idle time (tests). */
export function setFloat32Recycling(on: boolean, idle = IDLE_MS): void {
  enabled = on;
  idleMs = idle;
  if (trimTimer !== null) { clearTimeout(trimTimer); trimTimer = null; }
  if (!on) { free.clear(); held = 0; } else if (held > 0) scheduleTrim();
}

/** Whether recycling is on, the bytes held in the free lists, and counts since start. */
export function float32Recycling(): { enabled: boolean; heldBytes: number; recycled: number; fresh: number; returned: number; dropped: number } {
  return { enabled, heldBytes: held, ...stats };
}
