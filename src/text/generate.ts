/**
 * @file generate(): autoregressive decoding with a key/value cache, as Hugging Face's `model.generate` for
 * greedy search and for sampling (temperature, then top-k, then softmax, then torch.multinomial with the given
 * torchlet Generator). Logits are processed in float32 as HF does.
 */
import type { Tensor } from '../tensor/tensor.js';
import { ArgumentError, checkBoolean, checkNumber, checkOptions, describeValue } from '../core/args.js';
import { ShapeError } from '../core/errors.js';
import { fmt } from '../core/shape.js';
import { noGrad } from '../autograd/grad-mode.js';
import { tensor } from '../ops/creation.js';
import { div, lt, maskedFill } from '../ops/elementwise.js';
import { cat, narrow, select, squeeze, toDtype } from '../ops/movement.js';
import { argmax, softmax, topk } from '../ops/reduce.js';
import { multinomial } from '../ops/sampling.js';
import type { Generator } from '../random/index.js';
import type { GPT2LMHeadModel, KVCache } from './gpt2.js';

export interface GenerateOpts {
  /** Tokens to add (default 20). */
  maxNewTokens?: number;
  /** Sample from the distribution (true) or take the argmax (false, the default). */
  doSample?: boolean;
  /** Divide the logits by this before sampling (default 1; only with doSample). */
  temperature?: number;
  /** Keep only the k most likely tokens when sampling (default 50 as HF's GenerationConfig; 0 or null: all). */
  topK?: number | null;
  /** The random stream of the sampling (default: the global generator). */
  generator?: Generator;
  /** Stop a sequence after this token (it is kept); finished sequences are padded with it. */
  eosTokenId?: number | null;
  /** Reuse keys and values of earlier positions (default true); false recomputes the whole prefix each step. */
  useCache?: boolean;
}

const FN = 'generate';
const KEYS = ['maxNewTokens', 'doSample', 'temperature', 'topK', 'generator', 'eosTokenId', 'useCache'] as const;

/** The token to append for each row of logits [B, V] (float32): greedy argmax or a sampled index, int64 [B]. */
export function nextToken(logits: Tensor, opts: { doSample: boolean; temperature: number; topK: number; generator?: Generator }): Tensor {
  if (!opts.doSample) return argmax(logits, -1);
  let scores = opts.temperature === 1 ? logits : div(logits, opts.temperature);
  const k = Math.min(opts.topK, scores.shape[scores.ndim - 1]);
  if (k > 0) {
    const kth = narrow(topk(scores, k, -1).values, -1, k - 1, 1);
    scores = maskedFill(scores, lt(scores, kth), -Infinity);
  }
  return squeeze(multinomial(softmax(scores, -1), 1, { generator: opts.generator }), 1);
}

/**
 * Continue `inputIds` ([B, T] or [T] int64) by up to maxNewTokens tokens; returns the prompt followed by the new
 * tokens, int64 [B, T + n] (or [T + n]). Runs in eval mode under noGrad (the module's mode is restored).
 */
export function generate(model: GPT2LMHeadModel, inputIds: Tensor, opts: GenerateOpts = {}): Tensor {
  const o = checkOptions<GenerateOpts>(FN, opts, KEYS);
  if (!inputIds || typeof inputIds !== 'object' || !('shape' in inputIds)) throw new ArgumentError(`${FN}: inputIds must be an int64 Tensor, got ${describeValue(inputIds)}`);
  if (inputIds.dtype !== 'int64') throw new ArgumentError(`${FN}: inputIds must be int64 token ids, got ${inputIds.dtype}; build them with { dtype: 'int64' }`);
  if (inputIds.ndim !== 1 && inputIds.ndim !== 2) throw new ShapeError(`${FN}: inputIds must be [seq] or [batch, seq], got shape ${fmt(inputIds.shape)}`);
  if (inputIds.shape[inputIds.ndim - 1] === 0) throw new ShapeError(`${FN}: the prompt is empty; give at least one token`);
  const maxNew = o.maxNewTokens === undefined ? 20 : checkNumber(FN, 'maxNewTokens', o.maxNewTokens, { integer: true, min: 0 });
  const doSample = o.doSample === undefined ? false : checkBoolean(FN, 'doSample', o.doSample);
  const temperature = o.temperature === undefined ? 1 : checkNumber(FN, 'temperature', o.temperature, { gt: 0 });
  const topK = o.topK === undefined ? 50 : o.topK === null ? 0 : checkNumber(FN, 'topK', o.topK, { integer: true, min: 0 });
  const eos = o.eosTokenId === undefined || o.eosTokenId === null ? null : checkNumber(FN, 'eosTokenId', o.eosTokenId, { integer: true, min: 0 });
  const useCache = o.useCache === undefined ? true : checkBoolean(FN, 'useCache', o.useCache);
  const T = inputIds.shape[inputIds.ndim - 1];
  if (T + maxNew > model.config.nPositions) {
    throw new ShapeError(`${FN}: prompt (${T}) + maxNewTokens (${maxNew}) exceeds the model's nPositions (${model.config.nPositions})`);
  }

  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(() => {
      let ids = inputIds.ndim === 1 ? inputIds.unsqueeze(0) : inputIds;
      let past: KVCache[] | null = null;
      let step = ids;
      let done: boolean[] = new Array<boolean>(ids.shape[0]).fill(false);
      for (let i = 0; i < maxNew; i++) {
        const { logits, presents } = model.forwardWithPast(useCache ? step : ids, useCache ? past : null);
        past = presents;
        const last = toDtype(select(logits, 1, logits.shape[1] - 1), 'float32');
        let next = nextToken(last, { doSample, temperature, topK, generator: o.generator });
        if (eos !== null) {
          const vals = (next.tolist() as number[]).map((v, b) => (done[b] ? eos : v));
          done = done.map((d, b) => d || vals[b] === eos);
          next = tensor(vals, { dtype: 'int64', device: next.device });
        }
        step = next.unsqueeze(1);
        ids = cat([ids, step], 1);
        if (eos !== null && done.every(Boolean)) break;
      }
      return inputIds.ndim === 1 ? ids.squeeze(0) : ids;
    });
  } finally {
    model.train(wasTraining);
  }
}
