"""A roberta-base-shaped masked LM in torch.nn (float32, padded batches as
HuggingFace's collator makes them), shared by the PyTorch side of the
benchmarks: bench/torch_engine.py and bench/torch_train.py."""
import math
import torch

H, I, V, nh = 768, 3072, 50265, 12


class Layer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.q, self.k, self.v, self.o = (torch.nn.Linear(H, H) for _ in range(4))
        self.ln1, self.ln2 = torch.nn.LayerNorm(H, eps=1e-5), torch.nn.LayerNorm(H, eps=1e-5)
        self.f1, self.f2 = torch.nn.Linear(H, I), torch.nn.Linear(I, H)

    def forward(self, x, mask):
        B, T, _ = x.shape
        sh = lambda t: t.view(B, T, nh, H // nh).transpose(1, 2)
        s = sh(self.q(x)) @ sh(self.k(x)).transpose(-1, -2) / math.sqrt(H // nh) + mask
        c = (torch.softmax(s, -1) @ sh(self.v(x))).transpose(1, 2).reshape(B, T, H)
        x = self.ln1(self.o(c) + x)
        return self.ln2(self.f2(torch.nn.functional.gelu(self.f1(x))) + x)


class Model(torch.nn.Module):
    def __init__(self, layers=12):
        super().__init__()
        self.we, self.pe = torch.nn.Embedding(V, H), torch.nn.Embedding(514, H)
        self.te, self.ln = torch.nn.Embedding(1, H), torch.nn.LayerNorm(H, eps=1e-5)
        self.layers = torch.nn.ModuleList(Layer() for _ in range(layers))
        self.hd, self.hln = torch.nn.Linear(H, H), torch.nn.LayerNorm(H, eps=1e-5)
        self.dec = torch.nn.Linear(H, V)

    def forward(self, ids, att, mpos, words):
        B, T = ids.shape
        pos = (torch.cumsum(att, 1) * att + 1).long()
        x = self.ln(self.we(ids) + self.pe(pos) + self.te(torch.zeros_like(ids)))
        mask = (1.0 - att[:, None, None, :].float()) * -1e4
        for l in self.layers:
            x = l(x, mask)
        h = x[torch.arange(B), mpos]
        h = self.hln(torch.nn.functional.gelu(self.hd(h)))
        return h @ self.dec.weight[words].T + self.dec.bias[words]
