/**
 * @file The explorer's parameter-management table: every tensor and plain value of the model with the four
 * columns (seen by the optimizer, moved by .to(), in the autograd graph, saved), and the graph-memory line.
 */
import { fmt } from './plots.js';
import type { Managed, StateRow } from './protocol.js';

/** The parameter-management table and the graph-memory line, as HTML. */
export function managedHtml(rows: StateRow[], m: Managed): { table: string; memory: string } {
  const delta = new Map(rows.map((r) => [r.name, r.delta]));
  const hasDelta = rows.some((r) => r.delta !== undefined);
  const bytes = new Map(rows.map((r) => [r.name, r.bytes]));
  const yn = (v: boolean, yes = 'yes', no = 'no') => `<td class="${v ? 'yes' : 'no'}">${v ? yes : no}</td>`;
  const head = ['name', 'kind', 'shape / value', 'seen by the optimizer (parameters())', 'moved by .to()', 'in the autograd graph', 'saved (stateDict())', 'bytes']
    .map((h, i) => `<th scope="col"${i === 7 ? ' class="num"' : ''}>${h}</th>`).join('')
    + (hasDelta ? '<th scope="col" class="num">max |Δ| after the step</th>' : '');
  const body = m.rows.map((r) => {
    const d = delta.get(r.name);
    return `<tr data-name="${r.name}" data-kind="${r.kind}" class="kind-${r.kind === 'plain value' ? 'plain' : r.kind.split(' ')[0]}"><td>${r.name}</td><td>${r.kind}</td><td>${r.what}</td>`
      + (r.frozen ? `<td class="frozen">yes, but skipped (frozen: no grad)</td>` : yn(r.optimizer))
      + yn(r.moved) + (r.frozen ? '<td class="frozen">no (frozen)</td>' : yn(r.graph)) + yn(r.saved)
      + `<td class="num">${bytes.has(r.name) ? bytes.get(r.name)!.toLocaleString('en-US') : '—'}</td>`
      + (hasDelta ? `<td class="num">${d === undefined ? '—' : d === 0 ? '0 (skipped)' : fmt(d)}</td>` : '') + '</tr>';
  }).join('');
  const n = (k: string) => m.rows.filter((r) => r.kind === k).length;
  const table = `<table><caption class="sr-only">every tensor and plain value the model holds, and what the library does with it</caption><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
  const kib = (b: number) => (b >= 1024 * 1024 ? `${(b / 1024 / 1024).toFixed(2)} MiB` : `${(b / 1024).toFixed(1)} KiB`);
  const memory = `<p style="margin:6px 0">${n('parameter')} parameters, ${n('buffer')} persistent + ${n('buffer (non-persistent)')} non-persistent buffers, ${n('plain value')} plain values. `
    + `<b>Memory of one training step:</b> the autograd graph of the forward pass and loss (${m.graphNodes} nodes) keeps <b id="graph-bytes">${kib(m.graphBytes)}</b> of activations alive until backward, `
    + `against <b>${kib(m.paramBytes)}</b> of parameters (${kib(m.trainableParamBytes)} trainable; measured with <code>nn.utils.graphMemory</code>, the figure <code>nn.utils.summary</code> prints).</p>`;
  return { table, memory };
}
