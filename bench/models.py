"""Model inference timings in PyTorch for bench/models.ts (run with PyTorch 2.6 in the trixie root and with
Debian's PyTorch 1.13 at /usr/bin/python3).

Usage: python3 models.py <resnet18|vitb16|gpt2> <threads> <seconds budget> [GPT2_REFERENCE_PY] [NEW_TOKENS]
Prints one JSON line: {"case", "median_s", "min_s", "max_s", "reps", "torch", "source"}; for gpt2 the time is of one
generate call (prompt of 8 tokens, NEW_TOKENS greedy tokens with a key/value cache) and "tokens" is NEW_TOKENS.

ResNet-18 and ViT-B/16 come from torchvision where it is installed (2.6); Debian's 1.13 has no torchvision, so
the same architectures are defined below from torchvision's code structure (random weights either way).
GPT-2 small is the reference model of scripts/fixtures/gpt2.py (transformers is not installed), decoded here
with a key/value cache as transformers' generate does.
"""
import importlib.util
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

case, threads, budget = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
torch.set_num_threads(threads)
torch.manual_seed(0)


def basic_block(cin, cout, stride):
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.downsample = None
            if stride != 1 or cin != cout:
                self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            idt = x if self.downsample is None else self.downsample(x)
            out = F.relu(self.bn1(self.conv1(x)))
            return F.relu(self.bn2(self.conv2(out)) + idt)
    return Block()


def resnet18_plain():
    layers = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
    cin = 64
    for cout, stride in [(64, 1), (128, 2), (256, 2), (512, 2)]:
        layers += [basic_block(cin, cout, stride), basic_block(cout, cout, 1)]
        cin = cout
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 1000))


class EncoderBlock(nn.Module):
    def __init__(self, d, heads, mlp):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d, eps=1e-6)
        self.self_attention = nn.MultiheadAttention(d, heads, batch_first=True)
        self.ln_2 = nn.LayerNorm(d, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(d, mlp), nn.GELU(), nn.Linear(mlp, d))

    def forward(self, x):
        h = self.ln_1(x)
        x = x + self.self_attention(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.ln_2(x))


class ViTPlain(nn.Module):
    def __init__(self, d=768, layers=12, heads=12, mlp=3072, patch=16, image=224):
        super().__init__()
        self.conv_proj = nn.Conv2d(3, d, patch, patch)
        self.class_token = nn.Parameter(torch.zeros(1, 1, d))
        self.pos_embedding = nn.Parameter(torch.randn(1, (image // patch) ** 2 + 1, d) * 0.02)
        self.layers = nn.Sequential(*[EncoderBlock(d, heads, mlp) for _ in range(layers)])
        self.ln = nn.LayerNorm(d, eps=1e-6)
        self.head = nn.Linear(d, 1000)

    def forward(self, x):
        x = self.conv_proj(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.class_token.expand(x.size(0), -1, -1), x], 1) + self.pos_embedding
        return self.head(self.ln(self.layers(x))[:, 0])


def load_gpt2_reference(path):
    spec = importlib.util.spec_from_file_location('gpt2_reference', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def gpt2_generate(ref, model, ids, new_tokens):
    """Greedy decoding with a key/value cache over the reference's modules."""
    tr, E = model.transformer, model.transformer.wte.weight.size(1)
    past = None
    out = ids
    step = ids
    for _ in range(new_tokens):
        B, T = step.shape
        P = 0 if past is None else past[0][0].size(2)
        x = tr.wte(step) + tr.wpe(torch.arange(P, P + T).unsqueeze(0))
        presents = []
        for i, blk in enumerate(tr.h):
            a = blk.attn
            q, k, v = a.c_attn(blk.ln_1(x)).split(E, 2)
            heads = lambda t: t.view(B, T, a.n_head, E // a.n_head).transpose(1, 2)
            q, k, v = heads(q), heads(k), heads(v)
            if past is not None:
                k, v = torch.cat([past[i][0], k], 2), torch.cat([past[i][1], v], 2)
            y = ref.sdpa(q, k, v, is_causal=P == 0 and T > 1)
            x = x + a.c_proj(y.transpose(1, 2).contiguous().view(B, T, E))
            x = x + blk.mlp(blk.ln_2(x))
            presents.append((k, v))
        past = presents
        logits = model.lm_head(tr.ln_f(x[:, -1:, :]))
        step = logits[:, -1, :].float().argmax(-1, keepdim=True)
        out = torch.cat([out, step], 1)
    return out


source = 'torchvision'
if case == 'resnet18':
    try:
        import torchvision
        model = torchvision.models.resnet18()
        source = f'torchvision {torchvision.__version__}'
    except ImportError:
        model, source = resnet18_plain(), 'bench/models.py (no torchvision)'
    x = torch.randn(8, 3, 224, 224)
    fn = lambda: model(x)
elif case == 'vitb16':
    try:
        import torchvision
        model = torchvision.models.vit_b_16()
        source = f'torchvision {torchvision.__version__}'
    except ImportError:
        model, source = ViTPlain(), 'bench/models.py (no torchvision)'
    x = torch.randn(1, 3, 224, 224)
    fn = lambda: model(x)
elif case == 'gpt2':
    ref = load_gpt2_reference(sys.argv[4])
    new_tokens = int(sys.argv[5])
    cfg = dict(vocab_size=50257, n_positions=1024, n_embd=768, n_layer=12, n_head=12, layer_norm_epsilon=1e-5,
               initializer_range=0.02, embd_pdrop=0.1, attn_pdrop=0.1, resid_pdrop=0.1)
    model = ref.GPT2LMHeadModel(cfg)
    source = 'scripts/fixtures/gpt2.py reference'
    ids = torch.randint(0, 50257, (1, 8))
    fn = lambda: gpt2_generate(ref, model, ids, new_tokens)
else:
    raise SystemExit(f'unknown case {case}')

model.eval()
samples = []
with torch.inference_mode():
    fn()  # warm-up
    t0 = time.perf_counter()
    while len(samples) < 7 and (len(samples) < 3 or time.perf_counter() - t0 < budget):
        s = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - s)
samples.sort()
res = {'case': case, 'median_s': samples[len(samples) // 2], 'min_s': samples[0], 'max_s': samples[-1], 'reps': len(samples),
       'torch': torch.__version__, 'source': source, 'threads': torch.get_num_threads()}
if case == 'gpt2':
    res['tokens'] = new_tokens
print(json.dumps(res))
