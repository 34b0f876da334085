#!/usr/bin/python3
"""The PyTorch way of bench_engine's work, for comparison in the same run:
a roberta-base-shaped masked LM (random weights, torch.nn, float32), batches
of 16 sequences of 16-64 tokens padded to the longest (as HuggingFace's
collator pads), label-word logits at the mask, backward of their sum.

    /usr/bin/python3 bench/torch_engine.py [--layers 12] [--batches 6]
Prints one JSON line.  Uses Debian's python3-torch; threads = cores.
"""
import argparse, json, math, os, resource, time
import sys
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_roberta import H, I, V, nh, Model  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--layers", type=int, default=12)
p.add_argument("--batches", type=int, default=6)
a = p.parse_args()
torch.manual_seed(1)
torch.set_num_threads(os.cpu_count())


m = Model(a.layers)
g = torch.Generator().manual_seed(1)
words = torch.tensor([6587, 372])
tot_t, tot_tok, flops = 0.0, 0, 0.0
per_tok = 2.0 * a.layers * (4 * H * H + 2 * H * I)
for it in range(a.batches + 1):
    lens = [16 + int(torch.randint(0, 49, (1,), generator=g)) for _ in range(16)]
    T = max(lens)
    ids = torch.ones(16, T, dtype=torch.long)
    att = torch.zeros(16, T, dtype=torch.long)
    for i, L in enumerate(lens):
        ids[i, :L] = torch.randint(4, 50004, (L,), generator=g)
        att[i, :L] = 1
    mpos = torch.tensor([L - 3 for L in lens])
    m.zero_grad()
    t0 = time.perf_counter()
    m(ids, att, mpos, words).sum().backward()
    dt = time.perf_counter() - t0
    if it == 0:
        continue
    tot_t += dt
    tot_tok += sum(lens)
    flops += 3.0 * (per_tok * sum(lens) + sum(4.0 * a.layers * L * L * H for L in lens))
print(json.dumps({"bench": "torch_engine_forward_backward", "torch": torch.__version__,
                  "threads": torch.get_num_threads(), "tokens": tot_tok, "seconds": round(tot_t, 3),
                  "tokens_per_s": round(tot_tok / tot_t, 1), "gflops": round(flops / tot_t / 1e9, 2),
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))
