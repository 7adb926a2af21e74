"""Port 7 — parameter groups without weight decay on biases and norms (minGPT's configure_optimizers pattern,
the torch.optim docs' per-parameter options) (torchlet side: test/ports/param-groups.ts).

Weights of Linear layers decay; biases, LayerNorm and Embedding weights do not. AdamW with two groups.
"""
import json

import torch
from torch import nn

torch.manual_seed(0)
torch.set_num_threads(1)


class Block(nn.Module):
    def __init__(self, vocab=16, dim=12):
        super().__init__()
        self.emb = nn.Embedding(vocab, dim)
        self.ln = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, 24)
        self.fc2 = nn.Linear(24, vocab)

    def forward(self, idx):
        x = self.ln(self.emb(idx))
        return self.fc2(torch.relu(self.fc1(x)))


model = Block()
decay, no_decay = set(), set()
whitelist_weight_modules = (torch.nn.Linear,)
blacklist_weight_modules = (torch.nn.LayerNorm, torch.nn.Embedding)
for mn, m in model.named_modules():
    for pn, p in m.named_parameters(recurse=False):
        fpn = '%s.%s' % (mn, pn) if mn else pn
        if pn.endswith('bias'):
            no_decay.add(fpn)
        elif pn.endswith('weight') and isinstance(m, whitelist_weight_modules):
            decay.add(fpn)
        elif pn.endswith('weight') and isinstance(m, blacklist_weight_modules):
            no_decay.add(fpn)
param_dict = {pn: p for pn, p in model.named_parameters()}
optim_groups = [
    {"params": [param_dict[pn] for pn in sorted(list(decay))], "weight_decay": 0.1},
    {"params": [param_dict[pn] for pn in sorted(list(no_decay))], "weight_decay": 0.0},
]
optimizer = torch.optim.AdamW(optim_groups, lr=3e-3, betas=(0.9, 0.95))

idx = torch.randint(0, 16, (8, 6))
targets = torch.randint(0, 16, (8, 6))
losses = []
for step in range(15):
    logits = model(idx)
    loss = nn.functional.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    losses.append(loss.item())


def emit(losses, state, **extra):
    """What the torchlet port is compared with (JSON on stdout)."""
    print(json.dumps({'torch': torch.__version__, 'losses': [float(v) for v in losses],
                      'weights': {k: v.detach().double().flatten().tolist() for k, v in state.items()}, 'extra': extra}))


emit(losses, model.state_dict(), group_sizes=[len(g['params']) for g in optimizer.param_groups],
     weight_decay=[g['weight_decay'] for g in optimizer.param_groups])
