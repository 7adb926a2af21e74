import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bundleBrowser } from '../../scripts/bundle-browser.mjs';

test('the library bundles for the browser with no Node built-in reachable from the core', async () => {
  const r = await bundleBrowser({ write: false });
  const inputs = Object.keys(r.metafile.inputs);
  assert.ok(inputs.some((p: string) => p.endsWith('src/index.ts')));
  const nodeOnly = inputs.filter((p: string) => p.startsWith('node:') || /(^|\/)node_modules\/(fs|path|os|worker_threads)\//.test(p));
  assert.deepEqual(nodeOnly, []);
  assert.equal(r.errors.length, 0);
});
