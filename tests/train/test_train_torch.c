/* test_train_torch.c - optimizer steps against PyTorch autograd in float64
 * (tests/fixtures/train/make_fixtures.py): SGD with clipping, AdamW with
 * weight decay, clipping and the schedule, LoRA (AdamW), the no-prompt
 * classifier (AdamW) and the linearized model (SGD) must give the same
 * parameters, tensor by tensor, within 1e-5 relative (max-norm), and the
 * same update (new - old) within 1e-4 (SGD) or 1e-3 (AdamW) relative in L2.
 *
 * AdamW's first steps move each coordinate by about lr * g / (|g| + eps):
 * at coordinates whose gradient is near zero (here down to ~1e-7 of the
 * largest) float32 rounding of g, a few 1e-7 of the largest entry, becomes a
 * visible part of that coordinate's update.  The AdamW cases therefore use
 * lr 5e-3, where that stays below 1e-5 of the parameters. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "train/trainer.h"
#include "util/file.h"

static const char *g_dir;
static float *g_blob;
static cJSON *g_exp;

/* max |a-b| / max |b| over a tensor, and the update's L2 relative error
 * ||(a-a0) - (b-a0)|| / ||b-a0|| */
static void compare(const float *a, const float *b, const float *a0, size_t n, double *rel,
                    double *rel_upd) {
    double mb = 0, e = 0, su = 0, seu = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a[i] - b[i], u = (double)b[i] - a0[i];
        mb = fmax(mb, fabs(b[i]));
        e = fmax(e, fabs(d));
        su += u * u;
        seu += d * d;
    }
    *rel = mb > 0 ? e / mb : e;
    *rel_upd = su > 0 ? sqrt(seu / su) : sqrt(seu);
}

/* Compares every tensor of m with the case's expected parameters. */
static void check_params(const char *cas, const lm_model *m, const lm_model *m0,
                         const cJSON *params, double upd_tol) {
    double worst = 0, worst_upd = 0;
    for (int ti = 0; ti < m->n_tensors; ti++) {
        const lm_param_tensor *t = &m->tensors[ti];
        const cJSON *o = cJSON_GetObjectItem(params, t->name);
        CHECK_MSG(o != NULL, "%s: no expected %s", cas, t->name);
        if (!o) continue;
        double rel, upd;
        compare(m->params + t->offset, g_blob + o->valueint / 4, m0->params + t->offset,
                (size_t)t->rows * t->cols, &rel, &upd);
        worst = fmax(worst, rel);
        worst_upd = fmax(worst_upd, upd);
        CHECK_MSG(rel <= 1e-5, "%s: %s: parameters differ by %.3g relative", cas, t->name, rel);
        CHECK_MSG(upd <= upd_tol, "%s: %s: updates differ by %.3g relative (L2)", cas, t->name, upd);
    }
    fprintf(stderr, "%s: worst parameter rel err %.3g, worst update L2 rel err %.3g\n", cas, worst,
            worst_upd);
}

static void load_examples(lm_encoded_example *ex, int *n) {
    const cJSON *exs = cJSON_GetObjectItem(g_exp, "examples");
    *n = cJSON_GetArraySize(exs);
    for (int s = 0; s < *n; s++) {
        const cJSON *e = cJSON_GetArrayItem(exs, s), *ids = cJSON_GetObjectItem(e, "ids");
        int L = cJSON_GetArraySize(ids);
        ex[s].ids = lm_xmalloc((size_t)L * sizeof(int32_t));
        ex[s].type_ids = lm_xcalloc((size_t)L, sizeof(int32_t));
        for (int i = 0; i < L; i++) ex[s].ids[i] = cJSON_GetArrayItem(ids, i)->valueint;
        ex[s].n_tokens = L;
        ex[s].mask_pos = cJSON_GetObjectItem(e, "mask_pos")->valueint;
        ex[s].label = cJSON_GetObjectItem(e, "label")->valueint;
    }
}

static void run_case(const char *cas, int n_classes, lm_train_config *cfg, int steps,
                     double upd_tol) {
    lm_error err;
    lm_model m0;
    lm_load_options lo = {.decoder = LM_DECODER_SEPARATE, .n_classes = n_classes};
    CHECK_MSG(lm_model_load(g_dir, &lo, &m0, &err) == 0, "%s", err.msg);
    const cJSON *cases = cJSON_GetObjectItem(g_exp, "cases"), *c = cJSON_GetObjectItem(cases, cas);
    if (n_classes) { /* the checkpoint loader leaves the classifier at zero */
        const cJSON *cl = cJSON_GetObjectItem(g_exp, "classifier");
        memcpy(m0.w.cls_w, g_blob + cJSON_GetObjectItem(cl, "classifier.weight")->valueint / 4,
               (size_t)n_classes * m0.cfg.hidden * sizeof(float));
        memcpy(m0.w.cls_b, g_blob + cJSON_GetObjectItem(cl, "classifier.bias")->valueint / 4,
               (size_t)n_classes * sizeof(float));
    }
    const cJSON *lw = cJSON_GetObjectItem(g_exp, "label_words");
    int32_t vocab[8];
    int C = cJSON_GetArraySize(lw);
    for (int j = 0; j < C; j++) vocab[j] = cJSON_GetArrayItem(lw, j)->valueint;
    lm_output_spec os = {.head = n_classes ? LM_HEAD_CLASSIFIER : LM_HEAD_MLM, .n_out = C,
                         .vocab = n_classes ? NULL : vocab};
    lm_encoded_example ex[8];
    const lm_encoded_example *bp[8];
    int n;
    load_examples(ex, &n);
    for (int i = 0; i < n; i++) bp[i] = &ex[i];
    lm_trainer t;
    CHECK_MSG(lm_trainer_init(&t, &m0, &os, cfg, &err) == 0, "%s", err.msg);
    if (cfg->params == LM_PS_LORA) { /* A from the fixture, B = 0 */
        const cJSON *a0 = cJSON_GetObjectItem(g_exp, "lora_A0");
        for (int k = 0; k < t.lora.n; k++) {
            const cJSON *o = cJSON_GetObjectItem(a0, t.lora.t[k].name_a);
            CHECK_MSG(o != NULL, "no A for %s", t.lora.t[k].name_a);
            if (o)
                memcpy(t.lora.params + t.lora.t[k].a_off, g_blob + o->valueint / 4,
                       (size_t)t.lora.r * t.lora.t[k].in * sizeof(float));
        }
        memcpy(t.lora0, t.lora.params, t.lora.n_params * sizeof(float));
        lm_lora_merge(&t.lora, NULL, &t.m);
    }
    const cJSON *losses = cJSON_GetObjectItem(c, "losses"), *norms = cJSON_GetObjectItem(c, "norms");
    for (int s = 0; s < steps; s++) {
        double loss = lm_trainer_step(&t, bp, n);
        CHECK_CLOSE(loss, cJSON_GetArrayItem(losses, s)->valuedouble, 1e-5, 0);
        if (norms) CHECK_CLOSE(t.last_norm, cJSON_GetArrayItem(norms, s)->valuedouble, 1e-5, 0);
        if (norms) CHECK_MSG(t.last_norm > 1.0, "%s: clipping should be active (norm %g)", cas, t.last_norm);
    }
    check_params(cas, &t.m, &m0, cJSON_GetObjectItem(c, "params"), upd_tol);
    if (cfg->params == LM_PS_LORA) {
        const cJSON *ab = cJSON_GetObjectItem(c, "lora");
        double worst = 0;
        for (int k = 0; k < t.lora.n; k++) {
            const lm_lora_target *lt = &t.lora.t[k];
            const cJSON *oa = cJSON_GetObjectItem(ab, lt->name_a), *ob = cJSON_GetObjectItem(ab, lt->name_b);
            double ra, rb, ua, ub;
            compare(t.lora.params + lt->a_off, g_blob + oa->valueint / 4, t.lora0 + lt->a_off,
                    (size_t)t.lora.r * lt->in, &ra, &ua);
            compare(t.lora.params + lt->b_off, g_blob + ob->valueint / 4, t.lora0 + lt->b_off,
                    (size_t)lt->out * t.lora.r, &rb, &ub);
            CHECK_MSG(ra <= 1e-5 && rb <= 1e-5, "%s: A %.3g B %.3g", lt->name_a, ra, rb);
            CHECK_MSG(ua <= upd_tol && ub <= upd_tol, "%s: updates A %.3g B %.3g", lt->name_a, ua, ub);
            worst = fmax(worst, fmax(ra, rb));
        }
        fprintf(stderr, "lora: worst adapter rel err %.3g\n", worst);
    }
    for (int i = 0; i < n; i++) {
        free(ex[i].ids);
        free(ex[i].type_ids);
    }
    lm_trainer_free(&t);
    lm_model_free(&m0);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: test_train_torch FIXTURE_DIR\n");
        return 2;
    }
    g_dir = argv[1];
    lm_error err;
    char *jp = lm_path_join(g_dir, "expected.json"), *bp = lm_path_join(g_dir, "expected.bin");
    char *js = lm_read_file(jp, NULL, &err);
    g_blob = (float *)lm_read_file(bp, NULL, &err);
    CHECK_MSG(js && g_blob, "cannot read the fixture in %s", g_dir);
    if (!js || !g_blob) return check_exit("test_train_torch");
    g_exp = cJSON_Parse(js);

    lm_train_config c = {.optimizer = LM_OPT_SGD, .lr = 0.5, .steps = 1, .max_grad_norm = 1.0};
    run_case("sgd", 0, &c, 1, 1e-4);
    c = (lm_train_config){.optimizer = LM_OPT_ADAMW, .lr = 5e-3, .steps = 4, .weight_decay = 0.1,
                          .max_grad_norm = 1.0};
    run_case("adamw", 0, &c, 2, 1e-3);
    c.lr = 1e-2;
    c.params = LM_PS_LORA;
    c.lora = (lm_lora_config){.r = 4, .alpha = 8, .targets = LM_LORA_QUERY | LM_LORA_VALUE};
    run_case("lora", 0, &c, 2, 1e-3);
    c = (lm_train_config){.optimizer = LM_OPT_ADAMW, .lr = 5e-3, .steps = 1, .weight_decay = 0.1,
                          .max_grad_norm = 1.0};
    run_case("cls_adamw", 3, &c, 1, 1e-3);
    c = (lm_train_config){.optimizer = LM_OPT_SGD, .lr = 0.5, .steps = 4, .max_grad_norm = 1.0,
                          .linearized = 1};
    run_case("lin_sgd", 0, &c, 2, 1e-4);

    cJSON_Delete(g_exp);
    free(js);
    free(g_blob);
    free(jp);
    free(bp);
    return check_exit("test_train_torch");
}
