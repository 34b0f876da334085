#!/usr/bin/python3
"""make_corpus.py - regenerates the seed corpora (tests/fuzz/corpus/<target>/)
and dictionaries (tests/fuzz/dict/<target>.dict) of the fuzz targets from the
repository's own files:

  specs            schema/experiment.schema.json's examples, bench/load_spec.json,
                   models/runs/*/eval/spec-*.json, and specs using the
                   fields those leave out (fine-tuning, LoRA, diagnostics,
                   checkpoints, a custom task);
  job results      tests/fixtures/experiment's real ones (fields nobody reads
                   dropped), and a pre-training one written here;
  safetensors      tensors written with tests/fixtures/model/safetensors_io.py,
                   and the header of tests/fixtures/model/bert-tiny's model;
  config.json      tests/fixtures/model/*/config.json, models/default/config.json;
  tokenizer files  the first entries of models/default/vocab.json and merges.txt,
                   tests/fixtures/tokenize/bert-mini/vocab.txt;
  templates        the LM-BFF templates of common/prompt/task.c;
  datasets         the first rows of ../shared/data/k-shot-1k-test (the tests'
                   data), and custom-task files written here.

Run from anywhere: tests/fuzz/make_corpus.py (Debian's python3 with python3-numpy).  The output is the same
on every run (no randomness); a folder's files are replaced, except the
regress-* inputs: those are crashes the campaigns found, added by hand once
fixed (README.md), and stay.  Multi-part inputs
use the separator of fuzz_util.h (FUZZ_SEP); a leading selector byte picks
the route, spec, task or tokenizer where a target says so.
"""
import glob
import json
import os
import re
import shutil
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DATA = os.path.join(ROOT, "..", "shared", "data", "k-shot-1k-test")
SEP = b"\n%%\n"
sys.path.insert(0, os.path.join(ROOT, "tests", "fixtures", "model"))
import numpy as np  # noqa: E402
import safetensors_io  # noqa: E402


def rd(*parts):
    with open(os.path.join(ROOT, *parts), "rb") as f:
        return f.read()


def compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


class Corpus:
    """The files of one target's seed folder, named in order."""

    def __init__(self, target):
        self.dir = os.path.join(HERE, "corpus", target)
        os.makedirs(self.dir, exist_ok=True)
        for f in os.listdir(self.dir):
            if not f.startswith("regress-"):
                os.remove(os.path.join(self.dir, f))
        self.n = 0

    def add(self, name, data):
        if isinstance(data, str):
            data = data.encode()
        self.n += 1
        with open(os.path.join(self.dir, "%03d-%s" % (self.n, name)), "wb") as f:
            f.write(data)


# ---- specs --------------------------------------------------------------

def specs():
    out = []
    schema = json.loads(rd("schema", "experiment.schema.json"))
    out += [compact(e) for e in schema.get("examples", [])]
    out.append(rd("bench", "load_spec.json"))
    for p in sorted(glob.glob(os.path.join(ROOT, "models/runs/*/eval/spec-*.json")))[:2]:
        with open(p, "rb") as f:
            out.append(f.read())
    out += [compact(s) for s in [
        {"task": "SST-2", "data": "d"},
        {"task": "MNLI", "data": "d", "seeds": [1, 2], "max_length": 256,
         "finetune": [{"lr": 1e-5}, {"optimizer": "sgd", "lr": [1e-3, 1e-2], "lora": {"r": 4}, "seed": 7}]},
        {"name": "n", "description": "d", "checkpoints": ["c1", "run/checkpoint-100"], "task": "custom",
         "data": "d", "labels": ["neg", "pos"], "label_words": ["bad", "good"],
         "template": "*cls**sent_0*_It_was*mask*.*sep+*", "prompt": True},
        {"task": "trec", "data": "d", "kernel": {"formula": ["sgd", "signgd", "asymmetric_signgd"],
         "params": "lora", "lora": {"r": 2, "alpha": 4, "targets": ["query", "value", "output"],
                                    "init": "gaussian", "b_init": "gaussian", "seed": 3},
         "projection": {"dim": 64, "seed": 1}, "precision": "fp64"},
         "solver": {"name": ["svc", "svr", "logistic"], "regularization": 0.5, "gamma": [0.5, 1]}},
        {"task": "SST-2", "data": "d", "finetune": [{"optimizer": "signgd", "lr": 1e-4, "steps": 10,
         "warmup": 2, "eval_every": 5, "weight_decay": 0.01, "max_grad_norm": 0, "params": "biases",
         "linearized": True, "batch_size": [4, 8]}],
         "diagnostics": {"min_linearization_gain": 0.4, "max_kernel_distance": 0.2, "min_kernel_ft_ratio": 0.8}},
    ]]
    return out


def json_edge_cases():
    return [b"{}", b"[]", b"null", b"true", b"-0.5e-3", b"1E+400", b'"\\u00e9\\ud83d\\ude00\\n\\/"',
            b'{"a":[1,2,{"b":null}],"c":"caf\xc3\xa9"}', b'{"a":1,"a":2}', b"[1,]", b'"\\ud800"',
            b"[" * 70 + b"]" * 70, b' \t\r\n{ "k" : [ true , false ] } ']


# ---- job results (what a worker posts with complete) -------------------

# Fields neither the daemon's check nor the aggregation reads; dropped (and
# numbers shortened) to keep the seeds small.
UNREAD = {"artifacts", "timings", "cache", "test_labels", "train_labels", "sizes"}


def shrink(o):
    if isinstance(o, float):
        return float("%.4g" % o)
    if isinstance(o, dict):
        return {k: shrink(v) for k, v in o.items() if k not in UNREAD}
    if isinstance(o, list):
        return [shrink(v) for v in o]
    return o


def job_results(name):
    """The real job results of tests/fixtures/experiment/<name>."""
    return shrink(json.loads(rd("tests", "fixtures", "experiment", name, "job_results.json")))


def pretrain_result():
    return {"seed": 42, "method": "pretrain", "seconds": 30,
            "pretrain": {"out": "run", "steps": 10, "final_step": 10, "seconds": 30, "tokens_per_s": 1000,
                         "loss": [[1, 9.5], [10, 7.25]], "final_loss": 7.25,
                         "checkpoints": ["run/checkpoint-10"]}}


def result_sets():
    """(spec selector, results) for fuzz_complete_result's specs, in its order."""
    kernels, finetune, sweep = job_results("kernels"), job_results("finetune"), job_results("sweep")
    return [(0, kernels), (1, finetune), (2, sweep), (3, [pretrain_result()]),
            (1, finetune[:3] + [{"diagnostics": {}}]), (0, [{}])]


def one_job_result():
    """A result for fuzz_lease_bodies' one-job experiment (seed 13, kernel:sgd, no model)."""
    r = dict(job_results("kernels")[0])
    r.pop("model", None)
    return r


# ---- safetensors ---------------------------------------------------------

def safetensors_seeds(tmp):
    out = []
    p = os.path.join(tmp, "a.safetensors")
    safetensors_io.save(p, {"w": np.arange(6, dtype=np.float32).reshape(2, 3),
                            "b": np.array([1.5, -2], dtype=np.float16)})
    with open(p, "rb") as f:
        good = f.read()
    out.append(("f32-f16.safetensors", good))
    # other dtypes: the same layout with the header's dtype changed
    n = struct.unpack("<Q", good[:8])[0]
    head = json.loads(good[8:8 + n])
    for dt, size in (("BF16", 2), ("F64", 8), ("I64", 8)):
        h = {"__metadata__": {"format": "pt"},
             "x": {"dtype": dt, "shape": [2], "data_offsets": [0, 2 * size]}}
        hb = compact(h)
        out.append((dt.lower() + ".safetensors", struct.pack("<Q", len(hb)) + hb + bytes(range(2 * size))))
    head["w"]["data_offsets"] = [0, 1 << 40]
    hb = compact(head)
    out.append(("bad-offsets.safetensors", struct.pack("<Q", len(hb)) + hb + good[8 + n:]))
    real = rd("tests", "fixtures", "model", "bert-tiny", "model.safetensors")
    n = struct.unpack("<Q", real[:8])[0]
    out.append(("bert-tiny-header.safetensors", real[:8 + n] + real[8 + n:8 + n + 64]))
    return out


# ---- tokenizer files -------------------------------------------------------

def small_bpe():
    vocab = json.loads(rd("models", "default", "vocab.json"))
    keep = {k: v for k, v in vocab.items() if v < 300}
    keep["<mask>"] = 300
    merges = rd("models", "default", "merges.txt").split(b"\n")[:41]
    return keep, merges


def tokenizer_json_bpe(vocab, merges):
    pairs = [m.decode().split(" ") for m in merges if m and not m.startswith(b"#")]
    added = [{"id": vocab[t], "content": t, "lstrip": t == "<mask>", "rstrip": False, "special": True}
             for t in ("<s>", "<pad>", "</s>", "<unk>", "<mask>")]
    return compact({"version": "1.0", "added_tokens": added, "normalizer": None,
                    "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False},
                    "model": {"type": "BPE", "vocab": vocab, "merges": [" ".join(p) for p in pairs[:20]] +
                              [p for p in pairs[20:]]}})


def tokenizer_json_wordpiece(lines):
    vocab = {t: i for i, t in enumerate(lines)}
    return compact({"added_tokens": [{"id": vocab["[MASK]"], "content": "[MASK]"}],
                    "normalizer": {"type": "BertNormalizer", "lowercase": True, "strip_accents": None,
                                   "handle_chinese_chars": True},
                    "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                              "max_input_chars_per_word": 100, "vocab": vocab}})


# ---- templates ---------------------------------------------------------------

def templates():
    src = rd("common", "prompt", "task.c").decode()
    return sorted(set(re.findall(r'"(\*cls\*[^"]*)"', src)))


# ---- datasets -------------------------------------------------------------------

def head(task, ext, n):
    p = os.path.join(DATA, task, "16-13", "train." + ext)
    with open(p, "rb") as f:
        return b"".join(f.readlines()[:n])


def main():
    tmp = os.path.join(HERE, "corpus", ".tmp")
    os.makedirs(tmp, exist_ok=True)
    all_specs = specs()

    c = Corpus("fuzz_json_strict")
    for i, s in enumerate(all_specs + json_edge_cases()):
        c.add("doc.json", s)

    c = Corpus("fuzz_spec")
    for s in all_specs:
        c.add("spec.json", s)

    c = Corpus("fuzz_lease_bodies")
    for route, body in [(0, {"worker": "gpu-1", "host": "node-3", "mem_bytes": 8 << 30}), (0, {}), (1, {"progress": 0.5, "stage": "kernel 3/8"}),
                        (1, {"progress": 2}), (2, {"result": one_job_result()}),
                        (2, {"result": {"diagnostics": {}}}), (2, {"result": 5}),
                        (3, {"error": "out of memory", "release": False}), (3, {"error": "stop", "release": True})]:
        c.add(["take", "heartbeat", "complete", "fail"][route] + ".json", bytes([route]) + compact(body))

    c = Corpus("fuzz_complete_result")
    for sel, results in result_sets():
        c.add("results.json", bytes([sel]) + compact(results))

    c = Corpus("fuzz_safetensors")
    for name, data in safetensors_seeds(tmp):
        c.add(name, data)

    c = Corpus("fuzz_config")
    for p in ["tests/fixtures/model/bert-tiny", "tests/fixtures/model/roberta-tiny", "models/default"]:
        c.add("config.json", rd(p, "config.json"))

    vocab, merges = small_bpe()
    sample = b"It was <mask>. Hello world's caf\xc3\xa9  \t!"
    c = Corpus("fuzz_bpe_files")
    c.add("bpe", compact(vocab) + SEP + b"\n".join(merges) + b"\n" + SEP + sample)
    c.add("bpe-crlf", json.dumps(vocab, indent=1).encode().replace(b"\n", b"\r\n") + SEP +
          b"\r\n".join(merges[1:]))
    c.add("bpe-nounk", compact({"a": 0, "b": 1, "ab": 2}) + SEP + b"a b\n")

    bert = rd("tests", "fixtures", "tokenize", "bert-mini", "vocab.txt").decode().split("\n")[:400]
    c = Corpus("fuzz_tokenizer_json")
    c.add("bpe.json", tokenizer_json_bpe(vocab, merges) + SEP + sample)
    c.add("wordpiece.json", tokenizer_json_wordpiece(bert) + SEP + b"Hello [MASK] unaffable caf\xc3\xa9")

    c = Corpus("fuzz_vocab_txt")
    c.add("vocab", "\n".join(bert).encode() + SEP + compact({"do_lower_case": True}) + SEP +
          b"Hello [MASK] unaffable CAF\xc3\x89 \xe4\xb8\xad\xe6\x96\x87")
    c.add("vocab-cased", "\r\n".join(bert[:120]).encode() + SEP +
          compact({"do_lower_case": False, "strip_accents": True, "tokenize_chinese_chars": False}))
    c.add("vocab-only", "\n".join(bert[:50]).encode())

    c = Corpus("fuzz_template")
    for i, t in enumerate(templates()):
        c.add("template", bytes([i % 32]) + t.encode() + SEP + b"a fine film ." + SEP + b"Second one?")
    c.add("label-words", bytes([0]) + b"*cls**sent_0*_It_was*label_1*.*mask**sep+*" + SEP + b"x" + SEP + SEP +
          b"{'0':'terrible','1':'great'}")

    c = Corpus("fuzz_tsv")
    for sel, task in enumerate(["SST-2", "MNLI", "QQP", "RTE"]):
        c.add(task + ".tsv", bytes([sel]) + head(task, "tsv", 3))
    c.add("custom.tsv", bytes([4]) + b"label\ttext_a\ttext_b\npos\tgood\tfine\n\nneg\tbad\tawful\n")

    c = Corpus("fuzz_csv")
    for sel, task in enumerate(["sst-5", "mr", "trec"]):
        c.add(task + ".csv", bytes([sel]) + head(task, "csv", 3))
    c.add("ag_news.csv", bytes([3]) + b'3,"Wall St. Bears Claw Back","Reuters - Short-sellers, ""quoted"""\r\n1,a,b\n')

    c = Corpus("fuzz_jsonl")
    rows = [json.loads('{"text_a": %s, "label": "pos"}' % json.dumps(line.split(b"\t")[0].decode()))
            for line in head("SST-2", "tsv", 4).split(b"\n")[1:4] if line]
    c.add("single.jsonl", b"\n".join(compact(r) for r in rows) + b"\n")
    c.add("pairs.jsonl", b'\xef\xbb\xbf{"text_a":"a","text_b":"b","label":1}\r\n\n{"text_a":"c","text_b":null,'
          b'"text_b":"d","label":-3}\n')
    c.add("int-label.jsonl", b'{"text_a":"x","label":0}\n{"text_a":"y","label":1.0}\n')
    shutil.rmtree(tmp)

    write_dicts(all_specs)


# ---- dictionaries -----------------------------------------------------------

JSON_TOKENS = ['{', '}', '[', ']', ':', ',', '"', 'true', 'false', 'null', '-0', '1e308', '0.5',
               '\\u0000', '\\ud800', '\\udc00', '\\"', '\\\\', '\\n', '\\u00e9']


def keys_of(obj, acc):
    if isinstance(obj, dict):
        for k, v in obj.items():
            acc.add(k)
            keys_of(v, acc)
    elif isinstance(obj, list):
        for v in obj:
            keys_of(v, acc)
    return acc


def dict_file(target, words):
    """libFuzzer's dictionary format: one "..." a line, bytes outside
    printable ASCII (and the quote and backslash) as \\xNN."""
    d = os.path.join(HERE, "dict")
    os.makedirs(d, exist_ok=True)
    lines = set()
    for w in words:
        b = w.encode() if isinstance(w, str) else w
        lines.add('"%s"' % "".join(chr(c) if 0x20 <= c < 0x7f and c not in b'"\\' else "\\x%02x" % c
                                    for c in b))
    with open(os.path.join(d, target + ".dict"), "w") as f:
        f.write("# %s: made by tests/fuzz/make_corpus.py\n" % target)
        for line in sorted(lines):
            f.write(line + "\n")


def write_dicts(all_specs):
    schema = json.loads(rd("schema", "experiment.schema.json"))
    spec_words = set()
    for s in all_specs:
        keys_of(json.loads(s), spec_words)

    def walk(o):
        if isinstance(o, dict):
            for k, v in o.items():
                if k == "properties" and isinstance(v, dict):
                    spec_words.update(v.keys())
                if k == "enum":
                    spec_words.update(x for x in v if isinstance(x, str))
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)
    walk(schema)
    quoted = lambda ws: ['"%s"' % w for w in ws]
    dict_file("fuzz_json_strict", JSON_TOKENS)
    dict_file("fuzz_spec", JSON_TOKENS + quoted(spec_words))
    result_words = set()
    for _, rs in result_sets():
        for r in rs:
            keys_of(r, result_words)
    dict_file("fuzz_lease_bodies", JSON_TOKENS + quoted(result_words | {"worker", "host", "mem_bytes", "progress",
                                                                          "stage", "result", "error", "release"}))
    dict_file("fuzz_complete_result", JSON_TOKENS + quoted(result_words) +
              quoted(["kernel:sgd", "kernel:signgd", "kernel:asymmetric_signgd", "finetune:0", "finetune:1",
                      "pretrain", "small", "default"]))
    cfg = json.loads(rd("models", "default", "config.json"))
    dict_file("fuzz_config", JSON_TOKENS + quoted(cfg.keys()) + quoted(["roberta", "bert", "gelu", "gelu_new",
                                                                       "relu", "absolute"]))
    dict_file("fuzz_safetensors", JSON_TOKENS + quoted(["dtype", "shape", "data_offsets", "__metadata__", "F32",
                                                       "F16", "BF16", "F64", "I64", "I32", "U8", "BOOL"]))
    tok = ["<s>", "</s>", "<pad>", "<mask>", "<unk>", "[CLS]", "[SEP]", "[PAD]", "[MASK]", "[UNK]", "##",
           "\u0120", "\u010a", " ", "\n", "%%"]
    dict_file("fuzz_bpe_files", JSON_TOKENS + tok + ["#version: 0.2"])
    dict_file("fuzz_tokenizer_json", JSON_TOKENS + tok + quoted(
        ["model", "type", "BPE", "WordPiece", "vocab", "merges", "added_tokens", "content", "id", "lstrip",
         "rstrip", "normalizer", "pre_tokenizer", "ByteLevel", "lowercase", "strip_accents",
         "handle_chinese_chars", "unk_token", "continuing_subword_prefix", "end_of_word_suffix",
         "byte_fallback", "max_input_chars_per_word"]))
    dict_file("fuzz_vocab_txt", tok + ['"do_lower_case"', '"strip_accents"', '"tokenize_chinese_chars"',
                                       "true", "false"])
    dict_file("fuzz_template", ["*", "cls", "mask", "sep", "sep+", "sent_0", "+sent_0", "sent-_1", "sentl_0",
                                "+sentl_1", "sentl-_0", "sentu_0", "+sentu_1", "label_0", "label_1", "labelx_0",
                                "_It_was", "%%", "{'0':'", "','1':'", "'}"])
    dict_file("fuzz_tsv", ["\t", "\r\n", "\r", b"\xef\xbb\xbf", "text_a", "text_b", "label", "neg", "pos",
                           "entailment", "not_entailment", "contradiction", "neutral"])
    dict_file("fuzz_csv", [",", "\"", "\"\"", "\r\n", "\r", b"\xef\xbb\xbf", "0", "4", "5"])
    dict_file("fuzz_jsonl", JSON_TOKENS + ['"text_a"', '"text_b"', '"label"', '"neg"', '"pos"', "-3", "1.0",
                                           "1e300", "\r\n", b"\xef\xbb\xbf"])


if __name__ == "__main__":
    main()
