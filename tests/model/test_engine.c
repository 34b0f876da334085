/* test_engine.c - the transformer engine against an independent PyTorch
 * implementation (tests/fixtures/model/make_fixtures.py): label-word and
 * full-vocabulary logits, and every per-example, per-logit gradient tensor;
 * plus a finite-difference check of a few gradient entries. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "model/outputs.h"
#include "util/file.h"

static float *load_blob(const char *dir, size_t *n) {
    char *p = lm_path_join(dir, "expected.bin");
    lm_error err;
    float *b = (float *)lm_read_file(p, n, &err);
    free(p);
    return b;
}

/* max |a-b| / max |b| over a tensor (near-zero tensors: absolute) */
static double tensor_rel_err(const float *a, const float *b, size_t n) {
    double mx = 0, err = 0;
    for (size_t i = 0; i < n; i++) {
        if (fabs(b[i]) > mx) mx = fabs(b[i]);
        if (fabs(a[i] - b[i]) > err) err = fabs(a[i] - b[i]);
    }
    return mx > 1e-6 ? err / mx : err;
}

static void run_case(const char *dir) {
    lm_error err;
    lm_model m;
    /* a no-prompt fixture has a classifier head: load it with the model */
    char *jp0 = lm_path_join(dir, "expected.json");
    char *js0 = lm_read_file(jp0, NULL, &err);
    cJSON *e0 = cJSON_Parse(js0);
    const cJSON *hd = cJSON_GetObjectItem(e0, "head");
    int cls = cJSON_IsString(hd) && strcmp(hd->valuestring, "classifier") == 0;
    int n_cls = cls ? cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(e0, "examples"), 0), "logits")) : 0;
    cJSON_Delete(e0);
    free(js0);
    free(jp0);
    lm_load_options lo = {.n_classes = n_cls};
    int loaded = lm_model_load(dir, &lo, &m, &err);
    CHECK_MSG(loaded == 0, "%s", err.msg);
    if (loaded) return;
    char *jp = lm_path_join(dir, "expected.json");
    char *js = lm_read_file(jp, NULL, &err);
    cJSON *exp = cJSON_Parse(js);
    size_t blob_len;
    float *blob = load_blob(dir, &blob_len);
    const cJSON *lw = cJSON_GetObjectItem(exp, "label_words");
    int K = cls ? n_cls : cJSON_GetArraySize(lw);
    int32_t vocab[8];
    for (int j = 0; j < K && !cls; j++) vocab[j] = cJSON_GetArrayItem(lw, j)->valueint;
    const cJSON *exs = cJSON_GetObjectItem(exp, "examples");
    int S = cJSON_GetArraySize(exs);
    lm_outputs_ws ws = {0};
    int head_pos[16];
    for (int s = 0; s < S; s++) {
        const cJSON *e = cJSON_GetArrayItem(exs, s);
        const cJSON *ids = cJSON_GetObjectItem(e, "ids"), *ty = cJSON_GetObjectItem(e, "types");
        int n = cJSON_GetArraySize(ids);
        int32_t a[64], t[64];
        for (int i = 0; i < n; i++) {
            a[i] = cJSON_GetArrayItem(ids, i)->valueint;
            t[i] = cJSON_GetArrayItem(ty, i)->valueint;
        }
        CHECK(lm_batch_add(&ws.b, &m.cfg, a, t, n, &err) == 0);
        head_pos[s] = cJSON_GetObjectItem(e, "mask_pos")->valueint;
    }
    lm_output_spec os = {.head = cls ? LM_HEAD_CLASSIFIER : LM_HEAD_MLM, .n_out = K,
                         .vocab = cls ? NULL : vocab};
    float f[64];
    lm_pass pass;
    lm_outputs_run(&ws, &m, &os, head_pos, 1, f, &pass);

    /* full-vocabulary logits through the same head activations */
    float *full = lm_xmalloc((size_t)S * m.cfg.vocab_size * sizeof(float));
    if (!cls) lm_head_logits(&m, &ws.ha, NULL, m.cfg.vocab_size, full);
    double worst_logit = 0, worst_grad = 0;
    float *g = lm_xmalloc(m.n_params * sizeof(float));
    for (int s = 0; s < S; s++) {
        const cJSON *e = cJSON_GetArrayItem(exs, s);
        const cJSON *el = cJSON_GetObjectItem(e, "logits");
        for (int j = 0; j < K; j++) {
            double want = cJSON_GetArrayItem(el, j)->valuedouble;
            double rel = fabs(f[s * K + j] - want) / fmax(fabs(want), 1e-3);
            if (rel > worst_logit) worst_logit = rel;
            CHECK_CLOSE(f[s * K + j], want, 1e-5, 1e-6);
        }
        if (!cls) {
            /* float32 rounding of a logit scales with the row's magnitude
             * (each is a length-H dot product), not with the logit itself:
             * the absolute tolerance is relative to the row's largest entry,
             * so a different BLAS kernel (AVX2 vs AVX-512, Zen vs Intel)
             * that rounds differently does not fail a near-zero logit. */
            const float *ef = blob + cJSON_GetObjectItem(e, "full_logits_off")->valueint / 4;
            double row_max = 0;
            for (int v = 0; v < m.cfg.vocab_size; v++) row_max = fmax(row_max, fabs(ef[v]));
            for (int v = 0; v < m.cfg.vocab_size; v++)
                CHECK_CLOSE(full[(size_t)s * m.cfg.vocab_size + v], ef[v], 1e-5, 1e-5 * row_max);
        }
        const cJSON *go = cJSON_GetObjectItem(e, "grad_off");
        for (int r = 0; r < K; r++) {
            const cJSON *offs = cJSON_GetArrayItem(go, r);
            for (int ti = 0; ti < m.n_tensors; ti++) {
                const lm_param_tensor *pt = &m.tensors[ti];
                const cJSON *o = cJSON_GetObjectItem(offs, pt->name);
                CHECK_MSG(o != NULL, "no reference gradient for %s", pt->name);
                if (!o) continue;
                lm_grad_tensor(&pass, ti, s, r, g);
                size_t numel = (size_t)pt->rows * pt->cols;
                double rel = tensor_rel_err(g, blob + o->valueint / 4, numel);
                if (rel > worst_grad) worst_grad = rel;
                CHECK_MSG(rel <= 1e-4, "%s: example %d output %d: gradient rel err %.3g", pt->name,
                          s, r, rel);
            }
        }
    }
    fprintf(stderr, "%s: worst logit rel err %.3g, worst gradient rel err %.3g\n", dir, worst_logit,
            worst_grad);

    /* finite differences (central, float64 step on float32 weights) on a few
     * entries of different tensors, output 0 of example 0 */
    int probe[] = {0, 5, 8, 12, 15, m.n_tensors - 2};
    lm_outputs_ws ws1 = {0};
    CHECK(lm_batch_add(&ws1.b, &m.cfg, ws.b.ids, ws.b.type_ids, ws.b.seq_start[1], &err) == 0);
    for (size_t k = 0; k < sizeof probe / sizeof probe[0]; k++) {
        const lm_param_tensor *pt = &m.tensors[probe[k]];
        lm_grad_tensor(&pass, probe[k], 0, 0, g);
        size_t numel = (size_t)pt->rows * pt->cols, best = 0;
        for (size_t i = 0; i < numel; i++) if (fabs(g[i]) > fabs(g[best])) best = i;
        float *w = m.params + pt->offset + best, saved = *w, h = 1e-2f, fp, fm;
        *w = saved + h;
        lm_outputs_run(&ws1, &m, &os, head_pos, 0, f, NULL);
        fp = f[0];
        *w = saved - h;
        lm_outputs_run(&ws1, &m, &os, head_pos, 0, f, NULL);
        fm = f[0];
        *w = saved;
        double fd = (fp - fm) / (2.0 * h);
        CHECK_MSG(fabs(fd - g[best]) <= 2e-2 * fabs(g[best]) + 1e-3, "%s[%zu]: fd %.6g vs %.6g",
                  pt->name, best, fd, g[best]);
    }
    lm_outputs_ws_free(&ws1);
    free(g);
    free(full);
    lm_outputs_ws_free(&ws);
    cJSON_Delete(exp);
    free(js);
    free(jp);
    free(blob);
    lm_model_free(&m);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: test_engine FIXTURE_DIR...\n");
        return 2;
    }
    for (int i = 1; i < argc; i++) run_case(argv[i]);
    return check_exit("test_engine");
}
