/* packer.c - documents -> token stream -> fixed-size blocks. */
#include "pretrain/packer.h"

#include <stdlib.h>
#include <string.h>

int lm_packer_open(lm_packer *p, const lm_tokenizer *tok, const char *const *paths, int n_paths,
                   lm_error *err) {
    memset(p, 0, sizeof *p);
    lm_special_ids sp = lm_tokenizer_special(tok);
    if (sp.cls < 0 || sp.sep < 0) return lm_fail(err, "packer: the tokenizer has no <s> or </s>");
    p->tok = tok;
    p->bos = sp.cls;
    p->eos = sp.sep;
    return lm_corpus_open(&p->corpus, paths, n_paths, err);
}

void lm_packer_close(lm_packer *p) {
    lm_corpus_close(&p->corpus);
    free(p->buf);
    memset(p, 0, sizeof *p);
}

/* Appends the next document and its </s> to the stream. */
static int read_doc(lm_packer *p, lm_error *err) {
    if (p->pos > 0) {   /* keep the unused tail at the front */
        memmove(p->buf, p->buf + p->pos, (p->n - p->pos) * sizeof *p->buf);
        p->n -= p->pos;
        p->pos = 0;
    }
    for (;;) {
        const char *line;
        size_t len;
        if (lm_corpus_next(&p->corpus, &line, &len, err)) return -1;
        size_t n0 = p->n;
        lm_error terr;
        if (lm_tokenize(p->tok, line, len, &p->buf, &p->n, &p->cap, &terr)) {
            p->n = n0;      /* invalid UTF-8: the line is dropped, not the run */
            p->skipped++;
            continue;
        }
        if (p->n == p->cap) p->buf = lm_xrealloc(p->buf, (p->cap = 2 * p->cap + 16) * sizeof *p->buf);
        p->buf[p->n++] = p->eos;
        p->docs++;
        return 0;
    }
}

int lm_packer_next(lm_packer *p, int block, int32_t *out, lm_error *err) {
    size_t body = (size_t)block - 2;
    while (p->n - p->pos < body)
        if (read_doc(p, err)) return -1;
    out[0] = p->bos;
    memcpy(out + 1, p->buf + p->pos, body * sizeof *out);
    out[block - 1] = p->eos;
    p->pos += body;
    return 0;
}

int lm_packer_restore(lm_packer *p, uint64_t turn, const uint64_t *lines, const int32_t *carry,
                      size_t n_carry, lm_error *err) {
    if (lm_corpus_seek(&p->corpus, turn, lines, err)) return -1;
    if (n_carry > p->cap) p->buf = lm_xrealloc(p->buf, (p->cap = n_carry) * sizeof *p->buf);
    if (n_carry) memcpy(p->buf, carry, n_carry * sizeof *carry);
    p->n = n_carry;
    p->pos = 0;
    return 0;
}
