"""Port 10 — custom initialization with Module.apply (the torch.nn.init docs and the DCGAN tutorial's weights_init)
(torchlet side: test/ports/apply-init.ts).

A small CNN whose Conv2d weights get kaiming_normal_(mode='fan_out', nonlinearity='relu'), BatchNorm weights
normal_(1.0, 0.02) and biases 0, Linear weights xavier_uniform_ and biases fill_(0.01), applied with model.apply;
then a few Adam steps. (A conv followed by BatchNorm has no bias, as in ResNet: its gradient would be rounding
noise that Adam amplifies to full steps, in PyTorch as anywhere.)
"""
import json

import torch
from torch import nn

torch.manual_seed(0)
torch.set_num_threads(1)


def weights_init(m):
    if isinstance(m, nn.Conv2d):
        nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight.data, 1.0, 0.02)
        nn.init.constant_(m.bias.data, 0)
    elif isinstance(m, nn.Linear):
        torch.nn.init.xavier_uniform_(m.weight)
        m.bias.data.fill_(0.01)


net = nn.Sequential(
    nn.Conv2d(1, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
    nn.Flatten(), nn.Linear(8, 3),
)
net.apply(weights_init)
initial = {k: v.clone() for k, v in net.state_dict().items()}

x = torch.randn(8, 1, 8, 8)
y = torch.randint(0, 3, (8,))
optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
losses = []
for step in range(8):
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(net(x), y)
    loss.backward()
    optimizer.step()
    losses.append(loss.item())


def emit(losses, state, **extra):
    """What the torchlet port is compared with (JSON on stdout)."""
    print(json.dumps({'torch': torch.__version__, 'losses': [float(v) for v in losses],
                      'weights': {k: v.detach().double().flatten().tolist() for k, v in state.items()}, 'extra': extra}))


emit(losses, net.state_dict(), **{'init.' + k: v.double().flatten().tolist() for k, v in initial.items()})
