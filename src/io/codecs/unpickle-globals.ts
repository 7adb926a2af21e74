/**
 * @file The unpickler's allowlist: the globals a weights-only load may name (modelled on torch's
 * `_weights_only_unpickler`), the rebuild functions REDUCE calls for them (tensors, parameters, bytes, sets), the
 * ones refused with a reason, and the value descriptions its messages use. The VM (unpickler.ts) looks names up
 * here and never imports or calls anything else.
 */
import { TORCH_DTYPE_GLOBAL } from './dtypeNames.js';
import { tensorBoundsProblem } from './rawTensor.js';
import {
  isPyFloat, isPyGlobal, isPyObject, isRawStorage, isRawTensor, isTuple, PyOrderedDict,
  type PyKey, type PyValue, type RawTensor,
} from './types.js';

/** Python 2 module names that Python 3 pickles at protocol < 3 write (fix_imports). */
export const MODULE_ALIASES: Record<string, string> = { __builtin__: 'builtins', copy_reg: 'copyreg' };

export type Rebuilder = (args: PyValue[], ctx: Ctx) => PyValue;
export interface Ctx {
  fail(msg: string): never;
  preserveFloatType: boolean;
}

export const TORCH_UNSUPPORTED = new Set([
  'torch._utils._rebuild_sparse_tensor', 'torch._utils._rebuild_sparse_csr_tensor', 'torch._utils._rebuild_meta_tensor_no_storage',
  'torch._utils._rebuild_qtensor', 'torch._utils._rebuild_nested_tensor', 'torch._utils._rebuild_wrapper_subclass',
  'torch._utils._rebuild_device_tensor_from_numpy', 'torch._utils._rebuild_tensor_v3', 'torch.serialization._get_layout', 'torch.Tensor',
]);

function intArg(v: PyValue, what: string, ctx: Ctx): number {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  return ctx.fail(`${what} must be an integer, got ${describe(v)}`);
}
function intTuple(v: PyValue, what: string, ctx: Ctx): number[] {
  const items = isTuple(v) ? v.items : Array.isArray(v) ? v : ctx.fail(`${what} must be a tuple of integers, got ${describe(v)}`);
  return items.map((x, i) => intArg(x, `${what}[${i}]`, ctx));
}

function rebuildTensor(args: PyValue[], ctx: Ctx, fn: string): RawTensor {
  const [storage, offset, size, stride, requiresGrad] = args;
  if (!isRawStorage(storage)) ctx.fail(`${fn}: first argument must be a storage (a persistent id), got ${describe(storage)}`);
  const t: RawTensor = {
    kind: 'tensor', storage,
    offset: intArg(offset, `${fn}: storage_offset`, ctx),
    shape: intTuple(size, `${fn}: size`, ctx),
    strides: intTuple(stride, `${fn}: stride`, ctx),
  };
  if (requiresGrad === true) t.requiresGrad = true;
  const problem = tensorBoundsProblem(t);
  if (problem) ctx.fail(`${fn}: tensor on storage "${storage.key ?? '?'}" (${storage.dtype}): ${problem}; the file is corrupt`);
  return t;
}

function asParameter(args: PyValue[], ctx: Ctx, fn: string): RawTensor {
  const [data, requiresGrad] = args;
  if (!isRawTensor(data)) ctx.fail(`${fn}: data must be a tensor, got ${describe(data)}`);
  const p: RawTensor = { ...data, isParameter: true, requiresGrad: requiresGrad === undefined ? true : requiresGrad === true };
  return p;
}

export const REBUILDERS: Record<string, Rebuilder> = {
  'collections.OrderedDict': (args: PyValue[], ctx: Ctx) => {
    const d = new PyOrderedDict();
    if (args.length === 0) return d;
    const src = args[0];
    const pairs = Array.isArray(src) ? src : isTuple(src) ? src.items : src instanceof Map ? [...src].map(([k, v]) => [k, v] as PyValue[]) : ctx.fail(`OrderedDict(...) expects a list of pairs, got ${describe(src)}`);
    for (const pair of pairs) {
      const kv = Array.isArray(pair) ? pair : isTuple(pair) ? pair.items : [];
      if (kv.length !== 2) ctx.fail('OrderedDict(...) expects (key, value) pairs');
      d.set(hashable(kv[0], ctx), kv[1]);
    }
    return d;
  },
  'torch._utils._rebuild_tensor_v2': (args: PyValue[], ctx: Ctx) => {
    if (args.length < 6 || args.length > 7) ctx.fail(`_rebuild_tensor_v2 expects 6 or 7 arguments, got ${args.length}`);
    return rebuildTensor(args, ctx, '_rebuild_tensor_v2');
  },
  'torch._utils._rebuild_tensor': (args: PyValue[], ctx: Ctx) => {
    if (args.length !== 4) ctx.fail(`_rebuild_tensor expects 4 arguments, got ${args.length}`);
    return rebuildTensor(args, ctx, '_rebuild_tensor');
  },
  'torch._utils._rebuild_parameter': (args: PyValue[], ctx: Ctx) => {
    if (args.length !== 3) ctx.fail(`_rebuild_parameter expects 3 arguments, got ${args.length}`);
    return asParameter(args, ctx, '_rebuild_parameter');
  },
  'torch._utils._rebuild_parameter_with_state': (args: PyValue[], ctx: Ctx) => {
    if (args.length !== 4) ctx.fail(`_rebuild_parameter_with_state expects 4 arguments, got ${args.length}`);
    return asParameter(args, ctx, '_rebuild_parameter_with_state');
  },
  'torch.nn.parameter.Parameter': (args: PyValue[], ctx: Ctx) => {
    if (args.length < 1 || args.length > 2) ctx.fail(`Parameter(...) expects 1 or 2 arguments, got ${args.length}`);
    return asParameter(args, ctx, 'Parameter');
  },
  'torch.Size': (args: PyValue[], ctx: Ctx) => ({ kind: 'tuple', items: intTuple(args[0] ?? { kind: 'tuple', items: [] }, 'torch.Size', ctx) }),
  'torch.device': (args) => ({ kind: 'object', type: { kind: 'global', module: 'torch', name: 'device' }, args }),
  '_codecs.encode': (args: PyValue[], ctx: Ctx) => {
    const [s, enc] = args;
    if (typeof s !== 'string') ctx.fail('_codecs.encode expects a string');
    if (enc !== 'latin1' && enc !== 'latin-1') ctx.fail(`_codecs.encode: only 'latin1' is supported, got ${describe(enc ?? null)}`);
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c > 255) ctx.fail('_codecs.encode: character outside latin1');
      out[i] = c;
    }
    return out;
  },
  'builtins.bytearray': (args: PyValue[], ctx: Ctx) => {
    const a = args[0];
    if (a === undefined) return new Uint8Array(0);
    if (a instanceof Uint8Array) return a;
    return ctx.fail(`bytearray(...) expects bytes, got ${describe(a)}`);
  },
  'builtins.bytes': (args: PyValue[], ctx: Ctx) => REBUILDERS['builtins.bytearray'](args, ctx),
  'builtins.set': (args) => ({ kind: 'object', type: { kind: 'global', module: 'builtins', name: 'set' }, args }),
  'builtins.frozenset': (args) => ({ kind: 'object', type: { kind: 'global', module: 'builtins', name: 'frozenset' }, args }),
};

/** Globals that may appear as plain values (storage classes and dtypes). */
export function isValueGlobal(module: string, name: string): boolean {
  if (module === 'torch' && name.endsWith('Storage')) return true;
  return module === 'torch' && Object.prototype.hasOwnProperty.call(TORCH_DTYPE_GLOBAL, name);
}

/** Names a weights-only load accepts, for messages. */
export const ALLOWED_GLOBALS_HINT =
  'collections.OrderedDict, torch._utils._rebuild_tensor_v2/_rebuild_parameter, torch.<X>Storage, torch.<dtype>, torch.Size, torch.device, torch.nn.parameter.Parameter, _codecs.encode, builtins.set/frozenset/bytearray';

export function describe(v: PyValue | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'None';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof PyOrderedDict) return 'an OrderedDict';
  if (v instanceof Map) return 'a dict';
  if (v instanceof Uint8Array) return 'bytes';
  if (typeof v === 'object') {
    if (isPyGlobal(v)) return `global ${v.module}.${v.name}`;
    if (isPyObject(v)) return `a ${v.type.module}.${v.type.name} object`;
    if (isPyFloat(v)) return `float ${v.value}`;
    return `a ${v.kind}`;
  }
  if (typeof v === 'string') return `str ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  return `${typeof v} ${String(v)}`;
}

export function hashable(k: PyValue, ctx: Ctx): PyKey {
  if (k === null || typeof k === 'string' || typeof k === 'number' || typeof k === 'bigint' || typeof k === 'boolean') return k;
  if (isTuple(k)) return k;
  if (isPyFloat(k)) return k.value;
  return ctx.fail(`unhashable dict key: ${describe(k)}`);
}
