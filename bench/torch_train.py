#!/usr/bin/python3
"""The PyTorch way of bench_train's work, for comparison in the same run:
one fine-tuning step of a roberta-base-shaped masked LM (random weights,
torch.nn, float32) at batch 8: sequences of 24-64 tokens padded to the
longest (HuggingFace's collator), cross-entropy over the label-word logits
at the mask, backward, clip_grad_norm_(1.0), AdamW (or SGD) step.

    /usr/bin/python3 bench/torch_train.py [--layers 12] [--steps 3] [--batch 8] [--optimizer adam|sgd]
Prints one JSON line.  Uses Debian's python3-torch; threads = cores.
"""
import argparse, json, math, os, resource, time
import torch

p = argparse.ArgumentParser()
p.add_argument("--layers", type=int, default=12)
p.add_argument("--steps", type=int, default=3)
p.add_argument("--batch", type=int, default=8)
p.add_argument("--optimizer", default="adam")
a = p.parse_args()
torch.manual_seed(1)
torch.set_num_threads(os.cpu_count())
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
    def __init__(self):
        super().__init__()
        self.we, self.pe = torch.nn.Embedding(V, H), torch.nn.Embedding(514, H)
        self.te, self.ln = torch.nn.Embedding(1, H), torch.nn.LayerNorm(H, eps=1e-5)
        self.layers = torch.nn.ModuleList(Layer() for _ in range(a.layers))
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


m = Model()
opt = torch.optim.AdamW(m.parameters(), lr=1e-5, weight_decay=0.0) if a.optimizer == "adam" \
    else torch.optim.SGD(m.parameters(), lr=1e-5)
g = torch.Generator().manual_seed(1)
words = torch.tensor([6587, 372])
tot_t, tot_tok, flops = 0.0, 0, 0.0
per_tok = 2.0 * a.layers * (4 * H * H + 2 * H * I)
for it in range(a.steps + 1):
    lens = [24 + int(torch.randint(0, 41, (1,), generator=g)) for _ in range(a.batch)]
    T = max(lens)
    ids = torch.ones(a.batch, T, dtype=torch.long)
    att = torch.zeros(a.batch, T, dtype=torch.long)
    for i, L in enumerate(lens):
        ids[i, :L] = torch.randint(4, 50004, (L,), generator=g)
        att[i, :L] = 1
    mpos = torch.tensor([L - 3 for L in lens])
    labels = torch.tensor([i % 2 for i in range(a.batch)])
    t0 = time.perf_counter()
    opt.zero_grad()
    loss = torch.nn.functional.cross_entropy(m(ids, att, mpos, words), labels)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
    opt.step()
    dt = time.perf_counter() - t0
    if it == 0:
        continue
    tot_t += dt
    tot_tok += sum(lens)
    flops += 3.0 * (per_tok * sum(lens) + sum(4.0 * a.layers * L * L * H for L in lens) + 2.0 * H * H * a.batch)
print(json.dumps({"bench": "torch_train_step", "torch": torch.__version__, "optimizer": a.optimizer,
                  "threads": torch.get_num_threads(), "batch": a.batch, "steps": a.steps,
                  "tokens_per_step": tot_tok / a.steps, "seconds_per_step": round(tot_t / a.steps, 3),
                  "gflops_step": round(flops / tot_t / 1e9, 2),
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))
