/**
 * @file Interop with real PyTorch, both directions, once per reference installation (torch 1.13 at /usr/bin/python3
 * and torch 2.6 + the safetensors library (0.4.5) in the trixie root; a missing one is skipped with the reason, or fails in CI):
 * Python (scripts/fixtures/io.py --out) writes fresh .pt/.safetensors and torchlet reads them (every value
 * compared, safetensors included); torchlet writes .pt (round-tripped fixtures and values built from scratch) and
 * .safetensors (every dtype), and Python (io.py --check) loads them with torch.load(weights_only=True) and, under
 * 2.6, the reference `safetensors` library, and compares values, dtypes, strides and sharing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  contiguousRawTensor, parseSafetensors, PyOrderedDict, pyFloat, readTorchZip, tuple, writeSafetensors, writeTorchZip,
  type PyKey, type PyValue, type RawStorage, type RawTensor,
} from '../../src/io/codecs/index.js';
import { encode, loadExpected, normalize, normalizeTensor, SCRIPT, toPythonJson, type Json } from './expected.js';
import { pytorchVersions, requireOrSkip, type PyEnv } from '../helpers/python.js';

function bytesOf(arr: ArrayBufferView): Uint8Array {
  return new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength).slice();
}

/** A state dict as torchlet would produce it: every dtype, shared storages, views, a parameter. No floats in the pickle. */
function scratchTensors(): PyOrderedDict {
  const sd = new PyOrderedDict();
  const w = contiguousRawTensor('float32', [2, 3], bytesOf(new Float32Array([1, -2.5, 3, NaN, Infinity, -0])), { isParameter: true, requiresGrad: true });
  sd.set('w', w);
  sd.set('w_t', { kind: 'tensor', storage: w.storage, shape: [3, 2], strides: [1, 3], offset: 0 });
  sd.set('w_row1', { kind: 'tensor', storage: w.storage, shape: [3], strides: [1], offset: 3 });
  sd.set('f64', contiguousRawTensor('float64', [2], bytesOf(new Float64Array([Math.PI, -1e-300]))));
  sd.set('f16', contiguousRawTensor('float16', [3], bytesOf(new Uint16Array([0x3c00, 0xc000, 0x7c00]))));
  sd.set('bf16', contiguousRawTensor('bfloat16', [2], bytesOf(new Uint16Array([0x3f80, 0xc0a0]))));
  sd.set('i64', contiguousRawTensor('int64', [3], bytesOf(new BigInt64Array([0n, -5n, 2n ** 62n]))));
  sd.set('i32', contiguousRawTensor('int32', [1, 2], bytesOf(new Int32Array([-7, 2 ** 31 - 1]))));
  sd.set('i8', contiguousRawTensor('int8', [2], bytesOf(new Int8Array([-128, 127]))));
  sd.set('u8', contiguousRawTensor('uint8', [2], Uint8Array.from([0, 255])));
  sd.set('bool', contiguousRawTensor('bool', [3], Uint8Array.from([1, 0, 1])));
  sd.set('scalar', contiguousRawTensor('int64', [], bytesOf(new BigInt64Array([42n]))));
  sd.set('empty', contiguousRawTensor('float32', [0, 4], new Uint8Array(0)));
  sd.attrs = new Map([['_metadata', new PyOrderedDict([['', new Map([['version', 1]])]] as [string, PyValue][])]]);
  return sd;
}

/** An optimizer-state-like value with floats (torch 1.13's weights-only loader cannot read floats; 2.x can). */
function scratchFull(): PyValue {
  const storage: RawStorage = { kind: 'storage', dtype: 'float32', bytes: bytesOf(new Float32Array([0.5, 0.25])) };
  const buf: RawTensor = { kind: 'tensor', storage, shape: [2], strides: [1], offset: 0 };
  return new Map<PyKey, PyValue>([
    ['state', new Map<PyKey, PyValue>([[0, new Map<PyKey, PyValue>([['momentum_buffer', buf], ['step', pyFloat(3)]])]])],
    ['param_groups', [new Map<PyKey, PyValue>([['lr', 0.01], ['momentum', 0.9], ['nesterov', false], ['params', [0]], ['betas', tuple(0.9, 0.999)], ['name', null]])]],
    ['big', 2n ** 70n],
  ] as [PyKey, PyValue][]);
}

function python(env: PyEnv, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = env.run(SCRIPT, args, { timeout: 240_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** dtype, shape and values of a tensor's encoding (a safetensors tensor has no strides or sharing to compare). */
function dsv(t: Json): Json {
  const o = t as { [k: string]: Json };
  return { dtype: o.dtype, shape: o.shape, values: o.values };
}

for (const env of pytorchVersions()) {

  test(`interop: ${env.label} writes, torchlet reads`, (t) => {
    if (requireOrSkip(t, env.skip)) return;
    const dir = env.tmpdir();
    try {
      const r = python(env, ['--out', env.inner(dir)]);
      assert.equal(r.status, 0, r.stderr);
      const expected = loadExpected(join(dir, 'expected.json'));
      let checked = 0;
      for (const f of readdirSync(dir)) {
        const exp = expected[f] as { [k: string]: Json } | undefined;
        if (!exp) continue;
        const bytes = new Uint8Array(readFileSync(join(dir, f)));
        if ('$error' in exp) {
          assert.throws(() => readTorchZip(bytes, { name: f }), new RegExp(exp.$error === 'legacy' ? 'legacy' : (exp.$error as string).replace('.', '\\.')));
        } else if (f.endsWith('.pt')) {
          assert.deepStrictEqual(encode(readTorchZip(bytes, { name: f, preserveFloatType: true })), normalize(exp), f);
        } else {
          const file = parseSafetensors(bytes, { name: f });
          const want = new Map((exp.tensors as [string, Json][]).map(([k, v]) => [k, dsv(normalizeTensor(v as { [k: string]: Json }))]));
          assert.deepEqual([...file.tensors.keys()].sort(), [...want.keys()].sort(), `${f}: keys`);
          for (const [k, t] of file.tensors) {
            assert.deepStrictEqual(dsv((encode(contiguousRawTensor(t.dtype, t.shape, t.data)) as { $tensor: Json }).$tensor), want.get(k), `${f}: ${k} values`);
          }
          assert.deepEqual(file.metadata, exp.metadata);
        }
        checked++;
      }
      assert.ok(checked >= 10, `checked ${checked} files`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`interop: torchlet writes, ${env.label} loads with torch.load(weights_only=True)${env.label === 'torch 2.6' ? ' and the safetensors library' : ''}`, (t) => {
    if (requireOrSkip(t, env.skip)) return;
    const src = env.tmpdir();
    const dir = env.tmpdir();
    try {
      assert.equal(python(env, ['--out', env.inner(src)]).status, 0);
      const srcExpected = JSON.parse(readFileSync(join(src, 'expected.json'), 'utf8')) as { files: Record<string, Json> };
      const files: Record<string, Json> = { ...srcExpected.files };
      for (const f of readdirSync(src)) {
        const bytes = new Uint8Array(readFileSync(join(src, f)));
        const exp = srcExpected.files[f] as { [k: string]: Json } | undefined;
        if (!exp || '$error' in exp) continue;
        if (f.endsWith('.pt')) {
          writeFileSync(join(dir, `rt_${f}`), writeTorchZip(readTorchZip(bytes, { name: f, preserveFloatType: true }), { archiveName: `rt_${f.replace('.pt', '')}` }));
        } else {
          const st = parseSafetensors(bytes, { name: f });
          writeFileSync(join(dir, `rt_${f}`), writeSafetensors(st.tensors, st.metadata));
        }
      }
      const tensors = scratchTensors();
      writeFileSync(join(dir, 'scratch_tensors.pt'), writeTorchZip(tensors));
      files['scratch_tensors.pt'] = toPythonJson(encode(tensors));
      const full = scratchFull();
      writeFileSync(join(dir, 'scratch_full.pt'), writeTorchZip(full));
      files['scratch_full.pt'] = toPythonJson(encode(full));
      const stTensors = new Map([...tensors].filter(([k]) => !['w_t', 'w_row1'].includes(k as string)) as [string, RawTensor][]);
      writeFileSync(join(dir, 'scratch_st.safetensors'), writeSafetensors(stTensors, { format: 'pt' }));
      files['scratch_st.safetensors'] = {
        tensors: [...stTensors].map(([k, v]) => [k, (toPythonJson(encode(v)) as { $tensor: Json }).$tensor]),
        metadata: { format: 'pt' },
      };
      const expectedPath = join(src, 'expected_ts.json');
      writeFileSync(expectedPath, JSON.stringify({ files }));
      const r = python(env, ['--check', env.inner(dir), '--expected', env.inner(expectedPath)]);
      const report = JSON.parse(r.stdout || '{"files":{}}') as { torch_version: string; safetensors: string; files: Record<string, { equal: boolean; mode: string; error?: string; got?: Json }> };
      if (env.label === 'torch 2.6') assert.match(report.safetensors, /^safetensors \d/, 'the reference safetensors library reads them');
      const bad = Object.entries(report.files).filter(([, e]) => !e.equal);
      assert.deepEqual(bad, [], `torch ${report.torch_version} disagrees: ${JSON.stringify(bad).slice(0, 2000)} ${r.stderr}`);
      assert.ok(Object.keys(report.files).length >= 12, JSON.stringify(Object.keys(report.files)));
      // Under 2.6 every .pt (optimizer states with floats included) loads weights-only.
      if (env.label === 'torch 2.6') {
        for (const [f, e] of Object.entries(report.files)) if (f.endsWith('.pt')) assert.equal(e.mode, 'weights_only=True', f);
      }
      // Tensor-only checkpoints must load with weights_only=True on every torch version.
      for (const f of ['scratch_tensors.pt', 'rt_dtypes.pt', 'rt_views.pt', 'rt_model.pt']) {
        assert.equal(report.files[f]?.mode, 'weights_only=True', `${f}: ${JSON.stringify(report.files[f])}`);
      }
      t.diagnostic(`torch ${report.torch_version} (${report.safetensors}): ${Object.entries(report.files).map(([f, e]) => `${f}: ${e.mode}`).join('; ')}`);
    } finally {
      rmSync(src, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
