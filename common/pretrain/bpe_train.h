/* bpe_train.h - trains a GPT-2-style byte-level BPE vocabulary on a corpus
 * and writes vocab.json + merges.txt that common/tokenize loads (and that
 * HuggingFace's RobertaTokenizer reads).
 *
 * Pre-tokenization is the tokenizer's own GPT-2 splitter, so training and
 * encoding see the same pieces.  Ids: <s>=0 <pad>=1 </s>=2 <unk>=3, the 256
 * byte symbols, the merges in rank order, <mask> last (RoBERTa's layout).
 * Reserved words (the prompts' label words, e.g. " great") are guaranteed
 * to encode as one token: merges that build them are appended at the end. */
#ifndef LM_PRETRAIN_BPE_TRAIN_H
#define LM_PRETRAIN_BPE_TRAIN_H

#include <stddef.h>
#include "util/error.h"

typedef struct lm_bpe_train_config {
    const char *const *corpus;  /* text files (.txt or .txt.gz), one document a line */
    int n_corpus;
    size_t max_bytes;           /* text read, round-robin over the files */
    int vocab_size;             /* total, specials and <mask> included */
    int min_count;              /* stop merging below this pair count (>= 2) */
    const char *const *reserved;/* words that must be one token (with their space) */
    int n_reserved;
    const char *out_dir;
} lm_bpe_train_config;

/* The paper's label words (LM-BFF templates): " great", " terrible", ...;
 * NULL-terminated. */
extern const char *const lm_bpe_default_reserved[];

typedef struct lm_bpe_train_stats {
    size_t bytes, words, unique_words;
    int merges, vocab_size;
} lm_bpe_train_stats;

int lm_bpe_train(const lm_bpe_train_config *cfg, lm_bpe_train_stats *st, lm_error *err);

#endif
