/* kernel_job.c - one kernel job: kernels of a seed's splits (through the
 * cache, or merged from the tiles of a sharded kernel: tiles.c), the
 * solver grid on them, metrics, selection on dev. */
#include "util/clock.h"
#include "run/jobs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/kernels.h"
#include "train/lora.h"
#include "util/log.h"
#include "util/rng.h"
#include "solve/solve.h"
#include "util/file.h"

static double *to_double(const float *x, size_t n) {
    double *d = lm_xmalloc((n ? n : 1) * sizeof(double));
    for (size_t i = 0; i < n; i++) d[i] = x[i];
    return d;
}

/* Labels as the solver wants them: class index, or 0/1 in binary mode. */
static int *labels_of(const lm_encoded_split *s) {
    int *y = lm_xmalloc((size_t)(s->n ? s->n : 1) * sizeof(int));
    for (int i = 0; i < s->n; i++) y[i] = s->ex[i].label;
    return y;
}

/* The prediction of f0 alone (zero-shot): argmax, or f > 0 in binary mode. */
static void predict_f0(const float *f0, int n, int dim, int *pred) {
    double *d = to_double(f0, (size_t)n * dim);
    lm_predict_labels(d, n, dim, pred);
    free(d);
}

static int metric_of(const char *metric, const int *pred, const lm_encoded_split *s, double *out,
                     lm_error *err) {
    int *y = labels_of(s);
    int rc = lm_metric(metric, pred, y, s->n, out, err);
    free(y);
    return rc;
}

typedef struct grid_point {
    lm_solver_params sp;
} grid_point;

/* Expands the spec's solver grid for a formula.  f0 scaling means nothing to
 * logistic (ignored by the reference) and svc (refused by it): those get one
 * point with s = 0.  asym needs the asymmetric kernel; other solvers on it
 * use K (sign on the training side), as the reference does. */
static int expand_grid(const lm_spec_solver *s, lm_kernel_formula f, grid_point **out) {
    int cap = 1;
    for (int i = 0; i < s->n_names; i++) cap += s->n_regularization * s->n_f0_scaling *
                                                s->n_asym_lambda * s->n_gamma;
    grid_point *g = lm_xcalloc((size_t)cap, sizeof *g);
    int n = 0;
    for (int a = 0; a < s->n_names; a++) {
        lm_solver_kind kind = s->names[a];
        if (kind == LM_SOLVER_ASYM && f != LM_KF_ASYM) continue;
        int uses_f0 = kind == LM_SOLVER_LSTSQ || kind == LM_SOLVER_SVR || kind == LM_SOLVER_ASYM;
        int n_s = uses_f0 ? s->n_f0_scaling : 1;
        int n_al = kind == LM_SOLVER_ASYM ? s->n_asym_lambda : 1;
        int n_ga = kind == LM_SOLVER_ASYM ? s->n_gamma : 1;
        for (int r = 0; r < s->n_regularization; r++)
            for (int q = 0; q < n_s; q++)
                for (int l = 0; l < n_al; l++)
                    for (int m = 0; m < n_ga; m++) {
                        lm_solver_params *sp = &g[n++].sp;
                        lm_solver_params_init(sp);
                        sp->kind = kind;
                        sp->lambda = s->regularization[r];
                        sp->f0_scaling = uses_f0 ? s->f0_scaling[q] : 0;
                        sp->asym_lambda = s->asym_lambda[l];
                        sp->gamma = s->gamma[m];
                    }
    }
    *out = g;
    return n;
}

static cJSON *point_json(const lm_solver_params *sp) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "solver", lm_solver_name(sp->kind));
    cJSON_AddNumberToObject(o, "regularization", sp->lambda);
    cJSON_AddNumberToObject(o, "f0_scaling", sp->f0_scaling);
    if (sp->kind == LM_SOLVER_ASYM) {
        cJSON_AddNumberToObject(o, "asym_lambda", sp->asym_lambda);
        cJSON_AddNumberToObject(o, "gamma", sp->gamma);
    }
    return o;
}

static cJSON *int_array(const int *x, int n) {
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(x[i]));
    return a;
}

int lm_run_progress_bridge(void *ctx, double frac, const char *stage) {
    lm_run_progress_span *b = ctx;
    if (!b->hooks || !b->hooks->progress) return 0;
    return b->hooks->progress(b->hooks->ctx, b->lo + (b->hi - b->lo) * frac, stage);
}

int lm_run_kernel_prepare(const lm_spec *spec, lm_job_setup *js, lm_kernel_formula formula, uint32_t seed,
                          const lm_run_options *opt, const lm_run_hooks *hooks, lm_run_kernel_ctx *kc,
                          lm_error *err) {
    memset(kc, 0, sizeof *kc);
    lm_param_set ps = spec->kernel.params;
    if (formula == LM_KF_ASYM && !spec->binary)
        return lm_fail(err, "kernel.formula: asymmetric_signgd needs \"binary\": true (spec §3.2)");
    /* the LoRA subspace: factors from the spec's init and seed */
    if (ps == LM_PS_LORA) {
        lm_lora *lora = &kc->lora;
        if (lm_lora_init(lora, &js->model, &spec->kernel.lora, err)) return lm_fail_prefix(err, "kernel");
        kc->fa = lm_xcalloc((size_t)lora->n, sizeof *kc->fa);
        kc->fb = lm_xcalloc((size_t)lora->n, sizeof *kc->fb);
        kc->ft = lm_xcalloc((size_t)lora->n, sizeof *kc->ft);
        lm_rng rng;
        lm_rng_seed(&rng, (uint64_t)spec->kernel.lora.seed * 2654435761u + 1);
        for (int i = 0; i < lora->n; i++) {
            kc->ft[i] = lora->t[i].tensor;
            kc->fa[i] = lora->params + lora->t[i].a_off;
            kc->fb[i] = lora->params + lora->t[i].b_off;
            if (spec->kernel.lora.b_gaussian) { /* B uniform in +-1/sqrt(r): see the schema's b_init */
                float *b = lora->params + lora->t[i].b_off, bound = 1.0f / sqrtf((float)lora->r);
                for (size_t k = 0; k < (size_t)lora->t[i].out * lora->r; k++)
                    b[k] = (float)(2 * lm_rng_uniform(&rng) - 1) * bound;
            }
        }
        kc->kl = (lm_kernel_lora){.n = lora->n, .r = lora->r, .scale = lora->scale, .tensor = kc->ft,
                                  .A = (const float *const *)kc->fa, .B = (const float *const *)kc->fb};
    }
    kc->rq = (lm_kernel_request){.model = &js->model, .model_digest = js->model_digest};
    if (lm_run_output_spec(spec, js, seed, &kc->rq.os, err)) {
        lm_run_kernel_ctx_free(kc);
        return -1;
    }
    kc->progress = (lm_run_progress_span){hooks, 0.02, 0.9};
    kc->rq.opt = (lm_kernel_options){.formula = formula, .params = ps, .mem_budget = opt ? opt->mem_budget : 0,
                                     .progress = {lm_run_progress_bridge, &kc->progress},
                                     .projection_dim = (int)spec->kernel.projection_dim,
                                     .projection_seed = spec->kernel.projection_seed,
                                     .lora = ps == LM_PS_LORA ? &kc->kl : NULL,
                                     .block_tokens = spec->kernel.block_tokens};
    for (int i = 0; i < 3; i++) kc->sets[i] = &js->split[i];
    kc->rq.train = &js->split[0];
    kc->rq.sets = kc->sets;
    kc->rq.n_sets = 3;
    return 0;
}

void lm_run_kernel_ctx_free(lm_run_kernel_ctx *kc) {
    free(kc->fa);
    free(kc->fb);
    free(kc->ft);
    lm_lora_free(&kc->lora);
    memset(kc, 0, sizeof *kc);
}

lm_cache *lm_run_cache_open(const lm_run_options *opt) {
    if (!opt || !opt->cache_dir) return NULL;
    lm_error cerr; /* no cache is a warning: the job computes everything */
    lm_cache *cache = lm_cache_open(opt->cache_dir, opt->cache_secret_file, &cerr);
    if (!cache) lm_warn("cache %s: %s; computing without it", opt->cache_dir, cerr.msg);
    return cache;
}

int lm_run_kernel_job(const lm_spec *spec, lm_job_setup *js, lm_kernel_formula formula, uint32_t seed,
                      const cJSON *merge_job, const lm_run_options *opt, const lm_run_hooks *hooks,
                      const char *out_dir, cJSON *res, lm_error *err) {
    lm_param_set ps = spec->kernel.params;
    lm_run_kernel_ctx kc;
    if (lm_run_kernel_prepare(spec, js, formula, seed, opt, hooks, &kc, err)) return -1;
    lm_kernel_result kr;
    lm_kernel_cache_stats cs = {0, 0};
    double t0 = lm_now();
    int rc;
    if (merge_job) {
        /* a sharded kernel: its tiles, computed by the tile jobs it is after */
        rc = lm_run_kernel_merge(&kc, merge_job, opt, &kr, res, err);
    } else {
        lm_cache *cache = lm_run_cache_open(opt);
        rc = lm_kernels_cached(cache, &kc.rq, &kr, &cs, err);
        if (cache) lm_cache_close(cache);
    }
    size_t lora_params = kc.lora.n_params;
    lm_run_kernel_ctx_free(&kc);
    if (rc) return -1;
    double t_kernel = lm_now() - t0;

    /* artifacts: the job's folder says which seed and formula (methods.h) */
    static const char *set_names[3] = {"train", "dev", "test"};
    cJSON *manifest = cJSON_AddArrayToObject(res, "artifacts");
    if (out_dir && lm_kernels_export(out_dir, "", &kr, set_names, manifest, err)) {
        lm_kernel_result_free(&kr);
        return -1;
    }

    /* zero-shot */
    int D = kr.dim, N = kr.n_train;
    int *pred = lm_xmalloc((size_t)(js->split[2].n + js->split[1].n + 1) * sizeof(int));
    double zs_dev = 0, zs_test = 0;
    predict_f0(kr.f0[1], js->split[1].n, D, pred);
    rc = metric_of(js->metric, pred, &js->split[1], &zs_dev, err);
    predict_f0(kr.f0[2], js->split[2].n, D, pred);
    if (!rc) rc = metric_of(js->metric, pred, &js->split[2], &zs_test, err);
    cJSON *zs = cJSON_AddObjectToObject(res, "zero_shot");
    cJSON_AddNumberToObject(zs, "dev", zs_dev);
    cJSON_AddNumberToObject(zs, "test", zs_test);

    /* solver grid */
    grid_point *grid = NULL;
    int n_grid = expand_grid(&spec->solver, formula, &grid);
    int *y = labels_of(&js->split[0]);
    double *f0t = to_double(kr.f0_train, (size_t)N * D), *f0d = to_double(kr.f0[1], (size_t)js->split[1].n * D),
           *f0s = to_double(kr.f0[2], (size_t)js->split[2].n * D);
    lm_eval_kernel ev[2] = {{js->split[1].n, kr.K[1], kr.K_flip ? kr.K_flip[1] : NULL, f0d},
                            {js->split[2].n, kr.K[2], kr.K_flip ? kr.K_flip[2] : NULL, f0s}};
    lm_kernel_problem prob = {.n = N, .c = D, .k_train = kr.K[0], .labels = y, .f0_train = f0t,
                              .n_eval = 2, .eval = ev};
    cJSON *points = cJSON_AddArrayToObject(res, "grid");
    double best_dev = -1;
    int best = -1;
    double t1 = lm_now();
    for (int g = 0; g < n_grid && rc == 0; g++) {
        lm_solve_result sr;
        lm_kernel_problem p = prob;
        if (grid[g].sp.kind == LM_SOLVER_SVC) p.f0_train = NULL, ev[0].f0 = ev[1].f0 = NULL;
        else ev[0].f0 = f0d, ev[1].f0 = f0s;
        cJSON *pt = point_json(&grid[g].sp);
        cJSON_AddItemToArray(points, pt);
        if (lm_solve(&p, &grid[g].sp, &sr, err)) {
            /* a failed grid point is reported, not fatal: the others stand */
            cJSON_AddStringToObject(pt, "error", err->msg);
            continue;
        }
        double dev = 0, test = 0;
        rc = metric_of(js->metric, sr.eval[0].pred, &js->split[1], &dev, err);
        if (!rc) rc = metric_of(js->metric, sr.eval[1].pred, &js->split[2], &test, err);
        cJSON_AddNumberToObject(pt, "dev", dev);
        cJSON_AddNumberToObject(pt, "test", test);
        if (sr.rank >= 0) cJSON_AddNumberToObject(pt, "rank", sr.rank);
        if (grid[g].sp.kind == LM_SOLVER_LOGISTIC) cJSON_AddNumberToObject(pt, "C", sr.c_chosen);
        if (!rc && dev > best_dev) {
            best_dev = dev;
            best = g;
            cJSON_DeleteItemFromObject(res, "test_predictions");
            cJSON_AddItemToObject(res, "test_predictions", int_array(sr.eval[1].pred, js->split[2].n));
        }
        lm_solve_result_free(&sr);
        if (hooks && hooks->progress &&
            hooks->progress(hooks->ctx, 0.9 + 0.1 * (g + 1) / n_grid, "solve"))
            rc = lm_fail(err, "cancelled");
    }
    if (rc == 0 && best < 0) {
        /* err->msg is both the last point's reason and the destination: copy it first */
        char last[sizeof err->msg];
        snprintf(last, sizeof last, "%s", err->msg[0] ? err->msg : "no grid point gave a dev metric");
        rc = lm_fail(err, "solver: every grid point failed (last: %s)", last);
    }
    if (rc == 0) {
        cJSON *sel = cJSON_AddObjectToObject(res, "selected");
        cJSON_AddNumberToObject(sel, "index", best);
        cJSON *pt = cJSON_GetArrayItem(points, best);
        cJSON_AddNumberToObject(sel, "dev", cJSON_GetObjectItem(pt, "dev")->valuedouble);
        cJSON_AddNumberToObject(sel, "test", cJSON_GetObjectItem(pt, "test")->valuedouble);
        int *yt = labels_of(&js->split[2]);
        cJSON_AddItemToObject(res, "test_labels", int_array(yt, js->split[2].n));
        /* the kernel's row order: what a heatmap sorts by class */
        cJSON_AddItemToObject(res, "train_labels", int_array(y, N));
        free(yt);
        cJSON *tm = cJSON_AddObjectToObject(res, "timings");
        cJSON_AddNumberToObject(tm, "kernel_s", t_kernel);
        cJSON_AddNumberToObject(tm, "solve_s", lm_now() - t1);
        cJSON_AddNumberToObject(tm, "kernel_gflop", kr.flops / 1e9);
        if (spec->kernel.projection_dim > 0) {
            cJSON *pj = cJSON_AddObjectToObject(res, "projection");
            cJSON_AddNumberToObject(pj, "dim", (double)spec->kernel.projection_dim);
            cJSON_AddNumberToObject(pj, "seed", spec->kernel.projection_seed);
            /* cached entries keep no error figure: only a fresh computation reports it */
            if (cs.misses > 0)
                cJSON_AddNumberToObject(pj, "train_rel_frobenius_error", kr.projection_rel_error);
        }
        cJSON *ch = cJSON_AddObjectToObject(res, "cache");
        cJSON_AddNumberToObject(ch, "hits", cs.hits);
        cJSON_AddNumberToObject(ch, "misses", cs.misses);
        cJSON *sz = cJSON_AddObjectToObject(res, "sizes");
        cJSON_AddNumberToObject(sz, "train", js->split[0].n);
        cJSON_AddNumberToObject(sz, "dev", js->split[1].n);
        cJSON_AddNumberToObject(sz, "test", js->split[2].n);
        cJSON_AddNumberToObject(sz, "outputs", D);
        cJSON_AddNumberToObject(sz, "parameters", (double)(lm_param_set_size(&js->model, ps) + lora_params));
    }
    free(grid);
    free(y);
    free(f0t);
    free(f0d);
    free(f0s);
    free(pred);
    lm_kernel_result_free(&kr);
    return rc;
}
