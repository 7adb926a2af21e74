"""Port 9 — gradient clipping (torch.nn.utils.clip_grad_norm_ / clip_grad_value_ as training loops use them)
(torchlet side: test/ports/grad-clipping.ts).

A GRU sequence regressor trained with a large learning rate: clip_grad_norm_(max_norm=1.0) returns the total norm
before clipping (recorded); a second phase clips each gradient element with clip_grad_value_(0.05).
"""
import json

import torch
from torch import nn

torch.manual_seed(0)
torch.set_num_threads(1)


class GRURegressor(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(input_size=3, hidden_size=8, batch_first=True)
        self.head = nn.Linear(8, 1)

    def forward(self, x):
        out, h = self.gru(x)
        return self.head(out[:, -1])


model = GRURegressor()
x = torch.randn(16, 5, 3)
y = x.sum(dim=(1, 2)).unsqueeze(1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
criterion = nn.MSELoss()

losses, norms = [], []
for step in range(12):
    optimizer.zero_grad()
    loss = criterion(model(x), y)
    loss.backward()
    total_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    norms.append(total_norm.item())
    optimizer.step()
    losses.append(loss.item())

for step in range(6):
    optimizer.zero_grad()
    loss = criterion(model(x), y)
    loss.backward()
    torch.nn.utils.clip_grad_value_(model.parameters(), clip_value=0.05)
    optimizer.step()
    losses.append(loss.item())


def emit(losses, state, **extra):
    """What the torchlet port is compared with (JSON on stdout)."""
    print(json.dumps({'torch': torch.__version__, 'losses': [float(v) for v in losses],
                      'weights': {k: v.detach().double().flatten().tolist() for k, v in state.items()}, 'extra': extra}))


emit(losses, model.state_dict(), norms=norms)
