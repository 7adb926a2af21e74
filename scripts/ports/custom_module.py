"""Port 12 — a custom module with nn.Parameter and buffers (the "Custom nn Modules" docs, register_buffer with
persistent=False) (torchlet side: test/ports/custom-module.ts).

A learnable per-feature scale and shift with a running mean of its inputs (a persistent buffer updated under
no_grad in training mode), a step counter buffer, and a non-persistent cache that state_dict() leaves out.
"""
import json

import torch
from torch import nn

torch.manual_seed(0)
torch.set_num_threads(1)


class ScaleShift(nn.Module):
    def __init__(self, num_features, momentum=0.1):
        super().__init__()
        self.momentum = momentum
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.register_buffer('running_mean', torch.zeros(num_features))
        self.register_buffer('steps', torch.tensor(0, dtype=torch.long))
        self.register_buffer('cache', torch.zeros(num_features), persistent=False)

    def forward(self, x):
        if self.training:
            with torch.no_grad():
                self.running_mean.mul_(1 - self.momentum).add_(x.mean(0), alpha=self.momentum)
                self.steps += 1
        centered = x - self.running_mean
        self.cache.copy_(centered.detach().abs().mean(0))
        return centered * self.weight + self.bias


model = nn.Sequential(nn.Linear(4, 6), ScaleShift(6), nn.ReLU(), nn.Linear(6, 1))
x = torch.randn(32, 4)
y = x.prod(dim=1, keepdim=True)
optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-2)
losses = []
for step in range(10):
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
model.eval()
with torch.no_grad():
    eval_loss = nn.functional.mse_loss(model(x), y).item()


def emit(losses, state, **extra):
    """What the torchlet port is compared with (JSON on stdout)."""
    print(json.dumps({'torch': torch.__version__, 'losses': [float(v) for v in losses],
                      'weights': {k: v.detach().double().flatten().tolist() for k, v in state.items()}, 'extra': extra}))


emit(losses, model.state_dict(), eval_loss=[eval_loss], keys=[1.0 if 'cache' not in k else 0.0 for k in model.state_dict()],
     cache=model[1].cache.double().tolist())
