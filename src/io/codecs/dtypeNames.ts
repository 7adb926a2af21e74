/**
 * @file How each torchlet dtype is named in the formats: safetensors dtype codes ('F32', 'BF16', ...)
 * and PyTorch's pickled storage classes ('FloatStorage', ...). Imports only src/core/dtype.ts.
 */
import { ITEM_SIZE, type DType } from '../../core/dtype.js';

export { ITEM_SIZE };

export const SAFETENSORS_CODE: Record<DType, string> = {
  float64: 'F64', float32: 'F32', float16: 'F16', bfloat16: 'BF16',
  int64: 'I64', int32: 'I32', int8: 'I8', uint8: 'U8', bool: 'BOOL',
};
const FROM_SAFETENSORS = new Map<string, DType>(
  (Object.entries(SAFETENSORS_CODE) as [DType, string][]).map(([d, c]) => [c, d]),
);
/** The dtype of a safetensors code, or undefined for codes torchlet does not hold (I16, U16, F8_E4M3, ...). */
export function dtypeFromSafetensors(code: string): DType | undefined {
  return FROM_SAFETENSORS.get(code);
}

/** `torch.<X>Storage` class names as torch.save pickles them. */
export const STORAGE_CLASS: Record<DType, string> = {
  float64: 'DoubleStorage', float32: 'FloatStorage', float16: 'HalfStorage', bfloat16: 'BFloat16Storage',
  int64: 'LongStorage', int32: 'IntStorage', int8: 'CharStorage', uint8: 'ByteStorage', bool: 'BoolStorage',
};
const FROM_STORAGE = new Map<string, DType>(
  (Object.entries(STORAGE_CLASS) as [DType, string][]).map(([d, c]) => [c, d]),
);
/** The dtype of a storage class name; 'UntypedStorage' holds bytes (uint8). Undefined for unsupported ones (e.g. ComplexFloatStorage). */
export function dtypeFromStorageClass(name: string): DType | undefined {
  if (name === 'UntypedStorage') return 'uint8';
  return FROM_STORAGE.get(name);
}

/** `torch.float32`-style globals (allowed in weights-only pickles) and the dtype they name. */
export const TORCH_DTYPE_GLOBAL: Record<string, DType | null> = {
  float32: 'float32', float: 'float32', float64: 'float64', double: 'float64', float16: 'float16', half: 'float16',
  bfloat16: 'bfloat16', int32: 'int32', int: 'int32', int64: 'int64', long: 'int64', uint8: 'uint8', int8: 'int8',
  bool: 'bool', int16: null, complex32: null, complex64: null, complex128: null,
};
