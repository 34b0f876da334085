/* bpe_train.c - byte-level BPE training: word counts, then greedy merges of
 * the most frequent adjacent pair.  Pair counts are kept incrementally: a
 * merge revisits only the words that hold the pair (an index pair -> words),
 * and a lazy max-heap finds the best pair (stale entries are re-pushed with
 * their current count when they surface). */
#include "pretrain/bpe_train.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pretrain/corpus.h"
#include "tokenize/pretok.h"
#include "tokenize/strmap.h"
#include "util/file.h"

const char *const lm_bpe_default_reserved[] = {
    " great", " terrible", " good", " bad", " okay", " Yes", " No", " Maybe",
    " correct", " wrong", NULL};

/* ---- symbols: byte strings -------------------------------------------- */

typedef struct syms {
    char **s;
    size_t *len;
    int n, cap;
    lm_strmap map;      /* string -> symbol */
} syms;

static int sym_add(syms *y, const char *s, size_t len) {
    int32_t id = lm_strmap_get(&y->map, s, len);
    if (id >= 0) return id;
    if (y->n == y->cap) {
        y->cap = y->cap ? 2 * y->cap : 1024;
        y->s = lm_xrealloc(y->s, (size_t)y->cap * sizeof *y->s);
        y->len = lm_xrealloc(y->len, (size_t)y->cap * sizeof *y->len);
    }
    y->s[y->n] = lm_xstrndup(s, len);
    y->len[y->n] = len;
    lm_strmap_put(&y->map, s, len, y->n);
    return y->n++;
}

/* ---- pairs ------------------------------------------------------------ */

typedef struct pair {
    int32_t a, b;
    int64_t count;
    int32_t *words;     /* words that may hold the pair (stale entries allowed) */
    int nw, capw;
    int stamp;          /* last merge that queued it for the heap */
} pair;

typedef struct pairs {
    pair *p;
    int n, cap;
    int32_t *slot;      /* open addressing: pair index or -1 */
    size_t nslot;
} pairs;

static size_t pair_hash(int32_t a, int32_t b, size_t mask) {
    uint64_t k = ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
    return (size_t)((k * 0x9E3779B97F4A7C15ull) >> 29) & mask;
}

static void pairs_rehash(pairs *P) {
    size_t ns = P->nslot ? 2 * P->nslot : 1 << 16;
    free(P->slot);
    P->slot = lm_xmalloc(ns * sizeof *P->slot);
    memset(P->slot, 0xff, ns * sizeof *P->slot);
    P->nslot = ns;
    for (int i = 0; i < P->n; i++) {
        size_t h = pair_hash(P->p[i].a, P->p[i].b, ns - 1);
        while (P->slot[h] >= 0) h = (h + 1) & (ns - 1);
        P->slot[h] = i;
    }
}

static int pair_get(pairs *P, int32_t a, int32_t b) {
    if (2 * (size_t)(P->n + 1) > P->nslot) pairs_rehash(P);
    size_t h = pair_hash(a, b, P->nslot - 1);
    for (;; h = (h + 1) & (P->nslot - 1)) {
        int32_t i = P->slot[h];
        if (i < 0) break;
        if (P->p[i].a == a && P->p[i].b == b) return i;
    }
    if (P->n == P->cap) {
        P->cap = P->cap ? 2 * P->cap : 4096;
        P->p = lm_xrealloc(P->p, (size_t)P->cap * sizeof *P->p);
    }
    P->p[P->n] = (pair){.a = a, .b = b, .stamp = -1};
    P->slot[h] = P->n;
    return P->n++;
}

static void pair_note_word(pair *p, int32_t w) {
    if (p->nw > 0 && p->words[p->nw - 1] == w) return;
    if (p->nw == p->capw) {
        p->capw = p->capw ? 2 * p->capw : 4;
        p->words = lm_xrealloc(p->words, (size_t)p->capw * sizeof *p->words);
    }
    p->words[p->nw++] = w;
}

/* ---- lazy max-heap of (count, pair) ------------------------------------ */

typedef struct hent { int64_t count; int32_t pair; } hent;
typedef struct heap { hent *e; size_t n, cap; } heap;

static int hbetter(hent x, hent y) {
    return x.count > y.count || (x.count == y.count && x.pair < y.pair);
}

static void heap_push(heap *h, int64_t count, int32_t p) {
    if (h->n == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 1 << 16;
        h->e = lm_xrealloc(h->e, h->cap * sizeof *h->e);
    }
    size_t i = h->n++;
    h->e[i] = (hent){count, p};
    while (i > 0 && hbetter(h->e[i], h->e[(i - 1) / 2])) {
        hent t = h->e[i]; h->e[i] = h->e[(i - 1) / 2]; h->e[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

static hent heap_pop(heap *h) {
    hent top = h->e[0];
    h->e[0] = h->e[--h->n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, b = i;
        if (l < h->n && hbetter(h->e[l], h->e[b])) b = l;
        if (r < h->n && hbetter(h->e[r], h->e[b])) b = r;
        if (b == i) break;
        hent t = h->e[i]; h->e[i] = h->e[b]; h->e[b] = t;
        i = b;
    }
    return top;
}

/* ---- words ------------------------------------------------------------ */

typedef struct word {
    int32_t *s;         /* symbols */
    int n;
    int64_t count;      /* 0 for reserved words: tracked, but weightless */
    int stamp;          /* last merge that visited the word */
} word;

typedef struct trainer {
    syms y;
    pairs P;
    heap h;
    word *w;
    int nw, capw;
    lm_strmap wmap;     /* piece -> word */
    int32_t byte_sym[256];
    int32_t *grown;     /* pairs with the new symbol, pushed after a merge */
    int ngrown, capgrown;
} trainer;

static int word_add(trainer *t, const char *s, size_t len, int64_t count) {
    int32_t id = lm_strmap_get(&t->wmap, s, len);
    if (id >= 0) {
        t->w[id].count += count;
        return id;
    }
    if (t->nw == t->capw) {
        t->capw = t->capw ? 2 * t->capw : 1 << 16;
        t->w = lm_xrealloc(t->w, (size_t)t->capw * sizeof *t->w);
    }
    word *w = &t->w[t->nw];
    w->s = lm_xmalloc(len * sizeof *w->s);
    w->n = (int)len;
    for (size_t i = 0; i < len; i++) w->s[i] = t->byte_sym[(unsigned char)s[i]];
    w->count = count;
    w->stamp = -1;
    lm_strmap_put(&t->wmap, s, len, t->nw);
    return t->nw++;
}

static void count_pairs(trainer *t) {
    for (int wi = 0; wi < t->nw; wi++) {
        word *w = &t->w[wi];
        for (int i = 0; i + 1 < w->n; i++) {
            int p = pair_get(&t->P, w->s[i], w->s[i + 1]);
            t->P.p[p].count += w->count;
            pair_note_word(&t->P.p[p], wi);
        }
    }
    for (int p = 0; p < t->P.n; p++)
        if (t->P.p[p].count > 0) heap_push(&t->h, t->P.p[p].count, p);
}

/* Replaces (a,b) by c in every word that holds it, updating pair counts:
 * a visited word's pairs are all subtracted, merged, all added back; only
 * pairs with c can have grown, and those are pushed on the heap. */
static void apply_merge(trainer *t, int pi, int32_t c, int stamp) {
    int32_t a = t->P.p[pi].a, b = t->P.p[pi].b;
    int nlist = t->P.p[pi].nw;
    int32_t *list = t->P.p[pi].words;
    t->P.p[pi].words = NULL;
    t->P.p[pi].nw = t->P.p[pi].capw = 0;
    for (int k = 0; k < nlist; k++) {
        word *w = &t->w[list[k]];
        if (w->stamp == stamp) continue;
        int has = 0;
        for (int i = 0; i + 1 < w->n; i++)
            if (w->s[i] == a && w->s[i + 1] == b) { has = 1; break; }
        if (!has) continue;
        w->stamp = stamp;
        for (int i = 0; i + 1 < w->n; i++)
            t->P.p[pair_get(&t->P, w->s[i], w->s[i + 1])].count -= w->count;
        int n = 0;
        for (int i = 0; i < w->n; i++) {
            if (i + 1 < w->n && w->s[i] == a && w->s[i + 1] == b) {
                w->s[n++] = c;
                i++;
            } else {
                w->s[n++] = w->s[i];
            }
        }
        w->n = n;
        for (int i = 0; i + 1 < w->n; i++) {
            int p = pair_get(&t->P, w->s[i], w->s[i + 1]);
            t->P.p[p].count += w->count;
            if (w->s[i] == c || w->s[i + 1] == c) {
                pair_note_word(&t->P.p[p], list[k]);
                if (t->P.p[p].stamp != stamp) {
                    t->P.p[p].stamp = stamp;
                    if (t->ngrown == t->capgrown) {
                        t->capgrown = t->capgrown ? 2 * t->capgrown : 1024;
                        t->grown = lm_xrealloc(t->grown, (size_t)t->capgrown * sizeof *t->grown);
                    }
                    t->grown[t->ngrown++] = p;
                }
            }
        }
    }
    free(list);
    for (int k = 0; k < t->ngrown; k++) {
        pair *p = &t->P.p[t->grown[k]];
        p->stamp = -1;
        if (p->count > 0) heap_push(&t->h, p->count, t->grown[k]);
    }
    t->ngrown = 0;
}

/* ---- output ----------------------------------------------------------- */

/* GPT-2's bytes_to_unicode(): printable Latin-1 bytes stand for themselves,
 * the other 68 take the code points 256, 257, ... in byte order. */
static size_t byte_char(int b, char out[4]) {
    int printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    uint32_t cp = (uint32_t)b;
    if (!printable) {
        cp = 256;
        for (int x = 0; x < b; x++)
            if (!((x >= '!' && x <= '~') || (x >= 0xA1 && x <= 0xAC) || (x >= 0xAE && x <= 0xFF))) cp++;
    }
    if (cp < 0x80) { out[0] = (char)cp; return 1; }
    out[0] = (char)(0xC0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
}

/* A symbol's bytes in the byte-level alphabet. */
static char *sym_text(const syms *y, int s) {
    char *o = lm_xmalloc(2 * y->len[s] + 1);
    size_t n = 0;
    for (size_t i = 0; i < y->len[s]; i++) n += byte_char((unsigned char)y->s[s][i], o + n);
    o[n] = 0;
    return o;
}

typedef struct merge { int32_t a, b, c; } merge;

static int write_files(const trainer *t, const merge *mg, int nm, const char *dir, lm_error *err) {
    if (lm_mkdirs(dir, err)) return -1;
    cJSON *v = cJSON_CreateObject();
    const char *sp[] = {"<s>", "<pad>", "</s>", "<unk>"};
    int id = 0;
    for (int i = 0; i < 4; i++) cJSON_AddNumberToObject(v, sp[i], id++);
    /* symbols 0..255 are the bytes; later symbols are merge products, which
     * may repeat a string already made by another merge path */
    int32_t *vid = lm_xmalloc((size_t)t->y.n * sizeof *vid);
    for (int s = 0; s < t->y.n; s++) vid[s] = -1;
    for (int s = 0; s < 256; s++) {
        char *x = sym_text(&t->y, t->byte_sym[s]);
        cJSON_AddNumberToObject(v, x, id);
        vid[t->byte_sym[s]] = id++;
        free(x);
    }
    size_t cap = 64, len = 0;
    char *mtxt = lm_xmalloc(cap);
    len += (size_t)snprintf(mtxt, cap, "#version: 0.2\n");
    for (int i = 0; i < nm; i++) {
        char *a = sym_text(&t->y, mg[i].a), *b = sym_text(&t->y, mg[i].b);
        size_t need = strlen(a) + strlen(b) + 3;
        while (len + need >= cap) mtxt = lm_xrealloc(mtxt, cap *= 2);
        len += (size_t)snprintf(mtxt + len, cap - len, "%s %s\n", a, b);
        free(a);
        free(b);
        if (vid[mg[i].c] < 0) {
            char *c = sym_text(&t->y, mg[i].c);
            cJSON_AddNumberToObject(v, c, id);
            vid[mg[i].c] = id++;
            free(c);
        }
    }
    cJSON_AddNumberToObject(v, "<mask>", id++);
    free(vid);
    char *js = cJSON_PrintUnformatted(v);
    cJSON_Delete(v);
    char *p1 = lm_path_join(dir, "vocab.json"), *p2 = lm_path_join(dir, "merges.txt");
    int rc = lm_write_file_atomic(p1, js, strlen(js), err);
    if (!rc) rc = lm_write_file_atomic(p2, mtxt, len, err);
    free(p1);
    free(p2);
    free(js);
    free(mtxt);
    return rc ? -1 : id;
}

/* BPE of a byte string with the merges so far (rank = index), for the
 * reserved words; returns the number of symbols left in s. */
static int apply_merges(const merge *mg, int nm, int32_t *s, int n) {
    for (;;) {
        int best = -1, at = -1;
        for (int i = 0; i + 1 < n; i++)
            for (int r = 0; r < nm && (best < 0 || r < best); r++)
                if (mg[r].a == s[i] && mg[r].b == s[i + 1]) { best = r; at = i; break; }
        if (best < 0) return n;
        for (int i = at; i + 1 < n; i++) {
            if (s[i] == mg[best].a && s[i + 1] == mg[best].b) {
                s[i] = mg[best].c;
                memmove(s + i + 1, s + i + 2, (size_t)(n - i - 2) * sizeof *s);
                n--;
            }
        }
    }
}

static int32_t concat_sym(trainer *t, int32_t a, int32_t b) {
    size_t la = t->y.len[a], lb = t->y.len[b];
    char *x = lm_xmalloc(la + lb);
    memcpy(x, t->y.s[a], la);
    memcpy(x + la, t->y.s[b], lb);
    int32_t c = sym_add(&t->y, x, la + lb);
    free(x);
    return c;
}

int lm_bpe_train(const lm_bpe_train_config *cfg, lm_bpe_train_stats *st, lm_error *err) {
    lm_bpe_train_stats dummy;
    if (!st) st = &dummy;
    memset(st, 0, sizeof *st);
    int n_res = cfg->n_reserved;
    if (cfg->vocab_size < 4 + 256 + 1 + 8 * n_res + 1)
        return lm_fail(err, "bpe-train: vocab_size %d is too small (the 256 bytes, 5 specials "
                       "and the reserved words need more)", cfg->vocab_size);
    trainer t;
    memset(&t, 0, sizeof t);
    lm_strmap_init(&t.y.map);
    lm_strmap_init(&t.wmap);
    for (int b = 0; b < 256; b++) {
        char c = (char)b;
        t.byte_sym[b] = sym_add(&t.y, &c, 1);
    }
    lm_corpus c;
    if (lm_corpus_open(&c, cfg->corpus, cfg->n_corpus, err)) return -1;
    int rc = 0;
    while (st->bytes < cfg->max_bytes) {
        const char *line;
        size_t len;
        if (lm_corpus_next(&c, &line, &len, err)) { rc = -1; break; }
        for (size_t p = 0; p < len;) {
            size_t e = lm_gpt2_piece_end(line, len, p);
            word_add(&t, line + p, e - p, 1);
            st->words++;
            p = e;
        }
        st->bytes += len;
        /* a read that wrapped around every file means the corpus is smaller */
        int all_wrapped = 1;
        for (int i = 0; i < c.n_files; i++) all_wrapped &= c.epoch_lines[i] != 0;
        if (all_wrapped) break;
    }
    lm_corpus_close(&c);
    st->unique_words = (size_t)t.nw;
    /* reserved words are tracked with weight 0 (more if the corpus has them),
     * so the loop knows how many merges they still need */
    for (int i = 0; i < n_res; i++) word_add(&t, cfg->reserved[i], strlen(cfg->reserved[i]), 0);
    int32_t *res_w = lm_xmalloc((size_t)(n_res ? n_res : 1) * sizeof *res_w);
    for (int i = 0; i < n_res; i++)
        res_w[i] = lm_strmap_get(&t.wmap, cfg->reserved[i], strlen(cfg->reserved[i]));
    merge *mg = lm_xmalloc((size_t)cfg->vocab_size * sizeof *mg);
    int nm = 0, n_vocab = 4 + 256 + 1;
    int min_count = cfg->min_count < 2 ? 2 : cfg->min_count;
    if (rc == 0) count_pairs(&t);
    while (rc == 0) {
        /* room for the merges the reserved words still need */
        int need = 0;
        for (int i = 0; i < n_res; i++) need += t.w[res_w[i]].n - 1;
        if (n_vocab + need >= cfg->vocab_size) break;
        hent top = {0, -1};
        int found = 0;
        while (t.h.n > 0) {
            top = heap_pop(&t.h);
            int64_t cur = t.P.p[top.pair].count;
            if (cur == top.count) { found = 1; break; }
            if (cur > 0) heap_push(&t.h, cur, top.pair);
        }
        if (!found || top.count < min_count) break;
        int32_t a = t.P.p[top.pair].a, b = t.P.p[top.pair].b;
        int32_t cs = concat_sym(&t, a, b);
        apply_merge(&t, top.pair, cs, nm);
        mg[nm++] = (merge){a, b, cs};
        n_vocab++;
    }
    /* reserved words: append merges that join their remaining pieces left to
     * right; re-check all of them, since a later word's merges can apply
     * inside an earlier one */
    for (int round = 0; rc == 0 && round < 4; round++) {
        int changed = 0;
        for (int i = 0; i < n_res; i++) {
            size_t len = strlen(cfg->reserved[i]);
            int32_t *s = lm_xmalloc(len * sizeof *s);
            for (size_t k = 0; k < len; k++) s[k] = t.byte_sym[(unsigned char)cfg->reserved[i][k]];
            int n = apply_merges(mg, nm, s, (int)len);
            while (n > 1) {
                int32_t cs = concat_sym(&t, s[0], s[1]);
                mg[nm++] = (merge){s[0], s[1], cs};
                s[1] = cs;
                memmove(s, s + 1, (size_t)(n - 1) * sizeof *s);
                n--;
                changed = 1;
            }
            free(s);
        }
        if (!changed) break;
    }
    if (rc == 0) {
        int nv = write_files(&t, mg, nm, cfg->out_dir, err);
        if (nv < 0) rc = -1;
        st->merges = nm;
        st->vocab_size = nv;
    }
    free(mg);
    free(res_w);
    for (int i = 0; i < t.nw; i++) free(t.w[i].s);
    free(t.w);
    for (int i = 0; i < t.P.n; i++) free(t.P.p[i].words);
    free(t.P.p);
    free(t.P.slot);
    free(t.h.e);
    free(t.grown);
    for (int i = 0; i < t.y.n; i++) free(t.y.s[i]);
    free(t.y.s);
    free(t.y.len);
    lm_strmap_free(&t.y.map);
    lm_strmap_free(&t.wmap);
    return rc;
}
