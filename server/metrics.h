/* metrics.h - the Prometheus text of /metrics: queue depth, jobs and
 * experiments by state, live workers, job durations, HTTP counters.  The
 * gauges and the duration histogram come from the database, so they are
 * right after a restart too. */
#ifndef LMD_METRICS_H
#define LMD_METRICS_H

#include "server.h"

/* A new string of Prometheus exposition text (version 0.0.4). */
char *lmd_metrics_render(lmd_server *srv, lm_error *err);

#endif
