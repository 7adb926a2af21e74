/**
 * @file A restricted pickle VM for weights-only loads (protocols 2-5 as torch.save and Python 3 write them).
 * It never imports or calls anything: GLOBAL/STACK_GLOBAL resolve only names on an allowlist modelled on
 * torch's `_weights_only_unpickler` (OrderedDict, the tensor/parameter rebuild functions, torch storage
 * classes, torch dtypes, torch.Size, torch.device, bytes/set helpers), and REDUCE/NEWOBJ/BUILD build neutral
 * values (types.ts). Anything else (e.g. `posix.system`) is refused with an error naming the global.
 * Hostile input cannot loop (one pass over the bytes) or allocate more than a small multiple of its size.
 * The allowlist and its rebuild functions are in unpickle-globals.ts. Imports only src/core/dtype.ts.
 */
import { dtypeFromStorageClass } from './dtypeNames.js';
import { findRefused, isRefused, refused } from './refused.js';
import { CheckpointFormatError, fileLabel } from './errors.js';
import { latin1Decode, utf8Decode } from './bytes.js';
import { OP, opcodeName } from './pickleOpcodes.js';
import { nestingDepth, nestingTracker, MAX_NESTING } from './nesting.js';
import { ALLOWED_GLOBALS_HINT, MODULE_ALIASES, REBUILDERS, TORCH_UNSUPPORTED, describe, hashable, isValueGlobal, type Ctx } from './unpickle-globals.js';
import {
  isPyGlobal, isPyObject, isRawTensor, isTuple, PyOrderedDict,
  type PyGlobal, type PyKey, type PyObject, type PyValue,
} from './types.js';

export interface UnpickleOptions {
  /** Where the pickle comes from, for messages (e.g. 'model.pt (archive/data.pkl)'). */
  name?: string;
  /** Resolves BINPERSID/PERSID ids; torch zips use ('storage', storage class, key, location, numel). Without it, persistent ids are refused. */
  persistentLoad?: (pid: PyValue) => PyValue;
  /** Return integral Python floats (e.g. 1.0) as PyFloat instead of plain numbers, so they are re-pickled as floats. */
  preserveFloatType?: boolean;
  /** Largest accepted integer encoding in bytes (LONG1/LONG4/text), default 1024. */
  maxIntBytes?: number;
  /** Deepest container nesting accepted (default MAX_NESTING, 1000); deeper values and cycles are refused. */
  maxNesting?: number;
}

/** Decode a little-endian two's complement integer (Python's decode_long). */
function decodeLong(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return normInt(v);
}
function normInt(v: bigint): number | bigint {
  return v >= -(2n ** 53n) + 1n && v <= 2n ** 53n - 1n ? Number(v) : v;
}

/**
 * Run a pickle and return its value. Throws CheckpointFormatError naming the file, the byte position and the
 * opcode for anything malformed, unsupported or not allow-listed.
 */
export function unpickle(data: Uint8Array, opts: UnpickleOptions = {}): PyValue {
  const label = fileLabel(opts.name);
  const maxIntBytes = opts.maxIntBytes ?? 1024;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let pos = 0;
  let opPos = 0;
  let op = -1;
  const fail: (msg: string) => never = (msg) => {
    throw new CheckpointFormatError(`${label}pickle ${op >= 0 ? `${opcodeName(op)} ` : ''}at byte ${opPos}: ${msg}`, opts.name);
  };
  const ctx: Ctx = { fail, preserveFloatType: opts.preserveFloatType === true };

  let stack: PyValue[] = [];
  const metastack: PyValue[][] = [];
  const memo = new Map<number, PyValue>();
  // Early nesting check as containers are filled (the complete one runs at STOP): see nesting.ts.
  const maxNesting = opts.maxNesting ?? MAX_NESTING;
  const nest = nestingTracker(maxNesting, (msg) => fail(`${msg}; the file is corrupt or hostile`));

  const need = (n: number): void => {
    if (n > data.length - pos) fail(`needs ${n} more bytes but only ${data.length - pos} remain; the pickle is truncated`);
  };
  const read = (n: number): Uint8Array => {
    need(n);
    const b = data.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  const u8 = (): number => { need(1); return data[pos++]; };
  const u16 = (): number => { need(2); const v = view.getUint16(pos, true); pos += 2; return v; };
  const u32 = (): number => { need(4); const v = view.getUint32(pos, true); pos += 4; return v; };
  const i32 = (): number => { need(4); const v = view.getInt32(pos, true); pos += 4; return v; };
  const u64 = (): number => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(data.length)) fail(`length ${v} is larger than the whole pickle (${data.length} bytes)`);
    return Number(v);
  };
  const readline = (max = 65536): string => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0) fail('missing newline; the pickle is truncated');
    if (end - pos > max) fail(`line longer than ${max} bytes`);
    const s = latin1Decode(data.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const pop = (): PyValue => {
    if (stack.length === 0) fail('stack underflow; the pickle is corrupt');
    return stack.pop() as PyValue;
  };
  const top = (): PyValue => {
    if (stack.length === 0) fail('stack underflow; the pickle is corrupt');
    return stack[stack.length - 1];
  };
  const popMark = (): PyValue[] => {
    const items = stack;
    const prev = metastack.pop();
    if (!prev) fail('no MARK on the stack; the pickle is corrupt');
    stack = prev;
    return items;
  };
  const str = (b: Uint8Array): string => {
    try {
      return utf8Decode(b);
    } catch {
      return fail('string is not valid UTF-8');
    }
  };
  const textInt = (s: string): number | bigint => {
    const t = s.endsWith('L') ? s.slice(0, -1) : s;
    if (!/^[+-]?\d+$/.test(t) || t.length > maxIntBytes * 3) fail(`bad integer literal ${JSON.stringify(s.slice(0, 40))}`);
    return normInt(BigInt(t));
  };
  const floatValue = (v: number): PyValue => (ctx.preserveFloatType && Number.isInteger(v) ? { kind: 'float', value: v } : v);
  const resolveGlobal = (moduleIn: string, name: string): PyGlobal => {
    const module = MODULE_ALIASES[moduleIn] ?? moduleIn;
    const full = `${module}.${name}`;
    if (module === 'torch' && name.endsWith('Storage')) {
      if (!dtypeFromStorageClass(name)) fail(`storage class torch.${name} holds a dtype torchlet does not support; convert the tensors in Python (e.g. .float()) before saving`);
      return { kind: 'global', module, name };
    }
    if (REBUILDERS[full] || isValueGlobal(module, name)) return { kind: 'global', module, name };
    if (TORCH_UNSUPPORTED.has(full)) fail(`global '${full}' is allowed by torch's weights-only loader but not supported by torchlet (sparse, quantized, meta, nested or legacy tensors); convert to dense CPU tensors in Python and save again`);
    // not refused yet: an inert marker, so that the error can name the key that holds it (see refused.ts)
    if (firstRefused === null) { firstRefused = full; refusedAt = [op, opPos]; }
    return refused(full) as unknown as PyGlobal;
  };
  let firstRefused: string | null = null;
  let refusedAt: [number, number] = [-1, 0];
  const refusedMessage = (full: string, path: string | null): string =>
    `refusing to load global '${full}'${path ? ` (the value at '${path}')` : ''}: a weights-only load allows only ${ALLOWED_GLOBALS_HINT}. ` +
    'Loading this file with plain pickle could run code. ' +
    (path ? `If that entry is not needed (e.g. PyTorch 1.13's OneCycleLR state dict holds its 'anneal_func' method), delete it in Python before torch.save; otherwise, i` : 'I') +
    'f you trust the file, load it in Python with torch.load(weights_only=False) and save a plain state dict (or safetensors)';
  const callGlobal = (fn: PyValue, args: PyValue, how: string): PyValue => {
    if (isRefused(fn)) return fn; // built from a refused global: stays an inert marker
    if (!isPyGlobal(fn)) fail(`${how} target must be an allowed global, got ${describe(fn)}`);
    const argv = isTuple(args) ? args.items : fail(`${how} arguments must be a tuple, got ${describe(args)}`);
    const full = `${fn.module}.${fn.name}`;
    const r = REBUILDERS[full];
    if (!r) fail(`calling ${full} is not allowed`);
    return r(argv, ctx);
  };
  const persistent = (pid: PyValue): PyValue => {
    if (!opts.persistentLoad) fail('persistent id found but no persistent loader given (a torch.save pickle must be read with readTorchZip)');
    return opts.persistentLoad(pid);
  };

  try {
    for (;;) {
      if (pos >= data.length) fail('reached the end of the data without STOP; the pickle is truncated');
      opPos = pos;
      op = data[pos++];
      switch (op) {
        case OP.PROTO: {
          const v = u8();
          if (v > 5) fail(`unsupported pickle protocol ${v} (0-5 are known)`);
          break;
        }
        case OP.FRAME: u64(); break;
        case OP.STOP: {
          const v = pop();
          const whole = nestingDepth(v, maxNesting);
          if ('error' in whole) fail(`${whole.error}; the file is corrupt or hostile`);
          if (firstRefused !== null) {
            const at = findRefused(v);
            [op, opPos] = refusedAt; // report the opcode and byte that named the global
            fail(refusedMessage(at?.global ?? firstRefused, at && at.path !== '' ? at.path : null));
          }
          return v;
        }
        case OP.MARK: metastack.push(stack); stack = []; break;
        case OP.POP: if (stack.length) stack.pop(); else popMark(); break;
        case OP.POP_MARK: popMark(); break;
        case OP.DUP: stack.push(top()); break;
        case OP.NONE: stack.push(null); break;
        case OP.NEWTRUE: stack.push(true); break;
        case OP.NEWFALSE: stack.push(false); break;
        case OP.INT: {
          const s = readline();
          stack.push(s === '01' ? true : s === '00' ? false : textInt(s));
          break;
        }
        case OP.LONG: stack.push(textInt(readline())); break;
        case OP.BININT: stack.push(i32()); break;
        case OP.BININT1: stack.push(u8()); break;
        case OP.BININT2: stack.push(u16()); break;
        case OP.LONG1: stack.push(decodeLong(read(u8()))); break;
        case OP.LONG4: {
          const n = i32();
          if (n < 0 || n > maxIntBytes) fail(`integer of ${n} bytes is out of range (limit ${maxIntBytes})`);
          stack.push(decodeLong(read(n)));
          break;
        }
        case OP.FLOAT: {
          const s = readline(100);
          const v = Number(s.trim());
          if (Number.isNaN(v) && !/^[+-]?nan$/i.test(s.trim())) fail(`bad float literal ${JSON.stringify(s)}`);
          stack.push(floatValue(v));
          break;
        }
        case OP.BINFLOAT: need(8); stack.push(floatValue(view.getFloat64(pos, false))); pos += 8; break;
        case OP.BINUNICODE: stack.push(str(read(u32()))); break;
        case OP.SHORT_BINUNICODE: stack.push(str(read(u8()))); break;
        case OP.BINUNICODE8: stack.push(str(read(u64()))); break;
        case OP.BINSTRING: case OP.SHORT_BINSTRING: {
          const n = op === OP.BINSTRING ? i32() : u8();
          if (n < 0) fail('negative string length');
          const b = read(n);
          let s: string;
          try { s = utf8Decode(b); } catch { s = latin1Decode(b); }
          stack.push(s);
          break;
        }
        case OP.BINBYTES: stack.push(read(u32()).slice()); break;
        case OP.SHORT_BINBYTES: stack.push(read(u8()).slice()); break;
        case OP.BINBYTES8: case OP.BYTEARRAY8: stack.push(read(u64()).slice()); break;
        case OP.EMPTY_LIST: stack.push([]); break;
        case OP.LIST: { const items = popMark(); stack.push(nest(items, items)); break; }
        case OP.APPEND: {
          const v = pop();
          const l = top();
          if (!Array.isArray(l)) fail(`can only append to a list, got ${describe(l)}`);
          l.push(v);
          nest(l, [v]);
          break;
        }
        case OP.APPENDS: {
          const items = popMark();
          const l = top();
          if (!Array.isArray(l)) fail(`can only extend a list, got ${describe(l)}`);
          for (const it of items) l.push(it);
          nest(l, items);
          break;
        }
        case OP.EMPTY_TUPLE: stack.push({ kind: 'tuple', items: [] }); break;
        case OP.TUPLE: { const items = popMark(); stack.push(nest({ kind: 'tuple', items }, items)); break; }
        case OP.TUPLE1: case OP.TUPLE2: case OP.TUPLE3: {
          const n = op - OP.TUPLE1 + 1;
          if (stack.length < n) fail('stack underflow; the pickle is corrupt');
          const items = stack.splice(stack.length - n, n);
          stack.push(nest({ kind: 'tuple', items }, items));
          break;
        }
        case OP.EMPTY_DICT: stack.push(new Map()); break;
        case OP.DICT: {
          const items = popMark();
          if (items.length % 2) fail('odd number of items for a dict');
          const d = new Map<PyKey, PyValue>();
          for (let i = 0; i < items.length; i += 2) d.set(hashable(items[i], ctx), items[i + 1]);
          stack.push(nest(d, items));
          break;
        }
        case OP.SETITEM: {
          const v = pop();
          const k = pop();
          const d = top();
          if (!(d instanceof Map)) fail(`can only set items on a dict, got ${describe(d)}`);
          d.set(hashable(k, ctx), v);
          nest(d, [k, v]);
          break;
        }
        case OP.SETITEMS: {
          const items = popMark();
          const d = top();
          if (!(d instanceof Map)) fail(`can only set items on a dict, got ${describe(d)}`);
          if (items.length % 2) fail('odd number of items for SETITEMS');
          for (let i = 0; i < items.length; i += 2) d.set(hashable(items[i], ctx), items[i + 1]);
          nest(d, items);
          break;
        }
        case OP.EMPTY_SET: stack.push({ kind: 'object', type: { kind: 'global', module: 'builtins', name: 'set' }, args: [[]] }); break;
        case OP.FROZENSET: {
          const items = popMark();
          stack.push({ kind: 'object', type: { kind: 'global', module: 'builtins', name: 'frozenset' }, args: [items] });
          break;
        }
        case OP.ADDITEMS: {
          const items = popMark();
          const s = top();
          if (!isPyObject(s) || s.type.name !== 'set' || !Array.isArray(s.args[0])) fail(`can only add items to a set, got ${describe(s)}`);
          for (const it of items) (s as PyObject & { args: PyValue[][] }).args[0].push(it);
          break;
        }
        case OP.PUT: memo.set(Number(textInt(readline(32))), top()); break;
        case OP.BINPUT: { const i = u8(); memo.set(i, top()); break; }
        case OP.LONG_BINPUT: { const i = u32(); memo.set(i, top()); break; }
        case OP.MEMOIZE: memo.set(memo.size, top()); break;
        case OP.GET: case OP.BINGET: case OP.LONG_BINGET: {
          const i = op === OP.GET ? Number(textInt(readline(32))) : op === OP.BINGET ? u8() : u32();
          if (!memo.has(i)) fail(`memo key ${i} is not defined; the pickle is corrupt`);
          stack.push(memo.get(i) as PyValue);
          break;
        }
        case OP.GLOBAL: {
          const module = readline(1000);
          const name = readline(1000);
          stack.push(resolveGlobal(module, name));
          break;
        }
        case OP.STACK_GLOBAL: {
          const name = pop();
          const module = pop();
          if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
          stack.push(resolveGlobal(module, name));
          break;
        }
        case OP.REDUCE: {
          const args = pop();
          const fn = pop();
          stack.push(callGlobal(fn, args, 'REDUCE'));
          break;
        }
        case OP.NEWOBJ: {
          const args = pop();
          const cls = pop();
          if (isRefused(cls)) { stack.push(cls); break; }
          if (!isPyGlobal(cls) || !['torch.nn.parameter.Parameter', 'collections.OrderedDict', 'builtins.set', 'builtins.frozenset'].includes(`${cls.module}.${cls.name}`)) {
            fail(`NEWOBJ may only build allowed classes, got ${describe(cls)}`);
          }
          stack.push(callGlobal(cls, args, 'NEWOBJ'));
          break;
        }
        case OP.BUILD: {
          const state = pop();
          const inst = top();
          if (isRefused(inst)) break;
          if (inst instanceof PyOrderedDict) {
            const st = isTuple(state) && state.items.length === 2 ? state.items[0] : state;
            if (st === null) break;
            if (!(st instanceof Map)) fail(`OrderedDict state must be a dict, got ${describe(st)}`);
            inst.attrs ??= new Map();
            for (const [k, v] of st) {
              if (typeof k !== 'string') fail('OrderedDict attribute names must be strings');
              inst.attrs.set(k, v);
            }
          } else if (isRawTensor(inst)) {
            // Parameter.__setstate__ / legacy tensor state: nothing torchlet models; accept empty state only.
            const empty = state === null || (state instanceof Map && state.size === 0) || (isTuple(state) && state.items.every((x) => x === null || (x instanceof Map && x.size === 0) || typeof x === 'boolean'));
            if (!empty) fail('tensor state (BUILD) with content is not supported; save tensors without custom attributes');
          } else {
            fail(`BUILD is only allowed on OrderedDict and tensors, got ${describe(inst)}`);
          }
          break;
        }
        case OP.BINPERSID: stack.push(persistent(pop())); break;
        case OP.PERSID: stack.push(persistent(readline())); break;
        case OP.STRING: case OP.UNICODE:
          fail('protocol 0 text strings are not supported; re-save with torch.save (protocol 2) or pickle protocol >= 2');
          break;
        case OP.INST: case OP.OBJ: case OP.NEWOBJ_EX: case OP.EXT1: case OP.EXT2: case OP.EXT4:
          fail('building arbitrary objects is not allowed in a weights-only load; save a plain state dict');
          break;
        case OP.NEXT_BUFFER: case OP.READONLY_BUFFER:
          fail('out-of-band buffers are not supported');
          break;
        default:
          fail('unknown opcode; the file is corrupt or not a pickle');
      }
    }
  } catch (e) {
    // a refused global that broke the pickle's structure before STOP: report the global itself
    if (firstRefused !== null && !(e instanceof CheckpointFormatError && e.message.includes('refusing to load global'))) {
      throw new CheckpointFormatError(`${label}pickle ${opcodeName(refusedAt[0])} at byte ${refusedAt[1]}: ${refusedMessage(firstRefused, null)}`, opts.name);
    }
    if (e instanceof CheckpointFormatError) throw e;
    throw new CheckpointFormatError(`${label}pickle ${opcodeName(op)} at byte ${opPos}: ${(e as Error)?.message ?? String(e)}`, opts.name);
  }
}
