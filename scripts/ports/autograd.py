"""Port 1 — the autograd tutorials (PyTorch 1.13 / 2.6; torchlet side: test/ports/autograd.ts).

"A Gentle Introduction to torch.autograd" (y = x + 2, z = 3 y^2, out = mean) and "Learning PyTorch with
Examples: PyTorch: Tensors and autograd" (fit a cubic to sin(x) with a manual gradient-descent update).
"""
import json
import math

import torch

torch.manual_seed(0)
torch.set_num_threads(1)

# --- A Gentle Introduction to torch.autograd
x = torch.ones(2, 2, requires_grad=True)
y = x + 2
z = y * y * 3
out = z.mean()
out.backward()
first_grad = x.grad  # d(out)/dx = 4.5 everywhere

# --- Tensors and autograd: y = a + b x + c x^2 + d x^3 fitted to sin(x)
dtype = torch.float
x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
y = torch.sin(x)
a = torch.randn((), dtype=dtype, requires_grad=True)
b = torch.randn((), dtype=dtype, requires_grad=True)
c = torch.randn((), dtype=dtype, requires_grad=True)
d = torch.randn((), dtype=dtype, requires_grad=True)

learning_rate = 1e-6
losses = []
for t in range(60):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    loss = (y_pred - y).pow(2).sum()
    losses.append(loss.item())
    loss.backward()
    with torch.no_grad():
        a -= learning_rate * a.grad
        b -= learning_rate * b.grad
        c -= learning_rate * c.grad
        d -= learning_rate * d.grad
        a.grad = None
        b.grad = None
        c.grad = None
        d.grad = None


def emit(losses, state, **extra):
    """What the torchlet port is compared with (JSON on stdout)."""
    print(json.dumps({'torch': torch.__version__, 'losses': [float(v) for v in losses],
                      'weights': {k: v.detach().double().flatten().tolist() for k, v in state.items()}, 'extra': extra}))


emit(losses, {'a': a, 'b': b, 'c': c, 'd': d, 'first_grad': first_grad}, out=[out.item()])
