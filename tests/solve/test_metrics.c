/* test_metrics.c - prediction rule, accuracy, binary F1 (sklearn 1.2
 * f1_score values) and the task -> metric map (spec §5.5). */
#include <stdio.h>
#include <string.h>
#include "../check.h"
#include "solve/solve.h"

static void test_predict(void) {
    /* binary mode: class 1 iff p > 0; p = 0 is class 0 */
    double p[5] = {0.3, -0.2, 0.0, -0.0, INFINITY};
    int pred[5];
    lm_predict_labels(p, 5, 1, pred);
    CHECK(pred[0] == 1 && pred[1] == 0 && pred[2] == 0 && pred[3] == 0 && pred[4] == 1);
    /* argmax over classes, first max on ties (also +inf ties) */
    double d[4 * 3] = {1, 3, 2,   5, 5, 1,   -1, -2, -1,   INFINITY, INFINITY, 0};
    int q[4];
    lm_predict_labels(d, 4, 3, q);
    CHECK(q[0] == 1 && q[1] == 0 && q[2] == 0 && q[3] == 0);
}

static void test_acc_f1(void) {
    int y[8] = {1, 0, 1, 1, 0, 0, 1, 0};
    int p[8] = {1, 1, 0, 1, 0, 0, 1, 1};
    CHECK(lm_accuracy(p, y, 8) == 5.0 / 8);
    /* sklearn.metrics.f1_score(y, p) = 0.6666666666666665 (tp 3, fp 2, fn 1) */
    CHECK(lm_f1_binary(p, y, 8) == 0.6666666666666665);
    /* no positive prediction and no positive label: 0 (sklearn warns) */
    int z[4] = {0, 0, 0, 0};
    CHECK(lm_f1_binary(z, z, 4) == 0.0);
    /* all wrong: 0 */
    int a[2] = {1, 0}, b[2] = {0, 1};
    CHECK(lm_f1_binary(a, b, 2) == 0.0);
    double v;
    lm_error err;
    CHECK(lm_metric("f1", p, y, 8, &v, &err) == 0 && fabs(v - 2.0 / 3) < 1e-15);
    CHECK(lm_metric("mnli/acc", p, y, 8, &v, &err) == 0 && v == 5.0 / 8);
    CHECK(lm_metric("mcc", p, y, 8, &v, &err) == -1);
    CHECK(strstr(err.msg, "mcc") != NULL);
}

static void test_task_metric(void) {
    CHECK(!strcmp(lm_task_metric("mrpc"), "f1"));
    CHECK(!strcmp(lm_task_metric("qqp"), "f1"));
    CHECK(!strcmp(lm_task_metric("mnli"), "mnli/acc"));
    CHECK(!strcmp(lm_task_metric("mnli-mm"), "mnli-mm/acc"));
    const char *acc[] = {"sst-2", "sst-5", "mr", "cr", "mpqa", "subj", "trec",
                         "ag_news", "snli", "qnli", "rte"};
    for (size_t i = 0; i < sizeof(acc) / sizeof(*acc); i++)
        CHECK_MSG(lm_task_metric(acc[i]) && !strcmp(lm_task_metric(acc[i]), "acc"), "%s", acc[i]);
    CHECK(lm_task_metric("cola") == NULL);
    CHECK(lm_task_metric("sts-b") == NULL);
    CHECK(lm_task_metric(NULL) == NULL);
}

int main(void) {
    test_predict();
    test_acc_f1();
    test_task_metric();
    return check_exit("test_metrics");
}
