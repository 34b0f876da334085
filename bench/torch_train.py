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
import sys
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_roberta import H, I, V, nh, Model  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--layers", type=int, default=12)
p.add_argument("--steps", type=int, default=3)
p.add_argument("--batch", type=int, default=8)
p.add_argument("--optimizer", default="adam")
a = p.parse_args()
torch.manual_seed(1)
torch.set_num_threads(os.cpu_count())


m = Model(a.layers)
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
