"""Port 11 — weight tying ("Using the Output Embedding to Improve Language Models", as pytorch/examples'
word_language_model --tied does it: self.decoder.weight = self.encoder.weight) (torchlet side: test/ports/weight-tying.ts).

The tied weight appears under both keys in state_dict() but once in parameters(); it gets the sum of both
gradients; a strict load of the state dict into a fresh tied model restores it.
"""
import json

import torch
from torch import nn

torch.manual_seed(0)
torch.set_num_threads(1)


class TiedLM(nn.Module):
    def __init__(self, ntoken=20, nhid=12):
        super().__init__()
        self.encoder = nn.Embedding(ntoken, nhid)
        self.rnn = nn.GRU(nhid, nhid)
        self.decoder = nn.Linear(nhid, ntoken)
        self.decoder.weight = self.encoder.weight

    def forward(self, input):
        output, _ = self.rnn(self.encoder(input))
        return self.decoder(output)


model = TiedLM()
n_params = len(list(model.parameters()))
data = torch.randint(0, 20, (10, 3))
optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
losses = []
for step in range(10):
    optimizer.zero_grad()
    out = model(data[:-1])
    loss = nn.functional.cross_entropy(out.reshape(-1, 20), data[1:].reshape(-1))
    loss.backward()
    optimizer.step()
    losses.append(loss.item())

fresh = TiedLM()
fresh.load_state_dict(model.state_dict())
still_tied = fresh.decoder.weight is fresh.encoder.weight


def emit(losses, state, **extra):
    """What the torchlet port is compared with (JSON on stdout)."""
    print(json.dumps({'torch': torch.__version__, 'losses': [float(v) for v in losses],
                      'weights': {k: v.detach().double().flatten().tolist() for k, v in state.items()}, 'extra': extra}))


emit(losses, model.state_dict(), n_params=[n_params], still_tied=[1.0 if still_tied else 0.0])
