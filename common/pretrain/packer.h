/* packer.h - RoBERTa's FULL-SENTENCES input: the corpus as one token stream,
 * each document followed by </s>, cut into blocks of `block` tokens:
 * <s> + block-2 stream tokens + </s>.  A document may span blocks.  The
 * state to resume is the corpus position plus the tokens left over. */
#ifndef LM_PRETRAIN_PACKER_H
#define LM_PRETRAIN_PACKER_H

#include <stddef.h>
#include <stdint.h>
#include "pretrain/corpus.h"
#include "tokenize/tokenizer.h"

typedef struct lm_packer {
    lm_corpus corpus;
    const lm_tokenizer *tok;
    int32_t bos, eos;
    int32_t *buf;           /* stream tokens not yet used: buf[pos..n) */
    size_t pos, n, cap;
    uint64_t docs, skipped; /* documents read; lines skipped as invalid text */
} lm_packer;

int lm_packer_open(lm_packer *p, const lm_tokenizer *tok, const char *const *paths, int n_paths,
                   lm_error *err);
void lm_packer_close(lm_packer *p);

/* Fills out [block] with the next block. */
int lm_packer_next(lm_packer *p, int block, int32_t *out, lm_error *err);

/* Restores a saved position: corpus turn and lines, and the carried tokens. */
int lm_packer_restore(lm_packer *p, uint64_t turn, const uint64_t *lines, const int32_t *carry,
                      size_t n_carry, lm_error *err);

#endif
