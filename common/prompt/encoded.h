/* encoded.h - a dataset split after the prompt template: the token sequences
 * the model sees, their mask positions and labels.  Produced by prompt/,
 * consumed by kernel/, train/ and run/. */
#ifndef LM_PROMPT_ENCODED_H
#define LM_PROMPT_ENCODED_H

#include <stdint.h>

typedef struct lm_encoded_example {
    int32_t *ids;      /* [n_tokens] token ids, special tokens included */
    int32_t *type_ids; /* [n_tokens] segment ids (BERT sep+), all 0 for RoBERTa */
    int n_tokens;
    int mask_pos;      /* index of the first mask token; -1 in no-prompt mode */
    int label;         /* index into the task's label list */
} lm_encoded_example;

typedef struct lm_encoded_split {
    int n;                      /* number of examples */
    lm_encoded_example *ex;     /* [n], in file order */
    int n_labels;               /* C */
    int32_t *label_word_ids;    /* [n_labels] in label-list order; NULL in no-prompt mode */
} lm_encoded_split;

void lm_encoded_split_free(lm_encoded_split *s);

#endif
