/* experiments.h - experiments as the API shows them: the JSON of one
 * experiment with its jobs, results and artifacts, pages of summaries with
 * their headline metrics (filtered and sorted in SQL, paged by keyset
 * cursors), the same selection as export rows, and finding an experiment
 * by its id or a unique prefix of it. */
#ifndef LMD_EXPERIMENTS_H
#define LMD_EXPERIMENTS_H

#include <sqlite3.h>
#include <cjson/cJSON.h>
#include "util/error.h"

typedef struct lmd_experiment_filter {
    unsigned states;       /* bits of lmd_state_bits; 0: any */
    const char *task;      /* NULL: any */
    const char *model;     /* "default": specs that name none */
    const char *tag;
    const char *text;      /* in the name (any case), or an id prefix */
    const char *id;        /* one experiment (full id) */
    const char *sort;      /* a sort key (experiments_query.c: created, name, kernel_test ...); NULL: "created" */
    int order;             /* 1 descending, 0 ascending, -1 the key's usual order */
    const char *cursor;    /* next_cursor of the previous page; NULL: the first */
    const char *owner;     /* NULL: every owner's (access.h: lmd_read_scope) */
    int limit;
} lmd_experiment_filter;

#define LMD_LIST_MAX_LIMIT 1000

/* Bits of a comma-separated list of states ("running,queued"); -1 when one
 * is not a state. */
int lmd_state_bits(const char *list, unsigned *bits);

/* Finds an experiment by its id or a unique prefix of at least 8
 * characters (any case) among those of owner (NULL: every owner's).  1
 * found (full id in id_out, its owner or "" in owner_out), 0 none, 2 the
 * prefix names more than one, -1 error. */
int lmd_experiment_resolve(sqlite3 *h, const char *id_or_prefix, const char *owner, char id_out[37],
                           char *owner_out, size_t owner_cap, lm_error *err);

/* The full view of one experiment; *out NULL when there is none. */
int lmd_experiment_view(sqlite3 *h, const char *id, cJSON **out, lm_error *err);

/* The summary of one experiment (what a list shows); *out NULL when none. */
int lmd_experiment_summary(sqlite3 *h, const char *id, cJSON **out, lm_error *err);

/* {"experiments": [summaries], "next_cursor": "..." | null, "total": n}.
 * Returns 1 with the offending parameter in field (and err) when the sort
 * key, order or cursor is not one this server understands. */
int lmd_experiment_page(sqlite3 *h, const lmd_experiment_filter *f, cJSON **out, char field[32],
                        lm_error *err);

/* The export of the filter's experiments (every page, in its order) as CSV
 * text: one line per (experiment, method, seed). */
int lmd_experiment_csv(sqlite3 *h, const lmd_experiment_filter *f, char **csv, size_t *len,
                       char field[32], lm_error *err);

/* Unix seconds as "2024-05-01T12:00:00.123Z"; JSON null for a NULL column. */
cJSON *lmd_time_json(sqlite3_stmt *st, int col);
/* A text column as a JSON string; JSON null for a NULL column. */
cJSON *lmd_text_json(sqlite3_stmt *st, int col);
/* An integer column as a JSON number; JSON null for a NULL column. */
cJSON *lmd_int_json(sqlite3_stmt *st, int col);

#endif
