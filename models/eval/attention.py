#!/usr/bin/python3
"""attention.py MODEL_DIR [TEXT_FILE] - does a checkpoint attend by position?

Runs the RoBERTa encoder of MODEL_DIR (safetensors, float32) in numpy on
one document (default: the second line of the IMDB corpus file, cut to a
128-token block) and prints, per layer and head, the mean attention entropy
(uniform over T tokens: log T) and the mean attention a token pays to itself,
to the token before it and to the token after it (uniform: 1/T).  A model in
the bag-of-words plateau shows ~1/T everywhere; attention by position shows
as prev/next/self well above it (common/pretrain/README.md).

Needs Debian's python3-numpy and python3-regex; run from the repository root
with /usr/bin/python3.  Analysis only: nothing in lmntk runs it.
"""
import gzip, json, math, os, sys
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "fixtures", "tokenize"))
sys.path.insert(0, os.path.join(ROOT, "tests", "fixtures", "model"))
import bpe_ref  # noqa: E402
import safetensors_io  # noqa: E402


def layer_norm(x, g, b, eps):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * g + b


def gelu(x):
    return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


def main():
    model = sys.argv[1]
    cfg = json.load(open(os.path.join(model, "config.json")))
    w = safetensors_io.load(os.path.join(model, "model.safetensors"))
    tok = bpe_ref.load(model)
    if len(sys.argv) > 2:
        text = open(sys.argv[2], encoding="utf-8").read()
    else:
        with gzip.open(os.path.join(ROOT, "..", "shared", "data", "corpus", "imdb_unsup_part1.txt.gz"), "rt") as f:
            f.readline()
            text = f.readline()
    block = cfg["max_position_embeddings"] - 2
    ids = [0] + tok.encode(text.strip())[:block - 2] + [2]
    T, H, NH, eps = len(ids), cfg["hidden_size"], cfg["num_attention_heads"], cfg["layer_norm_eps"]
    D = H // NH
    p = "roberta.embeddings."
    x = layer_norm(w[p + "word_embeddings.weight"][ids] + w[p + "position_embeddings.weight"][np.arange(2, T + 2)]
                   + w[p + "token_type_embeddings.weight"][0], w[p + "LayerNorm.weight"], w[p + "LayerNorm.bias"], eps)
    print(f"{model}: {T} tokens; uniform attention: entropy {math.log(T):.2f}, weight {1 / T:.4f}")
    for l in range(cfg["num_hidden_layers"]):
        p = f"roberta.encoder.layer.{l}."

        def lin(name, v):
            return v @ w[p + name + ".weight"].T + w[p + name + ".bias"]
        q, k, v = (lin("attention.self." + n, x).reshape(T, NH, D).transpose(1, 0, 2) for n in ("query", "key", "value"))
        s = q @ k.transpose(0, 2, 1) / math.sqrt(D)
        a = np.exp(s - s.max(-1, keepdims=True))
        a /= a.sum(-1, keepdims=True)
        ent = -(a * np.log(a + 1e-30)).sum(-1).mean(-1)
        diag = [np.diag(a[h], d).mean() for h in range(NH) for d in (0, -1, 1)]
        heads = "  ".join(f"h{h}: H {ent[h]:.2f} self {diag[3 * h]:.3f} prev {diag[3 * h + 1]:.3f} "
                          f"next {diag[3 * h + 2]:.3f}" for h in range(NH))
        print(f"layer {l}  {heads}")
        x = layer_norm(x + lin("attention.output.dense", (a @ v).transpose(1, 0, 2).reshape(T, H)),
                       w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"], eps)
        x = layer_norm(x + lin("output.dense", gelu(lin("intermediate.dense", x))),
                       w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], eps)


if __name__ == "__main__":
    main()
