/* test_lstsq.c - lstsq and ridge + f0 against torch.linalg.lstsq (gelsy),
 * rank reporting, singular systems, and the rejection of bad inputs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "solve_fx.h"

static const char *dir;

/* Solves problem `name` and compares both eval sets with ref_{dev,test}. */
static void run_case(const char *name, const char *ref, double lambda, double s,
                     double *worst) {
    fx_problem fp;
    CHECK(fx_problem_load(&fp, dir, name) == 0);
    fx_use_f0(&fp, s > 0);
    lm_solver_params sp;
    lm_solver_params_init(&sp);
    sp.kind = LM_SOLVER_LSTSQ;
    sp.lambda = lambda;
    sp.f0_scaling = s;
    lm_solve_result res;
    lm_error err;
    int rc = lm_solve(&fp.p, &sp, &res, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    if (rc) { fx_problem_free(&fp); return; }
    static const char *sets[2] = {"dev", "test"};
    for (int e = 0; e < 2; e++) {
        char nm[64], what[96];
        snprintf(nm, sizeof(nm), "%s_%s", ref, sets[e]);
        snprintf(what, sizeof(what), "%s %s", name, nm);
        size_t cnt;
        double *r = lmfx_d(&fp.fx, nm, &cnt);
        CHECK(cnt == (size_t)fp.m[e] * fp.c);
        double w = fx_compare(what, res.eval[e].dec, r, cnt, 1e-6);
        if (w > *worst) *worst = w;
        int *rp = fx_ref_pred(r, fp.m[e], fp.c);
        int diff = 0;
        for (int i = 0; i < fp.m[e]; i++) diff += rp[i] != res.eval[e].pred[i];
        CHECK_MSG(diff == 0, "%s: %d predicted labels differ", what, diff);
        free(rp);
        free(r);
    }
    char nm[64];
    snprintf(nm, sizeof(nm), "%s_rank", ref);
    CHECK_MSG(res.rank == lmfx_int(&fp.fx, nm), "%s %s: rank %d vs %d", name, ref,
              res.rank, lmfx_int(&fp.fx, nm));
    if (lambda != 0) {
        snprintf(nm, sizeof(nm), "%s_sigma", ref);
        CHECK_CLOSE(res.sigma_max, lmfx_double(&fp.fx, nm), 1e-12, 0);
    }
    printf("  %-5s %-6s rank %3d (N*C = %d)\n", name, ref, res.rank, fp.n * fp.c);
    lm_solve_result_free(&res);
    fx_problem_free(&fp);
}

/* A 4x4 kernel of rank 1 (all ones) in binary mode: gelsy reports rank 1
 * and the minimum-norm solution alpha = (sum y / 16) * 1. */
static void test_rank_one(void) {
    double k[16], kte[4];
    int labels[4] = {1, 0, 1, 1};
    for (int i = 0; i < 16; i++) k[i] = 1.0;
    for (int i = 0; i < 4; i++) kte[i] = 1.0;
    lm_eval_kernel ev = {.m = 1, .k = kte};
    lm_kernel_problem p = {.n = 4, .c = 1, .k_train = k, .labels = labels, .n_eval = 1, .eval = &ev};
    lm_solver_params sp;
    lm_solver_params_init(&sp);
    sp.kind = LM_SOLVER_LSTSQ;
    lm_solve_result res;
    lm_error err;
    CHECK(lm_solve(&p, &sp, &res, &err) == 0);
    CHECK(res.rank == 1);
    /* y = (+1, -1, +1, +1): alpha_i = 2/16, prediction = 4 * 2/16 = 0.5 */
    CHECK_CLOSE(res.eval[0].dec[0], 0.5, 1e-12, 1e-15);
    CHECK(res.eval[0].pred[0] == 1);
    lm_solve_result_free(&res);
    /* The zero kernel: rank 0, prediction 0, class 0 (a tie goes to 0). */
    for (int i = 0; i < 16; i++) k[i] = 0.0;
    CHECK(lm_solve(&p, &sp, &res, &err) == 0);
    CHECK(res.rank == 0);
    CHECK(res.eval[0].dec[0] == 0.0 && res.eval[0].pred[0] == 0);
    lm_solve_result_free(&res);
}

/* NaN/Inf and malformed inputs fail with a message naming input and index. */
static void test_rejection(void) {
    fx_problem fp;
    CHECK(fx_problem_load(&fp, dir, "mc3") == 0);
    lm_solver_params sp;
    lm_solver_params_init(&sp);
    sp.kind = LM_SOLVER_LSTSQ;
    lm_solve_result res;
    lm_error err;
    int n = fp.n, c = fp.c;
    /* k_train[2, 1, 5, 0] */
    size_t at = (((size_t)2 * c + 1) * n + 5) * c + 0;
    double keep = fp.k_train[at];
    fp.k_train[at] = NAN;
    CHECK(lm_solve(&fp.p, &sp, &res, &err) == -1);
    CHECK_MSG(strstr(err.msg, "k_train[2, 1, 5, 0] is NaN") != NULL, "%s", err.msg);
    CHECK(res.eval == NULL);
    fp.k_train[at] = keep;
    /* eval[1].k[0, 2, 3, 1] = -Inf */
    at = (((size_t)0 * c + 2) * fp.m[1] + 3) * c + 1;
    keep = fp.k[1][at];
    fp.k[1][at] = -INFINITY;
    CHECK(lm_solve(&fp.p, &sp, &res, &err) == -1);
    CHECK_MSG(strstr(err.msg, "eval[1].k[0, 2, 3, 1] is -Inf") != NULL, "%s", err.msg);
    fp.k[1][at] = keep;
    /* f0: NaN in eval f0, a missing eval f0, f0 with svc */
    fx_use_f0(&fp, 1);
    sp.f0_scaling = 10;
    fp.f0[0][4] = NAN;
    CHECK(lm_solve(&fp.p, &sp, &res, &err) == -1);
    CHECK_MSG(strstr(err.msg, "eval[0].f0[1, 1] is NaN") != NULL, "%s", err.msg);
    fp.f0_train[7] = INFINITY;
    CHECK(lm_solve(&fp.p, &sp, &res, &err) == -1);
    CHECK_MSG(strstr(err.msg, "f0_train[2, 1] is +Inf") != NULL, "%s", err.msg);
    fp.f0_train[7] = 0;
    fp.f0[0][4] = 0;
    fp.ev[1].f0 = NULL;
    CHECK(lm_solve(&fp.p, &sp, &res, &err) == -1);
    CHECK_MSG(strstr(err.msg, "eval set 1 has no f0") != NULL, "%s", err.msg);
    sp.kind = LM_SOLVER_SVC;
    CHECK(lm_solve(&fp.p, &sp, &res, &err) == -1);
    CHECK_MSG(strstr(err.msg, "svc") != NULL, "%s", err.msg);
    sp.f0_scaling = 0;  /* s <= 0 disables the adjustment: accepted */
    CHECK(lm_solve(&fp.p, &sp, &res, &err) == 0);
    lm_solve_result_free(&res);
    fx_use_f0(&fp, 0);
    sp.kind = LM_SOLVER_LSTSQ;
    /* labels out of range; lambda negative; unknown solver name */
    fp.labels[3] = 3;
    CHECK(lm_solve(&fp.p, &sp, &res, &err) == -1);
    CHECK_MSG(strstr(err.msg, "labels[3] = 3") != NULL, "%s", err.msg);
    fp.labels[3] = 0;
    sp.lambda = -1;
    CHECK(lm_solve(&fp.p, &sp, &res, &err) == -1);
    sp.lambda = NAN;
    CHECK(lm_solve(&fp.p, &sp, &res, &err) == -1);
    lm_solver_kind kind;
    CHECK(lm_solver_from_name("ridge", &kind, &err) == -1);
    CHECK(strstr(err.msg, "ridge") != NULL);
    CHECK(lm_solver_from_name("asym", &kind, &err) == 0 && kind == LM_SOLVER_ASYM);
    CHECK(strcmp(lm_solver_name(LM_SOLVER_SVR), "svr") == 0);
    fx_problem_free(&fp);
}

int main(int argc, char **argv) {
    dir = argc > 1 ? argv[1] : "tests/fixtures/solve";
    double worst_plain = 0, worst_ridge = 0;
    const char *names[] = {"bin", "mc3", "sing", "asym"};
    for (int i = 0; i < 4; i++) {
        run_case(names[i], "lstsq", 0.0, 0.0, &worst_plain);
        run_case(names[i], "ridge", 0.01, 10.0, &worst_ridge);
    }
    printf("lstsq: max rel error %.3g (plain), %.3g (ridge 0.01 + f0/10)\n",
           worst_plain, worst_ridge);
    test_rank_one();
    test_rejection();
    return check_exit("test_lstsq");
}
