#!/usr/bin/python3
"""The paper's way of computing an eNTK (spec §4.4), timed on a subset and
scaled to bench_kernel's job: functorch `jacrev` of the label-word logits
for each training example (batch 1, as run_fewshot.sh), then for every
evaluation example
  sgd:    a forward-mode `jvp` along each training gradient, `vmap`ped over
          the tangents;
  signgd: the evaluation example's own `jacrev` (recomputed for every
          training example, as the paper's inner loop does), the signs of
          both, and a float64 einsum over each flattened tensor, summed.
roberta-base shape, random weights, float32.

    /usr/bin/python3 bench/torch_kernel.py [--formula sgd|signgd] [--layers 12] [--train 2] [--eval 3]
Prints one JSON line: the measured seconds per training Jacobian and per
(training example, evaluation example) block, and the scaled total for
32 train x (32 + 32 + 872) evaluation examples of ~25 tokens; for signgd
also the seconds of the sign products alone per block, and the total had
each evaluation Jacobian been computed once (not the paper's code).
"""
import argparse, json, math, os, resource, time
import torch
from functorch import jacrev, jvp, vmap

p = argparse.ArgumentParser()
p.add_argument("--layers", type=int, default=12)
p.add_argument("--train", type=int, default=2)
p.add_argument("--eval", type=int, default=3)
p.add_argument("--tokens", type=int, default=25)
p.add_argument("--formula", choices=["sgd", "signgd"], default="sgd")
a = p.parse_args()
torch.manual_seed(0)
torch.set_num_threads(os.cpu_count())
H, I, V, nh, L = 768, 3072, 50265, 12, a.layers
params = {}
def n(*s): return torch.randn(*s) * 0.02
params["we"], params["pe"], params["te"] = n(V, H), n(514, H), n(1, H)
params["eln_w"], params["eln_b"] = torch.ones(H), torch.zeros(H)
for l in range(L):
    for m in "qkvo":
        params[f"{l}.{m}.w"], params[f"{l}.{m}.b"] = n(H, H), torch.zeros(H)
    params[f"{l}.f1.w"], params[f"{l}.f1.b"] = n(I, H), torch.zeros(I)
    params[f"{l}.f2.w"], params[f"{l}.f2.b"] = n(H, I), torch.zeros(H)
    for k in ("ln1", "ln2"):
        params[f"{l}.{k}.w"], params[f"{l}.{k}.b"] = torch.ones(H), torch.zeros(H)
params["hd.w"], params["hd.b"] = n(H, H), torch.zeros(H)
params["hln.w"], params["hln.b"] = torch.ones(H), torch.zeros(H)
params["dec.w"], params["dec.b"] = n(V, H), torch.zeros(V)
words = torch.tensor([6587, 372])


def f(p, ids, mpos):
    T = ids.shape[0]
    ln = lambda x, w, b: torch.nn.functional.layer_norm(x, (H,), w, b, 1e-5)
    x = ln(p["we"][ids] + p["pe"][torch.arange(T) + 2] + p["te"][0], p["eln_w"], p["eln_b"])
    for l in range(L):
        lin = lambda z, k: z @ p[f"{l}.{k}.w"].T + p[f"{l}.{k}.b"]
        sh = lambda t: t.view(T, nh, H // nh).transpose(0, 1)
        att = torch.softmax(sh(lin(x, "q")) @ sh(lin(x, "k")).transpose(1, 2) / math.sqrt(H // nh), -1)
        c = (att @ sh(lin(x, "v"))).transpose(0, 1).reshape(T, H)
        x = ln(lin(c, "o") + x, p[f"{l}.ln1.w"], p[f"{l}.ln1.b"])
        x = ln(lin(torch.nn.functional.gelu(lin(x, "f1")), "f2") + x, p[f"{l}.ln2.w"], p[f"{l}.ln2.b"])
    h = ln(torch.nn.functional.gelu(x[mpos] @ p["hd.w"].T + p["hd.b"]), p["hln.w"], p["hln.b"])
    return h @ p["dec.w"][words].T + p["dec.b"][words]


def example():
    ids = torch.randint(4, 50000, (a.tokens,))
    ids[0], ids[-1], ids[-3] = 0, 2, 50264
    return ids, a.tokens - 3


def sign_products(st, sx):
    """K[c, c'] = sum over tensors of <sign g_c(t), sign g_c'(x)> in float64."""
    return sum(torch.einsum("ap,bp->ab", st[k].reshape(2, -1).double(), sx[k].reshape(2, -1).double())
               for k in st)


with torch.no_grad():
    t0 = time.perf_counter()
    jacs = [jacrev(f)(params, *example()) for _ in range(a.train)]
    t_jac = (time.perf_counter() - t0) / a.train
    tangents = jacs[0]  # dict name -> [2, *shape]
    extra = {}
    t0 = time.perf_counter()
    if a.formula == "sgd":
        for _ in range(a.eval):
            ids, mp = example()
            out = vmap(lambda t: jvp(lambda q: f(q, ids, mp), (params,), (t,))[1])(tangents)
    else:
        st = {k: torch.sign(v) for k, v in tangents.items()}
        t_prod = 0.0
        for _ in range(a.eval):
            sx = {k: torch.sign(v) for k, v in jacrev(f)(params, *example()).items()}
            t1 = time.perf_counter()
            out = sign_products(st, sx)
            t_prod += time.perf_counter() - t1
        t_prod /= a.eval
    t_blk = (time.perf_counter() - t0) / a.eval
n_train, n_eval = 32, 32 + 32 + 872
total = t_jac * n_train + t_blk * n_train * n_eval
if a.formula == "signgd":
    extra = {"seconds_per_sign_product": round(t_prod, 3),
             "scaled_total_jacobians_once_seconds": round(t_jac * (n_train + n_eval) + t_prod * n_train * n_eval, 1)}
print(json.dumps({"bench": "torch_functorch_kernel", "formula": a.formula, "torch": torch.__version__,
                  "threads": torch.get_num_threads(), "layers": L, "tokens": a.tokens,
                  "seconds_per_train_jacobian": round(t_jac, 3), "seconds_per_train_eval_block": round(t_blk, 3),
                  "scaled_total_seconds": round(total, 1), **extra,
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))
