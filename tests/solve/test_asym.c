/* test_asym.c - the asymmetric LS-SVM (spec §5.4 "asym") against the
 * formula in numpy/torch (gelsy), on an A-SignGD-style kernel stack:
 *   - lambda 0.5, gamma 1, no ridge, no f0;
 *   - lambda 0.3, gamma 2, ridge 0.01, f0 / 10;
 *   decision values within 1e-6 relative, rank of the 2N x 2N system;
 *   - the flipped kernel is required. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "solve_fx.h"

static const char *dir;

static double run_case(const char *ref, double alam, double gamma, double lambda, double s) {
    fx_problem fp;
    CHECK(fx_problem_load(&fp, dir, "asym") == 0);
    fx_use_f0(&fp, s > 0);
    lm_solver_params sp;
    lm_solver_params_init(&sp);
    sp.kind = LM_SOLVER_ASYM;
    sp.asym_lambda = alam;
    sp.gamma = gamma;
    sp.lambda = lambda;
    sp.f0_scaling = s;
    lm_solve_result res;
    lm_error err;
    double worst = 0;
    int rc = lm_solve(&fp.p, &sp, &res, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    if (rc) { fx_problem_free(&fp); return 1; }
    static const char *sets[2] = {"dev", "test"};
    for (int e = 0; e < 2; e++) {
        char nm[64];
        snprintf(nm, sizeof(nm), "%s_%s", ref, sets[e]);
        double *r = lmfx_d(&fp.fx, nm, NULL);
        double w = fx_compare(nm, res.eval[e].dec, r, (size_t)fp.m[e] * fp.c, 1e-6);
        if (w > worst) worst = w;
        int *rp = fx_ref_pred(r, fp.m[e], fp.c), diff = 0;
        for (int i = 0; i < fp.m[e]; i++) diff += rp[i] != res.eval[e].pred[i];
        CHECK_MSG(diff == 0, "%s: %d labels differ", nm, diff);
        free(rp);
        free(r);
    }
    char nm[64];
    snprintf(nm, sizeof(nm), "%s_rank", ref);
    CHECK_MSG(res.rank == lmfx_int(&fp.fx, nm), "rank %d vs %d", res.rank, lmfx_int(&fp.fx, nm));
    printf("  %-5s lambda %.1f gamma %.1f: rank %d of %d, max rel error %.3g\n", ref, alam,
           gamma, res.rank, 2 * fp.n, worst);
    lm_solve_result_free(&res);
    fx_problem_free(&fp);
    return worst;
}

static void test_missing_flip(void) {
    fx_problem fp;
    CHECK(fx_problem_load(&fp, dir, "bin") == 0);
    lm_solver_params sp;
    lm_solver_params_init(&sp);
    sp.kind = LM_SOLVER_ASYM;
    lm_solve_result res;
    lm_error err;
    CHECK(lm_solve(&fp.p, &sp, &res, &err) == -1);
    CHECK_MSG(strstr(err.msg, "k_flip") != NULL, "%s", err.msg);
    /* lambda defaults to 0.5 and gamma to 1 */
    CHECK(sp.asym_lambda == 0.5 && sp.gamma == 1.0);
    sp.gamma = 0;
    fp.ev[0].k_flip = fp.k[0];
    fp.ev[1].k_flip = fp.k[1];
    CHECK(lm_solve(&fp.p, &sp, &res, &err) == -1);
    CHECK_MSG(strstr(err.msg, "gamma") != NULL, "%s", err.msg);
    /* With a symmetric kernel as its own flip, gamma 1, lambda 0.5: runs. */
    sp.gamma = 1;
    CHECK(lm_solve(&fp.p, &sp, &res, &err) == 0);
    lm_solve_result_free(&res);
    fx_problem_free(&fp);
}

int main(int argc, char **argv) {
    dir = argc > 1 ? argv[1] : "tests/fixtures/solve";
    double w1 = run_case("asym", 0.5, 1.0, 0.0, 0.0);
    double w2 = run_case("asymr", 0.3, 2.0, 0.01, 10.0);
    printf("asym: max rel error %.3g (plain), %.3g (ridge + f0)\n", w1, w2);
    test_missing_flip();
    return check_exit("test_asym");
}
