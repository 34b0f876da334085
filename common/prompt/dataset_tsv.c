/* dataset_tsv.c - the GLUE-style tsv files of SST-2 and the pair tasks, as
 * LM-BFF's processors read them: the first line is a header and is skipped
 * whatever it holds; text and label are taken by column index (the label of
 * MNLI SNLI QNLI RTE is the last column of each row).  QQP skips rows that
 * lack a column; for the other tasks such a row is an error, as it is a
 * crash in the reference. */
#include <stdio.h>
#include "prompt/dataset_read.h"
#include "prompt/rows.h"

/* "field 9 (sentence1)": the 1-based field with its header name if any. */
static void field_name(const lm_rows *r, int col, char *buf, size_t size) {
    const char *h = r->n > 0 ? lm_rows_get(r, 0, col) : NULL;
    if (h && *h) snprintf(buf, size, "field %d (%s)", col + 1, h);
    else snprintf(buf, size, "field %d", col + 1);
}

int lm_read_glue_tsv(const lm_task *t, const char *path, lm_dataset *out, lm_error *err) {
    lm_rows r;
    if (lm_rows_read_tsv(path, &r, err) < 0) return -1;
    out->n_sentences = t->col_b >= 0 ? 2 : 1;
    char name[160], labels[512];
    for (int i = 1; i < r.n; i++) {
        int w = lm_rows_width(&r, i), line = r.line[i];
        int lab = t->col_label >= 0 ? t->col_label : w - 1;
        int need[3] = {t->col_a, t->col_b, lab};
        const char *what[3] = {"text_a", "text_b", "label"};
        int missing = -1;
        for (int k = 0; k < 3 && missing < 0; k++)
            if (need[k] >= w || (k == 2 && lab < 0)) missing = k;
        if (missing >= 0) {
            if (t->skip_short_rows) continue;
            if (w == 0) {
                lm_fail(err, "%s: line %d: empty line (task %s needs a row of fields)",
                        path, line, t->name);
            } else {
                field_name(&r, need[missing], name, sizeof name);
                lm_fail(err, "%s: line %d: the row has %d field%s, but %s is %s",
                        path, line, w, w == 1 ? "" : "s", what[missing], name);
            }
            goto fail;
        }
        const char *label = lm_rows_get(&r, i, lab);
        int li = lm_task_label_index(t, label);
        if (li < 0) {
            if (t->col_label >= 0) field_name(&r, lab, name, sizeof name);
            else snprintf(name, sizeof name, "field %d (the last)", lab + 1);
            lm_task_labels_str(t, labels, sizeof labels);
            lm_fail(err, "%s: line %d, %s: unknown label '%s' (task %s labels: %s)",
                    path, line, name, label, t->name, labels);
            goto fail;
        }
        lm_dataset_add(out, lm_rows_get(&r, i, t->col_a),
                       t->col_b >= 0 ? lm_rows_get(&r, i, t->col_b) : NULL, li, line);
    }
    lm_rows_free(&r);
    return 0;
fail:
    lm_rows_free(&r);
    return -1;
}
