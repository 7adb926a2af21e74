/**
 * @file Views and layout ops: view/reshape, transpose/permute, squeeze/unsqueeze, expand, narrow/select/slice,
 * flatten/unflatten, contiguous/clone/detach, cat/stack/split/chunk, dtype and device casts.
 * Views share storage with their input; their backward writes the gradient into the same window of zeros.
 */
import { record } from '../autograd/node.js';
import { getBackend, readViewSync, readsSync, type DeviceType } from '../backend/backend.js';
import { promoteTypes as promote, type DType } from '../core/dtype.js';
import { DeviceError, IndexError, ShapeError } from '../core/errors.js';
import { contiguousStrides, fmt, inferShape, isContiguous, normDim, numel, shapesEqual } from '../core/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { be, make, sameDevice } from './util.js';

/** A view of x with new geometry; shares storage and records `base`. */
function viewOf(x: Tensor, shape: readonly number[], strides: readonly number[], offset: number): Tensor {
  const t = new Tensor(x.storage, [...shape], [...strides], offset);
  t.base = x.base ?? x;
  return t;
}

/** Zeros of x's shape with g written through the same view transform (backward of windowing views). */
function intoZeros(g: Tensor, like: Tensor, apply: (z: Tensor) => Tensor): Tensor {
  const z = make(be(g).alloc(g.dtype, like.numel()), like.shape);
  be(g).copyInto(apply(z), g);
  return z;
}

/** Strides for viewing (shape, strides) as `target` without copying, or null (PyTorch's computeStride). */
function viewStrides(shape: readonly number[], strides: readonly number[], target: readonly number[]): number[] | null {
  if (isContiguous(shape, strides)) return contiguousStrides(target);
  const n = numel(shape);
  if (n === 0) return contiguousStrides(target);
  const out = new Array<number>(target.length);
  let viewD = target.length - 1;
  let chunkBase = strides[strides.length - 1];
  let tensorNumel = 1, viewNumel = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    tensorNumel *= shape[d];
    if (d === 0 || (shape[d - 1] !== 1 && strides[d - 1] !== tensorNumel * chunkBase)) {
      while (viewD >= 0 && (viewNumel < tensorNumel || target[viewD] === 1)) {
        out[viewD] = viewNumel * chunkBase;
        viewNumel *= target[viewD];
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (d > 0) { chunkBase = strides[d - 1]; tensorNumel = 1; viewNumel = 1; }
    }
  }
  if (viewD !== -1) return null;
  return out;
}

export function view(x: Tensor, shape: readonly number[]): Tensor {
  const target = inferShape('view', shape, x.numel(), x.shape);
  const st = viewStrides(x.shape, x.strides, target);
  if (st === null) {
    throw new ShapeError(`view: size ${fmt(target)} is not compatible with input tensor's size ${fmt(x.shape)} and stride ${fmt(x.strides)} ` +
      '(at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.');
  }
  const out = viewOf(x, target, st, x.offset);
  return record(out, 'View', [x], (g) => [reshape(g, x.shape)]);
}

export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const target = inferShape('reshape', shape, x.numel(), x.shape);
  if (viewStrides(x.shape, x.strides, target) !== null) return view(x, target);
  return view(contiguous(x), target);
}

export function contiguous(x: Tensor): Tensor {
  if (x.isContiguous()) return x;
  return clone(x);
}

export function clone(x: Tensor): Tensor {
  const out = make(be(x).contiguous(x, x.dtype), x.shape);
  return record(out, 'Clone', [x], (g) => [g]);
}

export function detach(x: Tensor): Tensor {
  const t = new Tensor(x.storage, x.shape, x.strides, x.offset);
  t.base = x.base ?? x;
  return t;
}

export function permute(x: Tensor, dims: readonly number[]): Tensor {
  if (dims.length !== x.ndim) throw new ShapeError(`permute: number of dims don't match: input has ${x.ndim} dims ${fmt(x.shape)}, got ${dims.length} (${fmt(dims)})`);
  const d = dims.map((v) => normDim('permute', v, x.ndim));
  if (new Set(d).size !== d.length) throw new ShapeError(`permute: repeated dim in ${fmt(dims)}`);
  const out = viewOf(x, d.map((i) => x.shape[i]), d.map((i) => x.strides[i]), x.offset);
  const inv = new Array<number>(d.length);
  d.forEach((v, i) => { inv[v] = i; });
  return record(out, 'Permute', [x], (g) => [permute(g, inv)]);
}

export function transpose(x: Tensor, d0: number, d1: number): Tensor {
  if (x.ndim === 0) return x;
  const a = normDim('transpose', d0, x.ndim), b = normDim('transpose', d1, x.ndim);
  const order = x.shape.map((_, i) => i);
  order[a] = b; order[b] = a;
  return permute(x, order);
}

export function t(x: Tensor): Tensor {
  if (x.ndim > 2) throw new ShapeError(`t(): expects a tensor with <= 2 dimensions, but got ${x.ndim} (shape ${fmt(x.shape)}); use transpose(-2, -1) or .mT`);
  return x.ndim < 2 ? x : transpose(x, 0, 1);
}

export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = normDim('unsqueeze', dim, x.ndim + 1);
  const shape = [...x.shape], strides = [...x.strides];
  const st = d < x.ndim ? x.strides[d] * x.shape[d] : 1;
  shape.splice(d, 0, 1); strides.splice(d, 0, st);
  return record(viewOf(x, shape, strides, x.offset), 'Unsqueeze', [x], (g) => [reshape(g, x.shape)]);
}

export function squeeze(x: Tensor, dim?: number | readonly number[]): Tensor {
  const dims = dim === undefined ? x.shape.map((_, i) => i) : (typeof dim === 'number' ? [dim] : [...dim]).map((d) => normDim('squeeze', d, x.ndim));
  const shape: number[] = [], strides: number[] = [];
  x.shape.forEach((s, i) => { if (!(s === 1 && dims.includes(i))) { shape.push(s); strides.push(x.strides[i]); } });
  if (shape.length === x.ndim) return x;
  return record(viewOf(x, shape, strides, x.offset), 'Squeeze', [x], (g) => [reshape(g, x.shape)]);
}

export function expand(x: Tensor, shape: readonly number[]): Tensor {
  if (shape.length < x.ndim) {
    throw new ShapeError(`expand: the number of sizes provided (${shape.length}) must be greater or equal to the number of dimensions in the tensor (${x.ndim})`);
  }
  const off = shape.length - x.ndim;
  const outShape: number[] = [], strides: number[] = [];
  shape.forEach((s, i) => {
    const j = i - off;
    const cur = j >= 0 ? x.shape[j] : 1;
    const target = s === -1 ? cur : s;
    if (j < 0) { if (s === -1) throw new ShapeError(`expand: -1 not allowed in leading, non-existing dimension ${i}`); outShape.push(target); strides.push(0); return; }
    if (cur !== target && cur !== 1) {
      throw new ShapeError(`expand: the expanded size of the tensor (${target}) must match the existing size (${cur}) at non-singleton dimension ${i}. Target sizes: ${fmt(shape)}. Tensor sizes: ${fmt(x.shape)}`);
    }
    outShape.push(target);
    strides.push(cur === target ? x.strides[j] : 0);
  });
  if (shapesEqual(outShape, x.shape)) return x;
  return record(viewOf(x, outShape, strides, x.offset), 'Expand', [x], (g) => [g]);
}

export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor { return expand(x, shape); }

export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const d = normDim('narrow', dim, x.ndim);
  const size = x.shape[d];
  const s = start < 0 ? start + size : start;
  if (s < 0 || length < 0 || s + length > size) {
    throw new IndexError(`narrow: start (${start}) + length (${length}) exceeds dimension size (${size}) of dim ${dim} in shape ${fmt(x.shape)}`);
  }
  const apply = (z: Tensor) => {
    const shape = [...z.shape]; shape[d] = length;
    return new Tensor(z.storage, shape, z.strides, z.offset + s * z.strides[d]);
  };
  const out = apply(x);
  out.base = x.base ?? x;
  return record(out, 'Narrow', [x], (g) => [intoZeros(g, x, apply)]);
}

/** x[..., index, ...] along dim (drops the dim). */
export function select(x: Tensor, dim: number, index: number): Tensor {
  const d = normDim('select', dim, x.ndim);
  const size = x.shape[d];
  if (!Number.isInteger(index) || index < -size || index >= size) {
    throw new IndexError(`select: index ${index} is out of bounds for dimension ${d} with size ${size} (shape ${fmt(x.shape)})`);
  }
  const i = index < 0 ? index + size : index;
  const apply = (z: Tensor) => new Tensor(z.storage, z.shape.filter((_, k) => k !== d), z.strides.filter((_, k) => k !== d), z.offset + i * z.strides[d]);
  const out = apply(x);
  out.base = x.base ?? x;
  return record(out, 'Select', [x], (g) => [intoZeros(g, x, apply)]);
}

/** x[start:end:step] along dim, Python slice semantics (negative and out-of-range bounds clamp). */
export function slice(x: Tensor, dim: number, start = 0, end: number | null = null, step = 1): Tensor {
  const d = normDim('slice', dim, x.ndim);
  if (step <= 0 || !Number.isInteger(step)) throw new IndexError(`slice: step must be a positive integer, got ${step}`);
  const size = x.shape[d];
  const norm = (v: number) => Math.min(Math.max(v < 0 ? v + size : v, 0), size);
  const s = norm(start), e = end === null ? size : norm(end);
  const len = e > s ? Math.ceil((e - s) / step) : 0;
  const apply = (z: Tensor) => {
    const shape = [...z.shape], strides = [...z.strides];
    shape[d] = len; strides[d] = z.strides[d] * step;
    return new Tensor(z.storage, shape, strides, z.offset + s * z.strides[d]);
  };
  const out = apply(x);
  out.base = x.base ?? x;
  return record(out, 'Slice', [x], (g) => [intoZeros(g, x, apply)]);
}

export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normDim('flatten', startDim, x.ndim), e = normDim('flatten', endDim, x.ndim);
  if (s > e) throw new ShapeError(`flatten: startDim (${startDim}) cannot come after endDim (${endDim})`);
  const shape = [...x.shape.slice(0, s), numel(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return reshape(x, shape);
}

export function unflatten(x: Tensor, dim: number, sizes: readonly number[]): Tensor {
  const d = normDim('unflatten', dim, x.ndim);
  const inner = inferShape('unflatten', sizes, x.shape[d], [x.shape[d]]);
  return reshape(x, [...x.shape.slice(0, d), ...inner, ...x.shape.slice(d + 1)]);
}

/** Cast to another dtype (a copy; differentiable between float dtypes). */
export function toDtype(x: Tensor, dtype: DType, copy = false): Tensor {
  if (x.dtype === dtype && !copy) return x;
  const out = make(be(x).contiguous(x, dtype), x.shape);
  return record(out, 'ToCopy', [x], (g) => [toDtype(g, x.dtype)]);
}

/** Copy to another device (a copy; differentiable towards the CPU, detached onto webgpu). GPU -> CPU goes through the asynchronous read. */
export function toDevice(x: Tensor, device: DeviceType): Tensor {
  if (x.device === device) return x;
  if (device === 'meta') return make(getBackend('meta').alloc(x.dtype, x.numel()), x.shape); // shapes only: nothing read
  const raw = readViewSync(x);
  if (raw === undefined) {
    throw new DeviceError(`to('${device}'): reading a ${x.device} tensor is asynchronous; use \`await t.toAsync('${device}')\``);
  }
  const out = make(getBackend(device).fromArray(x.dtype, raw), x.shape);
  // Its backward would read the gradient back from `device` synchronously, which a device with asynchronous
  // reads (webgpu) cannot do: a copy onto such a device is a new leaf, detached from x (as module.to() does
  // for parameters). Train it there with t.to('webgpu').requiresGrad_().
  if (!readsSync(device)) return out;
  return record(out, 'ToCopy', [x], (g) => [toDevice(g, x.device)]);
}

export async function toDeviceAsync(x: Tensor, device: DeviceType): Promise<Tensor> {
  if (x.device === device) return x;
  if (device === 'meta') return toDevice(x, device);
  const src = getBackend(x.device);
  const tmp = src.contiguous(x, x.dtype);
  let raw;
  try { raw = await src.read(tmp); } finally { tmp.dispose?.(); } // GPU: free the staging copy now
  const out = make(getBackend(device).fromArray(x.dtype, raw.slice()), x.shape);
  return record(out, 'ToCopy', [x], (g) => [toDevice(g, x.device)]);
}

export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new ShapeError('cat: expected a non-empty list of tensors');
  const dev = sameDevice('cat', ...tensors);
  // PyTorch skips 1-D empty tensors in cat
  const parts = tensors.filter((t) => !(t.ndim === 1 && t.numel() === 0));
  if (parts.length === 0) return tensors[0];
  const ref = parts[0];
  const d = normDim('cat', dim, ref.ndim);
  let total = 0;
  let dtype = ref.dtype;
  parts.forEach((p, i) => {
    if (p.ndim !== ref.ndim) throw new ShapeError(`cat: tensors must have same number of dimensions: got ${ref.ndim} (tensor 0) and ${p.ndim} (tensor ${i})`);
    p.shape.forEach((s, k) => {
      if (k !== d && s !== ref.shape[k]) {
        throw new ShapeError(`cat: sizes of tensors must match except in dimension ${d}. Expected size ${ref.shape[k]} but got size ${s} for tensor number ${i} in the list (shapes ${parts.map((q) => fmt(q.shape)).join(', ')})`);
      }
    });
    total += p.shape[d];
    if (p.dtype !== dtype) dtype = promote(dtype, p.dtype);
  });
  const shape = [...ref.shape]; shape[d] = total;
  const b = getBackend(dev);
  const out = make(b.alloc(dtype, numel(shape)), shape);
  let at = 0;
  for (const p of parts) {
    const win = new Tensor(out.storage, p.shape, out.strides, at * out.strides[d]);
    b.copyInto(win, p);
    at += p.shape[d];
  }
  const sizes = parts.map((p) => p.shape[d]);
  return record(out, 'Cat', parts, (g) => {
    let s = 0;
    return sizes.map((len) => { const r = narrow(g, d, s, len); s += len; return r; });
  });
}


export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new ShapeError('stack: expected a non-empty list of tensors');
  const ref = tensors[0];
  tensors.forEach((t, i) => {
    if (!shapesEqual(t.shape, ref.shape)) throw new ShapeError(`stack: expects each tensor to be equal size, but got ${fmt(ref.shape)} at entry 0 and ${fmt(t.shape)} at entry ${i}`);
  });
  const d = normDim('stack', dim, ref.ndim + 1);
  return cat(tensors.map((t) => unsqueeze(t, d)), d);
}

/** Split into chunks of `size` (number) or of the listed sizes along dim. */
export function split(x: Tensor, sizeOrSections: number | readonly number[], dim = 0): Tensor[] {
  const d = normDim('split', dim, x.ndim);
  const n = x.shape[d];
  let sizes: number[];
  if (typeof sizeOrSections === 'number') {
    if (sizeOrSections <= 0) throw new ShapeError(`split: split size must be positive, got ${sizeOrSections}`);
    sizes = [];
    for (let s = 0; s < n; s += sizeOrSections) sizes.push(Math.min(sizeOrSections, n - s));
    if (n === 0) sizes = [0];
  } else {
    sizes = [...sizeOrSections];
    const sum = sizes.reduce((a, b) => a + b, 0);
    if (sum !== n) throw new ShapeError(`split: split sizes ${fmt(sizes)} must sum to the size of dimension ${d} (${n}), got ${sum}`);
  }
  let s = 0;
  return sizes.map((len) => { const r = narrow(x, d, s, len); s += len; return r; });
}

export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  if (!Number.isInteger(chunks) || chunks <= 0) throw new ShapeError(`chunk: number of chunks must be a positive integer, got ${chunks}`);
  const d = normDim('chunk', dim, x.ndim);
  return split(x, Math.max(1, Math.ceil(x.shape[d] / chunks)), d);
}
