/**
 * @file The old-style hooks `nn.utils.weightNorm` / `nn.utils.spectralNorm` (PyTorch's torch.nn.utils.weight_norm
 * and spectral_norm, deprecated there for the parametrizations but still in many checkpoints): parameters
 * `<name>_g`/`<name>_v`, or `<name>_orig` with buffers `<name>_u`/`<name>_v`, and `module[name]` recomputed by a
 * forward pre-hook. `module[name]` is an own accessor on the module (as in parametrize.ts) returning the weight the
 * last pre-hook computed. removeWeightNorm / removeSpectralNorm put a plain Parameter back.
 */
import { ModuleError } from '../../core/errors.js';
import { checkNumber, checkOptions, checkString, optNumber } from '../../core/args.js';
import { noGrad } from '../../autograd/grad-mode.js';
import { Tensor } from '../../tensor/tensor.js';
import { empty } from '../../ops/creation.js';
import { clamp, div } from '../../ops/elementwise.js';
import { dot, mv } from '../../ops/linalg.js';
import { norm } from '../../ops/reduce.js';
import { copy_ } from '../../ops/inplace.js';
import { clone, detach, flatten, permute, transpose } from '../../ops/movement.js';
import { Module, type RemovableHandle } from '../module.js';
import { Parameter } from '../parameter.js';
import { ConvTranspose1d, ConvTranspose2d } from '../modules/conv.js';
import { normExceptDim } from './parametrizations.js';

interface Hooked { kind: 'weightNorm' | 'spectralNorm'; value: Tensor; handle: RemovableHandle; compute(m: Module, training: boolean): Tensor }
const hooked = new WeakMap<Module, Map<string, Hooked>>();

type Rec = Record<string, unknown>;
const get = (m: Module, k: string) => (m as unknown as Rec)[k] as Tensor;

function install(fn: string, module: Module, name: string, h: Omit<Hooked, 'handle' | 'value'>): void {
  const per = hooked.get(module) ?? new Map<string, Hooked>();
  hooked.set(module, per);
  const entry = { ...h, value: null as unknown as Tensor, handle: null as unknown as RemovableHandle };
  entry.value = entry.compute(module, false);
  entry.handle = module.registerForwardPreHook((m) => { entry.value = entry.compute(m, m.training); });
  per.set(name, entry);
  Object.defineProperty(module, name, {
    configurable: true, enumerable: false,
    get() { return entry.value; },
    set(v: unknown) {
      if (!(v instanceof Tensor)) throw new ModuleError(`${fn}: ${module._getName()}.${name} is computed by the hook; assign a Tensor (replaced at the next forward)`);
      entry.value = v;
    },
  });
}

function start(fn: string, module: Module, name: string): Parameter {
  if (!(module instanceof Module)) throw new ModuleError(`${fn}: expected a Module, got ${String(module)}`);
  checkString(fn, 'name', name);
  const prev = hooked.get(module)?.get(name);
  if (prev) throw new ModuleError(`${fn}: Cannot register two ${prev.kind} hooks on the same parameter ${name}`);
  const w = module._parameters.get(name);
  if (!(w instanceof Parameter)) throw new ModuleError(`${fn}: Module '${module._getName()}' has no parameter '${name}'`);
  return w;
}

/**
 * The old torch.nn.utils.weight_norm: parameters `<name>_g` (the norm over every dim but `dim`; null: over all)
 * and `<name>_v`, weight = g v / ‖v‖ recomputed before each forward. Prefer nn.utils.parametrizations.weightNorm;
 * this one exists to load checkpoints saved with it. Returns the module.
 */
export function weightNorm<M extends Module>(module: M, name = 'weight', dim: number | null | { dim?: number | null } = 0): M {
  const fn = 'nn.utils.weightNorm';
  if (dim !== null && typeof dim === 'object') dim = checkOptions<{ dim: number | null }>(fn, dim, ['dim']).dim ?? 0;
  const w = start(fn, module, name);
  const d = dim === null ? -1 : checkNumber(fn, 'dim', dim, { integer: true, min: -w.ndim, max: w.ndim - 1 });
  delete (module as unknown as Rec)[name];
  module.registerParameter(`${name}_g`, new Parameter(noGrad(() => detach(normExceptDim(w, d)))));
  module.registerParameter(`${name}_v`, new Parameter(detach(w)));
  install(fn, module, name, {
    kind: 'weightNorm',
    compute: (m) => { const g = get(m, `${name}_g`), v = get(m, `${name}_v`); return v.mul(g.div(normExceptDim(v, d))); },
  });
  return module;
}

const normalize = (x: Tensor, eps: number) => div(x, clamp(norm(x, 2, 0, { keepdim: true }), eps));

export interface OldSpectralNormOptions { nPowerIterations?: number; eps?: number; dim?: number | null }

/**
 * The old torch.nn.utils.spectral_norm: parameter `<name>_orig`, buffers `<name>_u` / `<name>_v`, weight = w / σ with
 * σ from `nPowerIterations` power iterations before each training-mode forward. Prefer
 * nn.utils.parametrizations.spectralNorm; this one exists to load checkpoints saved with it. Returns the module.
 */
export function spectralNorm<M extends Module>(module: M, name = 'weight', options: OldSpectralNormOptions = {}): M {
  const fn = 'nn.utils.spectralNorm';
  const o = checkOptions<OldSpectralNormOptions>(fn, options, ['nPowerIterations', 'eps', 'dim']);
  const w = start(fn, module, name);
  const iters = optNumber(fn, 'nPowerIterations', o.nPowerIterations, 1, { integer: true, min: 0 });
  const eps = optNumber(fn, 'eps', o.eps, 1e-12, { min: 0 });
  let dim = o.dim === undefined || o.dim === null ? (module instanceof ConvTranspose1d || module instanceof ConvTranspose2d ? 1 : 0)
    : checkNumber(fn, 'dim', o.dim, { integer: true, min: -w.ndim, max: w.ndim - 1 });
  if (dim < 0) dim += w.ndim;
  const toMatrix = (t: Tensor) => flatten(dim === 0 ? t : permute(t, [dim, ...[...t.shape.keys()].filter((i) => i !== dim)]), 1);
  const [h, wd] = toMatrix(w).shape;
  const u = noGrad(() => normalize(empty([h], { dtype: w.dtype, device: w.device }).normal_(0, 1), eps));
  const v = noGrad(() => normalize(empty([wd], { dtype: w.dtype, device: w.device }).normal_(0, 1), eps));
  delete (module as unknown as Rec)[name];
  module.registerParameter(`${name}_orig`, w);
  module.registerBuffer(`${name}_u`, u);
  module.registerBuffer(`${name}_v`, v);
  install(fn, module, name, {
    kind: 'spectralNorm',
    compute: (m, training) => {
      const W = get(m, `${name}_orig`), wm = toMatrix(W);
      let U = get(m, `${name}_u`), V = get(m, `${name}_v`);
      if (training && iters > 0) {
        noGrad(() => {
          for (let i = 0; i < iters; i++) {
            copy_(V, normalize(mv(transpose(wm, 0, 1), U), eps));
            copy_(U, normalize(mv(wm, V), eps));
          }
        });
        U = clone(U); V = clone(V);
      }
      return div(W, dot(U, mv(wm, V)));
    },
  });
  // the first weight is the plain original (PyTorch sets weight.data until the first forward)
  hooked.get(module)!.get(name)!.value = detach(w);
  return module;
}

function remove(fn: string, kind: Hooked['kind'], module: Module, name: string, drop: string[]): Module {
  const e = hooked.get(module)?.get(name);
  if (!e || e.kind !== kind) throw new ModuleError(`${fn}: ${kind} of '${name}' not found in ${module._getName()}`);
  const w = noGrad(() => detach(e.compute(module, false)));
  e.handle.remove();
  hooked.get(module)!.delete(name);
  delete (module as unknown as Rec)[name];
  for (const k of drop) delete (module as unknown as Rec)[k];
  module.registerParameter(name, new Parameter(w));
  return module;
}

/** Undo nn.utils.weightNorm: `module[name]` becomes a plain Parameter with the current weight. */
export function removeWeightNorm<M extends Module>(module: M, name = 'weight'): M {
  return remove('nn.utils.removeWeightNorm', 'weightNorm', module, name, [`${name}_g`, `${name}_v`]) as M;
}
/** Undo nn.utils.spectralNorm: `module[name]` becomes a plain Parameter with the current weight. */
export function removeSpectralNorm<M extends Module>(module: M, name = 'weight'): M {
  return remove('nn.utils.removeSpectralNorm', 'spectralNorm', module, name, [`${name}_orig`, `${name}_u`, `${name}_v`]) as M;
}
