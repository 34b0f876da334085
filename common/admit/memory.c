/* memory.c - a job's least memory from its spec and model config (see
 * memory.h for what is counted). */
#include "admit/memory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "experiment/experiment.h"
#include "model/model.h"
#include "model/shape.h"
#include "prompt/task.h"
#include "tokenize/tokenizer.h"
#include "util/file.h"

/* Tokens one example may have: the spec's max_length, else the task's. */
static int max_tokens(const lm_spec *s) {
    if (s->max_length > 0) return s->max_length;
    lm_error ignored;
    lm_task *t = strcmp(s->task, "custom") ? lm_task_builtin(s->task, &ignored) : NULL;
    int n = t ? t->max_len : LM_TASK_CUSTOM_MAX_LEN;
    if (t) lm_task_free(t);
    return n;
}

/* Parameters Adam keeps moments for, by the parameter set trained. */
static uint64_t trained(const lm_config *c, uint64_t P, lm_param_set ps) {
    uint64_t H = (uint64_t)c->hidden, V = (uint64_t)c->vocab_size;
    uint64_t emb = (V + (uint64_t)c->max_positions + (uint64_t)c->type_vocab_size) * H;
    switch (ps) {
    case LM_PS_ALL: return P;
    case LM_PS_NO_EMBEDDINGS: return P > emb ? P - emb : 0;
    case LM_PS_NO_HEAD: return P > V * H + H * H ? P - V * H - H * H : 0;
    default: return 0; /* biases, LoRA factors: small beside the rest */
    }
}

static void kernel_memory(const lm_spec *s, const lm_config *c, lm_kernel_formula f, lm_job_memory *m) {
    uint64_t C = (uint64_t)s->n_classes, R = s->binary ? 1 : C;
    uint64_t n_train = (uint64_t)s->k * C, n_dev = n_train; /* k examples per class each */
    uint64_t sides = f == LM_KF_ASYM ? 2 : 1;
    uint64_t k = (uint64_t)s->kernel.projection_dim;
    m->projection = k * 8 * R * (n_train + n_dev) * sides;
    m->kernels = (n_train * R) * (n_dev * R) * 8 * sides;
    uint64_t bpt = lm_encoder_bytes_per_token(c, (int)R, 1) + (uint64_t)4 * c->hidden * R * 4;
    m->activations = bpt * (uint64_t)max_tokens(s);
    snprintf(m->field, sizeof m->field, "%s", m->projection > m->weights ? "kernel.projection.dim" : "model");
}

static void finetune_memory(const lm_spec *s, const lm_config *c, int i, uint64_t P, lm_job_memory *m) {
    const lm_finetune_config *f = &s->finetune[i];
    uint64_t copies = 3 + (f->linearized ? 1 : 0);
    uint64_t moments = f->optimizer == LM_OPT_ADAMW ? 2 * trained(c, P, f->params) : 0;
    m->state = 4 * (copies * P + moments);
    int batch = 1;
    for (int b = 0; b < f->n_batch_size; b++) batch = f->batch_size[b] > batch ? f->batch_size[b] : batch;
    m->activations = lm_encoder_bytes_per_token(c, 1, 0) * (uint64_t)batch * (uint64_t)max_tokens(s);
    if (m->activations > m->weights) snprintf(m->field, sizeof m->field, "finetune[%d].batch_size", i);
    else snprintf(m->field, sizeof m->field, "model");
}

static void pretrain_memory(const lm_spec_pretrain *p, const lm_config *c, uint64_t P, lm_job_memory *m) {
    m->state = 4 * 3 * P;
    uint64_t tokens = (uint64_t)p->batch * (uint64_t)p->block;
    uint64_t masked = (uint64_t)(p->mask_prob * (double)tokens) + 1;
    m->activations = lm_encoder_bytes_per_token(c, 1, 0) * tokens + masked * (uint64_t)c->vocab_size * 4;
    snprintf(m->field, sizeof m->field, "%s", m->activations > m->weights + m->state ? "pretrain.batch" : "pretrain.hidden");
}

int lm_admit_job_memory(const lm_spec *spec, const char *method, const lm_config *cfg,
                      lm_job_memory *out, lm_error *err) {
    memset(out, 0, sizeof *out);
    int prompt = spec->is_pretrain || spec->prompt;
    lm_load_options lo = {.decoder = spec->is_pretrain ? LM_DECODER_AS_CHECKPOINT : LM_DECODER_SEPARATE,
                          .n_classes = prompt ? 0 : spec->n_classes};
    uint64_t P = lm_model_n_params(cfg, &lo);
    out->weights = 4 * P;
    if (spec->is_pretrain && !strcmp(method, "pretrain")) {
        pretrain_memory(&spec->pretrain, cfg, P, out);
    } else if (!spec->is_pretrain && (!strncmp(method, "kernel:", 7) || !strncmp(method, "finetune:", 9))) {
        int slot = lm_experiment_method_slot(spec, method);
        if (slot < 0) return lm_fail(err, "job: method \"%s\" is not in the spec", method);
        if (lm_experiment_slot_is_kernel(spec, slot))
            kernel_memory(spec, cfg, spec->kernel.formulas[slot], out);
        else
            finetune_memory(spec, cfg, slot - (lm_experiment_n_methods(spec) - spec->n_finetune), P, out);
    } else {
        return lm_fail(err, "job: unknown method \"%s\"", method);
    }
    out->total = out->weights + out->state + out->activations + out->projection + out->kernels;
    return 0;
}

int lm_admit_job_config(const lm_spec *spec, const cJSON *job, const char *models_dir, lm_config *out,
                      char *field, size_t field_len, lm_error *err) {
    if (spec->is_pretrain) {
        snprintf(field, field_len, "pretrain.tokenizer");
        char *dir = lm_path_join(models_dir, spec->pretrain.tokenizer);
        lm_tokenizer *tok = lm_tokenizer_load(dir, err);
        free(dir);
        if (!tok) return -1;
        const lm_spec_pretrain *p = &spec->pretrain;
        lm_config_roberta_mlm(lm_tokenizer_vocab_size(tok), p->hidden, p->layers, p->heads, p->ffn,
                                 p->block, out);
        lm_tokenizer_free(tok);
        return 0;
    }
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(job, "model");
    const char *name = cJSON_IsString(m) ? m->valuestring : spec->model;
    if (!name) return 1;
    snprintf(field, field_len, "model");
    for (int i = 0; cJSON_IsString(m) && i < spec->n_checkpoints; i++)
        if (!strcmp(spec->checkpoints[i], name)) snprintf(field, field_len, "checkpoints[%d]", i);
    char *dir = lm_path_join(models_dir, name);
    int rc = lm_config_load(dir, out, err);
    free(dir);
    return rc ? -1 : 0;
}
