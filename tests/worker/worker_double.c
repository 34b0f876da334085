/* worker_double.c - lmntk-worker with the runner TEST DOUBLE
 * (tests/server/runner_double.h): the real lease / heartbeat / upload /
 * report loop around a job that only sleeps and reports progress. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "http_client.h"
#include "runner_double.h"
#include "util/log.h"
#include "worker.h"

static volatile sig_atomic_t stop_requested = 0;

static void on_signal(int sig) {
    stop_requested = 1;
    signal(sig, SIG_DFL);
}

int main(int argc, char **argv) {
    lmw_config cfg;
    lmw_config_defaults(&cfg);
    cfg.poll_seconds = 0.1;
    cfg.report_seconds = 30;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
        if (!strcmp(a, "--once")) { cfg.once = 1; continue; }
        i++;
        if (!strcmp(a, "--server")) cfg.server = v;
        else if (!strcmp(a, "--token")) cfg.token = v;
        else if (!strcmp(a, "--name")) cfg.name = v;
        else if (!strcmp(a, "--work")) cfg.work_dir = v;
        else if (!strcmp(a, "--data-root")) cfg.data_root = v;
        else if (!strcmp(a, "--mem")) cfg.mem_budget = (size_t)strtoull(v, NULL, 10);
        else if (!strcmp(a, "--log-level")) lm_log_set_level(lm_log_parse_level(v));
        else if (!strcmp(a, "--mem-limit")) cfg.mem_limit = (size_t)atol(v) << 20;  /* MiB */
        else if (!strcmp(a, "--max-reply")) cfg.max_reply = (size_t)atol(v);     /* bytes */
        else if (!strcmp(a, "--retry-max")) cfg.retry_max_seconds = atof(v);     /* seconds */
        else { fprintf(stderr, "worker double: unknown flag %s\n", a); return 2; }
    }
    lm_error err;
    if (!cfg.server || !cfg.token || lmw_http_global_init(&err)) return 2;
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGPIPE, SIG_IGN);
    return lmw_run(&cfg, runner_double_run_job, &stop_requested);
}
