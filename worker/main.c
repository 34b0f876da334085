/* main.c - lmntk-worker: leases jobs from lmntkd and runs them with the
 * experiment runner (lm_run_job). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli_args.h"
#include "http_client.h"
#include "store/cache.h"
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
        "usage: lmntk-worker --server URL --token T --data-root DIR [--once]\n"
        "                    [--cache DIR [--cache-secret-file FILE]] [--models DIR] [--work DIR]\n"
        "                    [--name NAME] [--poll SECONDS] [--threads N] [--mem 6G]\n"
        "                    [--mem-limit SIZE] [--max-reply SIZE]\n"
        "                    [--log-level debug|info|warn|error]\n"
        "       lmntk-worker --version | --help\n"
        "  --server, --token default to $LMNTK_SERVER, $LMNTK_TOKEN (a worker token).\n"
        "  --once: run one job, then exit (0 if it succeeded).\n"
        "  --cache: the content-addressed cache; workers here and elsewhere may share it.\n"
        "  --cache-secret-file: the secret (16+ bytes, mode 600 or 640) that keys the MACs of\n"
        "    cache entries; workers sharing a cache share it, entries made without it are\n"
        "    ignored (default $LMNTK_CACHE_SECRET_FILE, else ~/.config/lmntk/cache-secret).\n"
        "  --mem-limit: each job's memory cap (heap and anonymous memory); past it the job\n"
        "    fails with \"out of memory\" (default: none).\n"
        "  --max-reply: the largest server reply read (default 64M).\n"
        "  --models: where the model names of specs are found (a spec may also give the path\n"
        "    of one of its folders).\n"
        "  --data-root: the daemon's data root as mounted here (its data_root setting): spec\n"
        "    \"data\" and corpus paths are looked up under DIR and may not leave it.  Required.\n"
        "  --mem: the memory a job may use here (default 6G); the daemon leases only jobs\n"
        "    whose least memory fits.\n"
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
        if (cli_flag(&a, "--version")) {
            printf("lmntk-worker %s\n", LMNTK_VERSION);
            return 0;
        }
        if (cli_flag(&a, "--once")) cfg.once = 1;
        else if ((v = cli_value(&a, "--server"))) cfg.server = v;
        else if ((v = cli_value(&a, "--token"))) cfg.token = v;
        else if ((v = cli_value(&a, "--cache"))) cfg.cache_dir = v;
        else if ((v = cli_value(&a, "--cache-secret-file"))) cfg.cache_secret_file = v;
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
        } else if ((v = cli_value(&a, "--mem-limit"))) {
            if (cli_parse_size(v, &mem) || mem < (16ULL << 20))
                return bad("--mem-limit takes a size of at least 16M, such as 8G");
            cfg.mem_limit = (size_t)mem;
        } else if ((v = cli_value(&a, "--max-reply"))) {
            if (cli_parse_size(v, &mem) || mem < 4096) return bad("--max-reply takes a size of at least 4K, such as 64M");
            cfg.max_reply = (size_t)mem;
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
    if (cfg.cache_dir) {
        /* A bad secret is a configuration error, found now rather than in
         * every job; a cache folder that cannot be used is only a warning. */
        uint8_t secret[LM_CACHE_SECRET_MAX];
        size_t len;
        if (lm_cache_secret_load(cfg.cache_secret_file, secret, &len, &err)) return bad(err.msg);
        lm_cache *cache = lm_cache_open(cfg.cache_dir, cfg.cache_secret_file, &err);
        if (!cache) lm_warn("cache %s: %s; jobs will compute without it", cfg.cache_dir, err.msg);
        lm_cache_close(cache);
    }
    if (lmw_http_global_init(&err)) {
        fprintf(stderr, "lmntk-worker: %s\n", err.msg);
        return 2;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGPIPE, SIG_IGN);
    return lmw_run(&cfg, lm_run_job, &stop_requested);
}
