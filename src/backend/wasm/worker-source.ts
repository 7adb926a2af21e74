/**
 * @file Source text of the GEMM worker (run with `eval: true` in Node's worker_threads, or from a Blob URL as a
 * Web Worker). Kept as plain JavaScript in a string so that it needs no file resolution under tsx, the compiled
 * dist/ or a bundler. The worker instantiates the shared kernel module on the shared memory and then loops:
 * sleep on the EPOCH word, join an open task by claiming chunks inside wasm, leave.
 *
 * Control words (Int32, at `ctl` bytes): see CTL_* in engine.ts.
 */
export const WORKER_SOURCE = String.raw`
'use strict';
function start(d) {
  const inst = new WebAssembly.Instance(d.module, { env: { memory: d.memory } });
  const gemmTask = inst.exports.gemm_task;
  const ctl = new Int32Array(d.memory.buffer, d.ctl, 16);
  const id = d.id, spinMs = d.spinMs, gen = d.gen;
  Atomics.add(ctl, 5, 1);
  let handled = 0;
  for (;;) {
    if (Atomics.load(ctl, 6) !== gen) break;
    const e = Atomics.load(ctl, 0);
    if ((e & 1) === 1 && e !== handled) {
      Atomics.add(ctl, 1, 1);
      if (Atomics.load(ctl, 0) === e && Atomics.load(ctl, 6) === gen) {
        try { gemmTask(ctl[2], ctl[3] + id * ctl[4]); }
        catch (err) { Atomics.store(ctl, 7, 1); Atomics.notify(ctl, 7); }
      }
      handled = e;
      if (Atomics.sub(ctl, 1, 1) === 1) Atomics.notify(ctl, 1);
      continue;
    }
    let changed = false;
    // Poll for spinMs before sleeping: a futex wake-up costs far more than polling on a VM.
    const t0 = performance.now();
    for (let i = 1; ; i++) {
      if (Atomics.load(ctl, 0) !== e) { changed = true; break; }
      if ((i & 255) === 0 && performance.now() - t0 > spinMs) break;
    }
    if (!changed) Atomics.wait(ctl, 0, e);
  }
  Atomics.sub(ctl, 5, 1);
}
const nodeProcess = typeof process === 'object' && process && process.versions && process.versions.node ? process : null;
if (nodeProcess) {
  const wt = typeof require === 'function' ? require('node:worker_threads') : nodeProcess.getBuiltinModule('node:worker_threads');
  start(wt.workerData);
} else {
  self.onmessage = (ev) => start(ev.data);
}
`;
