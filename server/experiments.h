/* experiments.h - experiments as the API shows them: the JSON of one
 * experiment with its jobs, results and artifacts, and pages of summaries. */
#ifndef LMD_EXPERIMENTS_H
#define LMD_EXPERIMENTS_H

#include <sqlite3.h>
#include <cjson/cJSON.h>
#include "util/error.h"

typedef struct lmd_experiment_filter {
    const char *state;     /* NULL: any */
    const char *task;
    const char *model;
    const char *owner;     /* NULL: every owner's (access.h: lmd_read_scope) */
    long long before_seq;  /* the page cursor: only experiments older than it; 0 = newest */
    int limit;
} lmd_experiment_filter;

/* 1 when s is one of the five experiment states. */
int lmd_state_valid(const char *s);

/* The full view of one experiment; *out NULL when there is none. */
int lmd_experiment_view(sqlite3 *h, const char *artifacts_dir, const char *id, cJSON **out,
                        lm_error *err);

/* {"experiments": [summaries, newest first], "next_cursor": "..." | null} */
int lmd_experiment_page(sqlite3 *h, const lmd_experiment_filter *f, cJSON **out, lm_error *err);

/* Unix seconds as "2024-05-01T12:00:00.123Z"; JSON null for a NULL column. */
cJSON *lmd_time_json(sqlite3_stmt *st, int col);

#endif
