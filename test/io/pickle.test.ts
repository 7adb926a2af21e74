/**
 * @file The restricted unpickler and the protocol-2 pickler: Python 3 pickles of protocols 2-5 (bytes produced
 * by CPython, embedded as hex) decode to the same values; disallowed globals, unknown opcodes, truncation and
 * hostile lengths fail with errors naming the global/opcode/byte position; pickle -> unpickle round trips.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CheckpointFormatError, isPyObject, pickle, PyOrderedDict, pyFloat, tuple, unpickle, type PyKey, type PyValue,
} from '../../src/io/codecs/index.js';
import { encode } from './expected.js';

// pickle.dumps(v, protocol=p) from CPython 3.11 for
// v = {'a': [1, 2.5, (3,), (), (1,2,3,4)], 'b': b'xy\x00\xff', 'c': {1, 2}, 'd': 2**100, 'e': -7, 'f': frozenset([5]),
//      'g': 'é', 'h': None, 'i': True, 'od': OrderedDict(w=1) with _metadata={'': {'version': 1}}, 'neg': -(2**40), 'ba': bytearray(b'z')}
const CPYTHON: Record<number, string> = {
  2: '80027d71002858010000006171015d7102284b014740040000000000004b0385710329284b014b024b034b04747104655801000000627105635f636f646563730a656e636f64650a71065805000000787900c3bf710758060000006c6174696e31710886710952710a580100000063710b635f5f6275696c74696e5f5f0a7365740a710c5d710d284b014b026585710e52710f58010000006471108a0d0000000000000000000000001058010000006571114af9ffffff5801000000667112635f5f6275696c74696e5f5f0a66726f7a656e7365740a71135d71144b056185711552711658010000006771175802000000c3a9711858010000006871194e580100000069711a8858020000006f64711b63636f6c6c656374696f6e730a4f726465726564446963740a711c2952711d580100000077711e4b01737d711f58090000005f6d6574616461746171207d7121580000000071227d7123580700000076657273696f6e71244b017373736258030000006e656771258a060000000000ff580200000062617126635f5f6275696c74696e5f5f0a6279746561727261790a7127680658010000007a7128680886712952712a85712b52712c752e',
  3: '80037d71002858010000006171015d7102284b014740040000000000004b0385710329284b014b024b034b047471046558010000006271054304787900ff71065801000000637107636275696c74696e730a7365740a71085d7109284b014b026585710a52710b580100000064710c8a0d00000000000000000000000010580100000065710d4af9ffffff580100000066710e636275696c74696e730a66726f7a656e7365740a710f5d71104b056185711152711258010000006771135802000000c3a9711458010000006871154e58010000006971168858020000006f64711763636f6c6c656374696f6e730a4f726465726564446963740a711829527119580100000077711a4b01737d711b58090000005f6d65746164617461711c7d711d5800000000711e7d711f580700000076657273696f6e71204b017373736258030000006e656771218a060000000000ff580200000062617122636275696c74696e730a6279746561727261790a712343017a7124857125527126752e',
  4: '800495fd000000000000007d94288c0161945d94284b014740040000000000004b03859429284b014b024b034b047494658c0162944304787900ff948c0163948f94284b014b02908c0164948a0d000000000000000000000000108c0165944af9ffffff8c016694284b0591948c0167948c02c3a9948c0168944e8c016994888c026f64948c0b636f6c6c656374696f6e73948c0b4f726465726564446963749493942952948c0177944b01737d948c095f6d65746164617461947d948c00947d948c0776657273696f6e944b01737373628c036e6567948a060000000000ff8c026261948c086275696c74696e73948c0962797465617272617994939443017a9485945294752e',
  5: '800595e7000000000000007d94288c0161945d94284b014740040000000000004b03859429284b014b024b034b047494658c0162944304787900ff948c0163948f94284b014b02908c0164948a0d000000000000000000000000108c0165944af9ffffff8c016694284b0591948c0167948c02c3a9948c0168944e8c016994888c026f64948c0b636f6c6c656374696f6e73948c0b4f726465726564446963749493942952948c0177944b01737d948c095f6d65746164617461947d948c00947d948c0776657273696f6e944b01737373628c036e6567948a060000000000ff8c026261949601000000000000007a94752e',
};
const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));
const bytes = (...parts: (string | number[])[]): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...Buffer.from(p, 'latin1')] : p)));

for (const p of [2, 3, 4, 5]) {
  test(`decodes CPython protocol ${p} pickles`, () => {
    const v = unpickle(hex(CPYTHON[p]), { name: `p${p}.pkl` }) as Map<string, PyValue>;
    assert.deepEqual([...v.keys()], ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'od', 'neg', 'ba']);
    assert.deepEqual(encode(v.get('a')!), [1, { $float: 2.5 }, { $tuple: [3] }, { $tuple: [] }, { $tuple: [1, 2, 3, 4] }]);
    assert.deepEqual(v.get('b'), Uint8Array.from([0x78, 0x79, 0, 0xff]));
    const set = v.get('c')!;
    assert.ok(isPyObject(set) && set.type.name === 'set');
    assert.deepEqual(set.args[0], [1, 2]);
    assert.equal(v.get('d'), 2n ** 100n);
    assert.equal(v.get('e'), -7);
    assert.equal(v.get('g'), 'é');
    assert.equal(v.get('h'), null);
    assert.equal(v.get('i'), true);
    const od = v.get('od') as PyOrderedDict;
    assert.ok(od instanceof PyOrderedDict);
    assert.equal(od.get('w'), 1);
    assert.deepEqual(encode(od.attrs!.get('_metadata')!), { $dict: [['', { $dict: [['version', 1]] }]] });
    assert.equal(v.get('neg'), -(2 ** 40));
    assert.deepEqual(v.get('ba'), Uint8Array.from([0x7a]));
  });
}

test('refuses os.system / posix.system / builtins.eval, naming the global', () => {
  const osSystem = bytes([0x80, 2], 'cos\nsystem\nq\x00X', [2, 0, 0, 0], 'ls', [0x85], 'R.');
  assert.throws(() => unpickle(osSystem, { name: 'evil.pkl' }), (e: Error) => {
    assert.ok(e instanceof CheckpointFormatError);
    assert.match(e.message, /^evil\.pkl: pickle GLOBAL \(0x63\) at byte 2: refusing to load global 'os\.system'/);
    return true;
  });
  const stackGlobal = bytes([0x80, 4, 0x8c, 8], 'builtins', [0x8c, 4], 'eval', [0x93], '.');
  assert.throws(() => unpickle(stackGlobal), /STACK_GLOBAL \(0x93\) at byte 18: refusing to load global 'builtins\.eval'/);
  const py2 = bytes([0x80, 2], 'c__builtin__\ngetattr\n.');
  assert.throws(() => unpickle(py2), /'builtins\.getattr'/);
  assert.throws(() => unpickle(bytes([0x80, 2], 'ctorch._utils\n_rebuild_sparse_tensor\n.')), /not supported by torchlet/);
  assert.throws(() => unpickle(bytes([0x80, 2], 'ctorch\nComplexFloatStorage\n.')), /torch\.ComplexFloatStorage holds a dtype torchlet does not support/);
});

test('unknown opcodes, truncation and hostile lengths give errors with opcode and byte position', () => {
  assert.throws(() => unpickle(bytes([0x80, 2, 0xff]), { name: 'x' }), /x: pickle unknown opcode 0xff at byte 2/);
  assert.throws(() => unpickle(bytes([0x80, 2], 'Z')), /unknown opcode 0x5a 'Z' at byte 2/);
  assert.throws(() => unpickle(bytes([0x80, 2, 0x58, 0x10, 0, 0, 0], 'ab')), /BINUNICODE \(0x58\) at byte 2: needs 16 more bytes but only 2 remain/);
  assert.throws(() => unpickle(bytes([0x80, 2, 0x58, 0xff, 0xff, 0xff, 0xff])), /needs 4294967295 more bytes/);
  assert.throws(() => unpickle(bytes([0x80, 4, 0x8d, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])), /larger than the whole pickle/);
  assert.throws(() => unpickle(bytes([0x80, 2, 0x8b, 0xff, 0xff, 0xff, 0x7f])), /LONG4 .* out of range/);
  assert.throws(() => unpickle(bytes([0x80, 2, 0x4e])), /without STOP/);
  assert.throws(() => unpickle(bytes([0x80, 2], '.')), /stack underflow/);
  assert.throws(() => unpickle(bytes([0x80, 2, 0x68, 5], '.')), /memo key 5 is not defined/);
  assert.throws(() => unpickle(bytes([0x80, 2, 0x4b, 1, 0x4b, 2], 'a.')), /can only append to a list/);
  assert.throws(() => unpickle(bytes([0x80, 2], 'K\x01Q.')), /no persistent loader/);
  assert.throws(() => unpickle(bytes([0x80, 9], 'N.')), /unsupported pickle protocol 9/);
  assert.throws(() => unpickle(bytes([0x80, 2], '}]N', [0x73], '.')), /unhashable dict key: a list/);
  assert.throws(() => unpickle(bytes([0x80, 2], 'u.')), /no MARK/);
});

test('pickle -> unpickle round trip, protocol 2, memo sharing kept', () => {
  const shared: PyValue[] = ['s'];
  const od = new PyOrderedDict();
  od.set('k', 1);
  od.attrs = new Map([['_metadata', new Map([['', new Map([['version', 2]])]])]]);
  const v = new Map<PyKey, PyValue>([
    ['ints', [0, 255, 256, 65535, 65536, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 53 - 1, -(2 ** 53) + 1]],
    ['big', [2n ** 63n, -(2n ** 63n), 2n ** 64n - 1n, 2n ** 53n]],
    ['floats', [0.1, -0, NaN, Infinity, pyFloat(2), 1e300]],
    ['strs', ['', 'ascii', 'ünïcödé 世界', 'x'.repeat(300)]],
    ['tuples', [tuple(), tuple(1), tuple(1, 2), tuple(1, 2, 3), tuple(1, 2, 3, 4)]],
    ['shared', [shared, shared]],
    ['od', od],
    ['big_list', Array.from({ length: 2500 }, (_, i) => i)],
  ] as [PyKey, PyValue][]);
  const p = pickle(v);
  assert.deepEqual([...p.subarray(0, 2)], [0x80, 2]);
  const back = unpickle(p, { preserveFloatType: true }) as Map<PyKey, PyValue>;
  assert.deepEqual(encode(back), encode(v));
  const sh = back.get('shared') as PyValue[][];
  assert.equal(sh[0], sh[1]);
  assert.equal(back.get('big_list') instanceof Array && (back.get('big_list') as number[]).length, 2500);
  assert.equal(((back.get('ints') as number[])[0]), 0);
});

test('pickle refuses what Python cannot represent', () => {
  const t: { kind: 'tuple'; items: PyValue[] } = tuple();
  t.items.push(t);
  assert.throws(() => pickle(t), /contains itself/);
  assert.throws(() => pickle({ kind: 'storage', dtype: 'float32', bytes: new Uint8Array(4) }), /storageId/);
});

test('bigints within 2^53 come back as numbers; larger ints as bigint', () => {
  assert.deepEqual(unpickle(pickle([0n, 5n, -(2n ** 53n) + 1n, 2n ** 53n])), [0, 5, -(2 ** 53) + 1, 2n ** 53n]);
});
