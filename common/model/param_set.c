/* param_set.c - which tensors a parameter set covers. */
#include "model/param_set.h"

#include "model/model.h"

int lm_param_set_includes(const lm_model *m, int tensor, lm_param_set ps) {
    const lm_param_tensor *t = &m->tensors[tensor];
    int head = (t->role >= LM_R_HEAD_W && t->role <= LM_R_DEC_B) || t->role == LM_R_CLS_W ||
               t->role == LM_R_CLS_B;
    switch (ps) {
    case LM_PS_ALL: return 1;
    case LM_PS_NO_EMBEDDINGS: return strstr(t->name, "embed") == NULL;
    case LM_PS_NO_HEAD: return !head;
    case LM_PS_BIASES: return strstr(t->name, "bias") != NULL;
    case LM_PS_LORA: return head; /* + the LoRA factors, which are not model tensors */
    case LM_PS_COUNT: break;
    }
    return 0;
}

size_t lm_param_set_size(const lm_model *m, lm_param_set ps) {
    size_t n = 0;
    for (int i = 0; i < m->n_tensors; i++)
        if (lm_param_set_includes(m, i, ps)) n += (size_t)m->tensors[i].rows * m->tensors[i].cols;
    return n;
}
