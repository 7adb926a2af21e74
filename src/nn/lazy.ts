/**
 * @file Lazy modules (PyTorch's LazyModuleMixin): LazyLinear, LazyConv1d/2d, LazyBatchNorm1d/2d. Their shape-
 * dependent tensors start as UninitializedParameter / UninitializedBuffer (meta tensors with no shape yet, so
 * building one allocates and draws nothing); the first call infers the input size, materializes them on the
 * requested device, runs the layer's resetParameters() (so the random numbers drawn are those of building the
 * ordinary layer at that moment) and turns the module into the ordinary class (LazyLinear -> Linear).
 * Loading a state dict into a lazy module first shapes its tensors from the checkpoint (a load pre-hook).
 * An optimizer given an uninitialized parameter refuses it (PyTorch only warns).
 */
import { getDefaultDevice } from '../backend/default-device.js';
import type { DeviceType } from '../backend/backend.js';
import type { DType, DTypeName } from '../core/dtype.js';
import { optDtype } from '../core/args.js';
import { ModuleError, ShapeError } from '../core/errors.js';
import { fmt } from '../core/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { empty, zeros } from '../ops/creation.js';
import { Buffer, Parameter } from './parameter.js';
import type { Module, RemovableHandle } from './module.js';
import { Linear, type LinearOpts } from './modules/linear.js';
import { Conv1d, Conv2d, type ConvModuleOpts } from './modules/conv.js';
import { BatchNorm1d, BatchNorm2d, type BatchNormOpts } from './modules/normalization.js';
import './state-hooks.js';

type IntOrTuple = number | number[];

/** A parameter whose shape is not known yet (a lazy module's before its first call). */
export class UninitializedParameter extends Parameter {
  /** Marks the tensor for the optimizers (which refuse it). */
  readonly isUninitialized = true;
  constructor(readonly targetDtype: DType = 'float32', readonly targetDevice: DeviceType = getDefaultDevice(), requiresGrad = true) {
    super(empty([0], { dtype: targetDtype, device: 'meta' }), requiresGrad);
  }
  /** Give it storage of `shape` on its device (uninitialized: zeros here) and make it an ordinary Parameter. */
  materialize(shape: readonly number[]): Parameter {
    this.setData_(empty(shape, { dtype: this.targetDtype, device: this.targetDevice }));
    Object.setPrototypeOf(this, Parameter.prototype);
    delete (this as { isUninitialized?: boolean }).isUninitialized;
    return this;
  }
  override toString(): string { return '<UninitializedParameter>'; }
}

/** A buffer whose shape is not known yet. */
export class UninitializedBuffer extends Buffer {
  readonly isUninitialized = true;
  constructor(readonly targetDtype: DType = 'float32', readonly targetDevice: DeviceType = getDefaultDevice()) {
    super(empty([0], { dtype: targetDtype, device: 'meta' }));
  }
  materialize(shape: readonly number[]): Buffer {
    this.setData_(empty(shape, { dtype: this.targetDtype, device: this.targetDevice }));
    Object.setPrototypeOf(this, Buffer.prototype);
    delete (this as { isUninitialized?: boolean }).isUninitialized;
    return this;
  }
  override toString(): string { return '<UninitializedBuffer>'; }
}

const isUninit = (t: unknown): t is UninitializedParameter | UninitializedBuffer => t instanceof UninitializedParameter || t instanceof UninitializedBuffer;

/** Whether any parameter or buffer of the module (recursively) still waits for its shape. */
export function hasUninitializedParams(m: Module): boolean {
  return [...m.parameters(), ...m.buffers()].some(isUninit);
}

interface LazySpec {
  /** The ordinary class the module becomes. */
  become: object;
  /** Sizes inferred from the first input (sets the module's config fields), and the shapes to materialize. */
  infer(m: Module, x: Tensor): Record<string, readonly number[]>;
  /** Config fields from a checkpoint's shapes (loading into a lazy module). */
  fromShapes(m: Module, shapes: Map<string, readonly number[]>): void;
}

/** Wire a freshly built lazy module: first-call inference and the load pre-hook. */
function makeLazy(m: Module, spec: LazySpec): void {
  const handles: RemovableHandle[] = [];
  const finish = () => {
    for (const h of handles) h.remove();
    Object.setPrototypeOf(m, (spec.become as { prototype: object }).prototype);
  };
  handles.push(m.registerForwardPreHook((mod, args) => {
    const x = args[0];
    if (!(x instanceof Tensor)) throw new ModuleError(`${mod._getName()}: the first call needs a Tensor input to infer the parameters' shapes`);
    if (hasUninitializedParams(mod)) {
      const shapes = spec.infer(mod, x);
      for (const [name, shape] of Object.entries(shapes)) {
        const t = mod._parameters.get(name) ?? mod._buffers.get(name);
        if (isUninit(t)) t.materialize(shape);
      }
      (mod as unknown as { resetParameters(): void }).resetParameters();
    }
    finish();
  }));
  handles.push(m.registerLoadStateDictPreHook((mod, sd, prefix) => {
    const shapes = new Map<string, readonly number[]>();
    for (const [name, t] of [...mod._parameters, ...mod._buffers]) {
      const src = sd.get(prefix + name);
      if (isUninit(t) && src instanceof Tensor) { t.materialize(src.shape); shapes.set(name, src.shape); }
    }
    if (shapes.size) spec.fromShapes(mod, shapes);
  }));
}

function setField(m: Module, name: string, v: unknown): void { (m as unknown as Record<string, unknown>)[name] = v; }
function uninitParams(m: Module, names: string[], dtypeName: DTypeName | undefined, device: DeviceType | undefined): void {
  const dtype = optDtype(m._getName(), 'dtype', dtypeName);
  for (const n of names) if (m._parameters.get(n)) setField(m, n, new UninitializedParameter(dtype ?? 'float32', device ?? getDefaultDevice()));
}

/** Linear with in_features inferred from the first input's last dim: `new nn.LazyLinear(outFeatures)`. */
export class LazyLinear extends Linear {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'LazyLinear';
  constructor(outFeatures: number, opts: LinearOpts = {}) {
    super(1, outFeatures, { ...opts, device: 'meta' });
    setField(this, 'inFeatures', 0);
    uninitParams(this, ['weight', 'bias'], opts.dtype, opts.device);
    makeLazy(this, {
      become: Linear,
      infer: (m, x) => {
        if (x.ndim < 1) throw new ShapeError(`LazyLinear: expected an input with at least 1 dim, got shape ${fmt(x.shape)}`);
        const inF = x.shape[x.ndim - 1];
        setField(m, 'inFeatures', inF);
        return { weight: [this.outFeatures, inF], bias: [this.outFeatures] };
      },
      fromShapes: (m, s) => { const w = s.get('weight'); if (w) setField(m, 'inFeatures', w[1]); },
    });
  }
}

function lazyConv(m: Conv1d | Conv2d, nd: number, become: object, opts: ConvModuleOpts): void {
  setField(m, 'inChannels', 0);
  uninitParams(m, ['weight', 'bias'], opts.dtype, opts.device);
  const cls = m._getName();
  makeLazy(m, {
    become,
    infer: (mod, x) => {
      if (x.ndim !== nd + 1 && x.ndim !== nd + 2) {
        throw new ShapeError(`Expected ${nd + 1}D (unbatched) or ${nd + 2}D (batched) input to ${cls}, but got input of size: ${fmt(x.shape)}`);
      }
      const inC = x.ndim === nd + 2 ? x.shape[1] : x.shape[0];
      if (inC % m.groups !== 0) throw new ModuleError(`${cls}: in_channels (${inC}) must be divisible by groups (${m.groups})`);
      setField(mod, 'inChannels', inC);
      return { weight: [m.outChannels, inC / m.groups, ...m.kernelSize], bias: [m.outChannels] };
    },
    fromShapes: (mod, s) => { const w = s.get('weight'); if (w) setField(mod, 'inChannels', w[1] * m.groups); },
  });
}

/** Conv1d with in_channels inferred from the first input: `new nn.LazyConv1d(outChannels, kernelSize, opts)`. */
export class LazyConv1d extends Conv1d {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'LazyConv1d';
  constructor(outChannels: number, kernelSize: IntOrTuple, opts: ConvModuleOpts = {}) {
    super(opts.groups ?? 1, outChannels, kernelSize, { ...opts, device: 'meta' });
    lazyConv(this, 1, Conv1d, opts);
  }
}
/** Conv2d with in_channels inferred from the first input: `new nn.LazyConv2d(outChannels, kernelSize, opts)`. */
export class LazyConv2d extends Conv2d {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'LazyConv2d';
  constructor(outChannels: number, kernelSize: IntOrTuple, opts: ConvModuleOpts = {}) {
    super(opts.groups ?? 1, outChannels, kernelSize, { ...opts, device: 'meta' });
    lazyConv(this, 2, Conv2d, opts);
  }
}

function lazyBatchNorm(m: BatchNorm1d | BatchNorm2d, become: object, opts: BatchNormOpts): void {
  setField(m, 'numFeatures', 0);
  const device = opts.device ?? getDefaultDevice();
  uninitParams(m, ['weight', 'bias'], opts.dtype, device);
  if (m.trackRunningStats) {
    setField(m, 'running_mean', new UninitializedBuffer(optDtype('LazyBatchNorm', 'dtype', opts.dtype) ?? 'float32', device));
    setField(m, 'running_var', new UninitializedBuffer(optDtype('LazyBatchNorm', 'dtype', opts.dtype) ?? 'float32', device));
    setField(m, 'num_batches_tracked', new Buffer(zeros([], { dtype: 'int64', device })));
  }
  makeLazy(m, {
    become,
    infer: (mod, x) => {
      if (x.ndim < 2) throw new ShapeError(`${mod._getName()}: expected an input with a channel dim [N, C, ...], got shape ${fmt(x.shape)}`);
      const c = x.shape[1];
      setField(mod, 'numFeatures', c);
      return { weight: [c], bias: [c], running_mean: [c], running_var: [c] };
    },
    fromShapes: (mod, s) => { const v = s.get('weight') ?? s.get('running_mean'); if (v) setField(mod, 'numFeatures', v[0]); },
  });
}

/** BatchNorm1d with num_features inferred from the first input: `new nn.LazyBatchNorm1d(opts)`. */
export class LazyBatchNorm1d extends BatchNorm1d {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'LazyBatchNorm1d';
  constructor(opts: BatchNormOpts = {}) { super(1, { ...opts, device: 'meta' }); lazyBatchNorm(this, BatchNorm1d, opts); }
}
/** BatchNorm2d with num_features inferred from the first input: `new nn.LazyBatchNorm2d(opts)`. */
export class LazyBatchNorm2d extends BatchNorm2d {
  /** The printed class name, kept under a minifier (Module._getName). */
  static override readonly torchName: string = 'LazyBatchNorm2d';
  constructor(opts: BatchNormOpts = {}) { super(1, { ...opts, device: 'meta' }); lazyBatchNorm(this, BatchNorm2d, opts); }
}
