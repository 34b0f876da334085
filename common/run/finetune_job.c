/* finetune_job.c - one fine-tuning job: the spec's grid (learning rate x
 * batch size) for one method and seed, selection on dev (spec §5.6 applied
 * to fine-tuning), the selected run's test predictions, and the zero-shot
 * metric of θ0. */
#include "run/jobs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/artifacts.h"
#include "solve/solve.h"
#include "train/train.h"
#include "util/file.h"

typedef struct ft_progress {
    const lm_run_hooks *hooks;
    double lo, hi;
} ft_progress;

static int ft_bridge(void *ctx, double frac, const char *stage) {
    ft_progress *p = ctx;
    if (!p->hooks || !p->hooks->progress) return 0;
    return p->hooks->progress(p->hooks->ctx, p->lo + (p->hi - p->lo) * frac, stage);
}

/* Labels of a split as the metric wants them. */
static int split_metric(const char *metric, const int *pred, const lm_encoded_split *s, double *out,
                        lm_error *err) {
    int *y = lm_xmalloc((size_t)(s->n ? s->n : 1) * sizeof(int));
    for (int i = 0; i < s->n; i++) y[i] = s->ex[i].label;
    int rc = lm_metric(metric, pred, y, s->n, out, err);
    free(y);
    return rc;
}

int lm_run_outputs(const lm_model *m, const lm_output_spec *os, const lm_encoded_split *s,
                   float *f, lm_error *err) {
    lm_outputs_ws ws = {0};
    int R = lm_output_dim(os), rc = 0;
    for (int e0 = 0; e0 < s->n && rc == 0; e0 += 32) {
        int e1 = e0 + 32 < s->n ? e0 + 32 : s->n, pos[32];
        lm_batch_clear(&ws.b);
        for (int i = e0; i < e1 && rc == 0; i++) {
            rc = lm_batch_add(&ws.b, &m->cfg, s->ex[i].ids, s->ex[i].type_ids, s->ex[i].n_tokens, err);
            pos[i - e0] = os->head == LM_HEAD_MLM ? s->ex[i].mask_pos : 0;
        }
        if (rc == 0) lm_outputs_run(&ws, m, os, pos, 0, f + (size_t)e0 * R, NULL);
    }
    lm_outputs_ws_free(&ws);
    return rc;
}

int lm_run_output_spec(const lm_spec *spec, lm_job_setup *js, uint32_t seed, lm_output_spec *os,
                       lm_error *err) {
    int C = js->task->n_labels;
    if (spec->prompt) {
        *os = (lm_output_spec){.head = LM_HEAD_MLM, .n_out = C, .vocab = js->label_words,
                               .binary = spec->binary};
        return 0;
    }
    /* no prompt: the [CLS] classifier, initialised by the linear probe of
     * spec §3.3 so that kernels, fine-tuning and diagnostics share θ0 */
    *os = (lm_output_spec){.head = LM_HEAD_CLASSIFIER, .n_out = C, .binary = spec->binary};
    if (!js->head_ready) {
        if (lm_linear_head_init(&js->model, os, &js->split[0], seed, NULL, err))
            return lm_fail_prefix(err, "linear-probe head");
        js->head_ready = 1;
        /* the head is part of θ0: the cache keys must see it */
        const lm_weights *w = &js->model.w;
        lm_sha256_ctx c;
        lm_sha256_init(&c);
        lm_sha256_update(&c, js->model_digest, strlen(js->model_digest));
        lm_sha256_update(&c, w->cls_w, (size_t)C * js->model.cfg.hidden * sizeof(float));
        lm_sha256_update(&c, w->cls_b, (size_t)C * sizeof(float));
        uint8_t d[LM_SHA256_LEN];
        lm_sha256_final(&c, d);
        lm_hex(d, sizeof d, js->model_digest);
    }
    return 0;
}

/* The selected run's weights as a HuggingFace folder: the model of θ0
 * with θ_FT's parameters (the layout is the same), and θ0's tokenizer. */
static int save_weights(const lm_job_setup *js, const lm_finetune_result *ft, const char *out_dir,
                        cJSON *manifest, lm_error *err) {
    static const char *const tokenizer_files[] = {"vocab.json", "merges.txt", "tokenizer.json",
                                                  "vocab.txt", "tokenizer_config.json",
                                                  "special_tokens_map.json"};
    if (!ft->best_params || ft->n_params != js->model.n_params)
        return lm_fail(err, "save_weights: the fine-tuned parameters do not have the model's layout");
    lm_model m = js->model;
    m.params = ft->best_params;
    char *dir = lm_path_join(out_dir, "finetuned-model");
    int rc = lm_model_save(&m, dir, err);
    for (size_t i = 0; rc == 0 && i < sizeof tokenizer_files / sizeof tokenizer_files[0]; i++) {
        char *src = lm_path_join(js->model_dir, tokenizer_files[i]);
        if (lm_file_exists(src)) {
            size_t len;
            char *buf = lm_read_file(src, &len, err), *dst = lm_path_join(dir, tokenizer_files[i]);
            rc = buf ? lm_write_file_atomic(dst, buf, len, err) : -1;
            free(buf);
            free(dst);
        }
        free(src);
    }
    free(dir);
    if (rc) return lm_fail_prefix(err, "save_weights");
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "file", "finetuned-model/");
    cJSON_AddStringToObject(e, "content", "the fine-tuned model as a HuggingFace folder (config.json, "
                                          "model.safetensors, tokenizer files)");
    cJSON_AddItemToArray(manifest, e);
    return 0;
}

static cJSON *int_array(const int *x, int n) {
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(x[i]));
    return a;
}

int lm_run_finetune_job(const lm_spec *spec, lm_job_setup *js, int index, uint32_t seed,
                        const lm_run_options *opt, const lm_run_hooks *hooks, const char *out_dir,
                        cJSON *res, lm_error *err) {
    lm_finetune_config ft = spec->finetune[index];
    uint32_t run_seed = ft.has_seed ? ft.seed : seed;
    lm_output_spec os;
    if (lm_run_output_spec(spec, js, seed, &os, err)) return -1;
    os.binary = 0; /* fine-tuning trains on the C logits (spec §6.1) */
    const lm_encoded_split *tr = &js->split[0], *dev = &js->split[1], *te = &js->split[2];
    int C = os.n_out;

    /* zero-shot: θ0's own predictions */
    float *f0 = lm_xmalloc((size_t)(dev->n + te->n + 1) * C * sizeof(float));
    int *pred = lm_xmalloc((size_t)(dev->n + te->n + 1) * sizeof(int));
    double zd = 0, zt = 0;
    int rc = lm_run_outputs(&js->model, &os, dev, f0, err);
    if (!rc) rc = lm_run_outputs(&js->model, &os, te, f0 + (size_t)dev->n * C, err);
    if (!rc) {
        lm_logits_argmax(f0, dev->n, C, pred);
        lm_logits_argmax(f0 + (size_t)dev->n * C, te->n, C, pred + dev->n);
        rc = split_metric(js->metric, pred, dev, &zd, err);
        if (!rc) rc = split_metric(js->metric, pred + dev->n, te, &zt, err);
    }
    free(f0);
    free(pred);
    if (rc) return -1;
    cJSON *zs = cJSON_AddObjectToObject(res, "zero_shot");
    cJSON_AddNumberToObject(zs, "dev", zd);
    cJSON_AddNumberToObject(zs, "test", zt);
    cJSON_AddStringToObject(res, "optimizer", lm_opt_name(ft.optimizer));
    if (ft.linearized) cJSON_AddBoolToObject(res, "linearized", 1);
    cJSON_AddStringToObject(res, "params", lm_param_set_name(ft.params));

    int n_grid = ft.n_lr * ft.n_batch_size, best = -1;
    double best_dev = -INFINITY;
    cJSON *points = cJSON_AddArrayToObject(res, "grid");
    lm_finetune_result keep = {0};
    for (int g = 0; g < n_grid && rc == 0; g++) {
        double lr = ft.lr[g / ft.n_batch_size];
        int bs = ft.batch_size[g % ft.n_batch_size];
        ft_progress fp = {hooks, 0.02 + 0.96 * g / n_grid, 0.02 + 0.96 * (g + 1) / n_grid};
        lm_train_hooks th = {ft_bridge, &fp};
        lm_finetune_result r;
        if (lm_finetune(&js->model, &os, &ft, lr, bs, run_seed, tr, dev, te, js->metric, NULL, &th, &r, err)) {
            rc = -1;
            break;
        }
        cJSON *pt = cJSON_CreateObject();
        cJSON_AddNumberToObject(pt, "lr", lr);
        cJSON_AddNumberToObject(pt, "batch_size", bs);
        cJSON_AddNumberToObject(pt, "dev", isnan(r.best_dev) ? 0 : r.best_dev);
        cJSON_AddNumberToObject(pt, "test", r.test_metric);
        cJSON_AddNumberToObject(pt, "best_step", r.best_step);
        cJSON_AddNumberToObject(pt, "final_loss", r.n_steps ? r.loss[r.n_steps - 1] : NAN);
        cJSON_AddNumberToObject(pt, "seconds", r.seconds);
        cJSON *curve = cJSON_AddArrayToObject(pt, "dev_curve");
        for (int e = 0; e < r.n_evals; e++) {
            cJSON *q = cJSON_CreateArray();
            cJSON_AddItemToArray(q, cJSON_CreateNumber(r.eval_step[e]));
            cJSON_AddItemToArray(q, cJSON_CreateNumber(r.dev_metric[e]));
            cJSON_AddItemToArray(curve, q);
        }
        cJSON_AddItemToArray(points, pt);
        double dev_v = isnan(r.best_dev) ? 0 : r.best_dev;
        if (dev_v > best_dev) {
            best_dev = dev_v;
            best = g;
            lm_finetune_result_free(&keep);
            keep = r;
        } else {
            lm_finetune_result_free(&r);
        }
    }
    if (rc == 0 && best >= 0) {
        cJSON *sel = cJSON_AddObjectToObject(res, "selected");
        cJSON *pt = cJSON_GetArrayItem(points, best);
        cJSON_AddNumberToObject(sel, "index", best);
        cJSON_AddNumberToObject(sel, "dev", cJSON_GetObjectItem(pt, "dev")->valuedouble);
        cJSON_AddNumberToObject(sel, "test", cJSON_GetObjectItem(pt, "test")->valuedouble);
        cJSON_AddItemToObject(res, "test_predictions", int_array(keep.test_pred, te->n));
        int *yt = lm_xmalloc((size_t)(te->n + 1) * sizeof(int));
        for (int i = 0; i < te->n; i++) yt[i] = te->ex[i].label;
        cJSON_AddItemToObject(res, "test_labels", int_array(yt, te->n));
        free(yt);
        cJSON *sz = cJSON_AddObjectToObject(res, "sizes");
        cJSON_AddNumberToObject(sz, "train", tr->n);
        cJSON_AddNumberToObject(sz, "dev", dev->n);
        cJSON_AddNumberToObject(sz, "test", te->n);
        cJSON_AddNumberToObject(sz, "trainable_parameters", (double)keep.n_params);
        cJSON *manifest = cJSON_AddArrayToObject(res, "artifacts");
        if (out_dir) {
            int64_t shape[2] = {te->n, C};
            rc = lm_run_npy_artifact(out_dir, "test-logits.npy", "logits of the fine-tuned model [test, C]",
                                     LM_NPY_F4, 2, shape, keep.test_logits, manifest, err);
        }
        if (rc == 0 && out_dir && ft.save_weights) rc = save_weights(js, &keep, out_dir, manifest, err);
        if (rc == 0) rc = lm_run_finetune_diagnostics(spec, js, &os, &keep, seed, opt, out_dir, res, err);
    } else if (rc == 0) {
        rc = lm_fail(err, "finetune[%d]: empty grid", index);
    }
    lm_finetune_result_free(&keep);
    return rc;
}
