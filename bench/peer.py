"""PyTorch side of the ops / matmul / steps bench suites (bench/peer.ts): one persistent process per PyTorch
installation and thread count, serving interleaved rounds over stdin. Runs under Debian's PyTorch 1.13
(/usr/bin/python3) and PyTorch 2.6 (the chroot of scripts/torch2-env.sh) alike.

Usage: python3 peer.py <threads>   (OPENBLAS_NUM_THREADS / OMP_NUM_THREADS from the environment)
Prints {"ready": true, "torch", "blas", "threads"}; then each stdin line "<case> <calls>" runs the case <calls> times
and prints {"s": wall seconds per call}; an unknown case prints {"error": ...}; an empty line or EOF ends it.
Cases (each built on first use, the same configurations as bench/ops.ts, matmul.ts, steps.ts):
  add1k, add1m, sigmoid, exp, gelu              (16x512 for the unary ops; no autograd)
  gemm:M,K,N[,B]                                (float32, B batches through torch.bmm)
  mlp cnn transformer lstm                      (one training step: zero_grad, forward, loss, backward, step)
"""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

threads = int(sys.argv[1])
torch.set_num_threads(threads)
try:
    torch.backends.mkldnn.enabled = False  # Debian's 2.6 build has a broken oneDNN
except AttributeError:
    pass
blas = 'unknown'
try:
    with open('/proc/self/maps') as f:
        maps = f.read()
    blas = 'OpenBLAS' if 'openblas' in maps else 'reference BLAS' if 'libblas' in maps else 'unknown'
except OSError:
    pass


def step_fn(model, opt, make_loss):
    def step():
        opt.zero_grad()
        make_loss().backward()
        opt.step()
    return step


def build(case):
    torch.manual_seed(0)
    if case in ('add1k', 'add1m'):
        n = 1000 if case == 'add1k' else 1_000_000
        a, b = torch.randn(n), torch.randn(n)
        return lambda: a.add(b)
    if case in ('sigmoid', 'exp', 'gelu'):
        x = torch.randn(16, 512)
        f = {'sigmoid': torch.sigmoid, 'exp': torch.exp, 'gelu': F.gelu}[case]
        return lambda: f(x)
    if case.startswith('gemm:'):
        dims = [int(v) for v in case[5:].split(',')]
        m, k, n = dims[:3]
        if len(dims) == 4:
            a, b = torch.randn(dims[3], m, k), torch.randn(dims[3], k, n)
            return lambda: torch.bmm(a, b)
        a, b = torch.randn(m, k), torch.randn(k, n)
        return lambda: torch.mm(a, b)
    if case == 'mlp':
        model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
        x, y = torch.randn(128, 784), torch.randint(0, 10, (128,))
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        return step_fn(model, opt, lambda: F.cross_entropy(model(x), y))
    if case == 'cnn':
        model = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 8 * 8, 10))
        x, y = torch.randn(32, 3, 32, 32), torch.randint(0, 10, (32,))
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        return step_fn(model, opt, lambda: F.cross_entropy(model(x), y))
    if case == 'transformer':
        V, D, L, B = 1000, 128, 64, 8
        emb, layer, head = nn.Embedding(V, D), nn.TransformerEncoderLayer(D, 4, dim_feedforward=512, batch_first=True), nn.Linear(D, V)
        params = list(emb.parameters()) + list(layer.parameters()) + list(head.parameters())
        mask = torch.triu(torch.full((L, L), float('-inf')), 1)
        x, y = torch.randint(0, V, (B, L)), torch.randint(0, V, (B, L))
        opt = torch.optim.AdamW(params, lr=1e-3)
        return step_fn(None, opt, lambda: F.cross_entropy(head(layer(emb(x), src_mask=mask)).reshape(-1, V), y.reshape(-1)))
    if case == 'lstm':
        V, B, L = 1000, 16, 32
        emb, lstm, head = nn.Embedding(V, 64), nn.LSTM(64, 128, batch_first=True), nn.Linear(128, V)
        params = list(emb.parameters()) + list(lstm.parameters()) + list(head.parameters())
        x, y = torch.randint(0, V, (B, L)), torch.randint(0, V, (B, L))
        opt = torch.optim.Adam(params, lr=1e-3)
        return step_fn(None, opt, lambda: F.cross_entropy(head(lstm(emb(x))[0]).reshape(-1, V), y.reshape(-1)))
    return None


cases = {}
print(json.dumps({'ready': True, 'torch': torch.__version__.split('+')[0], 'blas': blas, 'threads': torch.get_num_threads()}), flush=True)
for line in sys.stdin:
    if not line.strip():
        break
    case, calls = line.split()
    calls = int(calls)
    if case not in cases:
        cases[case] = build(case)
    fn = cases[case]
    if fn is None:
        print(json.dumps({'error': f'unknown case {case}'}), flush=True)
        continue
    s = time.perf_counter()
    for _ in range(calls):
        fn()
    print(json.dumps({'s': (time.perf_counter() - s) / calls}), flush=True)
