/* head_init.c - the linear-probe initialisation of the output head
 * (spec §3.3): features in eval mode, LogisticRegressionCV, coefficients
 * into the head. */
#include <stdlib.h>
#include <string.h>

#include "train/logreg.h"
#include "train/train.h"
#include "util/rng.h"

#define CHUNK 32

int lm_linear_head_init(lm_model *m, const lm_output_spec *os, const lm_encoded_split *train,
                        uint32_t seed, lm_logreg_cv *cv_out, lm_error *err) {
    int N = train->n, H = m->cfg.hidden, C = os->n_out;
    if (N < 1) return lm_fail(err, "the linear probe needs training examples");
    if (os->head == LM_HEAD_CLASSIFIER && m->n_classes != C)
        return lm_fail(err, "the model has %d classifier outputs, the outputs want %d", m->n_classes, C);
    if (os->head == LM_HEAD_MLM && !os->vocab) return lm_fail(err, "MLM outputs need label words");
    /* the reference reads the features through its shuffled train loader */
    int *order = lm_xmalloc((size_t)N * sizeof(int));
    for (int i = 0; i < N; i++) order[i] = i;
    lm_rng rng;
    lm_rng_seed(&rng, ((uint64_t)seed << 1) ^ 0x11EA4EADULL);
    for (int i = N - 1; i > 0; i--) {
        int j = (int)lm_rng_below(&rng, (uint64_t)i + 1), x = order[i];
        order[i] = order[j];
        order[j] = x;
    }
    double *X = lm_xmalloc((size_t)N * H * sizeof(double));
    int *y = lm_xmalloc((size_t)N * sizeof(int));
    float *f = lm_xmalloc((size_t)CHUNK * C * sizeof(float));
    int head_pos[CHUNK], rc = 0;
    lm_outputs_ws ws = {0};
    lm_output_spec o = *os;
    o.binary = 0;
    for (int i0 = 0; i0 < N && rc == 0; i0 += CHUNK) {
        int k = N - i0 < CHUNK ? N - i0 : CHUNK;
        lm_batch_clear(&ws.b);
        for (int i = 0; i < k && rc == 0; i++) {
            const lm_encoded_example *e = &train->ex[order[i0 + i]];
            rc = lm_batch_add(&ws.b, &m->cfg, e->ids, e->type_ids, e->n_tokens, err);
            head_pos[i] = os->head == LM_HEAD_MLM ? e->mask_pos : 0;
            y[i0 + i] = e->label;
        }
        if (rc) break;
        lm_outputs_run(&ws, m, &o, head_pos, 0, f, NULL);
        /* the input of the last layer: the <s> row, or the decoder's input */
        const float *feat = os->head == LM_HEAD_MLM ? ws.ha.y : ws.h_sel;
        for (size_t j = 0; j < (size_t)k * H; j++) X[(size_t)i0 * H + j] = feat[j];
    }
    lm_outputs_ws_free(&ws);
    free(f);
    free(order);
    lm_logreg_cv cv;
    if (rc == 0) rc = lm_logreg_cv_fit(X, N, H, y, C, &cv, err);
    free(X);
    free(y);
    if (rc) return lm_fail_prefix(err, "linear probe");
    /* sklearn's coef_ for C = 2 is the class-1 row w; the reference writes
     * [-w/2; w/2] (so logit1 - logit0 = w.h + b) */
    double *W = lm_xmalloc((size_t)C * H * sizeof(double)), *b = lm_xmalloc((size_t)C * sizeof(double));
    memcpy(W, cv.W, (size_t)C * H * sizeof(double));
    memcpy(b, cv.b, (size_t)C * sizeof(double));
    if (C == 2) {
        for (int j = 0; j < H; j++) {
            W[j] = -cv.W[H + j] / 2;
            W[H + j] = cv.W[H + j] / 2;
        }
        b[0] = -cv.b[1] / 2;
        b[1] = cv.b[1] / 2;
    }
    for (int c = 0; c < C; c++) {
        float *row = os->head == LM_HEAD_MLM ? m->w.decoder_w + (size_t)os->vocab[c] * H
                                             : m->w.cls_w + (size_t)c * H;
        for (int j = 0; j < H; j++) row[j] = (float)W[(size_t)c * H + j];
        if (os->head == LM_HEAD_MLM) m->w.decoder_b[os->vocab[c]] = (float)b[c];
        else m->w.cls_b[c] = (float)b[c];
    }
    free(W);
    free(b);
    if (cv_out) *cv_out = cv;
    else lm_logreg_cv_free(&cv);
    return 0;
}
