/* metrics.c - Prometheus exposition text from the database and counters. */
#include "metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db.h"
#include "queue.h"

typedef struct text_buf {
    char *s;
    size_t len, cap;
} text_buf;

static void append(text_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void append(text_buf *b, const char *fmt, ...) {
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n >= 0 && b->len + (size_t)n < b->cap) { b->len += (size_t)n; return; }
        b->cap = b->cap * 2 + (size_t)(n > 0 ? n : 0);
        b->s = lm_xrealloc(b->s, b->cap);
    }
}

static const char *states[] = {"queued", "running", "succeeded", "failed", "cancelled"};

/* Rows of (state, count) into the five state gauges of name. */
static int by_state(sqlite3 *h, text_buf *b, const char *table, const char *name, const char *help,
                    lm_error *err) {
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT state, COUNT(*) FROM %s GROUP BY state", table);
    sqlite3_stmt *st = lmd_db_prepare(h, sql, err);
    if (!st) return -1;
    long long counts[5] = {0};
    while (sqlite3_step(st) == SQLITE_ROW)
        for (int i = 0; i < 5; i++)
            if (!strcmp(lmd_db_text(st, 0), states[i])) counts[i] = sqlite3_column_int64(st, 1);
    sqlite3_finalize(st);
    append(b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
    for (int i = 0; i < 5; i++) append(b, "%s{state=\"%s\"} %lld\n", name, states[i], counts[i]);
    return 0;
}

static int scalar(sqlite3 *h, const char *sql, double *out, lm_error *err) {
    sqlite3_stmt *st = lmd_db_prepare(h, sql, err);
    if (!st) return -1;
    *out = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_double(st, 0) : 0;
    sqlite3_finalize(st);
    return 0;
}

static int durations(sqlite3 *h, text_buf *b, lm_error *err) {
    static const double le[] = {1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 24 * 3600};
    enum { NB = sizeof le / sizeof le[0] };
    char sql[1024];
    size_t n = (size_t)snprintf(sql, sizeof sql, "SELECT COUNT(d), TOTAL(d)");
    for (int i = 0; i < NB; i++) n += (size_t)snprintf(sql + n, sizeof sql - n, ", TOTAL(d <= %g)", le[i]);
    snprintf(sql + n, sizeof sql - n,
             " FROM (SELECT finished_at - started_at AS d FROM jobs WHERE state = 'succeeded')");
    sqlite3_stmt *st = lmd_db_prepare(h, sql, err);
    if (!st) return -1;
    if (sqlite3_step(st) != SQLITE_ROW) { sqlite3_finalize(st); return lm_fail(err, "database: no row"); }
    const char *name = "lmntk_job_duration_seconds";
    append(b, "# HELP %s Run time of succeeded jobs (their last lease).\n# TYPE %s histogram\n", name, name);
    for (int i = 0; i < NB; i++)
        append(b, "%s_bucket{le=\"%g\"} %lld\n", name, le[i], (long long)sqlite3_column_double(st, 2 + i));
    long long count = sqlite3_column_int64(st, 0);
    append(b, "%s_bucket{le=\"+Inf\"} %lld\n%s_sum %.3f\n%s_count %lld\n", name, count, name,
           sqlite3_column_double(st, 1), name, count);
    sqlite3_finalize(st);
    return 0;
}

char *lmd_metrics_render(lmd_server *srv, lm_error *err) {
    text_buf b = {lm_xmalloc(4096), 0, 4096};
    b.s[0] = '\0';
    double depth;
    int live;
    lmd_db_conn *c = lmd_db_acquire(&srv->db);
    int rc = lmd_db_exec(c->h, "BEGIN", err);
    if (rc == 0) rc = scalar(c->h, "SELECT COUNT(*) FROM jobs WHERE state = 'queued'", &depth, err);
    if (rc == 0) rc = lmd_queue_live_workers(srv, c->h, &live, err);
    if (rc == 0) {
        append(&b, "# HELP lmntk_queue_depth Jobs waiting for a worker.\n# TYPE lmntk_queue_depth gauge\n"
                   "lmntk_queue_depth %.0f\n", depth);
        append(&b, "# HELP lmntk_workers_live Workers heard from within two lease times.\n"
                   "# TYPE lmntk_workers_live gauge\nlmntk_workers_live %d\n", live);
        rc = by_state(c->h, &b, "jobs", "lmntk_jobs", "Jobs by state.", err);
    }
    if (rc == 0) rc = by_state(c->h, &b, "experiments", "lmntk_experiments", "Experiments by state.", err);
    if (rc == 0) rc = durations(c->h, &b, err);
    lmd_db_exec(c->h, "COMMIT", NULL);
    lmd_db_release(c);
    if (rc) { free(b.s); return NULL; }

    lmd_http_counters *k = &srv->counters;
    append(&b, "# HELP lmntk_http_requests_total HTTP requests answered, by status class.\n"
               "# TYPE lmntk_http_requests_total counter\n");
    for (int i = 1; i < 6; i++)
        append(&b, "lmntk_http_requests_total{class=\"%dxx\"} %llu\n", i,
               (unsigned long long)atomic_load(&k->by_class[i]));
    append(&b, "# HELP lmntk_http_rate_limited_total Requests refused by the rate limit.\n"
               "# TYPE lmntk_http_rate_limited_total counter\nlmntk_http_rate_limited_total %llu\n",
           (unsigned long long)atomic_load(&k->rate_limited));
    int open = 0, waiting = 0;
    if (srv->conns_ready) lmd_conntrack_counts(&srv->conns, &open, &waiting);
    append(&b, "# HELP lmntk_http_connections Open connections, and of them those waiting for a "
               "request's headers.\n# TYPE lmntk_http_connections gauge\n"
               "lmntk_http_connections{phase=\"open\"} %d\nlmntk_http_connections{phase=\"waiting\"} %d\n",
           open, waiting);
    const lmd_conntrack *t = &srv->conns;
    append(&b, "# HELP lmntk_http_connections_cut_total Connections cut for missing a deadline: "
               "headers, body, or headers under pressure.\n"
               "# TYPE lmntk_http_connections_cut_total counter\n"
               "lmntk_http_connections_cut_total{reason=\"header\"} %llu\n"
               "lmntk_http_connections_cut_total{reason=\"body\"} %llu\n"
               "lmntk_http_connections_cut_total{reason=\"pressure\"} %llu\n",
           (unsigned long long)atomic_load(&t->cut_header), (unsigned long long)atomic_load(&t->cut_body),
           (unsigned long long)atomic_load(&t->cut_pressure));
    append(&b, "# HELP lmntk_uptime_seconds Seconds since the daemon started.\n"
               "# TYPE lmntk_uptime_seconds gauge\nlmntk_uptime_seconds %.1f\n",
           lmd_now() - srv->started_at);
    return b.s;
}
