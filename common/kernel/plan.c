/* plan.c - the canonical parameter panels of a parameter set.
 *
 * Dense tensors are cut into segments: a linear weight into runs of whole
 * rows of at most LM_KPANEL coordinates, a vector whole.  Each weight segment
 * is a panel of its own; consecutive vectors share a panel up to LM_KPANEL;
 * the LoRA factors of a target are one panel.  Row-sparse tensors
 * (embeddings, decoder) are listed apart.  Nothing here depends on the
 * memory budget, the chunking of examples or the threads, so neither does
 * the order in which a kernel entry's terms are summed. */
#include "kernel/kernel_internal.h"

#include <stdlib.h>
#include <string.h>

static int is_sparse(const lm_param_tensor *t) {
    return t->kind == LM_PK_EMBEDDING || t->kind == LM_PK_DECODER_W || t->kind == LM_PK_DECODER_B;
}

/* Linear weights and their biases: the sgd kernel takes them by token Gram
 * matrices (gram.c) instead of forming their gradients. */
static int is_gram(const lm_param_tensor *t) {
    switch (t->role) {
    case LM_R_Q_W: case LM_R_Q_B: case LM_R_K_W: case LM_R_V_W: case LM_R_V_B: case LM_R_O_W:
    case LM_R_O_B: case LM_R_FF1_W: case LM_R_FF1_B: case LM_R_FF2_W: case LM_R_FF2_B:
    case LM_R_HEAD_W: case LM_R_HEAD_B: case LM_R_CLS_W: case LM_R_CLS_B:
        return 1;
    default:
        return 0;
    }
}

size_t lm_kpanel_words(size_t width) { return (width + 511) / 512 * 8; }

static lm_kseg *add_seg(lm_kplan *pl, int *cap) {
    if (pl->n_seg == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        pl->seg = lm_xrealloc(pl->seg, (size_t)*cap * sizeof *pl->seg);
    }
    lm_kseg *s = &pl->seg[pl->n_seg++];
    memset(s, 0, sizeof *s);
    s->lora = -1;
    return s;
}

void lm_kplan_make(const lm_model *m, const lm_output_spec *os, lm_param_set ps, int gram,
                   const lm_kernel_lora *lora, lm_kplan *pl) {
    memset(pl, 0, sizeof *pl);
    pl->lora = ps == LM_PS_LORA ? lora : NULL;
    pl->gram = gram;
    pl->sparse = lm_xcalloc((size_t)m->n_tensors + 1, sizeof *pl->sparse);
    lm_pass probe = {.m = m, .head = os->head};
    int cap = 0;
    for (int ti = 0; ti < m->n_tensors; ti++) {
        const lm_param_tensor *t = &m->tensors[ti];
        if (!lm_param_set_includes(m, ti, ps) || lm_grad_tensor_is_zero(&probe, ti)) continue;
        if (gram && is_gram(t)) continue;
        if (is_sparse(t)) {
            pl->sparse[pl->n_sparse++] = ti;
            continue;
        }
        int linear = t->kind == LM_PK_LINEAR_W;
        int nrows = linear ? t->rows : 1;
        int rows_per = linear ? (int)(LM_KPANEL / (size_t)t->cols) : 1;
        if (rows_per < 1) rows_per = 1;
        for (int r0 = 0; r0 < nrows; r0 += rows_per) {
            lm_kseg *sg = add_seg(pl, &cap);
            sg->tensor = ti;
            sg->row0 = r0;
            sg->row1 = r0 + rows_per < nrows ? r0 + rows_per : nrows;
            sg->width = linear ? (size_t)(sg->row1 - sg->row0) * t->cols : (size_t)t->rows * t->cols;
        }
    }
    for (int j = 0; pl->lora && j < pl->lora->n; j++) {
        const lm_param_tensor *t = &m->tensors[pl->lora->tensor[j]];
        lm_kseg *sg = add_seg(pl, &cap);
        sg->tensor = pl->lora->tensor[j];
        sg->row1 = t->rows;
        sg->width = (size_t)pl->lora->r * (t->cols + t->rows);
        sg->lora = j;
        if ((size_t)t->rows * t->cols > pl->lora_scratch) pl->lora_scratch = (size_t)t->rows * t->cols;
    }
    /* panels: a weight segment or a LoRA target alone, vectors packed */
    pl->pan = lm_xcalloc((size_t)pl->n_seg + 1, sizeof *pl->pan);
    int open = 0; /* the last panel takes more vectors */
    for (int i = 0; i < pl->n_seg; i++) {
        const lm_kseg *sg = &pl->seg[i];
        int vec = sg->lora < 0 && m->tensors[sg->tensor].kind != LM_PK_LINEAR_W;
        lm_kpanel *p = pl->n_pan ? &pl->pan[pl->n_pan - 1] : NULL;
        if (!(vec && open && p->width + sg->width <= LM_KPANEL)) {
            p = &pl->pan[pl->n_pan++];
            p->first = i;
        }
        p->n++;
        p->width += sg->width;
        open = vec;
    }
    for (int i = 0; i < pl->n_pan; i++) {
        lm_kpanel *p = &pl->pan[i];
        p->bits_off = pl->bits_words;
        pl->bits_words += 2 * lm_kpanel_words(p->width);
        pl->dense_width += p->width;
        if (p->width > pl->max_width) pl->max_width = p->width;
    }
}

void lm_kplan_free(lm_kplan *pl) {
    free(pl->seg);
    free(pl->pan);
    free(pl->sparse);
    memset(pl, 0, sizeof *pl);
}
