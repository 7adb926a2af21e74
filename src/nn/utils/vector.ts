/**
 * @file nn.utils.parametersToVector / vectorToParameters: flatten parameters into one vector and back
 * (the copy back is in place under noGrad, so parameters keep their identity).
 */
import { noGrad } from '../../autograd/grad-mode.js';
import { DeviceError, TorchletError } from '../../core/errors.js';
import { Tensor } from '../../tensor/tensor.js';
import { cat } from '../../ops/movement.js';

function checkSameDevice(p: Tensor, device: string | null, fn: string): string {
  if (device !== null && p.device !== device) {
    throw new DeviceError(`${fn}: Found two parameters on different devices, this is currently not supported (${device} and ${p.device}); move the model to one device first`);
  }
  return p.device;
}

/** One 1-D tensor of all parameters, flattened and concatenated in order (differentiable, as torch.cat). */
export function parametersToVector(parameters: Iterable<Tensor>): Tensor {
  let device: string | null = null;
  const flat: Tensor[] = [];
  for (const p of parameters) {
    device = checkSameDevice(p, device, 'parametersToVector');
    flat.push(p.reshape([-1]));
  }
  if (flat.length === 0) throw new TorchletError('parametersToVector: got no parameters');
  return cat(flat, 0);
}

/** Copy consecutive slices of `vec` into the parameters (in place, shapes restored). */
export function vectorToParameters(vec: Tensor, parameters: Iterable<Tensor>): void {
  if (!(vec instanceof Tensor)) throw new TorchletError(`vectorToParameters: expected a Tensor, but got: ${typeof vec}`);
  if (vec.ndim !== 1) throw new TorchletError(`vectorToParameters: expected a 1-D vector, got shape [${vec.shape.join(', ')}]`);
  const params = [...parameters];
  const total = params.reduce((s, p) => s + p.numel(), 0);
  if (total !== vec.numel()) throw new TorchletError(`vectorToParameters: the vector has ${vec.numel()} elements but the parameters have ${total}; pass the vector made by parametersToVector of the same parameters`);
  let device: string | null = null;
  let offset = 0;
  noGrad(() => {
    for (const p of params) {
      device = checkSameDevice(p, device, 'vectorToParameters');
      const n = p.numel();
      p.copy_(vec.narrow(0, offset, n).reshape(p.shape));
      offset += n;
    }
  });
}
