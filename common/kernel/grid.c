/* grid.c - the canonical example blocks.
 *
 * Each set is cut into consecutive blocks of about equal token counts, at
 * most block_tokens each (a longer example is a block alone).  A block is
 * one forward/backward batch and one side of every product, so the numbers
 * of an entry depend only on the two blocks holding its examples: shards
 * that are unions of blocks reproduce the unsharded kernel bit for bit. */
#include "kernel/kernel_internal.h"

#include <stdlib.h>

size_t lm_kset_tokens(const lm_example_set *s, int e0, int e1) {
    size_t t = 0;
    for (int i = e0; i < e1; i++) t += (size_t)s->ex[i].n_tokens;
    return t;
}

/* Greedy cut at `limit` tokens: the number of blocks, and their starts. */
static int cut(const lm_example_set *s, size_t limit, int *start) {
    int nb = 0;
    size_t t = 0;
    for (int i = 0; i < s->n; i++) {
        size_t L = (size_t)s->ex[i].n_tokens;
        if (i == 0 || t + L > limit) {
            if (start) start[nb] = i;
            nb++;
            t = 0;
        }
        t += L;
    }
    return nb;
}

void lm_kblocks_make(const lm_example_set *s, int block_tokens, lm_kblocks *b) {
    b->n = s->n;
    size_t hi = block_tokens > 0 ? (size_t)block_tokens : 1;
    int nb = cut(s, hi, NULL);
    /* the smallest limit that needs no more blocks: balanced blocks, not
     * full ones and a small remainder */
    size_t lo = 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cut(s, mid, NULL) <= nb) hi = mid;
        else lo = mid + 1;
    }
    b->start = lm_xmalloc(((size_t)nb + 1) * sizeof *b->start);
    b->n_blk = cut(s, lo, b->start);
    b->start[b->n_blk] = s->n;
}

void lm_kblocks_free(lm_kblocks *b) {
    free(b->start);
    b->start = NULL;
    b->n_blk = 0;
}

void lm_kblocks_find(const int *start, int n_blk, int e0, int e1, int *b0, int *b1) {
    *b0 = *b1 = -1;
    for (int i = 0; i <= n_blk; i++) {
        if (start[i] == e0) *b0 = i;
        if (start[i] == e1) *b1 = i;
    }
}

int lm_kblock_tokens(const lm_model *m, const lm_output_spec *os) {
    size_t bpt = lm_encoder_bytes_per_token(&m->cfg, lm_output_dim(os), 1);
    size_t t = LM_KBLOCK_BYTES / (bpt ? bpt : 1);
    if (t < LM_KBLOCK_MIN_TOKENS) t = LM_KBLOCK_MIN_TOKENS;
    if (t > LM_KBLOCK_MAX_TOKENS) t = LM_KBLOCK_MAX_TOKENS;
    return (int)t;
}
