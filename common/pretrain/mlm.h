/* mlm.h - the masked-LM loss of a batch and its gradient: the encoder over
 * the packed batch, the LM head at the selected rows only (full-vocabulary
 * logits there), mean cross-entropy over the selected tokens, and the
 * backward of both into a gradient buffer of the model's layout. */
#ifndef LM_PRETRAIN_MLM_H
#define LM_PRETRAIN_MLM_H

#include <stdint.h>
#include "model/encoder.h"
#include "model/head.h"

typedef struct lm_mlm_ws {
    lm_batch b;
    lm_acts a;
    lm_bwd bwd;
    lm_head_acts ha;
    lm_head_bwd hb;
    float *x, *logits, *dhidden;
    int32_t *rows, *targets;
    size_t cap_x, cap_logits, cap_dh;
    int cap_rows;
} lm_mlm_ws;

/* ids [n_seq * len] (already masked), labels as lm_mask_tokens.  Returns the
 * mean loss; grads (if not NULL) += its gradient.  *n_pred: tokens scored. */
int lm_mlm_loss(lm_mlm_ws *ws, const lm_model *m, const int32_t *ids, const int32_t *labels,
                int n_seq, int len, lm_weights *grads, double *loss, int *n_pred, lm_error *err);

void lm_mlm_ws_free(lm_mlm_ws *ws);

#endif
