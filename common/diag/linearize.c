/* linearize.c - the linearized model f(x; θ0) + <∇f(x; θ0), Δ> on a split. */
#include <stdlib.h>
#include <string.h>

#include "diag/diag.h"
#include "train/jvp.h"

#define CHUNK 8 /* sequences per factor pass: R = C replicas keep every layer */

int lm_diag_linearized_outputs(const lm_model *m0, const lm_output_spec *os, const float *tangent,
                               const lm_encoded_split *s, float *f0, float *f_lin, lm_error *err) {
    lm_output_spec o = *os;
    o.binary = 0;
    int C = o.n_out;
    /* tensors the tangent touches */
    unsigned char *inc = lm_xcalloc((size_t)m0->n_tensors, 1);
    for (int t = 0; t < m0->n_tensors; t++) {
        const lm_param_tensor *pt = &m0->tensors[t];
        const float *d = tangent + pt->offset;
        for (size_t j = 0, n = (size_t)pt->rows * pt->cols; j < n; j++)
            if (d[j] != 0.0f) {
                inc[t] = 1;
                break;
            }
    }
    lm_outputs_ws ws = {0};
    double jv[CHUNK * 64];
    int hp[CHUNK], rc = 0;
    float *buf = lm_xmalloc((size_t)CHUNK * C * sizeof(float));
    if (C > 64) rc = lm_fail(err, "linearization supports up to 64 outputs, not %d", C);
    for (int i0 = 0; i0 < s->n && rc == 0; i0 += CHUNK) {
        int k = s->n - i0 < CHUNK ? s->n - i0 : CHUNK;
        lm_batch_clear(&ws.b);
        for (int i = 0; i < k && rc == 0; i++) {
            const lm_encoded_example *e = &s->ex[i0 + i];
            if (lm_batch_add(&ws.b, &m0->cfg, e->ids, e->type_ids, e->n_tokens, err))
                rc = lm_fail_prefix(err, "example %d", i0 + i);
            hp[i] = o.head == LM_HEAD_MLM ? e->mask_pos : 0;
            if (o.head == LM_HEAD_MLM && (hp[i] < 0 || hp[i] >= e->n_tokens))
                rc = lm_fail(err, "example %d has no mask position", i0 + i);
        }
        if (rc) break;
        lm_pass pass;
        lm_outputs_run(&ws, m0, &o, hp, 1, buf, &pass);
        lm_pass_jvp(&pass, tangent, inc, jv);
        for (int j = 0; j < k * C; j++) {
            if (f0) f0[(size_t)i0 * C + j] = buf[j];
            f_lin[(size_t)i0 * C + j] = (float)(buf[j] + jv[j]);
        }
    }
    free(buf);
    free(inc);
    lm_outputs_ws_free(&ws);
    return rc;
}
