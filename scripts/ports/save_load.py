"""Port 3 — "Saving and loading a general checkpoint for inference and/or resuming training"
(torchlet side: test/ports/save-load.ts).

Train 6 steps, save {epoch, model_state_dict, optimizer_state_dict, loss} with torch.save, load it into a fresh
model and optimizer, continue 6 steps; also the uninterrupted 12-step run, which must end at the same weights.
"""
import io
import json

import torch
from torch import nn, optim

torch.manual_seed(0)
torch.set_num_threads(1)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(10, 16)
        self.fc2 = nn.Linear(16, 1)

    def forward(self, x):
        return self.fc2(torch.tanh(self.fc1(x)))


X = torch.randn(64, 10)
Y = X[:, :3].sum(dim=1, keepdim=True)
criterion = nn.MSELoss()


def train(model, optimizer, steps, losses):
    for _ in range(steps):
        optimizer.zero_grad()
        loss = criterion(model(X), Y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return loss


initial = Net().state_dict()
losses = []
model = Net()
model.load_state_dict(initial)
optimizer = optim.Adam(model.parameters(), lr=0.01)
loss = train(model, optimizer, 6, losses)

buffer = io.BytesIO()
torch.save({'epoch': 6, 'model_state_dict': model.state_dict(), 'optimizer_state_dict': optimizer.state_dict(), 'loss': loss.item()}, buffer)

model = Net()
optimizer = optim.Adam(model.parameters(), lr=0.01)
buffer.seek(0)
checkpoint = torch.load(buffer)
model.load_state_dict(checkpoint['model_state_dict'])
optimizer.load_state_dict(checkpoint['optimizer_state_dict'])
epoch = checkpoint['epoch']
model.train()
train(model, optimizer, 6, losses)

straight = Net()
straight.load_state_dict(initial)
train(straight, optim.Adam(straight.parameters(), lr=0.01), 12, [])
same = all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), straight.state_dict().values()))


def emit(losses, state, **extra):
    """What the torchlet port is compared with (JSON on stdout)."""
    print(json.dumps({'torch': torch.__version__, 'losses': [float(v) for v in losses],
                      'weights': {k: v.detach().double().flatten().tolist() for k, v in state.items()}, 'extra': extra}))


emit(losses, model.state_dict(), epoch=[epoch], resumed_equals_uninterrupted=[1.0 if same else 0.0])
