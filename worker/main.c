/* main.c - lmntk-worker: leases jobs from lmntkd and runs them with the
 * experiment runner (lm_run_job). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli_args.h"
#include "http_client.h"
#include "util/log.h"
#include "worker.h"

static volatile sig_atomic_t stop_requested = 0;

/* The first signal lets the job hand its lease back; a second one kills. */
static void on_signal(int sig) {
    stop_requested = 1;
    signal(sig, SIG_DFL);
}

static int usage(FILE *to) {
    fprintf(to,
        "usage: lmntk-worker --server URL --token T [--once] [--cache DIR] [--models DIR] [--data-root DIR]\n"
        "                    [--work DIR] [--name NAME] [--poll SECONDS] [--threads N] [--mem 6G]\n"
        "                    [--log-level debug|info|warn|error]\n"
        "  --server, --token default to $LMNTK_SERVER, $LMNTK_TOKEN (a worker token).\n"
        "  --once: run one job, then exit (0 if it succeeded).\n"
        "  --cache: the content-addressed cache; workers here and elsewhere may share it.\n"
        "  --models: where the model names of specs are found.\n"
        "  --data-root: spec \"data\" paths are looked up under DIR and may not leave it\n"
        "    (without it they are paths on this host, as for `lmntk run`).\n"
        "  --work: where a job's files are made before upload (default $TMPDIR or /tmp).\n");
    return to == stdout ? 0 : 2;
}

static int bad(const char *msg) {
    fprintf(stderr, "lmntk-worker: %s\n", msg);
    return 2;
}

int main(int argc, char **argv) {
    lmw_config cfg;
    lmw_config_defaults(&cfg);
    cfg.server = getenv("LMNTK_SERVER");
    cfg.token = getenv("LMNTK_TOKEN");
    const char *v;
    unsigned long long mem;
    cli_args a = {argc, argv, 1};
    while (cli_next(&a)) {
        if (cli_flag(&a, "--help") || cli_flag(&a, "-h")) return usage(stdout);
        if (cli_flag(&a, "--once")) cfg.once = 1;
        else if ((v = cli_value(&a, "--server"))) cfg.server = v;
        else if ((v = cli_value(&a, "--token"))) cfg.token = v;
        else if ((v = cli_value(&a, "--cache"))) cfg.cache_dir = v;
        else if ((v = cli_value(&a, "--models"))) cfg.models_dir = v;
        else if ((v = cli_value(&a, "--data-root"))) cfg.data_root = v;
        else if ((v = cli_value(&a, "--work"))) cfg.work_dir = v;
        else if ((v = cli_value(&a, "--name"))) cfg.name = v;
        else if ((v = cli_value(&a, "--poll"))) {
            if ((cfg.poll_seconds = atof(v)) <= 0) return bad("--poll takes seconds > 0");
        } else if ((v = cli_value(&a, "--threads"))) {
            if (cli_parse_int(v, 0, 1024, &cfg.threads)) return bad("--threads takes 0..1024");
        } else if ((v = cli_value(&a, "--mem"))) {
            if (cli_parse_size(v, &mem)) return bad("--mem takes a size such as 6G or 512M");
            cfg.mem_budget = (size_t)mem;
        } else if ((v = cli_value(&a, "--log-level"))) {
            int level = lm_log_parse_level(v);
            if (level < 0) return bad("--log-level is debug, info, warn or error");
            lm_log_set_level(level);
        } else {
            fprintf(stderr, "lmntk-worker: unknown argument '%s'\n", argv[a.i]);
            return usage(stderr);
        }
    }
    if (!cfg.server || !cfg.token) return usage(stderr);
    lm_error err;
    if (lmw_http_global_init(&err)) {
        fprintf(stderr, "lmntk-worker: %s\n", err.msg);
        return 2;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGPIPE, SIG_IGN);
    return lmw_run(&cfg, lm_run_job, &stop_requested);
}
