/* dataset.c - split file names, format dispatch, the example list. */
#include "prompt/dataset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "prompt/dataset_read.h"
#include "util/file.h"

void lm_dataset_add(lm_dataset *d, const char *a, const char *b, int label, int line) {
    /* grow by doubling: capacity is the next power of two at or above n */
    if ((d->n & (d->n - 1)) == 0) {
        size_t cap = d->n ? 2 * (size_t)d->n : 16;
        if (cap < 16) cap = 16;
        d->ex = lm_xrealloc(d->ex, cap * sizeof *d->ex);
    }
    lm_example *e = &d->ex[d->n++];
    e->text[0] = lm_xstrdup(a);
    e->text[1] = b ? lm_xstrdup(b) : NULL;
    e->label = label;
    e->line = line;
}

int lm_task_label_index(const lm_task *t, const char *label) {
    for (int i = 0; i < t->n_labels; i++)
        if (strcmp(t->labels[i], label) == 0) return i;
    return -1;
}

void lm_task_labels_str(const lm_task *t, char *buf, size_t size) {
    buf[0] = '\0';
    for (int i = 0; i < t->n_labels; i++) {
        if (i) strncat(buf, ", ", size - strlen(buf) - 1);
        strncat(buf, t->labels[i], size - strlen(buf) - 1);
    }
}

static const char *split_file(const lm_task *t, const char *split) {
    if (t->matched) {
        if (!strcmp(split, "dev") || !strcmp(split, "dev_matched")) return "dev_matched";
        if (!strcmp(split, "test") || !strcmp(split, "test_matched")) return "test_matched";
        if (!strcmp(split, "dev_mismatched") || !strcmp(split, "test_mismatched")) return split;
    }
    if (!strcmp(split, "train") || !strcmp(split, "dev") || !strcmp(split, "test")) return split;
    return NULL;
}

static char *join_ext(const char *dir, const char *name, const char *ext) {
    size_t n = strlen(name) + strlen(ext) + 1;
    char *file = lm_xmalloc(n);
    snprintf(file, n, "%s%s", name, ext);
    char *path = lm_path_join(dir, file);
    free(file);
    return path;
}

char *lm_dataset_path(const lm_task *t, const char *dir, const char *split, lm_error *err) {
    const char *name = split ? split_file(t, split) : NULL;
    if (!name) {
        lm_fail(err, "task %s: unknown split '%s' (splits: train, dev, test%s)", t->name,
                split ? split : "(null)", t->matched ? ", dev_mismatched, test_mismatched" : "");
        return NULL;
    }
    if (t->format != LM_TASK_CUSTOM) {
        char *path = join_ext(dir, name, t->format == LM_TASK_CSV ? ".csv" : ".tsv");
        if (!lm_file_exists(path)) {
            lm_fail(err, "task %s, split %s: %s: no such file", t->name, split, path);
            free(path);
            return NULL;
        }
        return path;
    }
    char *tsv = join_ext(dir, name, ".tsv"), *jsonl = join_ext(dir, name, ".jsonl");
    int has_tsv = lm_file_exists(tsv), has_jsonl = lm_file_exists(jsonl);
    if (has_tsv && has_jsonl) {
        lm_fail(err, "task %s, split %s: both %s and %s exist; keep one", t->name, split,
                tsv, jsonl);
    } else if (!has_tsv && !has_jsonl) {
        lm_fail(err, "task %s, split %s: neither %s nor %s exists", t->name, split, tsv, jsonl);
    }
    char *path = has_tsv && !has_jsonl ? tsv : has_jsonl && !has_tsv ? jsonl : NULL;
    if (path != tsv) free(tsv);
    if (path != jsonl) free(jsonl);
    return path;
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

int lm_dataset_read_file(const lm_task *t, const char *path, lm_dataset *out,
                         lm_error *err) {
    memset(out, 0, sizeof *out);
    int rc;
    switch (t->format) {
    case LM_TASK_TSV: rc = lm_read_glue_tsv(t, path, out, err); break;
    case LM_TASK_CSV: rc = lm_read_lmbff_csv(t, path, out, err); break;
    case LM_TASK_CUSTOM:
        rc = ends_with(path, ".jsonl") ? lm_read_custom_jsonl(t, path, out, err)
                                       : lm_read_custom_tsv(t, path, out, err);
        break;
    default: rc = lm_fail(err, "task %s: unknown format", t->name);
    }
    if (rc == 0 && out->n == 0)
        rc = lm_fail(err, "%s: no examples (an empty split)", path);
    if (rc < 0) {
        lm_dataset_free(out);
        return -1;
    }
    out->path = lm_xstrdup(path);
    return 0;
}

int lm_dataset_read(const lm_task *t, const char *dir, const char *split,
                    lm_dataset *out, lm_error *err) {
    memset(out, 0, sizeof *out);
    char *path = lm_dataset_path(t, dir, split, err);
    if (!path) return -1;
    int rc = lm_dataset_read_file(t, path, out, err);
    free(path);
    return rc;
}

void lm_dataset_free(lm_dataset *d) {
    if (!d) return;
    for (int i = 0; i < d->n; i++) {
        free(d->ex[i].text[0]);
        free(d->ex[i].text[1]);
    }
    free(d->ex);
    free(d->path);
    memset(d, 0, sizeof *d);
}
