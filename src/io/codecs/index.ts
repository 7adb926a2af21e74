/**
 * @file Checkpoint codecs that PyTorch reads and writes, at the byte level (no Tensor class). Imports only
 * src/core/dtype.ts (and fflate for zip extraction).
 *
 * ## Value model (types.ts)
 * - `RawStorage { kind: 'storage', dtype, bytes (little-endian), key?, location? }`
 * - `RawTensor { kind: 'tensor', storage, shape, strides, offset (in elements), requiresGrad?, isParameter? }`
 *   Views of one storage share one RawStorage object (identity), both when read and when written.
 * - `PyValue`: null | boolean | number (int or float) | bigint (int beyond 2^53) | string | Uint8Array (bytes)
 *   | PyValue[] (list) | PyTuple `{kind:'tuple', items}` | Map (dict) | PyOrderedDict (OrderedDict, with `attrs`
 *   for `_metadata`) | PyFloat `{kind:'float', value}` (forces a float) | PyGlobal (e.g. torch.float32)
 *   | PyObject (`type(*args)`, e.g. torch.device) | RawTensor | RawStorage.
 *   JS numbers are written as Python int when they are safe integers (and not -0), else as float.
 *
 * ## Formats
 * - safetensors: `parseSafetensors(bytes, {name?, maxHeaderBytes?})` -> `{tensors: Map<name, {dtype, shape,
 *   data (zero-copy subarray)}>, metadata}`; `writeSafetensors(tensors, metadata?)` -> bytes.
 * - torch.save zip (PyTorch >= 1.6): `readTorchZip(bytes, {name?, preserveFloatType?, verifyCrc?})` -> PyValue;
 *   `writeTorchZip(value, {archiveName = 'archive'})` -> bytes. Legacy (pre-1.6) files are refused with a clear error.
 * - pickle: `unpickle(bytes, {name?, persistentLoad?, preserveFloatType?})` (restricted, weights-only allowlist)
 *   and `pickle(value, {storageId?})` (protocol 2, as torch.save).
 * - zip: `listZipEntries`, `readZipEntries`, `writeStoredZip` (64-byte aligned stored entries).
 *
 * ## Bridging to Tensor (for torch.save / torch.load)
 * - load: for each RawTensor, `contiguousBytes(t)` gives row-major little-endian bytes of the view; or keep
 *   sharing by creating one Tensor storage per RawStorage and strided views (shape/strides/offset).
 *   Convert bytes to the dtype's typed array (int64 -> Float64Array per src/core/dtype.ts, via BigInt64Array).
 * - save: build `{kind:'tensor', storage:{kind:'storage', dtype, bytes}, shape, strides, offset}`; reuse one
 *   RawStorage object for tensors that share storage; set `isParameter`/`requiresGrad` for nn.Parameter.
 *   State dicts are PyOrderedDict; optimizer state dicts are Maps with number keys.
 * - Errors: every malformed/unsafe input throws `CheckpointFormatError` (message names file, key, problem, remedy).
 */
export * from './types.js';
export { CheckpointFormatError } from './errors.js';
export { SAFETENSORS_CODE, STORAGE_CLASS, dtypeFromSafetensors, dtypeFromStorageClass } from './dtypeNames.js';
export { numelOf, contiguousStrides, isContiguous, storageNumel, tensorBoundsProblem, contiguousRawTensor, contiguousBytes } from './rawTensor.js';
export { parseSafetensors, parseSafetensorsHeader, safetensorsHeaderLength, writeSafetensors, SAFETENSORS_MAX_HEADER, type SafetensorsEntry } from './safetensors.js';
export { isRandomAccess, type RandomAccess } from './zipArchive.js';
export type { SafetensorsTensor, SafetensorsFile, ParseSafetensorsOptions, SafetensorsInput } from './safetensors.js';
export { unpickle } from './unpickler.js';
export { ALLOWED_GLOBALS_HINT } from './unpickle-globals.js';
export type { UnpickleOptions } from './unpickler.js';
export { nestingDepth, MAX_NESTING } from './nesting.js';
export { pickle } from './pickler.js';
export type { PickleOptions } from './pickler.js';
export { readTorchZip, writeTorchZip } from './torchZip.js';
export type { ReadTorchZipOptions, WriteTorchZipOptions, TorchZipRecords } from './torchZip.js';
export { listZipEntries, readZipEntries, writeStoredZip, defaultMaxTotalBytes, DEFLATE_BUDGET_RATIO } from './zipArchive.js';
export type { ZipEntryInfo, ReadZipOptions } from './zipArchive.js';
export { crc32 } from './bytes.js';
