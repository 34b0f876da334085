/* dataset_csv.c - the headerless csv files of sst-5 mr cr mpqa subj trec
 * and ag_news, as LM-BFF reads them: pd.read_csv(header=None).values, label
 * in column 0 (an integer), text in column 1 (ag_news: column 2, the
 * description only).  pandas reads an empty field, and the strings of its
 * default na_values ("NA", "null", "nan", ...), as NaN, and the reference
 * turns a NaN text into ''. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "prompt/dataset_read.h"
#include "prompt/rows.h"

/* pandas 1.x STR_NA_VALUES (keep_default_na=True). */
static const char *const na_values[] = {
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
    "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "n/a", "nan", "null",
};

static int is_na(const char *s) {
    for (size_t i = 0; i < sizeof na_values / sizeof na_values[0]; i++)
        if (strcmp(s, na_values[i]) == 0) return 1;
    return 0;
}

/* The label as pandas types it: an integer (1 and 1.0 alike) printed in
 * decimal into buf; 0 if it is not a number with an integer value. */
static int int_label(const char *s, char *buf, size_t size) {
    if (s[strspn(s, " \t+-.0123456789eE")] != '\0') return 0; /* no hex, inf, nan */
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    while (*end == ' ' || *end == '\t') end++;
    if (end == s || *end || errno || !isfinite(v) || v != floor(v) || fabs(v) > 1e15) return 0;
    snprintf(buf, size, "%lld", (long long)v);
    return 1;
}

int lm_read_lmbff_csv(const lm_task *t, const char *path, lm_dataset *out, lm_error *err) {
    lm_rows r;
    if (lm_rows_read_csv(path, &r, err) < 0) return -1;
    out->n_sentences = 1;
    char num[32], labels[512];
    for (int i = 0; i < r.n; i++) {
        int w = lm_rows_width(&r, i), line = r.line[i];
        if (t->col_a >= w || t->col_label >= w) {
            lm_fail(err, "%s: line %d: the file has %d column%s, but task %s reads the "
                    "label from field %d and the text from field %d", path, line, w,
                    w == 1 ? "" : "s", t->name, t->col_label + 1, t->col_a + 1);
            goto fail;
        }
        const char *label = lm_rows_get(&r, i, t->col_label);
        int li = int_label(label, num, sizeof num) ? lm_task_label_index(t, num) : -1;
        if (li < 0) {
            lm_task_labels_str(t, labels, sizeof labels);
            lm_fail(err, "%s: line %d, field %d (label): unknown label '%s' (task %s "
                    "labels: %s)", path, line, t->col_label + 1, label, t->name, labels);
            goto fail;
        }
        const char *text = lm_rows_get(&r, i, t->col_a);
        lm_dataset_add(out, is_na(text) ? "" : text, NULL, li, line);
    }
    lm_rows_free(&r);
    return 0;
fail:
    lm_rows_free(&r);
    return -1;
}
