"""Port 4 — "Transfer learning for computer vision", ConvNet as fixed feature extractor
(torchlet side: test/ports/transfer.ts).

A small "pretrained" CNN (trained for a few steps on a 10-class task, saved and loaded like downloaded weights)
is frozen (requires_grad = False), its fc is replaced by a new 2-class Linear, and only fc is optimized
(SGD momentum 0.9, StepLR). BatchNorm still updates its running statistics in train mode, as in the tutorial.
"""
import io
import json

import torch
from torch import nn, optim
from torch.optim import lr_scheduler
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
torch.set_num_threads(1)


class SmallNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, kernel_size=3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu = nn.ReLU(inplace=True)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(8, num_classes)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        return self.fc(x)


# "pretrained" weights
pretrained = SmallNet()
pre_opt = optim.SGD(pretrained.parameters(), lr=0.1)
pre_x, pre_y = torch.randn(16, 3, 8, 8), torch.randint(0, 10, (16,))
for _ in range(3):
    pre_opt.zero_grad()
    nn.functional.cross_entropy(pretrained(pre_x), pre_y).backward()
    pre_opt.step()
weights = io.BytesIO()
torch.save(pretrained.state_dict(), weights)
weights.seek(0)

model_conv = SmallNet()
model_conv.load_state_dict(torch.load(weights))
for param in model_conv.parameters():
    param.requires_grad = False

# Parameters of newly constructed modules have requires_grad=True by default
num_ftrs = model_conv.fc.in_features
model_conv.fc = nn.Linear(num_ftrs, 2)

criterion = nn.CrossEntropyLoss()
optimizer_conv = optim.SGD(model_conv.fc.parameters(), lr=0.01, momentum=0.9)
exp_lr_scheduler = lr_scheduler.StepLR(optimizer_conv, step_size=2, gamma=0.1)

inputs_all, labels_all = torch.randn(32, 3, 8, 8), torch.randint(0, 2, (32,))
dataloader = DataLoader(TensorDataset(inputs_all, labels_all), batch_size=8, shuffle=True)

losses, corrects = [], []
for epoch in range(3):
    model_conv.train()
    running_corrects = 0
    for inputs, labels in dataloader:
        optimizer_conv.zero_grad()
        with torch.set_grad_enabled(True):
            outputs = model_conv(inputs)
            _, preds = torch.max(outputs, 1)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer_conv.step()
        losses.append(loss.item())
        running_corrects += torch.sum(preds == labels.data).item()
    exp_lr_scheduler.step()
    corrects.append(running_corrects)

frozen_unchanged = torch.equal(model_conv.conv1.weight, pretrained.conv1.weight)


def emit(losses, state, **extra):
    """What the torchlet port is compared with (JSON on stdout)."""
    print(json.dumps({'torch': torch.__version__, 'losses': [float(v) for v in losses],
                      'weights': {k: v.detach().double().flatten().tolist() for k, v in state.items()}, 'extra': extra}))


emit(losses, model_conv.state_dict(), corrects=corrects, frozen_unchanged=[1.0 if frozen_unchanged else 0.0],
     lr=[optimizer_conv.param_groups[0]['lr']])
