/* finetune.c - the fine-tuning loop: epochs of shuffled batches, dev
 * evaluation, best-dev checkpoint in memory, test evaluation. */
#include "util/clock.h"
#include "train/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "solve/solve.h"
#include "util/rng.h"

void lm_finetune_default_grid(lm_finetune_config *ft) {
    ft->n_lr = 3;
    ft->lr[0] = 1e-5;
    ft->lr[1] = 2e-5;
    ft->lr[2] = 5e-5;
    ft->n_batch_size = 3;
    ft->batch_size[0] = 2;
    ft->batch_size[1] = 4;
    ft->batch_size[2] = 8;
    ft->steps = 1000;
    ft->eval_every = 100;
}

void lm_logits_argmax(const float *logits, int n, int C, int *pred) {
    for (int i = 0; i < n; i++) {
        const float *z = logits + (size_t)i * C;
        int best = 0;
        for (int c = 1; c < C; c++)
            if (z[c] > z[best]) best = c;
        pred[i] = best;
    }
}

/* Every example must fit the model and carry a label and, for the MLM
 * head, a mask position. */
static int check_split(const lm_model *m, const lm_output_spec *os, const lm_encoded_split *s,
                       const char *what, lm_error *err) {
    lm_batch b = {0};
    int rc = 0;
    for (int i = 0; i < s->n && rc == 0; i++) {
        const lm_encoded_example *e = &s->ex[i];
        lm_batch_clear(&b);
        if (lm_batch_add(&b, &m->cfg, e->ids, e->type_ids, e->n_tokens, err))
            rc = lm_fail_prefix(err, "%s example %d", what, i);
        else if (e->label < 0 || e->label >= os->n_out)
            rc = lm_fail(err, "%s example %d: label %d is outside [0, %d)", what, i, e->label, os->n_out);
        else if (os->head == LM_HEAD_MLM && (e->mask_pos < 0 || e->mask_pos >= e->n_tokens))
            rc = lm_fail(err, "%s example %d: no mask position (prompt-based outputs need one)", what, i);
    }
    lm_batch_free(&b);
    return rc;
}

typedef struct eval_set {
    const lm_encoded_split *s;
    const lm_encoded_example **ex;
    int *label, *pred;
    float *logits;
} eval_set;

static void eval_set_init(eval_set *e, const lm_encoded_split *s, int C) {
    memset(e, 0, sizeof *e);
    if (!s || s->n == 0) return;
    e->s = s;
    e->ex = lm_xmalloc((size_t)s->n * sizeof *e->ex);
    e->label = lm_xmalloc((size_t)s->n * sizeof(int));
    e->pred = lm_xmalloc((size_t)s->n * sizeof(int));
    e->logits = lm_xmalloc((size_t)s->n * C * sizeof(float));
    for (int i = 0; i < s->n; i++) {
        e->ex[i] = &s->ex[i];
        e->label[i] = s->ex[i].label;
    }
}

static void eval_set_free(eval_set *e) {
    free(e->ex);
    free(e->label);
    free(e->pred);
    free(e->logits);
}

static int evaluate(lm_trainer *t, eval_set *e, const char *metric, double *out, lm_error *err) {
    int C = t->os.n_out;
    lm_trainer_outputs(t, e->ex, e->s->n, e->logits);
    lm_logits_argmax(e->logits, e->s->n, C, e->pred);
    return lm_metric(metric, e->pred, e->label, e->s->n, out, err);
}

static void push_eval(lm_finetune_result *r, int step, double dev, double test, int *cap) {
    if (r->n_evals == *cap) {
        *cap = *cap ? 2 * *cap : 16;
        r->eval_step = lm_xrealloc(r->eval_step, (size_t)*cap * sizeof(int));
        r->dev_metric = lm_xrealloc(r->dev_metric, (size_t)*cap * sizeof(double));
        r->test_metric_curve = lm_xrealloc(r->test_metric_curve, (size_t)*cap * sizeof(double));
    }
    r->eval_step[r->n_evals] = step;
    r->dev_metric[r->n_evals] = dev;
    r->test_metric_curve[r->n_evals] = test;
    r->n_evals++;
}

/* One evaluation on dev (and test for the curve); the parameters are kept
 * when dev is strictly better than before (the first best wins). */
static int evaluate_and_keep(lm_trainer *t, eval_set *ed, eval_set *et, const char *metric,
                             int test_curve, int step, lm_finetune_result *out, int *eval_cap,
                             int *have_best, float *best_lora, lm_error *err) {
    double dv, tv = NAN;
    if (evaluate(t, ed, metric, &dv, err) ||
        (test_curve && et->s && evaluate(t, et, metric, &tv, err)))
        return -1;
    push_eval(out, step, dv, tv, eval_cap);
    if (!*have_best || dv > out->best_dev) {
        *have_best = 1;
        out->best_dev = dv;
        out->best_step = step;
        memcpy(out->best_params, t->m.params, t->m.n_params * sizeof(float));
        if (best_lora) memcpy(best_lora, t->lora.params, t->lora.n_params * sizeof(float));
    }
    return 0;
}

int lm_finetune(const lm_model *m0, const lm_output_spec *os, const lm_finetune_config *ft,
                double lr, int batch_size, uint32_t seed, const lm_encoded_split *train,
                const lm_encoded_split *dev, const lm_encoded_split *test, const char *metric,
                const lm_finetune_options *opt, const lm_train_hooks *hooks,
                lm_finetune_result *out, lm_error *err) {
    memset(out, 0, sizeof *out);
    lm_finetune_options dflt = {0};
    if (!opt) opt = &dflt;
    double t_start = lm_now();
    if (!train || train->n < 1) return lm_fail(err, "fine-tuning needs at least one training example");
    if (batch_size < 1) return lm_fail(err, "batch_size: %d must be >= 1", batch_size);
    if (!(lr > 0)) return lm_fail(err, "lr: %g must be > 0", lr);
    if (ft->eval_every < 1 && !opt->eval_per_epoch)
        return lm_fail(err, "eval_every: %d must be >= 1", ft->eval_every);
    int p0 = 0, l0 = 0;
    double probe;
    if (lm_metric(metric, &p0, &l0, 1, &probe, err)) return -1;
    if (check_split(m0, os, train, "train", err) || (dev && check_split(m0, os, dev, "dev", err)) ||
        (test && check_split(m0, os, test, "test", err)))
        return -1;

    lm_train_config cfg;
    lm_train_config_from_spec(&cfg, ft, lr, seed);
    cfg.dropout = opt->dropout;
    lm_trainer t;
    if (lm_trainer_init(&t, m0, os, &cfg, err)) return -1;
    int C = t.os.n_out, N = train->n, steps = ft->steps;
    out->mode = t.mode;
    out->params = ft->params;
    out->n_out = C;
    out->n_params = m0->n_params;
    out->best_dev = NAN;
    out->test_metric = NAN;
    out->loss = lm_xmalloc((size_t)steps * sizeof(float));
    out->grad_norm = lm_xmalloc((size_t)steps * sizeof(float));
    out->lr = lm_xmalloc((size_t)steps * sizeof(float));
    out->best_params = lm_xalloc_aligned(m0->n_params * sizeof(float));
    float *best_lora = t.lora.n ? lm_xmalloc(t.lora.n_params * sizeof(float)) : NULL;
    int have_best = 0, eval_cap = 0, rc = 0;

    eval_set ed, et;
    eval_set_init(&ed, dev, C);
    eval_set_init(&et, test, C);
    int *perm = lm_xmalloc((size_t)N * sizeof(int));
    const lm_encoded_example **batch = lm_xmalloc((size_t)batch_size * sizeof *batch);
    for (int i = 0; i < N; i++) perm[i] = i;
    lm_rng rng;
    lm_rng_seed(&rng, ((uint64_t)seed << 1) ^ 0x5EEDDA7A0DE5ULL);

    int step = 0;
    while (step < steps && rc == 0) {
        for (int i = N - 1; i > 0; i--) { /* Fisher-Yates: a new order every epoch */
            int j = (int)lm_rng_below(&rng, (uint64_t)i + 1), x = perm[i];
            perm[i] = perm[j];
            perm[j] = x;
        }
        int full_epoch = 1;
        for (int b0 = 0; b0 < N && rc == 0; b0 += batch_size) {
            int n = N - b0 < batch_size ? N - b0 : batch_size;
            for (int i = 0; i < n; i++) batch[i] = &train->ex[perm[b0 + i]];
            double loss = lm_trainer_step(&t, batch, n);
            if (isnan(loss)) {
                rc = lm_fail(err, "step %d: %s", step + 1,
                             t.err.msg[0] ? t.err.msg : "the training loss is NaN (diverged)");
                break;
            }
            out->loss[step] = (float)loss;
            out->grad_norm[step] = (float)t.last_norm;
            out->lr[step] = (float)t.last_lr;
            step++;
            if (hooks && hooks->progress &&
                hooks->progress(hooks->ctx, (double)step / steps, "finetune")) {
                rc = lm_fail(err, "cancelled");
                break;
            }
            int last = step == steps;
            if (last && b0 + batch_size < N) full_epoch = 0;
            int due = opt->eval_per_epoch ? 0 : (step % ft->eval_every == 0 || last);
            if (due && ed.s &&
                evaluate_and_keep(&t, &ed, &et, metric, opt->test_curve, step, out, &eval_cap,
                                  &have_best, best_lora, err)) {
                rc = -1;
                break;
            }
            if (last) break;
        }
        if (rc == 0 && opt->eval_per_epoch && full_epoch && ed.s &&
            evaluate_and_keep(&t, &ed, &et, metric, opt->test_curve, step, out, &eval_cap,
                              &have_best, best_lora, err)) {
            rc = -1;
            break;
        }
    }
    out->n_steps = step;
    if (rc == 0) {
        if (have_best) lm_trainer_restore(&t, out->best_params, best_lora);
        else {
            out->best_step = step;
            memcpy(out->best_params, t.m.params, m0->n_params * sizeof(float));
        }
        out->tangent = lm_xalloc_aligned(m0->n_params * sizeof(float));
        lm_trainer_tangent(&t, out->tangent);
        if (ed.s) {
            double dv;
            rc = evaluate(&t, &ed, metric, &dv, err);
            out->n_dev = dev->n;
            out->dev_logits = ed.logits;
            ed.logits = NULL;
            if (!have_best) out->best_dev = dv;
        }
        if (rc == 0 && et.s) {
            rc = evaluate(&t, &et, metric, &out->test_metric, err);
            out->n_test = test->n;
            out->test_logits = et.logits;
            out->test_pred = et.pred;
            et.logits = NULL;
            et.pred = NULL;
        }
        if (rc == 0 && t.lora.n) { /* hand the adapters over: targets, scale, best A/B */
            out->lora = t.lora;
            memset(&t.lora, 0, sizeof t.lora);
            out->lora0 = t.lora0;
            t.lora0 = NULL;
            if (have_best) memcpy(out->lora.params, best_lora, out->lora.n_params * sizeof(float));
        }
    }
    free(best_lora);
    free(perm);
    free(batch);
    eval_set_free(&ed);
    eval_set_free(&et);
    lm_trainer_free(&t);
    out->seconds = lm_now() - t_start;
    if (rc) {
        lm_finetune_result_free(out);
        return -1;
    }
    return 0;
}

void lm_finetune_result_free(lm_finetune_result *r) {
    free(r->best_params);
    free(r->tangent);
    lm_lora_free(&r->lora);
    free(r->lora0);
    free(r->eval_step);
    free(r->dev_metric);
    free(r->test_metric_curve);
    free(r->loss);
    free(r->grad_norm);
    free(r->lr);
    free(r->dev_logits);
    free(r->test_logits);
    free(r->test_pred);
    memset(r, 0, sizeof *r);
}
