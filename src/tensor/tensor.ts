/**
 * @file The Tensor: a strided view of a device storage, plus autograd state (requiresGrad, grad, gradFn).
 * Ops are attached as methods in ops/methods.ts (declaration merging), so this file knows no math.
 */
import type { Storage, View, DeviceType } from '../backend/backend.js';
import { getBackend, readViewSync } from '../backend/backend.js';
import { ITEM_SIZE, isFloating, type DType, type TypedArray, bfloat16BitsToFloat32, float16BitsToFloat32 } from '../core/dtype.js';
import { AutogradError, DeviceError, DTypeError } from '../core/errors.js';
import { contiguousStrides, fmt, isContiguous, numel } from '../core/shape.js';
import type { Node } from '../autograd/node.js';
import type { BackwardOptions } from '../autograd/engine.js';
import { formatTensor } from './format.js';

export type NestedArray = number | boolean | NestedArray[];

/** The backward engine (autograd/engine.ts), registered by the setup path: tensor/ imports nothing above it. */
type BackwardEngine = (t: Tensor, gradient: Tensor | BackwardOptions | undefined, opts: BackwardOptions) => void;
let engine: BackwardEngine | null = null;
/** internal: the setup path (src/setup.ts) hands Tensor.backward its engine. */
export function setBackwardEngine(fn: BackwardEngine): void { engine = fn; }

export class Tensor implements View {
  /** Set by ops that record a graph; null for leaves. */
  gradFn: Node | null = null;
  /** Accumulated gradient of a leaf (or of a non-leaf that called retainGrad()). */
  grad: Tensor | null = null;
  /** Hooks run on this leaf's gradient before accumulation. */
  gradHooks: ((g: Tensor) => Tensor | void)[] = [];
  #requiresGrad = false;
  /** The tensor this one is a view of (shares storage), as PyTorch's ._base. */
  base: Tensor | null = null;

  constructor(
    readonly storage: Storage,
    readonly shape: readonly number[],
    readonly strides: readonly number[] = contiguousStrides(shape),
    readonly offset = 0,
  ) {}

  get dtype(): DType { return this.storage.dtype; }
  get device(): DeviceType { return this.storage.device; }
  /** Times the storage was modified in place (shared by views); autograd checks it. */
  get version(): number { return this.storage.version; }
  get ndim(): number { return this.shape.length; }
  dim(): number { return this.shape.length; }
  numel(): number { return numel(this.shape); }
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number | number[] {
    if (dim === undefined) return [...this.shape];
    const d = dim < 0 ? dim + this.shape.length : dim;
    if (d < 0 || d >= this.shape.length) throw new DTypeError(`size(): dimension out of range (expected to be in range of [${-this.ndim}, ${this.ndim - 1}], but got ${dim})`);
    return this.shape[d];
  }
  stride(): number[] { return [...this.strides]; }
  storageOffset(): number { return this.offset; }
  isContiguous(): boolean { return isContiguous(this.shape, this.strides); }
  isFloatingPoint(): boolean { return isFloating(this.dtype); }
  elementSize(): number { return ITEM_SIZE[this.dtype]; }
  /** Bytes of this tensor's elements (not of the whole storage). */
  nbytes(): number { return this.numel() * this.elementSize(); }

  // ---- autograd ----
  get requiresGrad(): boolean { return this.#requiresGrad; }
  set requiresGrad(flag: boolean) { this.requiresGrad_(flag); }
  get isLeaf(): boolean { return this.gradFn === null; }

  /** Set requiresGrad in place (leaves only), returns this. */
  requiresGrad_(flag = true): this {
    if (typeof flag !== 'boolean') throw new DTypeError(`requiresGrad_: expected true or false, got ${flag === null ? 'null' : typeof flag}`);
    if (this.gradFn !== null && !flag) {
      throw new AutogradError(`requiresGrad_: you can only change requiresGrad flags of leaf variables. ` +
        `If you want to use a computed tensor in a subgraph that does not require differentiation, use detach().`);
    }
    if (flag && !isFloating(this.dtype)) {
      throw new AutogradError(`requiresGrad_: only tensors of floating point dtype can require gradients, got ${this.dtype}`);
    }
    this.#requiresGrad = flag;
    return this;
  }
  /** internal: ops mark their outputs. */
  setRequiresGradInternal(flag: boolean): void { this.#requiresGrad = flag; }

  /** Gradients of this tensor into the leaves' `.grad`: `backward()`, `backward(gradient)`, `backward({ retainGraph: true })`. */
  backward(gradient?: Tensor | BackwardOptions, opts: BackwardOptions = {}): void {
    if (!engine) throw new AutogradError('backward: the autograd engine is not installed; import torchlet from its entry point (or call its setup())');
    engine(this, gradient, opts);
  }

  /** Keep .grad on this non-leaf tensor after backward. */
  retainGrad(): this {
    if (!this.requiresGrad) throw new AutogradError("retainGrad: can't retain grad on a tensor that doesn't require grad");
    if (this.gradFn) this.gradFn.retained = this;
    return this;
  }

  /** Register a hook on the gradient of this tensor: hook(grad) may return a replacement. Returns a handle. */
  registerHook(hook: (grad: Tensor) => Tensor | void): { remove(): void } {
    if (!this.requiresGrad) throw new AutogradError("registerHook: cannot register a hook on a tensor that doesn't require gradient");
    const list = this.gradFn ? this.gradFn.hooks : this.gradHooks;
    list.push(hook);
    return { remove: () => { const i = list.indexOf(hook); if (i >= 0) list.splice(i, 1); } };
  }

  /**
   * internal (nn.Module.to / loadStateDict({assign})): make this tensor view `other`'s storage and geometry,
   * keeping this object's identity (PyTorch's `param.data = other`). Autograd state (requiresGrad, grad) stays.
   */
  setData_(other: Tensor): this {
    const self = this as unknown as { storage: Storage; shape: readonly number[]; strides: readonly number[]; offset: number };
    self.storage = other.storage; self.shape = [...other.shape]; self.strides = [...other.strides]; self.offset = other.offset;
    this.base = other.base;
    return this;
  }

  /** Mark an in-place write: bumps the version counter that autograd checks. */
  bumpVersion(): void { this.storage.version++; }

  // ---- reading values ----
  /** Elements in row-major order as a fresh host array (CPU only: synchronous). */
  dataSync(): TypedArray {
    const raw = readViewSync(this);
    if (raw === undefined) {
      throw new DeviceError(`dataSync(): tensor is on ${this.device}, whose reads are asynchronous; use \`await t.data()\` instead`);
    }
    return raw;
  }

  /** Elements in row-major order, on every device. */
  async data(): Promise<TypedArray> {
    const be = getBackend(this.device);
    const tmp = be.contiguous(this, this.dtype);
    try { return await be.read(tmp); } finally { tmp.dispose?.(); } // GPU: free the staging copy now
  }

  /** Elements as JS numbers (16-bit floats decoded). */
  #numbers(raw: TypedArray): number[] {
    if (this.dtype === 'float16') return Array.from(raw, float16BitsToFloat32);
    if (this.dtype === 'bfloat16') return Array.from(raw, bfloat16BitsToFloat32);
    if (this.dtype === 'bool') return Array.from(raw, (v) => v);
    return Array.from(raw);
  }

  #nest(flat: number[]): NestedArray {
    const toVal = (v: number): number | boolean => (this.dtype === 'bool' ? v !== 0 : v);
    if (this.shape.length === 0) return toVal(flat[0]);
    let k = 0;
    const build = (d: number): NestedArray[] => {
      const out: NestedArray[] = [];
      for (let i = 0; i < this.shape[d]; i++) out.push(d === this.shape.length - 1 ? toVal(flat[k++]) : build(d + 1));
      return out;
    };
    return build(0);
  }

  /**
   * The value of a one-element tensor: a number, or a boolean for a bool tensor (as PyTorch's `True`).
   * Typed `number` by default; write `t.item<boolean>()` for a bool tensor.
   */
  item<T extends number | boolean = number>(): T {
    if (this.numel() !== 1) throw new DTypeError(`item(): a Tensor with ${this.numel()} elements (shape ${fmt(this.shape)}) cannot be converted to a number`);
    const v = this.#numbers(this.dataSync())[0];
    return (this.dtype === 'bool' ? v !== 0 : v) as T;
  }
  async itemAsync<T extends number | boolean = number>(): Promise<T> {
    if (this.numel() !== 1) throw new DTypeError(`item(): a Tensor with ${this.numel()} elements (shape ${fmt(this.shape)}) cannot be converted to a number`);
    const v = this.#numbers(await this.data())[0];
    return (this.dtype === 'bool' ? v !== 0 : v) as T;
  }
  tolist(): NestedArray { return this.#nest(this.#numbers(this.dataSync())); }
  async tolistAsync(): Promise<NestedArray> { return this.#nest(this.#numbers(await this.data())); }

  toString(): string {
    if (this.device === 'meta') {
      const size = this.ndim === 1 ? `(${this.shape[0]},)` : `(${this.shape.join(', ')})`;
      return `tensor(..., device='meta', size=${size}${this.dtype === 'float32' ? '' : `, dtype=torch.${this.dtype}`}` +
        `${this.gradFn ? `, grad_fn=${this.gradFn.toString()}` : this.requiresGrad ? ', requires_grad=True' : ''})`;
    }
    const raw = readViewSync(this);
    if (raw === undefined) return `tensor(<${this.numel()} elements on ${this.device}; read with await t.data()>, shape=${fmt(this.shape)}, dtype=torch.${this.dtype})`;
    return formatTensor(this.#numbers(raw), this.shape, this.dtype, {
      device: this.device, requiresGrad: this.requiresGrad, gradFn: this.gradFn ? this.gradFn.toString() : null,
    });
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string { return this.toString(); }

  /** Free device memory now (GPU). On the CPU memory is garbage-collected and this only drops the reference. */
  dispose(): void { this.storage.dispose?.(); }
  [Symbol.dispose](): void { this.dispose(); }
}
