/**
 * @file The CPU device: storages are typed arrays; kernels are the plain-TypeScript reference kernels,
 * with GEMM replaceable by a faster implementation (WebAssembly SIMD) through setGemmF32.
 */
import type { Backend, View } from '../backend.js';
import { DTYPES, arrayFor, arrayMatches, type DType, type TypedArray } from '../../core/dtype.js';
import { keepFloat32, reuseFloat32 } from '../../core/f32-pool.js';
import { DTypeError } from '../../core/errors.js';
import { CpuStorage, dataOf } from './storage.js';
import { contiguous, copyInto, fill, unary, binary, where } from './elementwise.js';
import { fma } from './fma.js';
import { reduce, cumsum, sort } from './reduce.js';
import { gather, scatter, indexSelect, indexAdd, triangle } from './indexing.js';
import { im2col, col2im, maxPool, maxPoolBackward } from './conv.js';
import { gemm } from './gemm.js';
import { sgdStep, sgdMomentumStep, adamStep } from './optim.js';
import { rnnLayer, rnnLayerBackward } from './rnn.js';
import { softmaxRows, softmaxRowsBackward, layerNormRows, layerNormRowsBackward } from './rows.js';
import { batchNormChannels, batchNormChannelsBackward } from './batchnorm.js';
import { convolution, convolutionBackward } from './conv-fused.js';

/** Can a [B, R, C] view be handed to GEMM as is: returns [transposed, leading dim] or null. */
function gemmLayout(v: View): [boolean, number] | null {
  const [, R, C] = v.shape;
  const [, sr, sc] = v.strides;
  if ((sc === 1 || C === 1) && sr >= C) return [false, Math.max(sr, 1)];
  if ((sr === 1 || R === 1) && sc >= R) return [true, Math.max(sc, 1)];
  return null;
}

function biasData(bias: View, dtype: DType): Float32Array | Float64Array {
  if (bias.dtype !== dtype || bias.shape.length !== 1) throw new DTypeError(`internal: matmul bias must be a 1-D ${dtype} view`);
  return dataOf(bias.storage) as Float32Array | Float64Array;
}

function matmul(a: View, b: View, outDtype: DType, bias?: View, sumsA?: Float32Array | Float64Array): CpuStorage {
  if (outDtype === 'int64' || outDtype === 'int32' || outDtype === 'uint8' || outDtype === 'int8') {
    // integer matmul (as PyTorch on the CPU): exact in float64 while the sums stay below 2^53
    if (bias) throw new DTypeError(`internal: matmul takes a bias for float dtypes only, got ${outDtype}`);
    const f = dataOf(matmul(a, b, 'float64')) as Float64Array;
    const out = arrayFor(outDtype, f.length);
    for (let i = 0; i < f.length; i++) out[i] = outDtype === 'int64' ? Math.trunc(f[i]) : f[i];
    return new CpuStorage(outDtype, out);
  }
  if (outDtype !== 'float32' && outDtype !== 'float64') {
    throw new DTypeError(`matmul: the CPU kernel takes float or integer dtypes, got ${outDtype}; cast with .float() first`);
  }
  const [B, M, K] = a.shape, N = b.shape[2];
  let A = a, Bv = b;
  let la = gemmLayout(A);
  if (!la || A.dtype !== outDtype) { A = { ...A, storage: contiguous(A, outDtype), dtype: outDtype, offset: 0, strides: [M * K, K, 1] }; la = [false, K]; }
  let lb = gemmLayout(Bv);
  if (!lb || Bv.dtype !== outDtype) { Bv = { ...Bv, storage: contiguous(Bv, outDtype), dtype: outDtype, offset: 0, strides: [K * N, N, 1] }; lb = [false, N]; }
  const out = arrayFor(outDtype, B * M * N) as Float32Array | Float64Array;
  gemm({
    transA: la[0], transB: lb[0], m: M, n: N, k: K,
    a: dataOf(A.storage) as Float32Array, aOffset: A.offset, lda: la[1],
    b: dataOf(Bv.storage) as Float32Array, bOffset: Bv.offset, ldb: lb[1],
    c: out, cOffset: 0, ldc: N,
    batch: B, strideA: A.strides[0], strideB: Bv.strides[0], strideC: M * N,
    ...(bias ? { bias: biasData(bias, outDtype), biasOffset: bias.offset, biasStride: bias.strides[0] } : {}),
    ...(sumsA ? { sumsA } : {}),
  });
  return new CpuStorage(outDtype, out);
}

/** Backend.matmulRowSums: the product of a batch-1 GEMM and the float64-ordered sums of a's rows (gemm's sumsA). */
function matmulRowSums(a: View, b: View, outDtype: DType): [CpuStorage, CpuStorage] {
  if ((outDtype !== 'float32' && outDtype !== 'float64') || a.shape[0] !== 1) throw new DTypeError(`internal: matmulRowSums takes one float GEMM, got ${outDtype} x${a.shape[0]}`);
  const sums = arrayFor(outDtype, a.shape[1]) as Float32Array | Float64Array;
  return [matmul(a, b, outDtype, undefined, sums), new CpuStorage(outDtype, sums)];
}

export const cpuBackend: Backend = {
  name: 'cpu',
  capabilities: { syncRead: true, dtypes: DTYPES, fused: ['sgdStep', 'sgdMomentumStep', 'adamStep', 'rnnLayer', 'softmaxRows', 'layerNormRows', 'batchNormChannels', 'convolution'] },
  fromArray(dtype: DType, data: TypedArray) {
    if (!arrayMatches(dtype, data)) throw new DTypeError(`internal: ${data.constructor.name} cannot hold ${dtype}`);
    return new CpuStorage(dtype, data, true); // the caller's array: never taken over by autograd
  },
  alloc: (dtype, size) => new CpuStorage(dtype, arrayFor(dtype, size)),
  // The array leaves the library here (user code may keep views of its buffer): never recycled, and a view into a
  // shared slab is handed out as a copy with a buffer of its own (core/f32-pool.ts).
  readSync: (s) => keepFloat32(dataOf(s)),
  recycle: (s) => { const d = dataOf(s); if (d instanceof Float32Array) reuseFloat32(d); },
  read: (s) => new Promise((resolve) => { resolve(keepFloat32(dataOf(s))); }), // a throw in dataOf rejects, as an async function would
  contiguous, copyInto, fill, unary, binary, where, fma, reduce, matmul, matmulRowSums, cumsum, sort,
  gather, scatter, indexSelect, indexAdd, triangle, im2col, col2im, maxPool, maxPoolBackward,
  sgdStep, sgdMomentumStep, adamStep, rnnLayer, rnnLayerBackward, softmaxRows, softmaxRowsBackward, layerNormRows, layerNormRowsBackward,
  batchNormChannels, batchNormChannelsBackward, convolution, convolutionBackward,
};

