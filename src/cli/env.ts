/**
 * @file `torchlet env`: what runs here and why, for bug reports (PyTorch's `python -m torch.utils.collect_env`).
 * The same facts as `torch.backends.info()`, plus versions and the machine.
 */
import { readFileSync } from 'node:fs';
import { arch, cpus, platform, release, totalmem } from 'node:os';
import * as torch from '../index.js';

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch { return 'unknown'; }
}

export async function envReport(opts: { json?: boolean; webgpu?: boolean } = {}): Promise<string> {
  let webgpuError: string | null = null;
  if (opts.webgpu !== false) {
    try { await torch.webgpu.init(); } catch (e) { webgpuError = (e as Error).message; }
  }
  const info = torch.backends.info();
  const machine = {
    torchlet: packageVersion(),
    node: process.versions.node,
    v8: process.versions.v8,
    os: `${platform()} ${release()} ${arch()}`,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30 * 10) / 10,
  };
  if (opts.json) return JSON.stringify({ ...machine, ...info, webgpuError }, null, 2);
  const t = info.threads;
  const lines = [
    `torchlet ${machine.torchlet}`,
    `Node.js ${machine.node} (V8 ${machine.v8}) on ${machine.os}`,
    `CPU: ${machine.cpu}, ${t.hardware} cores, ${machine.memoryGiB} GiB`,
    `CPU kernels: ${info.cpu.kernels} (${info.cpu.reason})`,
    `GEMM: ${info.cpu.gemm}`,
    `float32 buffer recycling: ${info.cpu.recycling.enabled ? `on (${(info.cpu.recycling.heldBytes / 1048576).toFixed(1)} MiB held)` : 'off'}`,
    `threads: ${t.running} running of ${t.requested} requested${t.limitedBy ? ` (limited by: ${t.limitedBy})` : ''}`,
    `WebGPU: ${info.webgpu.initialized ? `${info.webgpu.adapter}${info.webgpu.software ? ' (software adapter: CPU emulation)' : ''}` : opts.webgpu === false ? 'not tried (--no-webgpu)' : `not available: ${webgpuError}`}`,
  ];
  return lines.join('\n');
}
