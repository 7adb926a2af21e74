"""Port 2 — "What is torch.nn really?" (torchlet side: test/ports/nn-tutorial.ts).

The tutorial's final shape: TensorDataset + DataLoader (shuffled training batches), get_model(), loss_batch(), fit()
with a validation pass under no_grad, F.cross_entropy and SGD with momentum. The data are generated from the seed
(a linear teacher labels Gaussian inputs) instead of MNIST, so the program runs anywhere in a second.
"""
import json

import torch
import torch.nn.functional as F
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
torch.set_num_threads(1)

n_in, n_classes = 20, 5
teacher = torch.randn(n_in, n_classes)
x_train = torch.randn(256, n_in)
y_train = (x_train @ teacher).argmax(dim=1)
x_valid = torch.randn(64, n_in)
y_valid = (x_valid @ teacher).argmax(dim=1)

bs = 32
lr = 0.1
epochs = 3
loss_func = F.cross_entropy


def get_model():
    model = nn.Sequential(nn.Linear(n_in, 32), nn.ReLU(), nn.Linear(32, n_classes))
    return model, optim.SGD(model.parameters(), lr=lr, momentum=0.9)


def loss_batch(model, loss_func, xb, yb, opt=None):
    loss = loss_func(model(xb), yb)
    if opt is not None:
        loss.backward()
        opt.step()
        opt.zero_grad()
    return loss.item(), len(xb)


def get_data(train_ds, valid_ds, bs):
    return DataLoader(train_ds, batch_size=bs, shuffle=True), DataLoader(valid_ds, batch_size=bs * 2)


train_losses, valid_losses = [], []


def fit(epochs, model, loss_func, opt, train_dl, valid_dl):
    for epoch in range(epochs):
        model.train()
        for xb, yb in train_dl:
            train_losses.append(loss_batch(model, loss_func, xb, yb, opt)[0])
        model.eval()
        with torch.no_grad():
            losses, nums = zip(*[loss_batch(model, loss_func, xb, yb) for xb, yb in valid_dl])
        val_loss = sum(l * n for l, n in zip(losses, nums)) / sum(nums)
        valid_losses.append(val_loss)


train_dl, valid_dl = get_data(TensorDataset(x_train, y_train), TensorDataset(x_valid, y_valid), bs)
model, opt = get_model()
fit(epochs, model, loss_func, opt, train_dl, valid_dl)


def emit(losses, state, **extra):
    """What the torchlet port is compared with (JSON on stdout)."""
    print(json.dumps({'torch': torch.__version__, 'losses': [float(v) for v in losses],
                      'weights': {k: v.detach().double().flatten().tolist() for k, v in state.items()}, 'extra': extra}))


emit(train_losses, model.state_dict(), valid=valid_losses)
