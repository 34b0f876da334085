/* export.c - experiments as CSV: one line per (experiment, method, seed),
 * the rows lm_experiment_result_rows made when each result was stored, after the
 * experiment's own columns.  A spreadsheet or pandas.read_csv reads it. */
#include "experiments.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db.h"
#include "experiments_query.h"
#include "experiment/tables.h"

typedef struct text {
    char *s;
    size_t len, cap;
} text;

static void put(text *t, const char *s, size_t n) {
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->s = lm_xrealloc(t->s, t->cap);
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
}

/* One field, quoted when it holds a comma, quote or line break (RFC 4180). */
static void field(text *t, const char *s, int first) {
    if (!first) put(t, ",", 1);
    if (!s) return;
    if (!strpbrk(s, ",\"\r\n")) {
        put(t, s, strlen(s));
        return;
    }
    put(t, "\"", 1);
    for (const char *p = s; *p; p++) {
        if (*p == '"') put(t, "\"\"", 2);   /* a quote twice */
        else put(t, p, 1);
    }
    put(t, "\"", 1);
}

/* A JSON value as a field: numbers exactly, strings as they are, booleans as
 * true/false, null and objects as nothing. */
static void json_field(text *t, const cJSON *v) {
    char buf[64];
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        snprintf(buf, sizeof buf, "%.15g", d);
        if (strtod(buf, NULL) != d) snprintf(buf, sizeof buf, "%.17g", d);
        field(t, isfinite(d) ? buf : NULL, 0);
    } else if (cJSON_IsString(v)) {
        field(t, v->valuestring, 0);
    } else if (cJSON_IsBool(v)) {
        field(t, cJSON_IsTrue(v) ? "true" : "false", 0);
    } else {
        field(t, NULL, 0);
    }
}

static const char *const experiment_columns[] = {"experiment_id", "experiment_name", "task", "state", "tags",
                                                 "created_at", "metric", NULL};

int lmd_experiment_csv(sqlite3 *h, const lmd_experiment_filter *f, char **csv, size_t *len,
                       char bad[32], lm_error *err) {
    lmd_query q;
    int rc = lmd_query_open(h, f, "e.result_rows, json_extract(e.headline, '$.metric')", 0, &q, bad, err);
    if (rc) return rc;
    text t = {0};
    for (int i = 0; experiment_columns[i]; i++) field(&t, experiment_columns[i], i == 0);
    for (int i = 0; lm_experiment_row_keys[i]; i++) field(&t, lm_experiment_row_keys[i], 0);
    put(&t, "\n", 1);
    int col = LMD_SUMMARY_NCOLS + 1;
    while ((rc = sqlite3_step(q.st)) == SQLITE_ROW) {
        cJSON *summary = lmd_summary_json(q.st);
        const char *rows_text = lmd_db_text(q.st, col);
        cJSON *rows = rows_text ? cJSON_Parse(rows_text) : NULL;
        /* tags one field, space-separated (a tag has no spaces) */
        text tags = {0};
        const cJSON *tag;
        cJSON_ArrayForEach(tag, cJSON_GetObjectItemCaseSensitive(summary, "tags")) {
            if (tags.len) put(&tags, " ", 1);
            put(&tags, tag->valuestring, strlen(tag->valuestring));
        }
        const cJSON *model = cJSON_GetObjectItemCaseSensitive(summary, "model");
        const cJSON *row;
        cJSON_ArrayForEach(row, rows) {
            static const char *const keys[] = {"id", "name", "task", "state"};
            for (int i = 0; i < 4; i++) {
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(summary, keys[i]);
                if (i == 0) field(&t, v->valuestring, 1);
                else json_field(&t, v);
            }
            field(&t, tags.s ? tags.s : "", 0);
            json_field(&t, cJSON_GetObjectItemCaseSensitive(summary, "created_at"));
            field(&t, lmd_db_text(q.st, col + 1), 0);
            for (int i = 0; lm_experiment_row_keys[i]; i++) {
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, lm_experiment_row_keys[i]);
                /* a checkpoint's row names it; otherwise the experiment's model */
                if (!strcmp(lm_experiment_row_keys[i], "model") && cJSON_IsNull(v)) {
                    field(&t, cJSON_IsString(model) ? model->valuestring : "default", 0);
                    continue;
                }
                json_field(&t, v);
            }
            put(&t, "\n", 1);
        }
        free(tags.s);
        cJSON_Delete(rows);
        cJSON_Delete(summary);
    }
    if (rc != SQLITE_DONE) {
        lm_fail(err, "database: %s", sqlite3_errmsg(h));
        lmd_query_close(&q);
        free(t.s);
        return -1;
    }
    lmd_query_close(&q);
    *csv = t.s;
    *len = t.len;
    return 0;
}
