/** @file TensorFlow.js peers (tfjs-backend-wasm with its SIMD binary from node_modules, tfjs-backend-cpu). */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

export type Tf = typeof import('@tensorflow/tfjs-core');

let tfPromise: Promise<Tf> | null = null;

/** tfjs-core with both backends registered; setBackend switches between 'wasm' and 'cpu'. */
export function loadTf(): Promise<Tf> {
  tfPromise ??= (async () => {
    const tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-cpu');
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const require = createRequire(import.meta.url);
    const dir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    wasm.setWasmPaths(dir + '/');
    // tfjs prints a banner recommending tfjs-node (which cannot install offline); silence it.
    const warn = console.warn; console.warn = () => {};
    try { await tf.setBackend('cpu'); await tf.ready(); } finally { console.warn = warn; }
    return tf;
  })();
  return tfPromise;
}

export async function useBackend(tf: Tf, name: 'wasm' | 'cpu'): Promise<void> {
  const log = console.log, warn = console.warn;
  console.log = () => {}; console.warn = () => {};
  try { await tf.setBackend(name); await tf.ready(); } finally { console.log = log; console.warn = warn; }
}
