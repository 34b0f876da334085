/* daemon.c - lmntkd's life: settings, database, HTTP, the housekeeper that
 * re-queues expired leases, and a clean stop on SIGTERM/SIGINT.  A stop
 * loses nothing: every state change is already committed, and the leases of
 * running jobs stay in the database for the next start. */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "db.h"
#include "http.h"
#include "artifacts.h"
#include "queue.h"
#include "results.h"
#include "token_cmd.h"
#include "util/file.h"
#include "util/log.h"

static void *housekeeper(void *arg) {
    lmd_server *srv = arg;
    /* Often enough that an expired lease waits at most a fraction of a
     * lease time; the lease call also expires leases before it looks. */
    double period = srv->cfg.lease_seconds / 4;
    if (period < 0.2) period = 0.2;
    if (period > 5) period = 5;
    pthread_mutex_lock(&srv->stop_lock);
    while (!srv->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        double t = (double)until.tv_sec + until.tv_nsec * 1e-9 + period;
        until.tv_sec = (time_t)t;
        until.tv_nsec = (long)((t - (double)until.tv_sec) * 1e9);
        pthread_cond_timedwait(&srv->stop_cond, &srv->stop_lock, &until);
        if (srv->stopping) break;
        pthread_mutex_unlock(&srv->stop_lock);
        lm_error err;
        int n;
        lmd_db_conn *c = lmd_db_acquire(&srv->db);
        if (lmd_queue_expire(srv, c->h, &n, &err) != 0) lm_warn("housekeeper: %s", err.msg);
        lmd_db_release(c);
        pthread_mutex_lock(&srv->stop_lock);
    }
    pthread_mutex_unlock(&srv->stop_lock);
    return NULL;
}

/* Every connection is a descriptor, and may hold an artifact file open:
 * the soft limit is raised to the hard one, and max_connections held to
 * what then fits beside the database and the listener. */
static void fit_descriptors(lmd_config *cfg) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
    }
    rlim_t spare = 64 + 4 * (rlim_t)(cfg->threads + 2);
    if (rl.rlim_cur == RLIM_INFINITY || (rlim_t)cfg->max_connections * 2 + spare <= rl.rlim_cur) return;
    int fit = rl.rlim_cur > spare + 8 ? (int)((rl.rlim_cur - spare) / 2) : 4;
    lm_warn("max_connections %d lowered to %d: the process may open %llu files (ulimit -n)",
            cfg->max_connections, fit, (unsigned long long)rl.rlim_cur);
    cfg->max_connections = fit;
}

static int write_port_file(const char *path, int port, lm_error *err) {
    char text[16];
    int n = snprintf(text, sizeof text, "%d\n", port);
    return lm_write_file_atomic(path, text, (size_t)n, err);
}

/* Opens everything a running daemon needs; on failure the caller frees
 * what was opened with close_server. */
static int open_server(lmd_server *srv, lm_error *err) {
    srv->started_at = lmd_now();
    if (lmd_data_dir_make(srv->cfg.data_dir, err)) return -1;
    /* One daemon per data folder: two would hand out the same queue twice.
     * The kernel drops the lock when the process dies, however it dies. */
    char *lock_path = lm_path_join(srv->cfg.data_dir, "lmntkd.lock");
    srv->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    free(lock_path);
    if (srv->lock_fd < 0 || flock(srv->lock_fd, LOCK_EX | LOCK_NB) != 0)
        return lm_fail(err, "%s: another lmntkd is using this data folder", srv->cfg.data_dir);
    srv->artifacts_dir = lm_path_join(srv->cfg.data_dir, "artifacts");
    if (lm_mkdirs(srv->artifacts_dir, err)) return -1;
    if (srv->cfg.web_dir) {
        char real[PATH_MAX];
        if (!realpath(srv->cfg.web_dir, real) || !lm_dir_exists(real))
            return lm_fail(err, "web: %s is not a directory", srv->cfg.web_dir);
        srv->web_root = lm_xstrdup(real);
    }
    if (srv->cfg.models_dir && !lm_dir_exists(srv->cfg.models_dir))
        lm_warn("models: %s is not a directory; no model is registered", srv->cfg.models_dir);
    char *db_path = lm_path_join(srv->cfg.data_dir, "lmntk.db");
    int rc = lmd_db_open(&srv->db, db_path, srv->cfg.threads + 2, err);
    free(db_path);
    if (rc) return -1;
    lmd_db_conn *c = lmd_db_acquire(&srv->db);
    rc = lmd_queue_recover(srv, c->h, err);
    /* a delete a crash interrupted; what older daemons stored */
    if (rc == 0) rc = lmd_artifact_settle(c->h, srv->artifacts_dir, err);
    if (rc == 0) rc = lmd_results_backfill(c->h, err);
    lmd_db_release(c);
    if (rc) return -1;
    lmd_ratelimit_init(&srv->ratelimit, srv->cfg.rate_limit, srv->cfg.rate_burst, 0);
    pthread_mutex_init(&srv->stop_lock, NULL);
    pthread_cond_init(&srv->stop_cond, NULL);
    return 0;
}

static void close_server(lmd_server *srv) {
    if (srv->lock_fd > 0) close(srv->lock_fd);
    if (srv->ratelimit.buckets) lmd_ratelimit_free(&srv->ratelimit);
    if (srv->db.conns) lmd_db_close(&srv->db);
    free(srv->artifacts_dir);
    free(srv->web_root);
    lmd_config_free(&srv->cfg);
}

static int serve(lmd_server *srv) {
    lm_error err;
    /* Signals go to sigwait below, never to an MHD or SQLite thread. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    fit_descriptors(&srv->cfg);
    if (open_server(srv, &err) || lmd_http_start(srv, &err)) {
        lm_errorlog("lmntkd: %s", err.msg);
        close_server(srv);
        return 1;
    }
    int port = lmd_http_port(srv);
    if (srv->cfg.port_file && write_port_file(srv->cfg.port_file, port, &err)) {
        lm_errorlog("lmntkd: %s", err.msg);
        lmd_http_stop(srv);
        close_server(srv);
        return 1;
    }
    if (pthread_create(&srv->housekeeper, NULL, housekeeper, srv) != 0) {
        lm_errorlog("lmntkd: cannot start the housekeeper thread");
        lmd_http_stop(srv);
        close_server(srv);
        return 1;
    }
    lm_info("lmntkd listening on http://%s:%d (data %s, runner %s)", srv->cfg.listen_host, port,
            srv->cfg.data_dir, srv->runner.name);

    int sig = 0;
    sigwait(&stop_signals, &sig);
    lm_info("lmntkd: %s received, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    lmd_http_stop(srv); /* waits for requests in flight to finish */
    pthread_mutex_lock(&srv->stop_lock);
    srv->stopping = 1;
    pthread_cond_signal(&srv->stop_cond);
    pthread_mutex_unlock(&srv->stop_lock);
    pthread_join(srv->housekeeper, NULL);
    close_server(srv);
    lm_info("lmntkd: stopped");
    return 0;
}

int lmd_main(int argc, char **argv, const lmd_runner *runner) {
    if (argc >= 2 && !strcmp(argv[1], "token")) return lmd_token_command(argc - 2, argv + 2);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            lmd_config_usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--version")) {
            printf("lmntkd %s (runner %s)\n", LMNTK_VERSION, runner->name);
            return 0;
        }
    }
    lmd_server *srv = lm_xcalloc(1, sizeof *srv);
    srv->runner = *runner;
    lmd_config_defaults(&srv->cfg);
    lm_error err;
    if (lmd_config_from_args(&srv->cfg, argc - 1, argv + 1, &err)) {
        fprintf(stderr, "lmntkd: %s\n", err.msg);
        lmd_config_usage(stderr);
        lmd_config_free(&srv->cfg);
        free(srv);
        return 2;
    }
    lm_log_set_level(srv->cfg.log_level);
    int rc = serve(srv);
    free(srv);
    return rc;
}
