/* encoded.c - freeing an encoded split. */
#include "prompt/encoded.h"

#include <stdlib.h>
#include <string.h>

void lm_encoded_split_free(lm_encoded_split *s) {
    if (!s) return;
    for (int i = 0; i < s->n && s->ex; i++) {
        free(s->ex[i].ids);
        free(s->ex[i].type_ids);
    }
    free(s->ex);
    free(s->label_word_ids);
    memset(s, 0, sizeof *s);
}
