/* results.h - an experiment's results as the daemon keeps them: the
 * aggregate of every job once all are done (experiments.result), the
 * aggregate of the seeds already finished while others run
 * (experiments.partial), and what the runs table reads of either, stored
 * beside it so that lists sort, filter and export in SQL: the headline
 * (lm_experiment_headline) with its numbers as columns, and the rows of the
 * export (lm_experiment_result_rows).  Each call works inside the caller's
 * transaction. */
#ifndef LMD_RESULTS_H
#define LMD_RESULTS_H

#include <sqlite3.h>
#include <cjson/cJSON.h>
#include "server.h"
#include "util/error.h"

/* Stores result as the experiment's final result's headline, rows and
 * numbers; the partial result is dropped. */
int lmd_results_store_final(sqlite3 *h, const char *experiment_id, const cJSON *result, lm_error *err);

/* When a seed has finished since the last call (all its jobs succeeded),
 * aggregates the finished seeds with srv->runner.aggregate and stores that
 * as the partial result, marked {"partial": true, "seeds_done": [...],
 * "remaining_seeds": n}.  A partial aggregate that fails is logged and
 * skipped: the experiment goes on. */
int lmd_results_update_partial(lmd_server *srv, sqlite3 *h, const char *experiment_id, lm_error *err);

/* Computes the headline and rows of stored results that have none (results
 * of a daemon from before they existed).  Once, at start-up. */
int lmd_results_backfill(sqlite3 *h, lm_error *err);

#endif
