/* outputs.h - the model outputs f(x) whose gradients define the kernels
 * (spec §3.2): the label-word logits at the mask (prompt), the classifier
 * logits on the <s> row (no prompt), or in binary mode f = out1 - out0; and
 * one pass that computes them for a batch together with the backward of
 * every output, keeping the factors of all per-example gradients. */
#ifndef LM_MODEL_OUTPUTS_H
#define LM_MODEL_OUTPUTS_H

#include "model/grad.h"

typedef struct lm_output_spec {
    lm_head_kind head;
    int n_out;               /* label words (MLM) or classes (classifier) */
    const int32_t *vocab;    /* MLM: label-word ids [n_out] */
    int binary;              /* f = out[1] - out[0], a single output (n_out must be 2) */
} lm_output_spec;

typedef struct lm_outputs_ws {
    lm_batch b;
    lm_acts a;
    lm_bwd bw;
    lm_head_acts ha;
    lm_head_bwd hb;
    int cap_seq, cap_rt;
    float *h_sel, *logits, *dlogits, *dhidden, *dx_sel;
    int *head_row;           /* [n_seq] token row feeding the head */
} lm_outputs_ws;

/* Number of outputs f has per example: n_out, or 1 in binary mode. */
int lm_output_dim(const lm_output_spec *os);

/* Forward of the batch already in ws->b; head_pos[s] is the position inside
 * sequence s of the row the head reads (mask position, or 0 for <s>).
 * f [n_seq, lm_output_dim] receives the outputs.  With backward != 0, also
 * runs the backward of every output (R = output dim replicas) keeping all
 * factors, and fills *pass for lm_grad_tensor. */
void lm_outputs_run(lm_outputs_ws *ws, const lm_model *m, const lm_output_spec *os,
                    const int *head_pos, int backward, float *f, lm_pass *pass);

void lm_outputs_ws_free(lm_outputs_ws *ws);

#endif
