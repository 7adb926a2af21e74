/**
 * @file torch.getRngState / torch.setRngState with PyTorch's types: the default generator's state as a uint8
 * Tensor of 5056 bytes (what `torch.get_rng_state()` returns and training checkpoints hold). The random layer
 * works on bytes; this op-level wrapper makes the Tensor.
 */
import { defaultGenerator } from '../random/index.js';
import { Tensor } from '../tensor/tensor.js';
import { tensor } from './creation.js';

/** torch.get_rng_state: the default generator's state, a uint8 Tensor of 5056 bytes. */
export function getRngState(): Tensor {
  return tensor(defaultGenerator.getState(), { dtype: 'uint8' });
}

/** torch.set_rng_state: from the uint8 Tensor getRngState() (or PyTorch) gave, or its bytes. */
export function setRngState(state: Tensor | Uint8Array): void {
  defaultGenerator.setState(state instanceof Tensor ? (state) : state);
}
