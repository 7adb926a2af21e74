"""Port 8 — learning-rate schedules as the torch.optim docs chain them (torchlet side: test/ports/schedulers.ts).

Linear warmup then cosine annealing with warm restarts (SequentialLR), stepped every batch; then a second phase
with ReduceLROnPlateau on a validation loss, stepped every epoch.
"""
import json

import torch
from torch import nn
from torch.optim import lr_scheduler

torch.manual_seed(0)
torch.set_num_threads(1)

model = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 1))
X, Xv = torch.randn(48, 8), torch.randn(16, 8)
Y, Yv = X.sum(1, keepdim=True).sin(), Xv.sum(1, keepdim=True).sin()
loss_fn = nn.MSELoss()

optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
warmup = lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=4)
restarts = lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=5, T_mult=2, eta_min=0.001)
scheduler = lr_scheduler.SequentialLR(optimizer, schedulers=[warmup, restarts], milestones=[4])

losses, lrs = [], []
for epoch in range(4):
    for i in range(0, 48, 8):
        optimizer.zero_grad()
        loss = loss_fn(model(X[i:i + 8]), Y[i:i + 8])
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
        lrs.append(scheduler.get_last_lr()[0])

plateau = lr_scheduler.ReduceLROnPlateau(optimizer, mode='min', factor=0.5, patience=1)
val_losses = []
for epoch in range(6):
    optimizer.zero_grad()
    loss = loss_fn(model(X), Y)
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
    with torch.no_grad():
        val_loss = loss_fn(model(Xv), Yv).item()
    val_losses.append(val_loss)
    plateau.step(val_loss)
    lrs.append(optimizer.param_groups[0]['lr'])


def emit(losses, state, **extra):
    """What the torchlet port is compared with (JSON on stdout)."""
    print(json.dumps({'torch': torch.__version__, 'losses': [float(v) for v in losses],
                      'weights': {k: v.detach().double().flatten().tolist() for k, v in state.items()}, 'extra': extra}))


emit(losses, model.state_dict(), lrs=lrs, val=val_losses)
