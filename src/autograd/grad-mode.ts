/**
 * @file Grad mode: whether ops record a graph. noGrad / enableGrad / inferenceMode run a function, or return
 * a disposable guard for `using` scopes. Imports nothing.
 */

(Symbol as { dispose?: symbol }).dispose ??= Symbol('Symbol.dispose');

let enabled = true;
let inference = false;

export function isGradEnabled(): boolean { return enabled; }
export function isInferenceMode(): boolean { return inference; }
export function setGradEnabled(on: boolean): void { enabled = on; }

export interface GradGuard { [Symbol.dispose](): void; dispose(): void }

function scope(grad: boolean, inf: boolean): GradGuard {
  const prev = enabled, prevInf = inference;
  enabled = grad; inference = inf;
  const restore = () => { enabled = prev; inference = prevInf; };
  return { [Symbol.dispose]: restore, dispose: restore };
}

function run<T>(grad: boolean, inf: boolean, fn: () => T): T {
  const g = scope(grad, inf);
  try {
    const r = fn();
    if (r instanceof Promise) {
      throw new Error('noGrad/enableGrad/inferenceMode: the function returned a Promise; grad mode is a synchronous scope. Await outside, or use a `using` guard.');
    }
    return r;
  } finally { g.dispose(); }
}

/** Run fn without recording a graph (torch.no_grad). Without fn, returns a guard for `using _ = noGrad()`. */
export function noGrad(): GradGuard;
export function noGrad<T>(fn: () => T): T;
export function noGrad<T>(fn?: () => T): T | GradGuard { return fn ? run(false, inference, fn) : scope(false, inference); }

/** Run fn with graph recording on, even inside noGrad (torch.enable_grad). */
export function enableGrad(): GradGuard;
export function enableGrad<T>(fn: () => T): T;
export function enableGrad<T>(fn?: () => T): T | GradGuard { return fn ? run(true, false, fn) : scope(true, false); }

/** Like noGrad, and tensors made inside are marked as inference tensors (torch.inference_mode). */
export function inferenceMode(): GradGuard;
export function inferenceMode<T>(fn: () => T): T;
export function inferenceMode<T>(fn?: () => T): T | GradGuard { return fn ? run(false, true, fn) : scope(false, true); }
