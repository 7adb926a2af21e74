/**
 * @file The two reference PyTorch installations the interop and fixture suites run against:
 *
 * - `torch113()`: Debian 12's python3-torch 1.13 at /usr/bin/python3 (`TORCHLET_PYTHON` overrides);
 * - `torch26()`: PyTorch 2.6 + torchvision 0.21 + safetensors in the Debian trixie root that
 *   `scripts/torch2-env.sh` builds (`TORCHLET_TORCH2_ROOT`, default /var/cache/torchlet/torch2-root), entered
 *   with chroot. Files are exchanged through a folder inside the root: `env.tmpdir()` gives a host path and
 *   `env.inner(hostPath)` the same path as Python sees it.
 *
 * A missing installation is a skip with its reason on a developer's machine, and a failure in CI
 * (`CI=true`): use `requireOrSkip(t, env.skip)` at the top of each live test.
 *
 *   const py = torch26();
 *   test('...', (t) => { if (requireOrSkip(t, py.skip)) return; const r = py.run(SCRIPT, [py.inner(file)]); ... });
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';

export const IN_CI = process.env.CI === 'true';

/**
 * Skip (outside CI) or fail (in CI) when `reason` is non-null. Returns true when the caller should return.
 * In CI every requirement is mandatory: a suite that cannot run fails and names what is missing.
 */
export function requireOrSkip(t: { skip(msg?: string): void }, reason: string | null): boolean {
  if (reason === null) return false;
  if (IN_CI) throw new Error(`required in CI (CI=true): ${reason}`);
  t.skip(reason);
  return true;
}

export interface PyEnv {
  /** 'torch 1.13' or 'torch 2.6' (for test names). */
  label: string;
  /** Why this installation cannot be used, or null. */
  skip: string | null;
  /** torch.__version__ when available. */
  version: string | null;
  /** Run a Python script file (host path) with arguments (already `inner()` paths). */
  run(script: string, args?: string[], opts?: { timeout?: number; input?: string }): SpawnSyncReturns<string>;
  /** A fresh host folder that Python can see (inside the root for torch 2.6). */
  tmpdir(): string;
  /** The path Python sees for a host path under `tmpdir()` (identity for torch 1.13). */
  inner(hostPath: string): string;
}

const STDERR_NOISE = /^(.*UCX +ERROR.*|.*Error in cpuinfo.*|.*failed to parse processor information.*)$/gm;

function clean(r: SpawnSyncReturns<string>): SpawnSyncReturns<string> {
  if (typeof r.stderr === 'string') r.stderr = r.stderr.replace(STDERR_NOISE, '').trim();
  return r;
}

let cached113: PyEnv | null = null;
let cached26: PyEnv | null = null;
let runCount = 0;

/** Debian 12's PyTorch 1.13. */
export function torch113(): PyEnv {
  if (cached113) return cached113;
  const PY = process.env.TORCHLET_PYTHON ?? '/usr/bin/python3';
  const probe = spawnSync(PY, ['-c', 'import torch, numpy; print(torch.__version__)'], { encoding: 'utf8' });
  const ok = probe.status === 0;
  cached113 = {
    label: 'torch 1.13',
    skip: ok ? null : `PyTorch 1.13 not installed: ${PY} -c "import torch" failed; apt-get install python3-torch libopenblas0-pthread`,
    version: ok ? probe.stdout.trim() : null,
    run: (script, args = [], opts = {}) => clean(spawnSync(PY, [script, ...args], { encoding: 'utf8', timeout: opts.timeout ?? 300_000, input: opts.input, maxBuffer: 1 << 28 })),
    tmpdir: () => mkdtempSync(join(tmpdir(), 'torchlet-py-')),
    inner: (p) => p,
  };
  return cached113;
}

/** PyTorch 2.6 + torchvision 0.21 + safetensors in the trixie root of scripts/torch2-env.sh. */
export function torch26(): PyEnv {
  if (cached26) return cached26;
  const ROOT = process.env.TORCHLET_TORCH2_ROOT ?? '/var/cache/torchlet/torch2-root';
  const X = join(ROOT, 'x');
  let skip: string | null = null;
  let version: string | null = null;
  if (!existsSync(join(ROOT, '.torchlet-torch2-ready'))) {
    skip = `PyTorch 2.6 root not built at ${ROOT}: run scripts/torch2-env.sh (as root)`;
  } else {
    if (!existsSync(join(ROOT, 'proc', 'self'))) spawnSync('mount', ['-t', 'proc', 'proc', join(ROOT, 'proc')]);
    const probe = spawnSync('chroot', [ROOT, 'python3', '-c', 'import torch, torchvision, safetensors; print(torch.__version__)'], { encoding: 'utf8' });
    if (probe.status !== 0) skip = `PyTorch 2.6 root at ${ROOT} does not import torch/torchvision/safetensors (chroot needs root): ${(probe.error?.message ?? probe.stderr ?? '').trim().split('\n').pop()}`;
    else version = probe.stdout.trim();
  }
  const scripts = join(X, 'scripts');
  cached26 = {
    label: 'torch 2.6',
    skip,
    version,
    run: (script, args = [], opts = {}) => {
      // The script runs from a private copy of its folder's .py files, so sibling imports (safetensors_lite) work.
      const runDir = join(scripts, `${process.pid}-${++runCount}`);
      mkdirSync(runDir, { recursive: true });
      for (const f of readdirSync(dirname(script))) if (f.endsWith('.py')) copyFileSync(join(dirname(script), f), join(runDir, f));
      copyFileSync(script, join(runDir, basename(script)));
      try {
        return clean(spawnSync('chroot', [ROOT, 'python3', `/x/scripts/${basename(runDir)}/${basename(script)}`, ...args], {
          encoding: 'utf8', timeout: opts.timeout ?? 300_000, input: opts.input, maxBuffer: 1 << 28,
          env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
        }));
      } finally { rmSync(runDir, { recursive: true, force: true }); }
    },
    tmpdir: () => { mkdirSync(X, { recursive: true }); return mkdtempSync(join(X, 'torchlet-py-')); },
    inner: (p) => {
      if (!p.startsWith(X + '/')) throw new Error(`torch26().inner: ${p} is not under ${X}; make files in torch26().tmpdir()`);
      return p.slice(ROOT.length);
    },
  };
  return cached26;
}

/** Both reference installations (for suites that run against each). */
export function pytorchVersions(): PyEnv[] {
  return [torch113(), torch26()];
}
