/* results.c - final and partial results with their headline (results.h). */
#include "results.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db.h"
#include "experiment/tables.h"
#include "queue.h"
#include "util/log.h"

static double mean_of(const cJSON *o) {
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "mean");
    return cJSON_IsNumber(m) ? m->valuedouble : NAN;
}

static void bind_number(sqlite3_stmt *st, int i, double v) {
    if (isnan(v)) sqlite3_bind_null(st, i);
    else sqlite3_bind_double(st, i, v);
}

/* Writes the headline, its numbers and the rows of result; with partial
 * also the partial result itself and how many seeds it covers. */
static int store(sqlite3 *h, const char *id, const cJSON *result, const char *partial_text,
                 int seeds_done, lm_error *err) {
    cJSON *headline = lm_experiment_headline(result), *rows = lm_experiment_result_rows(result);
    double kernel = NAN, finetune = NAN, zero_shot = NAN;
    const char *verdict = NULL;
    if (headline) {
        kernel = mean_of(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(headline, "kernel"), "test"));
        const cJSON *ft;
        cJSON_ArrayForEach(ft, cJSON_GetObjectItemCaseSensitive(headline, "finetune")) {
            double v = mean_of(cJSON_GetObjectItemCaseSensitive(ft, "test"));
            if (!isnan(v) && (isnan(finetune) || v > finetune)) finetune = v;
        }
        zero_shot = mean_of(cJSON_GetObjectItemCaseSensitive(headline, "zero_shot"));
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(headline, "verdict");
        if (cJSON_IsString(v)) verdict = v->valuestring;
    }
    char *headline_text = headline ? cJSON_PrintUnformatted(headline) : NULL;
    char *rows_text = cJSON_PrintUnformatted(rows);
    sqlite3_stmt *st = lmd_db_prepare(h,
        "UPDATE experiments SET headline = ?2, result_rows = ?3, kernel_test = ?4, finetune_test = ?5,"
        " zero_shot_test = ?6, verdict = ?7, partial = ?8,"
        " seeds_done = CASE WHEN ?9 < 0 THEN seeds_total ELSE ?9 END WHERE id = ?1", err);
    int rc = -1;
    if (st) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        lmd_db_bind_text(st, 2, headline_text);
        lmd_db_bind_text(st, 3, rows_text);
        bind_number(st, 4, kernel);
        bind_number(st, 5, finetune);
        bind_number(st, 6, zero_shot);
        lmd_db_bind_text(st, 7, verdict);
        lmd_db_bind_text(st, 8, partial_text);
        sqlite3_bind_int(st, 9, seeds_done);
        rc = lmd_db_step_done(st, err);
    }
    free(headline_text);
    free(rows_text);
    cJSON_Delete(headline);
    cJSON_Delete(rows);
    return rc;
}

int lmd_results_store_final(sqlite3 *h, const char *experiment_id, const cJSON *result, lm_error *err) {
    return store(h, experiment_id, result, NULL, -1, err);
}

/* The seeds whose jobs all succeeded, in the order of the job list. */
static int finished_seeds(sqlite3 *h, const char *id, double *seeds, int cap, int *n_all, lm_error *err) {
    sqlite3_stmt *st = lmd_db_prepare(h,
        "SELECT seed, SUM(state != 'succeeded') FROM jobs WHERE experiment_id = ?1 AND seed IS NOT NULL"
        " GROUP BY seed ORDER BY MIN(idx)", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int n = 0;
    *n_all = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        (*n_all)++;
        if (sqlite3_column_int(st, 1) == 0 && n < cap) seeds[n++] = sqlite3_column_double(st, 0);
    }
    sqlite3_finalize(st);
    return n;
}

int lmd_results_update_partial(lmd_server *srv, sqlite3 *h, const char *experiment_id, lm_error *err) {
    sqlite3_stmt *st = lmd_db_prepare(h, "SELECT seeds_done, spec FROM experiments WHERE id = ?1", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, experiment_id, -1, SQLITE_STATIC);
    int before = -1;
    char *spec_text = NULL;
    if (sqlite3_step(st) == SQLITE_ROW) {
        before = sqlite3_column_int(st, 0);
        spec_text = lm_xstrdup(lmd_db_text(st, 1));
    }
    sqlite3_finalize(st);
    if (!spec_text) return 0;
    double seeds[1024];
    int n_all, n = finished_seeds(h, experiment_id, seeds, 1024, &n_all, err);
    if (n < 0) { free(spec_text); return -1; }
    if (n <= before || n == 0) { free(spec_text); return 0; }

    /* The spec as if it had named only the finished seeds: the runner's own
     * aggregation then covers exactly them. */
    cJSON *spec = cJSON_Parse(spec_text), *done = cJSON_CreateArray();
    free(spec_text);
    for (int i = 0; i < n; i++) cJSON_AddItemToArray(done, cJSON_CreateNumber(seeds[i]));
    int rc = 0;
    cJSON *jobs = cJSON_CreateArray(), *results = cJSON_CreateArray(), *partial = NULL;
    if (!cJSON_IsObject(spec) || cJSON_GetObjectItemCaseSensitive(spec, "pretrain")) goto out;
    cJSON_DeleteItemFromObjectCaseSensitive(spec, "seeds");
    cJSON_AddItemToObject(spec, "seeds", cJSON_Duplicate(done, 1));
    if (lmd_queue_job_results(h, experiment_id, seeds, n, jobs, results, err)) { rc = -1; goto out; }
    char *reduced = cJSON_PrintUnformatted(spec);
    lm_error aerr;
    lm_error_clear(&aerr);
    int arc = srv->runner.aggregate(reduced, jobs, results, &partial, &aerr);
    free(reduced);
    if (arc != 0 || !cJSON_IsObject(partial)) {
        lm_warn("experiment %s: no partial result for %d finished seed%s: %s", experiment_id, n,
                n == 1 ? "" : "s", aerr.msg);
        goto out;
    }
    cJSON_AddBoolToObject(partial, "partial", 1);
    cJSON_AddItemToObject(partial, "seeds_done", cJSON_Duplicate(done, 1));
    cJSON_AddNumberToObject(partial, "remaining_seeds", n_all - n);
    char *text = cJSON_PrintUnformatted(partial);
    rc = store(h, experiment_id, partial, text, n, err);
    free(text);
out:
    cJSON_Delete(spec);
    cJSON_Delete(done);
    cJSON_Delete(jobs);
    cJSON_Delete(results);
    cJSON_Delete(partial);
    return rc;
}

int lmd_results_backfill(sqlite3 *h, lm_error *err) {
    if (lmd_db_begin(h, err)) return -1;
    sqlite3_stmt *st = lmd_db_prepare(h,
        "SELECT id, result FROM experiments WHERE result IS NOT NULL AND result_rows IS NULL", err);
    if (!st) { lmd_db_rollback(h); return -1; }
    /* Collect first: the updates below change the rows being scanned. */
    cJSON *todo = cJSON_CreateObject();
    while (sqlite3_step(st) == SQLITE_ROW) {
        cJSON *result = cJSON_Parse(lmd_db_text(st, 1));
        if (result) cJSON_AddItemToObject(todo, lmd_db_text(st, 0), result);
    }
    sqlite3_finalize(st);
    int rc = 0, n = 0;
    for (const cJSON *e = todo->child; e && rc == 0; e = e->next, n++) rc = store(h, e->string, e, NULL, -1, err);
    cJSON_Delete(todo);
    if (rc) { lmd_db_rollback(h); return -1; }
    if (n) lm_info("computed the headline of %d earlier result%s", n, n == 1 ? "" : "s");
    return lmd_db_commit(h, err);
}
