#!/usr/bin/env python3
"""token_budget.py - how many pre-training tokens the built-in model's shape
needs before its zero-shot prompt accuracy leaves chance.

A PyTorch replica of `lmntk pretrain`'s recipe, for a machine with a GPU (a
study, never part of the product: lmntk itself trains on the CPU):

  * post-LN RoBERTa, tied decoder, no dropout, init normal(0, --init-std) with
    sinusoidal position rows of the same RMS (common/model/model.c);
  * the packer: corpus files read a line at a time in turn, each line then
    </s>, cut into blocks of <s> + (block-2) tokens + </s>;
  * dynamic masking of 15% of ordinary tokens, 80/10/10;
  * AdamW (0.9, 0.98, eps 1e-6, decay 0.01 on matrices), clip 1.0, linear
    warmup then linear decay to zero at --schedule-steps.

Every --eval-every steps it scores the zero-shot prompt (argmax over the label
words at <mask>) on the encoded test sets given by --eval (JSON lines from
`lmntk encode`), and prints one TSV row: step, tokens, seconds, train loss,
then accuracy, AUC of the label-word margin and the share of the majority
prediction for each set.  Checkpoints at --save-steps are written as F16
safetensors with the HuggingFace names that lmntk loads.

Run by models/eval/token_budget.sh (prepare the inputs here, run them
there); the record of its run is models/runs/2026-11-27-gpu/.
"""
import argparse, json, lzma, gzip, math, os, sys, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tests', 'fixtures', 'model'))
import safetensors_io  # noqa: E402


def open_text(path):
    if path.endswith('.xz'):
        return lzma.open(path, 'rt', encoding='utf-8', errors='replace')
    if path.endswith('.gz'):
        return gzip.open(path, 'rt', encoding='utf-8', errors='replace')
    return open(path, encoding='utf-8', errors='replace')


def tokenize_corpus(tok_dir, paths, eos, check):
    """Token stream of the files read a line at a time in turn (the packer's order)."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    tok = Tokenizer(models.BPE.from_file(os.path.join(tok_dir, 'vocab.json'), os.path.join(tok_dir, 'merges.txt')))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    if check:
        cases = json.load(open(check))
        got = tok.encode_batch([c[0] for c in cases])
        same = sum(g.ids == c[1] for g, c in zip(got, cases))
        print(f'# tokenizer check: {same}/{len(cases)} lines equal to bpe_ref', flush=True)
    per_file = []
    for p in paths:
        lines = [l.rstrip('\n') for l in open_text(p)]
        lines = [l for l in lines if l]
        ids = [e.ids for e in tok.encode_batch(lines)]
        per_file.append(ids)
        print(f'# {p}: {len(lines)} lines, {sum(map(len, ids))} tokens', flush=True)
    # in turn, each file cycling on its own, until the longest file has been read once
    longest = max(map(len, per_file))
    out = []
    for i in range(longest):
        for ids in per_file:
            out.extend(ids[i % len(ids)])
            out.append(eos)
    return np.asarray(out, dtype=np.int32)


class Layer(nn.Module):
    def __init__(s, H, NH, I):
        super().__init__()
        s.NH = NH
        s.q, s.k, s.v, s.o = (nn.Linear(H, H) for _ in range(4))
        s.ln1 = nn.LayerNorm(H, eps=1e-5)
        s.f1, s.f2 = nn.Linear(H, I), nn.Linear(I, H)
        s.ln2 = nn.LayerNorm(H, eps=1e-5)

    def forward(s, x, pad_bias):
        b, t, H = x.shape
        split = lambda y: y.view(b, t, s.NH, H // s.NH).transpose(1, 2)
        q, k, v = split(s.q(x)), split(s.k(x)), split(s.v(x))
        if hasattr(F, 'scaled_dot_product_attention'):
            a = F.scaled_dot_product_attention(q, k, v, attn_mask=pad_bias)
        else:   # torch 1.x
            w = q @ k.transpose(-1, -2) / math.sqrt(H // s.NH)
            a = torch.softmax(w if pad_bias is None else w + pad_bias, -1) @ v
        x = s.ln1(x + s.o(a.transpose(1, 2).reshape(b, t, H)))
        return s.ln2(x + s.f2(F.gelu(s.f1(x))))


class MaskedLM(nn.Module):
    def __init__(s, V, H, L, NH, I, P, std):
        super().__init__()
        s.we, s.pe, s.te = nn.Embedding(V, H), nn.Embedding(P, H), nn.Embedding(1, H)
        s.lne = nn.LayerNorm(H, eps=1e-5)
        s.layers = nn.ModuleList([Layer(H, NH, I) for _ in range(L)])
        s.hd, s.hln = nn.Linear(H, H), nn.LayerNorm(H, eps=1e-5)
        s.hb = nn.Parameter(torch.zeros(V))
        for m in s.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=std)
            if isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)
        with torch.no_grad():   # lm_model_init_positions_sinusoidal
            p = torch.arange(P, dtype=torch.float64)[:, None]
            i = torch.arange(H)
            w = torch.pow(10000.0, -(i - i % 2).double() / H)
            ang = p * w
            s.pe.weight.copy_((std * math.sqrt(2) * torch.where(i % 2 == 1, torch.cos(ang), torch.sin(ang))).float())

    def forward(s, ids, sel, pad=None):
        t = ids.shape[1]
        pos = torch.arange(2, t + 2, device=ids.device)
        x = s.lne(s.we(ids) + s.pe(pos) + s.te.weight[0])
        bias = None
        if pad is not None:
            bias = torch.zeros(pad.shape, device=ids.device).masked_fill(pad, float('-inf'))[:, None, None, :]
        for layer in s.layers:
            x = layer(x, bias)
        x = x[sel]
        x = s.hln(F.gelu(s.hd(x)))
        return x @ s.we.weight.T + s.hb

    def hf_state(s):
        """The weights under RobertaForMaskedLM's names, as lmntk reads them."""
        e, out = 'roberta.embeddings.', {}
        out[e + 'word_embeddings.weight'] = s.we.weight
        out[e + 'position_embeddings.weight'] = s.pe.weight
        out[e + 'token_type_embeddings.weight'] = s.te.weight
        out[e + 'LayerNorm.weight'], out[e + 'LayerNorm.bias'] = s.lne.weight, s.lne.bias
        for n, l in enumerate(s.layers):
            p = f'roberta.encoder.layer.{n}.'
            for name, mod in (('attention.self.query', l.q), ('attention.self.key', l.k),
                              ('attention.self.value', l.v), ('attention.output.dense', l.o),
                              ('attention.output.LayerNorm', l.ln1), ('intermediate.dense', l.f1),
                              ('output.dense', l.f2), ('output.LayerNorm', l.ln2)):
                out[p + name + '.weight'], out[p + name + '.bias'] = mod.weight, mod.bias
        out['lm_head.dense.weight'], out['lm_head.dense.bias'] = s.hd.weight, s.hd.bias
        out['lm_head.layer_norm.weight'], out['lm_head.layer_norm.bias'] = s.hln.weight, s.hln.bias
        out['lm_head.bias'] = s.hb
        return {k: v.detach().to('cpu', torch.float16).numpy() for k, v in out.items()}


def load_eval(path, dev):
    rows = [json.loads(l) for l in open(path)]
    T = max(len(r['input_ids']) for r in rows)
    ids = torch.ones(len(rows), T, dtype=torch.long)          # <pad> = 1
    for i, r in enumerate(rows):
        ids[i, :len(r['input_ids'])] = torch.tensor(r['input_ids'])
    mpos = torch.tensor([r['mask_pos'] for r in rows])
    y = torch.tensor([r['label'] for r in rows])
    return os.path.basename(path).split('.')[0], ids.to(dev), mpos.to(dev), y.to(dev)


@torch.no_grad()
def zero_shot(model, ev, labels):
    name, ids, mpos, y = ev
    margins = []
    for i in range(0, ids.shape[0], 256):
        b = ids[i:i + 256]
        sel = torch.zeros_like(b, dtype=torch.bool)
        sel[torch.arange(b.shape[0]), mpos[i:i + 256]] = True
        lg = model(b, sel, pad=(b == 1))[:, labels]
        margins.append(lg[:, 1] - lg[:, 0])
    m = torch.cat(margins).float().cpu().numpy()
    yy = y.cpu().numpy()
    acc = float(((m > 0) == (yy == 1)).mean())
    pos, neg = m[yy == 1], m[yy == 0]
    auc = float((pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean())
    major = float(max((m > 0).mean(), (m <= 0).mean()))
    return acc, auc, major


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--tok', required=True)
    ap.add_argument('--corpus', required=True)
    ap.add_argument('--stream', help='token stream (.npy) to read, or to write with --tokenize-only')
    ap.add_argument('--tokenize-only', action='store_true')
    ap.add_argument('--check', help='tokcheck.json: lines and their bpe_ref ids')
    ap.add_argument('--eval', default='')
    ap.add_argument('--labels', default='2024,594', help='label-word ids, negative first')
    ap.add_argument('--out', default='.')
    ap.add_argument('--tag', default='A')
    ap.add_argument('--layers', type=int, default=4)
    ap.add_argument('--hidden', type=int, default=256)
    ap.add_argument('--heads', type=int, default=4)
    ap.add_argument('--ffn', type=int, default=1024)
    ap.add_argument('--block', type=int, default=128)
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--lr', type=float, default=1e-3)
    ap.add_argument('--warmup', type=int, default=200)
    ap.add_argument('--schedule-steps', type=int, default=100000)
    ap.add_argument('--max-steps', type=int, default=10**9)
    ap.add_argument('--init-std', type=float, default=0.05)
    ap.add_argument('--eval-every', type=int, default=1000)
    ap.add_argument('--save-steps', default='')
    ap.add_argument('--deadline', type=float, default=float('inf'), help='epoch seconds to stop by')
    ap.add_argument('--seed', type=int, default=0)
    a = ap.parse_args()

    vocab = json.load(open(os.path.join(a.tok, 'vocab.json')))
    V, eos, bos, mask_id = len(vocab), vocab['</s>'], vocab['<s>'], vocab['<mask>']
    if a.stream and os.path.exists(a.stream) and not a.tokenize_only:
        stream = np.load(a.stream)
    else:
        stream = tokenize_corpus(a.tok, a.corpus.split(','), eos, a.check)
        if a.stream:
            np.save(a.stream, stream)
        if a.tokenize_only:
            print(f'# stream: {len(stream)} tokens')
            return
    dev = 'cuda' if torch.cuda.is_available() else 'cpu'
    torch.backends.cuda.matmul.allow_tf32 = False    # fp32 throughout, as the C trainer
    torch.manual_seed(a.seed)
    model = MaskedLM(V, a.hidden, a.layers, a.heads, a.ffn, a.block + 2, a.init_std).to(dev)
    dec = [p for p in model.parameters() if p.dim() > 1]
    nod = [p for p in model.parameters() if p.dim() <= 1]
    opt = torch.optim.AdamW([{'params': dec, 'weight_decay': 0.01}, {'params': nod, 'weight_decay': 0.0}],
                            lr=a.lr, betas=(0.9, 0.98), eps=1e-6, **({'fused': True} if dev == 'cuda' else {}))
    W, S = a.warmup, a.schedule_steps
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: s / W if s < W else max(0.0, (S - s) / (S - W)))
    labels = [int(x) for x in a.labels.split(',')]
    evals = [load_eval(p, dev) for p in a.eval.split(',') if p]
    saves = {int(x) for x in a.save_steps.split(',') if x}
    data = torch.from_numpy(stream.astype(np.int64)).to(dev)
    body = a.block - 2
    per_step = a.batch * body
    head = ['step', 'tokens', 'seconds', 'loss'] + [f'{e[0]}_{k}' for e in evals for k in ('acc', 'auc', 'major')]
    log = open(os.path.join(a.out, f'{a.tag}.tsv'), 'w')
    print('\t'.join(head), file=log, flush=True)
    print(f'# {a.tag}: {dev}, {sum(p.numel() for p in model.parameters())} parameters, '
          f'stream {len(stream)} tokens, lr {a.lr}, batch {a.batch}x{a.block}', flush=True)

    def record(step, loss):
        model.eval()
        row = [step, step * a.batch * a.block, round(time.time() - t0, 1), round(loss, 4)]
        for e in evals:
            row += [round(x, 4) for x in zero_shot(model, e, labels)]
        model.train()
        print('\t'.join(map(str, row)), file=log, flush=True)
        print(f'{a.tag} ' + ' '.join(f'{h}={v}' for h, v in zip(head, row)), flush=True)

    def save(step):
        safetensors_io.save(os.path.join(a.out, f'{a.tag}-step{step}.safetensors'), model.hf_state())

    g = torch.Generator(device=dev).manual_seed(a.seed + 1)
    t0 = time.time()
    pos, step, acc, n = 0, 0, torch.zeros((), device=dev), 0
    record(0, float('nan'))
    while step < a.max_steps and time.time() < a.deadline:
        if pos + per_step > len(data):
            pos = 0
        blk = data[pos:pos + per_step].view(a.batch, body)
        pos += per_step
        ids = torch.cat([torch.full((a.batch, 1), bos, device=dev), blk,
                         torch.full((a.batch, 1), eos, device=dev)], 1)
        ordinary = (ids >= 4) & (ids != mask_id)
        sel = ordinary & (torch.rand(ids.shape, generator=g, device=dev) < 0.15)
        r = torch.rand(ids.shape, generator=g, device=dev)
        rnd_ids = torch.randint(4, V - 1, ids.shape, generator=g, device=dev)
        inp = torch.where(sel & (r < 0.8), torch.full_like(ids, mask_id), ids)
        inp = torch.where(sel & (r >= 0.8) & (r < 0.9), rnd_ids, inp)
        loss = F.cross_entropy(model(inp, sel), ids[sel])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        step += 1
        acc += loss.detach()
        n += 1
        if step % a.eval_every == 0:
            record(step, float(acc) / n)
            acc.zero_()
            n = 0
        if step in saves:
            save(step)
    if n:
        record(step, float(acc) / n)
    save(step)
    print(f'# {a.tag}: stopped at step {step}, {step * a.batch * a.block} tokens, '
          f'{step * a.batch * a.block / (time.time() - t0):.0f} tokens/s', flush=True)


if __name__ == '__main__':
    main()
