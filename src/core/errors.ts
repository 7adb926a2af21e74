/**
 * @file Error classes. Messages start with the op (or module path / key), give expected vs got, and end
 * with what to do. Imports only class-names.ts.
 */
import { keepClassNames } from './class-names.js';

export class TorchletError extends Error {
  constructor(message: string) { super(message); this.name = new.target.name; }
}
/** Shapes that do not fit: broadcasting, matmul inner dims, reshape sizes, out-of-range dims. */
export class ShapeError extends TorchletError {}
/** A dtype an op does not accept, or two dtypes that must agree. */
export class DTypeError extends TorchletError {}
/** Tensors on different devices, or a device that is not available. */
export class DeviceError extends TorchletError {}
/** An index out of range. */
export class IndexError extends TorchletError {}
/** Misuse of autograd: freed graphs, in-place on leaves, modified saved tensors, non-scalar backward. */
export class AutogradError extends TorchletError {}
/** Errors of module registration and state dicts. */
export class ModuleError extends TorchletError {}
export class StateDictError extends TorchletError {}
/** A malformed or unsafe checkpoint file. */
export class SerializationError extends TorchletError {}
/** An op a device has no kernel for. */
export class UnsupportedOpError extends TorchletError {
  constructor(op: string, dtype: string, device: string, hint = '') {
    super(`${op}: not supported for dtype ${dtype} on device ${device}${hint ? `. ${hint}` : ''}`);
  }
}

keepClassNames({ TorchletError, ShapeError, DTypeError, DeviceError, IndexError, AutogradError, ModuleError, StateDictError, SerializationError, UnsupportedOpError });
