/* experiments_query.h - the one SELECT behind experiment lists, their
 * counts and their export (internal to experiments.c and export.c): the
 * filter's WHERE, its sort as ORDER BY (values missing last, ties newest
 * first) and keyset cursors that continue after the last row seen. */
#ifndef LMD_EXPERIMENTS_QUERY_H
#define LMD_EXPERIMENTS_QUERY_H

#include <sqlite3.h>
#include <cjson/cJSON.h>
#include "experiments.h"

/* The columns of a summary (lmd_summary_json), in this order. */
#define LMD_SUMMARY_COLUMNS \
    "e.seq, e.id, e.name, e.state, e.task, e.model, e.n_jobs," \
    " e.created_at, e.updated_at, e.finished_at, e.error," \
    " (SELECT AVG(CASE j.state WHEN 'succeeded' THEN 1.0 ELSE j.progress END)" \
    "  FROM jobs j WHERE j.experiment_id = e.id)," \
    " e.headline, e.partial IS NOT NULL, e.seeds_total, e.seeds_done, e.rerun_of," \
    " (SELECT json_group_array(tag) FROM" \
    "  (SELECT tag FROM experiment_tags t WHERE t.experiment_id = e.id ORDER BY tag)), e.owner," \
    " CASE WHEN e.task IS NULL THEN NULL ELSE COALESCE(json_extract(e.spec, '$.k'), 16) END"
#define LMD_SUMMARY_NCOLS 20

cJSON *lmd_summary_json(sqlite3_stmt *st);

typedef struct lmd_query {
    sqlite3_stmt *st;
    int key;                /* index into the sort table */
    int desc;
    /* the last row handed out, for the next cursor */
    int last_null;
    long long last_seq;
    char *last_value;       /* JSON text of the sort value */
} lmd_query;

/* Prepares and binds the filter's SELECT: the summary columns, the sort
 * value (column LMD_SUMMARY_NCOLS), then extra_columns (may be "").  With
 * paged, from the cursor on and at most limit + 1 rows.  Returns 1 with the
 * offending parameter in field for a bad sort, order or cursor. */
int lmd_query_open(sqlite3 *h, const lmd_experiment_filter *f, const char *extra_columns, int paged,
                   lmd_query *q, char field[32], lm_error *err);
/* Remembers the row st stands on as the last one handed out. */
void lmd_query_note_last(lmd_query *q);
/* The cursor that continues after it (new string). */
char *lmd_query_cursor(const lmd_query *q);
void lmd_query_close(lmd_query *q);

/* How many experiments the filter selects (all pages). */
int lmd_query_count(sqlite3 *h, const lmd_experiment_filter *f, long long *n, lm_error *err);

#endif
