"""One training step (forward, backward, SGD update, zero_grad) in PyTorch, for bench/train.ts.
Usage: python3 bench/train_step.py <mlp|cnn> <torch threads> <seconds budget>  (OPENBLAS_NUM_THREADS from the environment)
Prints one JSON line: {"case", "median_ms", "min_ms", "max_ms", "reps", "cpu_ms" (process CPU time per step), "torch", "blas"}.
       python3 bench/train_step.py <mlp|cnn> <torch threads> serve
Serves interleaved rounds: prints {"ready": true, "torch", "blas"}, then for each line N on stdin runs N steps and
prints {"s": wall seconds per step, "cpu": process CPU seconds per step}; an empty line or EOF ends it."""
import json, sys, time

import torch
import torch.nn as nn
import torch.nn.functional as F

case, tthreads = sys.argv[1], int(sys.argv[2])
serve = sys.argv[3] == 'serve'
budget = 0.0 if serve else float(sys.argv[3])
torch.set_num_threads(tthreads)
# Debian's torch has BLAS_INFO=generic: set_num_threads does not reach OpenBLAS; the caller sets
# OPENBLAS_NUM_THREADS in the environment instead. Which BLAS is loaded is read from the memory maps.
blas = 'unknown'
try:
    with open('/proc/self/maps') as f:
        maps = f.read()
    blas = 'OpenBLAS' if 'openblas' in maps else 'reference BLAS' if 'libblas' in maps else 'unknown'
except OSError:
    pass
torch.manual_seed(0)
if case == 'mlp':
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
    x = torch.randn(128, 784)
    y = torch.randint(0, 10, (128,))
elif case == 'cnn':
    model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(64 * 12 * 12, 10))
    x = torch.randn(64, 1, 28, 28)
    y = torch.randint(0, 10, (64,))
else:
    raise SystemExit(f'unknown case {case}')
opt = torch.optim.SGD(model.parameters(), lr=0.01)


def step():
    opt.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()


if serve:
    print(json.dumps({'ready': True, 'torch': torch.__version__, 'blas': blas}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            break
        calls = int(line)
        s, c = time.perf_counter(), time.process_time()
        for _ in range(calls):
            step()
        print(json.dumps({'s': (time.perf_counter() - s) / calls, 'cpu': (time.process_time() - c) / calls}), flush=True)
    sys.exit(0)

t0 = time.perf_counter()
n = 0
while n < 5 or time.perf_counter() - t0 < min(1.0, budget / 4):
    step(); n += 1
per = (time.perf_counter() - t0) / n
inner = max(1, round(0.1 / per))
samples, cpu = [], []
t1 = time.perf_counter()
while len(samples) < 7 and (len(samples) < 3 or time.perf_counter() - t1 < budget):
    s, c = time.perf_counter(), time.process_time()
    for _ in range(inner):
        step()
    samples.append((time.perf_counter() - s) / inner * 1000)
    cpu.append((time.process_time() - c) / inner * 1000)
samples.sort()
cpu.sort()
print(json.dumps({'case': case, 'median_ms': samples[len(samples) // 2], 'min_ms': samples[0], 'max_ms': samples[-1],
                  'reps': len(samples), 'cpu_ms': cpu[len(cpu) // 2], 'torch': torch.__version__, 'blas': blas}))
