/* metrics.c - predicted labels and task metrics (spec §5.5).
 *
 * The reference reshapes predictions to [M, C] and takes numpy's argmax
 * (first maximum); in binary mode it scores [-p, p], so class 1 iff p > 0.
 * GLUE tasks use transformers' glue_compute_metrics (acc; mnli/acc; acc and
 * f1 for mrpc/qqp), the others simple accuracy (processors.py:521-608). */
#include <math.h>
#include <string.h>
#include "solve/solve.h"

void lm_predict_labels(const double *dec, int m, int c, int *pred) {
    /* dec: [m, c]; pred: [m]. */
    for (int i = 0; i < m; i++) {
        const double *row = dec + (size_t)i * c;
        if (c == 1) {
            pred[i] = row[0] > 0; /* argmax([-p, p]): a tie (p = 0) is class 0 */
            continue;
        }
        /* numpy argmax: a NaN wins (first NaN); else the first maximum. */
        int best = 0;
        for (int j = 1; j < c && !isnan(row[best]); j++)
            if (isnan(row[j]) || row[j] > row[best]) best = j;
        pred[i] = best;
    }
}

double lm_accuracy(const int *pred, const int *label, int n) {
    if (n <= 0) return NAN;
    int ok = 0;
    for (int i = 0; i < n; i++) ok += pred[i] == label[i];
    return (double)ok / n;
}

double lm_f1_binary(const int *pred, const int *label, int n) {
    /* sklearn 1.2: precision and recall (0 where undefined), then
     * f = 2 p r / (p + r) with a zero denominator read as 1. */
    int tp = 0, fp = 0, fn = 0;
    for (int i = 0; i < n; i++) {
        tp += pred[i] == 1 && label[i] == 1;
        fp += pred[i] == 1 && label[i] != 1;
        fn += pred[i] != 1 && label[i] == 1;
    }
    double prec = tp + fp > 0 ? (double)tp / (tp + fp) : 0.0;
    double rec = tp + fn > 0 ? (double)tp / (tp + fn) : 0.0;
    double den = prec + rec;
    if (den == 0) den = 1;
    return 2.0 * prec * rec / den;
}

const char *lm_task_metric(const char *task) {
    static const char *acc_tasks[] = {
        "sst-2", "sst-5", "mr", "cr", "mpqa", "subj", "trec", "ag_news",
        "snli", "qnli", "rte", "wnli", "yahoo_answers", "yelp_review_full"};
    if (!task) return NULL;
    if (!strcmp(task, "mrpc") || !strcmp(task, "qqp")) return "f1";
    if (!strcmp(task, "mnli")) return "mnli/acc";
    if (!strcmp(task, "mnli-mm")) return "mnli-mm/acc";
    for (size_t i = 0; i < sizeof(acc_tasks) / sizeof(*acc_tasks); i++)
        if (!strcmp(task, acc_tasks[i])) return "acc";
    return NULL;
}

int lm_metric(const char *metric, const int *pred, const int *label, int n,
              double *out, lm_error *err) {
    if (n <= 0) return lm_fail(err, "metric '%s' over %d predictions", metric ? metric : "", n);
    if (!metric) return lm_fail(err, "no metric name");
    if (!strcmp(metric, "acc") || !strcmp(metric, "mnli/acc") || !strcmp(metric, "mnli-mm/acc")) {
        *out = lm_accuracy(pred, label, n);
        return 0;
    }
    if (!strcmp(metric, "f1")) {
        *out = lm_f1_binary(pred, label, n);
        return 0;
    }
    return lm_fail(err, "unknown metric '%s' (expected acc, f1, mnli/acc or mnli-mm/acc)", metric);
}
