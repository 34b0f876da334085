/* bpe_merge.c - BPE merges of one pre-token, as GPT-2's encoder.py does
 * them: start from one symbol per byte, then repeatedly merge the adjacent
 * pair of lowest rank, everywhere it occurs (left to right, not
 * overlapping), until no adjacent pair has a rank.  Symbols are ids, so a
 * pair is one lm_pairmap lookup.
 *
 * Short pieces (nearly all) rescan the pairs after each round.  Long ones
 * (a run of letters without spaces can be megabytes) would be quadratic
 * that way, so they use a heap of pairs ordered by (rank, position) over a
 * linked list, as HuggingFace tokenizers does: O(n log n).  Both give the
 * same result whenever a merge's rank is above the ranks of the merges
 * that make its two parts, which holds for any merges.txt made by BPE
 * training, since a symbol exists only after the merge that creates it. */
#include <stdlib.h>
#include "tokenize/tok_internal.h"

enum { SHORT_MAX = 64 };

static inline int32_t out_id(const lm_tokenizer *t, int32_t sym) {
    return sym < t->vocab.size ? sym : t->special.unk;   /* merge products outside the vocabulary */
}

static void merge_short(const lm_tokenizer *t, const unsigned char *w, size_t n, lm_idbuf *out) {
    int32_t syms[SHORT_MAX], rank[SHORT_MAX], mrg[SHORT_MAX];
    for (size_t i = 0; i < n; i++) syms[i] = t->byte_sym[w[i]];
    while (n > 1) {
        int32_t best = INT32_MAX;
        for (size_t i = 0; i + 1 < n; i++) {
            const lm_pair_slot *s = lm_pairmap_get(&t->merges, syms[i], syms[i + 1]);
            rank[i] = s ? s->rank : INT32_MAX;
            mrg[i] = s ? s->merged : -1;
            if (rank[i] < best) best = rank[i];
        }
        if (best == INT32_MAX) break;
        size_t o = 0;
        for (size_t i = 0; i < n; o++) {
            if (i + 1 < n && rank[i] == best) {
                syms[o] = mrg[i];
                i += 2;
            } else {
                syms[o] = syms[i++];
            }
        }
        n = o;
    }
    for (size_t i = 0; i < n; i++) lm_idbuf_push(out, out_id(t, syms[i]));
}

typedef struct {
    int32_t rank, pos, a, b, merged;
} cand;

static inline int cand_less(const cand *x, const cand *y) {
    return x->rank < y->rank || (x->rank == y->rank && x->pos < y->pos);
}

static void heap_push(cand *h, size_t *n, cand c) {
    size_t i = (*n)++;
    while (i > 0 && cand_less(&c, &h[(i - 1) / 2])) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = c;
}

static cand heap_pop(cand *h, size_t *n) {
    cand top = h[0], last = h[--*n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n) break;
        if (c + 1 < *n && cand_less(&h[c + 1], &h[c])) c++;
        if (!cand_less(&h[c], &last)) break;
        h[i] = h[c];
        i = c;
    }
    if (*n) h[i] = last;
    return top;
}

/* Pushes the pair (sym[i], sym[j]) if it has a rank. */
static void push_pair(const lm_tokenizer *t, const int32_t *sym, int32_t i, int32_t j, cand *h,
                      size_t *nh) {
    const lm_pair_slot *s = lm_pairmap_get(&t->merges, sym[i], sym[j]);
    if (s) heap_push(h, nh, (cand){s->rank, i, sym[i], sym[j], s->merged});
}

static void merge_long(const lm_tokenizer *t, const unsigned char *w, size_t n, lm_idbuf *out) {
    int32_t *sym = lm_xmalloc(3 * n * sizeof *sym), *nxt = sym + n, *prv = sym + 2 * n;
    cand *h = lm_xmalloc(3 * n * sizeof *h);   /* n-1 pairs + 2 per merge */
    size_t nh = 0;
    for (size_t i = 0; i < n; i++) {
        sym[i] = t->byte_sym[w[i]];
        nxt[i] = i + 1 < n ? (int32_t)i + 1 : -1;
        prv[i] = (int32_t)i - 1;
    }
    for (size_t i = 0; i + 1 < n; i++) push_pair(t, sym, (int32_t)i, (int32_t)i + 1, h, &nh);
    while (nh) {
        cand c = heap_pop(h, &nh);
        int32_t i = c.pos, j = nxt[i];
        /* Stale if either side has merged since: symbols only ever grow. */
        if (sym[i] != c.a || j < 0 || sym[j] != c.b) continue;
        sym[i] = c.merged;
        nxt[i] = nxt[j];
        if (nxt[j] >= 0) prv[nxt[j]] = i;
        sym[j] = -1;
        if (prv[i] >= 0) push_pair(t, sym, prv[i], i, h, &nh);
        if (nxt[i] >= 0) push_pair(t, sym, i, nxt[i], h, &nh);
    }
    for (int32_t i = 0; i >= 0; i = nxt[i]) lm_idbuf_push(out, out_id(t, sym[i]));
    free(h);
    free(sym);
}

void lm_bpe_merge(const lm_tokenizer *t, const unsigned char *w, size_t n, lm_idbuf *out) {
    if (n <= SHORT_MAX) merge_short(t, w, n, out);
    else merge_long(t, w, n, out);
}
