/**
 * A node:test reporter that collects what `scripts/test.mjs` prints at the end of `npm test`: per test file
 * (suite) how many tests passed, were skipped (with their reasons) or failed. It writes one JSON object to its
 * destination when the run ends. Counting follows Node's own summary: every test (`test()`, `it()`, `t.test()`),
 * not `describe()` blocks, except a skipped `describe()`, which counts as one skipped test; a parent that fails
 * only because a subtest failed is not counted twice; a file that fails outside any test counts as one failure.
 *
 * Attribution: an event's `file` is where `test()` was called, which is a helper for tests registered through
 * one (test/helpers/devices.ts). The runner reports each file's events as one contiguous group that ends with
 * the file's own `test:complete` (also with --test-concurrency > 1), so the events seen since the previous
 * file ended belong to the file that ends now.
 */
export default async function* summaryReporter(source) {
  const files = new Map();
  const fileOf = (f) => {
    let s = files.get(f);
    if (!s) files.set(f, (s = { passed: 0, skipped: 0, todo: 0, failed: 0, skips: {}, failures: [] }));
    return s;
  };
  let pending = [];
  const settle = (file) => {
    const s = fileOf(file);
    for (const r of pending) {
      s[r.kind]++;
      if (r.kind === 'skipped') s.skips[r.why] = (s.skips[r.why] ?? 0) + 1;
      if (r.kind === 'failed') s.failures.push(r.name);
    }
    pending = [];
  };
  for await (const ev of source) {
    const d = ev.data;
    const fileLevel = d?.nesting === 0 && d.file !== undefined && d.name === d.file;
    if (ev.type === 'test:complete' && fileLevel) { settle(d.file); continue; }
    if (ev.type !== 'test:pass' && ev.type !== 'test:fail') continue;
    if (fileLevel) { // the file itself failed (outside any test); it comes after its test:complete
      if (ev.type === 'test:fail') fileOf(d.file).failed++, fileOf(d.file).failures.push('(the file itself, outside any test)');
      continue;
    }
    const suite = d.details?.type === 'suite';
    const todo = d.todo !== undefined && d.todo !== false;
    if (ev.type === 'test:pass') {
      if (d.skip !== undefined && d.skip !== false) pending.push({ kind: 'skipped', why: typeof d.skip === 'string' && d.skip ? d.skip : '(no reason given)' });
      else if (suite) continue;
      else pending.push({ kind: todo ? 'todo' : 'passed' });
    } else {
      if (d.details?.error?.failureType === 'subtestsFailed') continue;
      pending.push(todo ? { kind: 'todo' } : { kind: 'failed', name: d.name });
    }
  }
  if (pending.length) settle('(events after the last file)');
  yield `${JSON.stringify({ files: Object.fromEntries(files) })}\n`;
}
