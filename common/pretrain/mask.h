/* mask.h - RoBERTa's dynamic masking (drawn anew for every batch): each
 * ordinary token is selected with probability p (HuggingFace's
 * DataCollatorForLanguageModeling); a selected token becomes <mask> with
 * probability 0.8, a random ordinary token with 0.1, and stays itself with
 * 0.1.  Special tokens (ids below first_ordinary) are never selected. */
#ifndef LM_PRETRAIN_MASK_H
#define LM_PRETRAIN_MASK_H

#include <stdint.h>
#include "util/rng.h"

typedef struct lm_mask_config {
    double prob;            /* 0.15 */
    int32_t mask_id;        /* <mask>: vocab_size - 1 */
    int32_t first_ordinary; /* 4: <s> <pad> </s> <unk> come first */
    int32_t vocab_size;     /* random replacements are in [first_ordinary, mask_id) */
} lm_mask_config;

/* ids [n] in place; labels [n]: the original id where selected, -1 elsewhere.
 * Returns the number selected; if none was, selects one ordinary token (when
 * there is one) so that every batch has a loss. */
int lm_mask_tokens(const lm_mask_config *c, int32_t *ids, int32_t *labels, int n, lm_rng *rng);

#endif
