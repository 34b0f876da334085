#!/usr/bin/python3
"""gen_unicode_tables.py - writes common/tokenize/unicode_tables.{h,c}.

Regenerate (from the repository root, with Debian's python3 and
python3-regex; the output depends on their Unicode versions):

    /usr/bin/python3 tools/gen_unicode_tables.py

Two sources, each the one its reference tokenizer uses, so that the C
tokenizers and the Python references (tests/fixtures/tokenize/) agree on
every code point:

  * GPT-2 BPE pre-tokenization: the classes \\p{L}, \\p{N} and \\s of the
    `regex` module (python3-regex 2022.10.31: Unicode 15.0.0), which
    encoder.py's pattern is run with.
  * BERT BasicTokenizer: Python's `unicodedata` (3.11: Unicode 14.0.0) for
    general categories, canonical decompositions (NFD) and combining classes,
    and str.lower() / str.isspace() of the same Python for lower-casing
    (including the Final_Sigma rule, whose Cased / Case_Ignorable properties
    are read back by probing str.lower()).

Tables are sorted run lists searched by binary search: a run starts at a
code point and lasts until the next run's start.
"""
import os
import sys
import unicodedata

import regex

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
OUT_H = os.path.join(ROOT, "common", "tokenize", "unicode_tables.h")
OUT_C = os.path.join(ROOT, "common", "tokenize", "unicode_tables.c")
NCP = 0x110000

# BPE classes (must match unicode.h).
BPE_OTHER, BPE_LETTER, BPE_NUMBER, BPE_SPACE = 0, 1, 2, 3
# BERT classes (low 3 bits) and case-context classes (bits 4-5).
BC_OTHER, BC_CONTROL, BC_SPACE, BC_SPLIT, BC_PUNCT, BC_MN = 0, 1, 2, 3, 4, 5
SC_NONE, SC_CASED, SC_IGNORABLE = 0, 1, 2


def regex_unicode_version():
    """The newest Unicode version whose new letters the regex module knows."""
    probes = [("17.0.0", 0x323B0), ("16.0.0", 0x16D40), ("15.1.0", 0x2EBF0),
              ("15.0.0", 0x11F04), ("14.0.0", 0x1E290), ("13.0.0", 0x10E80)]
    for ver, cp in probes:
        if regex.match(r"\p{Assigned}", chr(cp)):
            return ver
    return "older than 13.0.0"


def bpe_classes():
    allc = "".join(chr(i) for i in range(NCP))
    cls = bytearray(NCP)
    for pat, c in ((r"\p{L}+", BPE_LETTER), (r"\p{N}+", BPE_NUMBER), (r"\s+", BPE_SPACE)):
        for m in regex.finditer(pat, allc):
            for i in range(m.start(), m.end()):
                assert cls[i] == 0, hex(i)
                cls[i] = c
    return cls


def bert_class(ch):
    cp = ord(ch)
    cat = unicodedata.category(ch)
    if cp == 0 or cp == 0xFFFD or (ch not in "\t\n\r" and cat.startswith("C")):
        c = BC_CONTROL                   # BasicTokenizer._clean_text drops it
    elif ch in " \t\n\r" or cat == "Zs":
        c = BC_SPACE                     # _is_whitespace: becomes " "
    elif ch.isspace():
        c = BC_SPLIT                     # str.split() still splits on it
    elif (33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126
          or cat.startswith("P")):
        c = BC_PUNCT
    elif cat == "Mn":
        c = BC_MN
    else:
        c = BC_OTHER
    # Final_Sigma context, probed through str.lower():
    #   (A+ch+Σ) gives ς iff ch is case-ignorable or cased;
    #   (AΣ+ch) gives ς iff ch is case-ignorable or not cased.
    p2 = ("A" + ch + "\u03a3").lower()[-1] == "\u03c2"
    p3 = ("A\u03a3" + ch).lower()[1] == "\u03c2"
    if p2 and p3:
        s = SC_IGNORABLE
    elif p2:
        s = SC_CASED
    else:
        s = SC_NONE
    return c | (s << 4)


def runs(cls):
    out = [(0, cls[0])]
    for i in range(1, len(cls)):
        if cls[i] != cls[i - 1]:
            out.append((i, cls[i]))
    return out


def lower_tables():
    """Single-code-point lower-case mappings as (start, count, stride, delta)
    runs, and the multi-code-point ones as exceptions."""
    single, multi = [], []
    for cp in range(NCP):
        if 0xD800 <= cp <= 0xDFFF or cp == 0x3A3:
            continue                     # Σ is done in code (Final_Sigma)
        lo = chr(cp).lower()
        if lo == chr(cp):
            continue
        if len(lo) == 1:
            single.append((cp, ord(lo) - cp))
        else:
            multi.append((cp, [ord(c) for c in lo]))
    rl = []
    i = 0
    while i < len(single):
        cp, d = single[i]
        stride = 1
        if i + 1 < len(single) and single[i + 1][1] == d and single[i + 1][0] - cp in (1, 2):
            stride = single[i + 1][0] - cp
        n = 1
        while (i + n < len(single) and single[i + n][1] == d
               and single[i + n][0] == cp + n * stride and n < 0xFFFF):
            n += 1
        rl.append((cp, n, stride, d))
        i += n
    return rl, multi


def nfd_tables():
    dec, ccc = [], []
    for cp in range(NCP):
        if 0xD800 <= cp <= 0xDFFF or 0xAC00 <= cp <= 0xD7A3:
            continue                     # Hangul syllables are algorithmic
        ch = chr(cp)
        d = unicodedata.normalize("NFD", ch)
        if d != ch:
            dec.append((cp, [ord(c) for c in d]))
    cur = None
    for cp in range(NCP):
        c = unicodedata.combining(chr(cp))
        if cur and c == cur[2] and cp == cur[0] + cur[1]:
            cur[1] += 1
            continue
        if cur:
            ccc.append(tuple(cur))
            cur = None
        if c:
            cur = [cp, 1, c]
    if cur:
        ccc.append(tuple(cur))
    return dec, ccc


def wrap(items, per_line, indent="    "):
    lines = []
    for i in range(0, len(items), per_line):
        lines.append(indent + ", ".join(items[i:i + per_line]) + ",")
    return "\n".join(lines)


def main():
    regex_ver = getattr(regex, "__version__", "?")
    rver = regex_unicode_version()
    uver = unicodedata.unidata_version
    bpe = bpe_classes()
    bpe_runs = runs(bpe)
    bert = bytearray(bert_class(chr(cp)) if not 0xD800 <= cp <= 0xDFFF else BC_CONTROL
                     for cp in range(NCP))
    bert_runs = runs(bert)
    lower, lower_multi = lower_tables()
    dec, ccc = nfd_tables()
    pool, dec_entries = [], []
    for cp, d in dec:
        dec_entries.append((cp, len(pool), len(d)))
        pool.extend(d)
    nfd_max = max(max(len(d) for _, d in dec), 3)
    lower_max = max([1] + [len(m) for _, m in lower_multi])
    assert len(pool) < 0x10000

    gen = "Generated by tools/gen_unicode_tables.py; do not edit."
    src = (f"BPE classes: python3-regex {regex_ver} (Unicode {rver}); "
           f"BERT tables: Python {sys.version.split()[0]} unicodedata (Unicode {uver})")
    h = f"""/* unicode_tables.h - {gen}
 * {src}. */
#ifndef LM_TOKENIZE_UNICODE_TABLES_H
#define LM_TOKENIZE_UNICODE_TABLES_H

#include <stdint.h>

#define LM_UC_BPE_UNICODE "{rver}"
#define LM_UC_BERT_UNICODE "{uver}"
#define LM_UC_NFD_MAX {nfd_max}
#define LM_UC_LOWER_MAX {lower_max}

/* Runs: (first code point << 8) | class, sorted; a run lasts until the next. */
extern const uint32_t lm_uc_bpe_runs[];
extern const int lm_uc_bpe_nruns;
extern const uint32_t lm_uc_bert_runs[];
extern const int lm_uc_bert_nruns;
extern const uint8_t lm_uc_bpe_ascii[128];
extern const uint8_t lm_uc_bert_ascii[128];

/* Lower case: `count` code points start, start+stride, ... map to cp+delta. */
typedef struct {{ uint32_t start; uint16_t count; uint8_t stride; int32_t delta; }} lm_uc_lower_run;
extern const lm_uc_lower_run lm_uc_lower_runs[];
extern const int lm_uc_lower_nruns;
typedef struct {{ uint32_t cp; uint32_t to[LM_UC_LOWER_MAX]; uint8_t len; }} lm_uc_lower_multi;
extern const lm_uc_lower_multi lm_uc_lower_multis[];
extern const int lm_uc_lower_nmultis;

/* Full canonical decompositions (Hangul syllables excepted): pool[off..off+len). */
typedef struct {{ uint32_t cp; uint16_t off; uint8_t len; }} lm_uc_decomp;
extern const lm_uc_decomp lm_uc_decomps[];
extern const int lm_uc_ndecomps;
extern const uint32_t lm_uc_decomp_pool[];

/* Canonical combining classes > 0: count code points from start. */
typedef struct {{ uint32_t start; uint16_t count; uint8_t ccc; }} lm_uc_ccc_run;
extern const lm_uc_ccc_run lm_uc_ccc_runs[];
extern const int lm_uc_nccc_runs;

#endif
"""
    c = [f"/* unicode_tables.c - {gen}\n * {src}. */",
         '#include "tokenize/unicode_tables.h"', ""]
    c.append(f"const int lm_uc_bpe_nruns = {len(bpe_runs)};")
    c.append("const uint32_t lm_uc_bpe_runs[] = {")
    c.append(wrap([f"0x{(s << 8) | k:x}" for s, k in bpe_runs], 8))
    c.append("};\n")
    c.append(f"const int lm_uc_bert_nruns = {len(bert_runs)};")
    c.append("const uint32_t lm_uc_bert_runs[] = {")
    c.append(wrap([f"0x{(s << 8) | k:x}" for s, k in bert_runs], 8))
    c.append("};\n")
    c.append("const uint8_t lm_uc_bpe_ascii[128] = {")
    c.append(wrap([str(bpe[i]) for i in range(128)], 32))
    c.append("};")
    c.append("const uint8_t lm_uc_bert_ascii[128] = {")
    c.append(wrap([str(bert[i]) for i in range(128)], 16))
    c.append("};\n")
    c.append(f"const int lm_uc_lower_nruns = {len(lower)};")
    c.append("const lm_uc_lower_run lm_uc_lower_runs[] = {")
    c.append(wrap([f"{{0x{s:x},{n},{st},{d}}}" for s, n, st, d in lower], 5))
    c.append("};")
    c.append(f"const int lm_uc_lower_nmultis = {len(lower_multi)};")
    c.append("const lm_uc_lower_multi lm_uc_lower_multis[] = {")
    c.append(wrap([f"{{0x{cp:x},{{{','.join(f'0x{x:x}' for x in m)}}},{len(m)}}}"
                   for cp, m in lower_multi], 2))
    c.append("};\n")
    c.append(f"const int lm_uc_ndecomps = {len(dec_entries)};")
    c.append("const lm_uc_decomp lm_uc_decomps[] = {")
    c.append(wrap([f"{{0x{cp:x},{o},{n}}}" for cp, o, n in dec_entries], 6))
    c.append("};")
    c.append("const uint32_t lm_uc_decomp_pool[] = {")
    c.append(wrap([f"0x{x:x}" for x in pool], 10))
    c.append("};\n")
    c.append(f"const int lm_uc_nccc_runs = {len(ccc)};")
    c.append("const lm_uc_ccc_run lm_uc_ccc_runs[] = {")
    c.append(wrap([f"{{0x{s:x},{n},{k}}}" for s, n, k in ccc], 6))
    c.append("};")
    with open(OUT_H, "w") as f:
        f.write(h)
    with open(OUT_C, "w") as f:
        f.write("\n".join(c) + "\n")
    print(f"{OUT_C}: bpe {len(bpe_runs)} runs, bert {len(bert_runs)} runs, "
          f"lower {len(lower)} runs + {len(lower_multi)} multi, "
          f"nfd {len(dec_entries)} (pool {len(pool)}), ccc {len(ccc)} runs; {src}")


if __name__ == "__main__":
    main()
