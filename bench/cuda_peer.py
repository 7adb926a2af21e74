# PyTorch CUDA peer for the webgpu bench suite on a machine with an NVIDIA GPU (run there with its own python3):
# fp32 GEMM for the webgpu suite's shapes (TF32 off and on), then the MLP 784-512-512-10 SGD-momentum step.
# Results of the 2026-12-04 H200 run: bench/results/2026-12-04T1505Z-h200-webgpu.txt
import torch, time, json, sys
res = {}
for tf32 in (False, True):
    torch.backends.cuda.matmul.allow_tf32 = tf32
    for (m, k, n) in [(256,256,256),(512,512,512),(1024,1024,1024),(2048,2048,2048),(128,784,512)]:
        a = torch.randn(m, k, device='cuda'); b = torch.randn(k, n, device='cuda')
        for _ in range(3): a @ b
        torch.cuda.synchronize()
        samples = []
        for s in range(7):
            reps = 50
            t0 = time.perf_counter()
            for _ in range(reps): a @ b
            torch.cuda.synchronize()
            samples.append((time.perf_counter() - t0) / reps)
        samples.sort(); med = samples[3]
        print(f"torch {torch.__version__} cuda fp32 {'tf32' if tf32 else 'ieee'} {m}x{k}x{n}: median {med*1e6:.1f} us, {2*m*k*n/med/1e9:.0f} GFLOPS (min {samples[0]*1e6:.1f} max {samples[-1]*1e6:.1f} us)")

torch.backends.cuda.matmul.allow_tf32 = False
for batch in (128, 1024):
    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 512), torch.nn.ReLU(), torch.nn.Linear(512, 10)).cuda()
    opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(batch, 784, device='cuda'); y = torch.randint(0, 10, (batch,), device='cuda')
    def step():
        opt.zero_grad(); torch.nn.functional.cross_entropy(m(x), y).backward(); opt.step()
    for _ in range(5): step()
    torch.cuda.synchronize()
    s = []
    for r in range(7):
        t0 = time.perf_counter()
        for _ in range(50): step()
        torch.cuda.synchronize()
        s.append((time.perf_counter() - t0) / 50 * 1000)
    s.sort()
    print(f"torch {torch.__version__} cuda MLP 784-512-512-10 SGD momentum step b{batch}: median {s[3]:.3f} ms (min {s[0]:.3f} max {s[-1]:.3f})")
