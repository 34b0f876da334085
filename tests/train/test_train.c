/* test_train.c - the pieces of fine-tuning on the tiny fixture models:
 *   - the trainer's summed gradient (lm_encoder_backward with grads) equals
 *     Σ_s Σ_c dL/df_c(s) · g_c(s) built from per-example gradients
 *     (lm_grad_tensor), RoBERTa (untied) and BERT (tied decoder);
 *   - dropout: off = the eval forward, masks drawn from the seed alone,
 *     keep rate 1-p, and the backward through fixed masks agrees with
 *     finite differences of the loss;
 *   - lm_pass_jvp against central differences of the outputs, and LoRA's
 *     tangent against a small LoRA move;
 *   - the schedule, SGD with coupled decay, SignGD, AdamW against a float64
 *     transcription of transformers' AdamW;
 *   - multinomial logistic regression CV: scores per C, chosen C and
 *     coefficients against exact fits on sklearn's folds (logreg.json);
 *   - the fine-tuning loop: determinism, evaluation points, best-dev
 *     selection, the tangent, cancellation, the linear-probe head. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "model/layers.h"
#include "train/jvp.h"
#include "train/logreg.h"
#include "train/train.h"
#include "util/file.h"
#include "util/rng.h"

static const char *g_model_dir; /* tests/fixtures/model */
static const char *g_train_dir; /* tests/fixtures/train */

static int load(const char *name, int n_classes, lm_model *m) {
    lm_error err;
    char *d = lm_path_join(g_model_dir, name);
    lm_load_options lo = {.decoder = LM_DECODER_AS_CHECKPOINT, .n_classes = n_classes};
    int rc = lm_model_load(d, &lo, m, &err);
    CHECK_MSG(rc == 0, "%s: %s", d, err.msg);
    free(d);
    return rc;
}

/* A synthetic split: n sequences of 6..12 tokens, <s> first, </s> last,
 * a mask token at position 2; label c when token 40 + c occurs. */
static void make_split(lm_encoded_split *s, int n, int C, uint64_t seed, int bos, int eos, int mask) {
    lm_rng r;
    lm_rng_seed(&r, seed);
    s->n = n;
    s->n_labels = C;
    s->label_word_ids = NULL;
    s->ex = lm_xcalloc((size_t)n, sizeof *s->ex);
    for (int i = 0; i < n; i++) {
        lm_encoded_example *e = &s->ex[i];
        int L = 6 + (int)lm_rng_below(&r, 7);
        e->ids = lm_xmalloc((size_t)L * sizeof(int32_t));
        e->type_ids = lm_xcalloc((size_t)L, sizeof(int32_t));
        e->n_tokens = L;
        e->label = i % C;
        for (int k = 0; k < L; k++) e->ids[k] = 50 + (int32_t)lm_rng_below(&r, 60);
        e->ids[0] = bos;
        e->ids[L - 1] = eos;
        e->mask_pos = 2;
        e->ids[2] = mask;
        e->ids[3 + (int)lm_rng_below(&r, (uint64_t)L - 4)] = 40 + e->label;
    }
}

static void free_split(lm_encoded_split *s) {
    for (int i = 0; i < s->n; i++) {
        free(s->ex[i].ids);
        free(s->ex[i].type_ids);
    }
    free(s->ex);
}

/* ---- summed gradient = Σ dl · per-example gradient ------------------- */

static void test_summed_gradient(const char *name, int32_t mask) {
    lm_model m;
    if (load(name, 0, &m)) return;
    int32_t vocab[3] = {10, 20, 30};
    lm_output_spec os = {.head = LM_HEAD_MLM, .n_out = 3, .vocab = vocab};
    lm_encoded_split sp;
    make_split(&sp, 4, 3, 11, m.cfg.arch == LM_ARCH_ROBERTA ? 0 : 2, m.cfg.arch == LM_ARCH_ROBERTA ? 2 : 3, mask);
    const lm_encoded_example *bp[4];
    for (int i = 0; i < 4; i++) bp[i] = &sp.ex[i];
    lm_train_config c = {.optimizer = LM_OPT_SGD, .lr = 1e-3, .steps = 1};
    lm_trainer t;
    lm_error err;
    CHECK_MSG(lm_trainer_init(&t, &m, &os, &c, &err) == 0, "%s", err.msg);
    lm_trainer_grad(&t, bp, 4);
    /* per-example gradients of every output from the kept factors */
    lm_outputs_ws ws = {0};
    int head_pos[4];
    for (int i = 0; i < 4; i++) {
        CHECK(lm_batch_add(&ws.b, &m.cfg, bp[i]->ids, bp[i]->type_ids, bp[i]->n_tokens, &err) == 0);
        head_pos[i] = bp[i]->mask_pos;
    }
    float f[12];
    lm_pass pass;
    lm_outputs_run(&ws, &m, &os, head_pos, 1, f, &pass);
    double worst = 0;
    for (int ti = 0; ti < m.n_tensors; ti++) {
        const lm_param_tensor *pt = &m.tensors[ti];
        size_t n = (size_t)pt->rows * pt->cols;
        float *g = lm_xmalloc(n * sizeof(float));
        double *sum = lm_xcalloc(n, sizeof(double));
        for (int s = 0; s < 4; s++)
            for (int r = 0; r < 3; r++) {
                lm_grad_tensor(&pass, ti, s, r, g);
                for (size_t j = 0; j < n; j++) sum[j] += (double)t.dl[s * 3 + r] * g[j];
            }
        const float *got = t.grad + pt->offset;
        double mx = 0, e = 0;
        for (size_t j = 0; j < n; j++) {
            mx = fmax(mx, fabs(sum[j]));
            e = fmax(e, fabs(got[j] - sum[j]));
        }
        double rel = mx > 1e-7 ? e / mx : e;
        worst = fmax(worst, rel);
        CHECK_MSG(rel <= 1e-4, "%s %s: summed gradient vs per-example sum: %.3g", name, pt->name, rel);
        free(g);
        free(sum);
    }
    fprintf(stderr, "%s: summed gradient = sum of per-example gradients, worst rel err %.3g\n", name,
            worst);
    lm_outputs_ws_free(&ws);
    lm_trainer_free(&t);
    free_split(&sp);
    lm_model_free(&m);
}

/* ---- dropout ------------------------------------------------------------ */

static void test_dropout(void) {
    lm_model m;
    if (load("roberta-tiny", 0, &m)) return;
    int32_t vocab[2] = {10, 20};
    lm_output_spec os = {.head = LM_HEAD_MLM, .n_out = 2, .vocab = vocab};
    lm_encoded_split sp;
    make_split(&sp, 3, 2, 5, 0, 2, 4);
    const lm_encoded_example *bp[3] = {&sp.ex[0], &sp.ex[1], &sp.ex[2]};
    lm_error err;

    /* p = 0 and a NULL pointer give the eval forward bit for bit */
    lm_outputs_ws ws = {0};
    int hp[3] = {2, 2, 2};
    for (int i = 0; i < 3; i++) lm_batch_add(&ws.b, &m.cfg, bp[i]->ids, NULL, bp[i]->n_tokens, &err);
    float f0[6], f1[6], f2[6], f3[6];
    lm_outputs_run(&ws, &m, &os, hp, 0, f0, NULL);
    lm_dropout d0 = {.p = 0.0f, .seed = 3};
    ws.a.dropout = &d0;
    lm_outputs_run(&ws, &m, &os, hp, 0, f1, NULL);
    CHECK(memcmp(f0, f1, sizeof f0) == 0);
    /* the same seed, the same masks; another seed, other masks */
    lm_dropout d1 = {.p = 0.1f, .seed = 42}, d2 = {.p = 0.1f, .seed = 43};
    ws.a.dropout = &d1;
    lm_outputs_run(&ws, &m, &os, hp, 0, f1, NULL);
    lm_outputs_run(&ws, &m, &os, hp, 0, f2, NULL);
    CHECK(memcmp(f1, f2, sizeof f1) == 0);
    CHECK(memcmp(f0, f1, sizeof f0) != 0);
    ws.a.dropout = &d2;
    lm_outputs_run(&ws, &m, &os, hp, 0, f3, NULL);
    CHECK(memcmp(f1, f3, sizeof f1) != 0);
    /* keep rate over all masks of a forward */
    size_t kept = 0, total = 0, T = (size_t)ws.b.n_tokens, H = (size_t)m.cfg.hidden;
    for (size_t i = 0; i < T * H; i++) kept += ws.a.emb_keep[i];
    total += T * H;
    for (int l = 0; l < m.cfg.n_layers; l++)
        for (size_t i = 0; i < T * H; i++) {
            kept += ws.a.layers[l].ao_keep[i] + ws.a.layers[l].ffo_keep[i];
            total += 2;
        }
    double rate = (double)kept / total;
    CHECK_MSG(fabs(rate - 0.9) < 0.02, "keep rate %.4f, want 0.9", rate);
    ws.a.dropout = NULL;
    lm_outputs_ws_free(&ws);

    /* the backward through fixed masks: directional derivative of the loss */
    lm_train_config c = {.optimizer = LM_OPT_SGD, .lr = 1e-3, .steps = 1, .dropout = 0.3f, .seed = 9};
    lm_trainer t;
    CHECK_MSG(lm_trainer_init(&t, &m, &os, &c, &err) == 0, "%s", err.msg);
    lm_trainer_grad(&t, bp, 3);
    float *g = lm_xmalloc(m.n_params * sizeof(float)), *dir = lm_xmalloc(m.n_params * sizeof(float));
    memcpy(g, t.grad, m.n_params * sizeof(float));
    lm_rng r;
    lm_rng_seed(&r, 77);
    double dd = 0;
    for (size_t i = 0; i < m.n_params; i++) {
        dir[i] = (float)lm_rng_normal(&r);
        dd += (double)g[i] * dir[i];
    }
    double h = 1e-3, lp, lm_;
    for (size_t i = 0; i < m.n_params; i++) t.m.params[i] = m.params[i] + (float)h * dir[i];
    lp = lm_trainer_grad(&t, bp, 3); /* step 0 again: the same masks */
    for (size_t i = 0; i < m.n_params; i++) t.m.params[i] = m.params[i] - (float)h * dir[i];
    lm_ = lm_trainer_grad(&t, bp, 3);
    double fd = (lp - lm_) / (2 * h);
    CHECK_MSG(fabs(fd - dd) <= 2e-2 * fabs(dd) + 1e-3, "dropout backward: fd %.6g vs grad %.6g", fd, dd);
    fprintf(stderr, "dropout: keep rate %.4f; directional derivative fd %.6g vs backward %.6g\n", rate,
            fd, dd);
    /* no dropout in eval outputs after a training step with dropout */
    memcpy(t.m.params, m.params, m.n_params * sizeof(float));
    lm_trainer_outputs(&t, bp, 3, f1);
    CHECK(memcmp(f0, f1, sizeof f0) == 0);
    free(g);
    free(dir);
    lm_trainer_free(&t);
    free_split(&sp);
    lm_model_free(&m);
}

/* ---- JVP from factors and the LoRA tangent ----------------------------- */

static void outputs_at(const lm_model *m, const lm_output_spec *os, const lm_encoded_split *sp,
                       float *f) {
    lm_outputs_ws ws = {0};
    lm_error err;
    int *hp = lm_xmalloc((size_t)sp->n * sizeof(int));
    for (int i = 0; i < sp->n; i++) {
        lm_batch_add(&ws.b, &m->cfg, sp->ex[i].ids, sp->ex[i].type_ids, sp->ex[i].n_tokens, &err);
        hp[i] = os->head == LM_HEAD_MLM ? sp->ex[i].mask_pos : 0;
    }
    lm_outputs_run(&ws, m, os, hp, 0, f, NULL);
    lm_outputs_ws_free(&ws);
    free(hp);
}

static void test_jvp(const char *name, int n_classes, int binary) {
    lm_model m;
    if (load(name, n_classes, &m)) return;
    int roberta = m.cfg.arch == LM_ARCH_ROBERTA;
    int32_t vocab[2] = {10, 20};
    lm_output_spec os = {.head = n_classes ? LM_HEAD_CLASSIFIER : LM_HEAD_MLM, .n_out = 2,
                         .vocab = n_classes ? NULL : vocab, .binary = binary};
    lm_rng r;
    lm_rng_seed(&r, 5);
    if (n_classes)
        for (int i = 0; i < 2 * m.cfg.hidden; i++) m.w.cls_w[i] = (float)(0.3 * lm_rng_normal(&r));
    lm_encoded_split sp;
    make_split(&sp, 3, 2, 21, roberta ? 0 : 2, roberta ? 2 : 3, roberta ? 4 : 4);
    int R = lm_output_dim(&os), S = sp.n;
    /* tangent on every tensor */
    float *tan = lm_xmalloc(m.n_params * sizeof(float));
    for (size_t i = 0; i < m.n_params; i++) tan[i] = (float)lm_rng_normal(&r);
    lm_outputs_ws ws = {0};
    lm_error err;
    int hp[8];
    for (int i = 0; i < S; i++) {
        lm_batch_add(&ws.b, &m.cfg, sp.ex[i].ids, sp.ex[i].type_ids, sp.ex[i].n_tokens, &err);
        hp[i] = n_classes ? 0 : sp.ex[i].mask_pos;
    }
    float f[16], fp[16], fm[16];
    lm_pass pass;
    lm_outputs_run(&ws, &m, &os, hp, 1, f, &pass);
    double jv[16];
    lm_pass_jvp(&pass, tan, NULL, jv);
    lm_model mp, mm;
    double h = 1e-3;
    lm_model_clone(&m, NULL, &mp);
    lm_model_clone(&m, NULL, &mm);
    for (size_t i = 0; i < m.n_params; i++) {
        mp.params[i] = m.params[i] + (float)(h * tan[i]);
        mm.params[i] = m.params[i] - (float)(h * tan[i]);
    }
    outputs_at(&mp, &os, &sp, fp);
    outputs_at(&mm, &os, &sp, fm);
    double worst = 0;
    for (int i = 0; i < S * R; i++) {
        double fd = (fp[i] - fm[i]) / (2 * h);
        worst = fmax(worst, fabs(fd - jv[i]) / fmax(fabs(jv[i]), 1e-2));
        CHECK_MSG(fabs(fd - jv[i]) <= 2e-2 * fabs(jv[i]) + 2e-3, "%s jvp[%d]: fd %.6g vs %.6g", name, i,
                  fd, jv[i]);
    }
    fprintf(stderr, "%s%s%s: jvp vs central differences, worst rel err %.3g\n", name,
            n_classes ? " classifier" : "", binary ? " binary" : "", worst);
    lm_model_free(&mp);
    lm_model_free(&mm);
    lm_outputs_ws_free(&ws);
    free(tan);
    free_split(&sp);
    lm_model_free(&m);
}

static void test_lora_tangent(void) {
    lm_model m;
    if (load("roberta-tiny", 0, &m)) return;
    lm_lora_config spec = {.r = 3, .alpha = 6, .targets = LM_LORA_QUERY | LM_LORA_VALUE |
                                                         LM_LORA_OUTPUT, .seed = 1};
    lm_lora L;
    lm_error err;
    CHECK_MSG(lm_lora_init(&L, &m, &spec, &err) == 0, "%s", err.msg);
    CHECK(L.n == 3 * m.cfg.n_layers);
    lm_rng r;
    lm_rng_seed(&r, 8);
    /* a nonzero state ab0, and ab1 = ab0 + h * d */
    float *ab0 = lm_xmalloc(L.n_params * sizeof(float)), *ab1 = lm_xmalloc(L.n_params * sizeof(float));
    for (size_t i = 0; i < L.n_params; i++) ab0[i] = (float)(0.2 * lm_rng_normal(&r));
    double h = 1e-3;
    for (size_t i = 0; i < L.n_params; i++) ab1[i] = ab0[i] + (float)(h * lm_rng_normal(&r));
    lm_model m0, m1;
    lm_model_clone(&m, NULL, &m0);
    lm_model_clone(&m, NULL, &m1);
    lm_lora_merge(&L, ab0, &m0);
    lm_lora_merge(&L, ab1, &m1);
    float *tan = lm_xcalloc(m.n_params, sizeof(float));
    lm_lora_tangent(&L, ab0, ab1, tan);
    /* W1 - W0 = tangent + s dB dA: second order in h */
    double worst = 0;
    for (int k = 0; k < L.n; k++) {
        size_t off = L.t[k].w_off, n = (size_t)L.t[k].out * L.t[k].in;
        double mx = 0, e = 0;
        for (size_t j = 0; j < n; j++) {
            double dw = (double)m1.params[off + j] - m0.params[off + j];
            mx = fmax(mx, fabs(dw));
            e = fmax(e, fabs(dw - tan[off + j]));
        }
        worst = fmax(worst, e / mx);
    }
    CHECK_MSG(worst < 1e-2, "LoRA tangent vs merged difference: %.3g", worst);
    /* B = 0 at init: the merge is W0 and dL/dA = 0 */
    lm_model mz;
    lm_model_clone(&m, NULL, &mz);
    lm_lora_merge(&L, NULL, &mz);
    CHECK(memcmp(mz.params, m.params, m.n_params * sizeof(float)) == 0);
    float *G = lm_xmalloc(m.n_params * sizeof(float)), *gab = lm_xmalloc(L.n_params * sizeof(float));
    for (size_t i = 0; i < m.n_params; i++) G[i] = (float)lm_rng_normal(&r);
    lm_lora_grads(&L, NULL, G, gab);
    double amax = 0, bmax = 0;
    for (int k = 0; k < L.n; k++) {
        for (size_t j = 0; j < (size_t)L.r * L.t[k].in; j++) amax = fmax(amax, fabs(gab[L.t[k].a_off + j]));
        for (size_t j = 0; j < (size_t)L.t[k].out * L.r; j++) bmax = fmax(bmax, fabs(gab[L.t[k].b_off + j]));
    }
    CHECK(amax == 0 && bmax > 0);
    CHECK(strstr(L.t[0].name_a, "attention.self.query.lora_A") != NULL);
    fprintf(stderr, "lora: tangent vs W(ab1) - W(ab0) rel %.3g (second order), dL/dA at B=0: %g\n",
            worst, amax);
    free(G);
    free(gab);
    free(tan);
    free(ab0);
    free(ab1);
    lm_model_free(&m0);
    lm_model_free(&m1);
    lm_model_free(&mz);
    lm_lora_free(&L);
    lm_model_free(&m);
}

/* ---- optimizers ---------------------------------------------------------- */

static void test_optim(void) {
    /* schedule (transformers get_linear_schedule_with_warmup) */
    CHECK_CLOSE(lm_lr_factor(0, 0, 10), 1.0, 0, 1e-15);
    CHECK_CLOSE(lm_lr_factor(5, 0, 10), 0.5, 0, 1e-15);
    CHECK_CLOSE(lm_lr_factor(10, 0, 10), 0.0, 0, 1e-15);
    CHECK_CLOSE(lm_lr_factor(11, 0, 10), 0.0, 0, 1e-15);
    CHECK_CLOSE(lm_lr_factor(0, 4, 10), 0.0, 0, 1e-15);
    CHECK_CLOSE(lm_lr_factor(2, 4, 10), 0.5, 0, 1e-15);
    CHECK_CLOSE(lm_lr_factor(4, 4, 10), 1.0, 0, 1e-15);
    CHECK_CLOSE(lm_lr_factor(7, 4, 10), 0.5, 0, 1e-15);
    CHECK(lm_optim_decays("roberta.encoder.layer.0.attention.self.query.weight"));
    CHECK(!lm_optim_decays("roberta.encoder.layer.0.attention.self.query.bias"));
    CHECK(!lm_optim_decays("roberta.embeddings.LayerNorm.weight"));
    CHECK(lm_optim_decays("lm_head.layer_norm.weight")); /* the reference's name rule */
    CHECK(lm_optim_decays("roberta.encoder.layer.0.attention.self.query.lora_A"));

    float p[4] = {1.0f, -2.0f, 0.5f, 3.0f}, g[4], q[4] = {0.3f, 0.0f, 0, 0}, gq[4];
    /* SignGD with clipping (no effect on signs) and coupled decay */
    lm_opt_seg *seg = lm_xcalloc(2, sizeof *seg);
    seg[0] = (lm_opt_seg){.p = p, .g = g, .n = 4, .decay = 1};
    seg[1] = (lm_opt_seg){.p = q, .g = gq, .n = 2, .decay = 0};
    lm_optim o;
    lm_optim_init(&o, LM_OPT_SIGNGD, 0.1, 0.5, 1.0, 0, 2, seg, 2);
    float gv[4] = {3.0f, -4.0f, 0.0f, 1e-9f}, gqv[2] = {-2.0f, 0.0f};
    memcpy(g, gv, sizeof g);
    memcpy(gq, gqv, sizeof(float) * 2);
    double norm = lm_optim_step(&o);
    CHECK_CLOSE(norm, sqrt(9.0 + 16 + 4), 1e-6, 0);
    CHECK_CLOSE(p[0], 1.0 - 0.1 * (1 + 0.5 * 1.0), 1e-6, 0);
    CHECK_CLOSE(p[1], -2.0 - 0.1 * (-1 + 0.5 * -2.0), 1e-6, 0);
    CHECK_CLOSE(p[2], 0.5 - 0.1 * (0 + 0.5 * 0.5), 1e-6, 0);
    CHECK_CLOSE(p[3], 3.0 - 0.1 * (1 + 0.5 * 3.0), 1e-6, 0);
    CHECK_CLOSE(q[0], 0.3 + 0.1, 1e-6, 0);
    CHECK(q[1] == 0.0f);
    CHECK_CLOSE(o.last_lr, 0.1, 1e-12, 0);
    lm_optim_free(&o);

    /* AdamW, 3 steps with clipping and decay, against a float64 transcription */
    double P[3] = {0.5, -1.0, 2.0}, M[3] = {0}, Vv[3] = {0};
    float pf[3] = {0.5f, -1.0f, 2.0f}, gf[3];
    seg = lm_xcalloc(1, sizeof *seg);
    seg[0] = (lm_opt_seg){.p = pf, .g = gf, .n = 3, .decay = 1};
    lm_optim_init(&o, LM_OPT_ADAMW, 0.01, 0.1, 1.0, 1, 4, seg, 1);
    double G[3][3] = {{0.3, -2.0, 0.01}, {0.1, 0.2, -0.3}, {-1.0, 0.5, 0.0}};
    for (int s = 0; s < 3; s++) {
        for (int j = 0; j < 3; j++) gf[j] = (float)G[s][j];
        lm_optim_step(&o);
        double gg[3], n2 = 0;
        for (int j = 0; j < 3; j++) n2 += G[s][j] * G[s][j];
        double c = 1.0 / (sqrt(n2) + 1e-6);
        for (int j = 0; j < 3; j++) gg[j] = c < 1 ? G[s][j] * c : G[s][j];
        double lr = 0.01 * (s < 1 ? s / 1.0 : (4.0 - s) / 3.0);
        int k = s + 1;
        double ss = lr * sqrt(1 - pow(0.999, k)) / (1 - pow(0.9, k));
        for (int j = 0; j < 3; j++) {
            M[j] = 0.9 * M[j] + 0.1 * gg[j];
            Vv[j] = 0.999 * Vv[j] + 0.001 * gg[j] * gg[j];
            P[j] -= ss * M[j] / (sqrt(Vv[j]) + 1e-8);
            P[j] -= lr * 0.1 * P[j];
        }
    }
    for (int j = 0; j < 3; j++) CHECK_CLOSE(pf[j], P[j], 1e-6, 1e-7);
    lm_optim_free(&o);
}

/* ---- logistic regression CV vs exact fits on sklearn's folds ------------ */

static void test_logreg(void) {
    char *path = lm_path_join(g_train_dir, "logreg.json");
    lm_error err;
    char *js = lm_read_file(path, NULL, &err);
    CHECK_MSG(js != NULL, "%s", err.msg);
    free(path);
    if (!js) return;
    cJSON *cases = cJSON_Parse(js);
    for (int ci = 0; ci < cJSON_GetArraySize(cases); ci++) {
        const cJSON *c = cJSON_GetArrayItem(cases, ci);
        int K = cJSON_GetObjectItem(c, "K")->valueint, n = cJSON_GetObjectItem(c, "n")->valueint,
            d = cJSON_GetObjectItem(c, "d")->valueint;
        double *X = lm_xmalloc((size_t)n * d * sizeof(double));
        int *y = lm_xmalloc((size_t)n * sizeof(int));
        for (int i = 0; i < n * d; i++) X[i] = cJSON_GetArrayItem(cJSON_GetObjectItem(c, "X"), i)->valuedouble;
        for (int i = 0; i < n; i++) y[i] = cJSON_GetArrayItem(cJSON_GetObjectItem(c, "y"), i)->valueint;
        lm_logreg_cv cv;
        CHECK_MSG(lm_logreg_cv_fit(X, n, d, y, K, &cv, &err) == 0, "%s", err.msg);
        for (int k = 0; k < LM_LOGREG_NCS; k++) {
            CHECK_CLOSE(cv.cs[k], cJSON_GetArrayItem(cJSON_GetObjectItem(c, "Cs"), k)->valuedouble, 1e-12, 0);
            CHECK_CLOSE(cv.scores[k], cJSON_GetArrayItem(cJSON_GetObjectItem(c, "scores"), k)->valuedouble,
                        1e-9, 1e-9);
        }
        CHECK_CLOSE(cv.C, cJSON_GetObjectItem(c, "C")->valuedouble, 1e-12, 0);
        /* coefficients: the exact optimum at the chosen C (all K rows; for
         * K = 2 sklearn's coef_ is the class-1 row) */
        const cJSON *we = cJSON_GetObjectItem(c, "W"), *be = cJSON_GetObjectItem(c, "b");
        double mx = 0, e = 0;
        for (int j = 0; j < K * d; j++) {
            double want = cJSON_GetArrayItem(we, j)->valuedouble;
            mx = fmax(mx, fabs(want));
            e = fmax(e, fabs(cv.W[j] - want));
        }
        for (int k = 0; k < K; k++) {
            double want = cJSON_GetArrayItem(be, k)->valuedouble;
            mx = fmax(mx, fabs(want));
            e = fmax(e, fabs(cv.b[k] - want));
        }
        CHECK_MSG(e <= 1e-8 * mx, "logreg K=%d: coefficients differ by %.3g (max %.3g)", K, e, mx);
        if (K == 2) CHECK_CLOSE(cv.W[0], -cv.W[d], 1e-9, 1e-12); /* symmetric two-class fit */
        fprintf(stderr, "logreg K=%d n=%d d=%d: C=%g (sklearn 1.2's lbfgs: %g), coefficients max abs "
                "err %.3g (of %.3g)\n", K, n, d, cv.C, cJSON_GetObjectItem(c, "sklearn_C")->valuedouble,
                e, mx);
        lm_logreg_cv_free(&cv);
        free(X);
        free(y);
    }
    cJSON_Delete(cases);
    free(js);
}

/* ---- the loop ------------------------------------------------------------ */

static int g_calls;
static int cancel_at_5(void *ctx, double frac, const char *stage) {
    (void)ctx;
    (void)frac;
    (void)stage;
    return ++g_calls >= 5;
}

static void test_finetune(void) {
    lm_model m;
    if (load("roberta-tiny", 0, &m)) return;
    int32_t vocab[2] = {10, 20};
    lm_output_spec os = {.head = LM_HEAD_MLM, .n_out = 2, .vocab = vocab};
    lm_encoded_split tr, dv, te;
    make_split(&tr, 10, 2, 1, 0, 2, 4);
    make_split(&dv, 6, 2, 2, 0, 2, 4);
    make_split(&te, 8, 2, 3, 0, 2, 4);
    lm_finetune_config ft = {.optimizer = LM_OPT_ADAMW, .steps = 12, .eval_every = 5,
                           .max_grad_norm = 1.0, .weight_decay = 0.01};
    lm_error err;
    lm_finetune_result a, b;
    CHECK_MSG(lm_finetune(&m, &os, &ft, 1e-3, 4, 7, &tr, &dv, &te, "acc", NULL, NULL, &a, &err) == 0,
              "%s", err.msg);
    CHECK_MSG(lm_finetune(&m, &os, &ft, 1e-3, 4, 7, &tr, &dv, &te, "acc", NULL, NULL, &b, &err) == 0,
              "%s", err.msg);
    CHECK(a.n_steps == 12 && a.n_evals == 3);
    CHECK(a.eval_step[0] == 5 && a.eval_step[1] == 10 && a.eval_step[2] == 12);
    CHECK(memcmp(a.best_params, b.best_params, m.n_params * sizeof(float)) == 0);
    CHECK(memcmp(a.loss, b.loss, 12 * sizeof(float)) == 0);
    int first_best = 0;
    for (int i = 1; i < a.n_evals; i++)
        if (a.dev_metric[i] > a.dev_metric[first_best]) first_best = i;
    CHECK(a.best_step == a.eval_step[first_best]);
    CHECK_CLOSE(a.best_dev, a.dev_metric[first_best], 0, 1e-12);
    CHECK(a.loss[0] > 0 && a.lr[0] > a.lr[11] && a.lr[11] > 0);
    CHECK_CLOSE(a.lr[11], 1e-3 * (12 - 11) / 12.0, 1e-6, 0);
    /* the reported test predictions are the argmax of the test logits */
    int pred[8], hit = 0;
    lm_logits_argmax(a.test_logits, 8, 2, pred);
    for (int i = 0; i < 8; i++) {
        CHECK(pred[i] == a.test_pred[i]);
        hit += pred[i] == te.ex[i].label;
    }
    CHECK_CLOSE(a.test_metric, hit / 8.0, 0, 1e-12);
    /* full FT: the tangent is θ_FT - θ0 */
    double e = 0;
    for (size_t i = 0; i < m.n_params; i++)
        e = fmax(e, fabs(a.tangent[i] - (a.best_params[i] - m.params[i])));
    CHECK(e == 0);
    /* a different seed, a different data order */
    CHECK_MSG(lm_finetune(&m, &os, &ft, 1e-3, 4, 8, &tr, &dv, &te, "acc", NULL, NULL, &b, &err) == 0,
              "%s", err.msg);
    CHECK(memcmp(a.loss, b.loss, 12 * sizeof(float)) != 0);
    lm_finetune_result_free(&b);
    fprintf(stderr, "finetune: loss %.4f -> %.4f, dev %.3f at step %d, test %.3f, %.2f s\n", a.loss[0],
            a.loss[11], a.best_dev, a.best_step, a.test_metric, a.seconds);

    /* per-epoch evaluation: 10 examples at batch 4 = 3 steps an epoch; 12
     * steps = 4 full epochs */
    lm_finetune_options opt = {.eval_per_epoch = 1, .test_curve = 1};
    CHECK(lm_finetune(&m, &os, &ft, 1e-3, 4, 7, &tr, &dv, &te, "acc", &opt, NULL, &b, &err) == 0);
    CHECK(b.n_evals == 4 && b.eval_step[0] == 3 && b.eval_step[3] == 12);
    CHECK(!isnan(b.test_metric_curve[0]));
    lm_finetune_result_free(&b);
    ft.steps = 11; /* the last epoch is partial: not evaluated, as the reference */
    CHECK(lm_finetune(&m, &os, &ft, 1e-3, 4, 7, &tr, &dv, &te, "acc", &opt, NULL, &b, &err) == 0);
    CHECK(b.n_evals == 3 && b.n_steps == 11);
    lm_finetune_result_free(&b);
    ft.steps = 12;

    /* cancellation */
    lm_train_hooks hk = {.progress = cancel_at_5};
    g_calls = 0;
    CHECK(lm_finetune(&m, &os, &ft, 1e-3, 4, 7, &tr, &dv, &te, "acc", NULL, &hk, &b, &err) != 0);
    CHECK(strstr(err.msg, "cancelled") != NULL);
    CHECK(b.best_params == NULL);

    /* a bad example is named */
    tr.ex[3].label = 5;
    CHECK(lm_finetune(&m, &os, &ft, 1e-3, 4, 7, &tr, &dv, &te, "acc", NULL, NULL, &b, &err) != 0);
    CHECK(strstr(err.msg, "train example 3") != NULL);
    tr.ex[3].label = 1;

    /* the linearized model and LoRA through the loop */
    lm_finetune_config fl = ft;
    fl.optimizer = LM_OPT_SGD;
    fl.linearized = 1;
    fl.steps = 8;
    CHECK_MSG(lm_finetune(&m, &os, &fl, 0.5, 4, 7, &tr, &dv, &te, "acc", NULL, NULL, &b, &err) == 0,
              "%s", err.msg);
    CHECK(b.mode == LM_TRAIN_LINEARIZED && b.n_steps == 8);
    lm_finetune_result_free(&b);
    fl = ft;
    fl.params = LM_PS_LORA;
    fl.lora = (lm_lora_config){.r = 2, .alpha = 4, .targets = LM_LORA_QUERY | LM_LORA_VALUE};
    CHECK_MSG(lm_finetune(&m, &os, &fl, 1e-2, 4, 7, &tr, &dv, &te, "acc", NULL, NULL, &b, &err) == 0,
              "%s", err.msg);
    CHECK(b.mode == LM_TRAIN_LORA && b.lora.n == 2 * m.cfg.n_layers && b.lora0 != NULL);
    /* frozen tensors stay at θ0 (the key weights are no target) */
    const lm_param_tensor *kw = &m.tensors[7];
    CHECK(kw->role == LM_R_K_W);
    CHECK(memcmp(b.best_params + kw->offset, m.params + kw->offset, (size_t)kw->rows * kw->cols * 4) == 0);
    CHECK(memcmp(b.best_params, m.params, (size_t)m.tensors[0].rows * m.tensors[0].cols * 4) == 0);
    lm_finetune_result_free(&b);

    /* every mode lowers the loss of a fixed batch over a few small steps */
    const lm_encoded_example *all[10];
    for (int i = 0; i < 10; i++) all[i] = &tr.ex[i];
    const char *names[] = {"full AdamW", "full SGD", "SignGD", "LoRA", "linearized", "linearized LoRA"};
    for (int k = 0; k < 6; k++) {
        lm_train_config c = {.optimizer = k == 0 || k == 3 || k == 5 ? LM_OPT_ADAMW
                                          : k == 2                  ? LM_OPT_SIGNGD
                                                                    : LM_OPT_SGD,
                             .lr = k == 2 ? 1e-3 : k == 0 || k == 3 || k == 5 ? 1e-2 : 0.2,
                             .steps = 1000, .max_grad_norm = 1.0, .linearized = k >= 4};
        if (k == 3 || k == 5) {
            c.params = LM_PS_LORA;
            c.lora = (lm_lora_config){.r = 2, .alpha = 4, .targets = LM_LORA_QUERY | LM_LORA_VALUE};
        }
        lm_trainer t;
        CHECK_MSG(lm_trainer_init(&t, &m, &os, &c, &err) == 0, "%s", err.msg);
        double l0 = lm_trainer_step(&t, all, 10), l = l0;
        for (int s = 0; s < 5; s++) l = lm_trainer_step(&t, all, 10);
        CHECK_MSG(l < l0, "%s: loss %.5f -> %.5f", names[k], l0, l);
        fprintf(stderr, "%s: loss of a fixed batch %.4f -> %.4f in 5 steps\n", names[k], l0, l);
        lm_trainer_free(&t);
    }

    lm_finetune_result_free(&a);
    free_split(&tr);
    free_split(&dv);
    free_split(&te);
    lm_model_free(&m);
}

static void test_head_init(void) {
    lm_model m;
    if (load("roberta-tiny", 2, &m)) return;
    lm_output_spec os = {.head = LM_HEAD_CLASSIFIER, .n_out = 2};
    lm_encoded_split tr;
    make_split(&tr, 20, 2, 4, 0, 2, 4);
    lm_error err;
    lm_logreg_cv cv;
    CHECK_MSG(lm_linear_head_init(&m, &os, &tr, 3, &cv, &err) == 0, "%s", err.msg);
    int H = m.cfg.hidden;
    /* [-w/2; w/2] with w sklearn's row (our class-1 row) */
    double e = 0;
    for (int j = 0; j < H; j++) {
        e = fmax(e, fabs(m.w.cls_w[H + j] - cv.W[H + j] / 2));
        e = fmax(e, fabs(m.w.cls_w[j] + cv.W[H + j] / 2));
    }
    CHECK(e < 1e-6);
    CHECK_CLOSE(m.w.cls_b[1], cv.b[1] / 2, 1e-6, 1e-9);
    CHECK_CLOSE(m.w.cls_b[0], -cv.b[1] / 2, 1e-6, 1e-9);
    /* the probe fits the training set it saw */
    float f[40];
    outputs_at(&m, &os, &tr, f);
    int pred[20], hit = 0;
    lm_logits_argmax(f, 20, 2, pred);
    for (int i = 0; i < 20; i++) hit += pred[i] == tr.ex[i].label;
    fprintf(stderr, "head init: C=%g, train accuracy %.2f\n", cv.C, hit / 20.0);
    CHECK(hit >= 14);
    lm_logreg_cv_free(&cv);

    /* prompt mode: the label words' decoder rows and biases, nothing else */
    lm_model m2;
    if (load("roberta-tiny", 0, &m2) == 0) {
        lm_model before;
        lm_model_clone(&m2, NULL, &before);
        int32_t vocab[2] = {10, 20};
        lm_output_spec om = {.head = LM_HEAD_MLM, .n_out = 2, .vocab = vocab};
        CHECK_MSG(lm_linear_head_init(&m2, &om, &tr, 3, &cv, &err) == 0, "%s", err.msg);
        for (int j = 0; j < H; j++) {
            CHECK_CLOSE(m2.w.decoder_w[(size_t)20 * H + j], cv.W[H + j] / 2, 1e-6, 1e-9);
            CHECK_CLOSE(m2.w.decoder_w[(size_t)10 * H + j], -cv.W[H + j] / 2, 1e-6, 1e-9);
        }
        size_t changed = 0;
        for (size_t i = 0; i < m2.n_params; i++) changed += m2.params[i] != before.params[i];
        CHECK(changed <= (size_t)2 * H + 2);
        lm_logreg_cv_free(&cv);
        lm_model_free(&before);
        lm_model_free(&m2);
    }
    free_split(&tr);
    lm_model_free(&m);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: test_train MODEL_FIXTURES TRAIN_FIXTURES\n");
        return 2;
    }
    g_model_dir = argv[1];
    g_train_dir = argv[2];
    test_summed_gradient("roberta-tiny", 4);
    test_summed_gradient("bert-tiny", 4);
    test_dropout();
    test_jvp("roberta-tiny", 0, 0);
    test_jvp("roberta-tiny", 0, 1);
    test_jvp("bert-tiny", 0, 0);
    test_jvp("roberta-tiny", 2, 0);
    test_lora_tangent();
    test_optim();
    test_logreg();
    test_finetune();
    test_head_init();
    return check_exit("test_train");
}
