/* worker.c - lease, run, heartbeat, upload, report. */
#include "util/clock.h"
#include "worker.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "http_client.h"
#include "util/file.h"
#include "util/log.h"

void lmw_config_defaults(lmw_config *c) {
    memset(c, 0, sizeof *c);
    c->poll_seconds = 2;
    c->report_seconds = 600;
}

static void sleep_seconds(double seconds) {
    struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    nanosleep(&ts, NULL);
}

/* Sleeps up to seconds, waking early when *stop is set. */
static void nap(double seconds, volatile sig_atomic_t *stop) {
    while (seconds > 0 && !*stop) {
        double step = seconds < 0.05 ? seconds : 0.05;
        sleep_seconds(step);
        seconds -= step;
    }
}

/* ---- the heartbeat thread ------------------------------------------------- */

/* Shared between the job (through the progress hook) and the heartbeat
 * thread.  The thread, not the job, keeps the lease: a job may spend longer
 * than a lease inside one BLAS call. */
typedef struct heartbeat {
    const lmw_config *cfg;
    char path[128];              /* /v1/leases/<lease>/heartbeat */
    double interval;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    double progress;
    char stage[200];
    int cancel;                  /* the server said cancel */
    int lost;                    /* the lease is no longer ours */
    int done;                    /* the job is over: the thread ends */
    volatile sig_atomic_t *stop; /* a signal asked the worker to stop */
} heartbeat;

static void beat_once(heartbeat *hb, lmw_http *http) {
    pthread_mutex_lock(&hb->lock);
    cJSON *body = cJSON_CreateObject();
    cJSON_AddNumberToObject(body, "progress", hb->progress);
    if (hb->stage[0]) cJSON_AddStringToObject(body, "stage", hb->stage);
    pthread_mutex_unlock(&hb->lock);
    lmw_response r;
    lm_error err;
    int rc = lmw_http_json(http, "POST", hb->path, body, &r, &err);
    cJSON_Delete(body);
    if (rc != 0) {
        /* The server may be restarting; the lease survives it. */
        lm_warn("heartbeat: %s", err.msg);
        return;
    }
    cJSON *o = lmw_response_json(&r);
    pthread_mutex_lock(&hb->lock);
    if (r.status == 200 && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "cancel"))) {
        if (!hb->cancel) lm_info("heartbeat: the experiment was cancelled; stopping the job");
        hb->cancel = 1;
    } else if (r.status == 404 || r.status == 409) {
        if (!hb->lost) lm_warn("heartbeat: the lease is lost; abandoning the job");
        hb->lost = 1;
    } else if (r.status != 200) {
        char why[256];
        lmw_response_describe(&r, why, sizeof why);
        lm_warn("heartbeat: %s", why);
    }
    pthread_mutex_unlock(&hb->lock);
    cJSON_Delete(o);
    lmw_response_free(&r);
}

static void *heartbeat_main(void *arg) {
    heartbeat *hb = arg;
    lmw_http http;
    lm_error err;
    if (lmw_http_init(&http, hb->cfg->server, hb->cfg->token, 30, &err)) {
        lm_errorlog("heartbeat: %s", err.msg);
        return NULL;
    }
    pthread_mutex_lock(&hb->lock);
    while (!hb->done) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        double t = (double)until.tv_sec + until.tv_nsec * 1e-9 + hb->interval;
        until.tv_sec = (time_t)t;
        until.tv_nsec = (long)((t - (double)until.tv_sec) * 1e9);
        pthread_cond_timedwait(&hb->wake, &hb->lock, &until);
        if (hb->done) break;
        pthread_mutex_unlock(&hb->lock);
        beat_once(hb, &http);
        pthread_mutex_lock(&hb->lock);
    }
    pthread_mutex_unlock(&hb->lock);
    lmw_http_free(&http);
    return NULL;
}

/* lm_run_hooks.progress: records progress; nonzero asks the job to stop. */
static int on_progress(void *ctx, double fraction, const char *stage) {
    heartbeat *hb = ctx;
    pthread_mutex_lock(&hb->lock);
    hb->progress = fraction < 0 ? 0 : fraction > 1 ? 1 : fraction;
    if (stage) snprintf(hb->stage, sizeof hb->stage, "%s", stage);
    int stop = hb->cancel || hb->lost || *hb->stop;
    pthread_mutex_unlock(&hb->lock);
    return stop;
}

/* ---- one job ------------------------------------------------------------------ */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st; (void)flag; (void)ftw;
    remove(path);
    return 0;
}

static void remove_tree(const char *dir) { nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS); }

/* One HTTP call of a report or an upload, for with_retries. */
typedef struct call {
    const char *method;     /* "POST": body; "PUT": file */
    const char *path;
    const cJSON *body;
    const char *file;
} call;

static int send_call(lmw_http *http, const call *c, lmw_response *r, lm_error *err) {
    if (c->file) return lmw_http_put_file(http, c->path, c->file, r, err);
    return lmw_http_json(http, c->method, c->path, c->body, r, err);
}

/* Makes the call until a reply below 500 comes or report_seconds run out:
 * a result, once computed, is not given up because the daemon restarts.
 * Returns the HTTP status (0 when none came); why describes the reply. */
static long with_retries(const lmw_config *cfg, lmw_http *http, const call *c, char *why,
                         size_t why_len) {
    double give_up = lm_now() + cfg->report_seconds, wait = 0.2;
    for (;;) {
        lmw_response r;
        lm_error err;
        int sent = send_call(http, c, &r, &err) == 0;
        if (sent) lmw_response_describe(&r, why, why_len);
        else snprintf(why, why_len, "%s", err.msg);
        long status = sent ? r.status : 0;
        lmw_response_free(&r);
        if (sent && status < 500) return status;
        if (lm_now() + wait > give_up) return 0;
        lm_warn("%s %s: %s; retrying in %.1f s", c->method, c->path, why, wait);
        sleep_seconds(wait);
        wait = wait * 2 > 10 ? 10 : wait * 2;
    }
}

/* PUTs every file the job wrote in dir as an artifact named prefix + its
 * name; with depth, the files of its folders too (a model folder is
 * "finetuned-model/config.json", ...). */
static int upload_folder(const lmw_config *cfg, lmw_http *http, const char *lease, const char *dir,
                         const char *prefix, int depth, lm_error *err) {
    DIR *d = opendir(dir);
    if (!d) return lm_fail(err, "%s: cannot list: %s", dir, strerror(errno));
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char *file = lm_path_join(dir, e->d_name);
        char name[512];
        snprintf(name, sizeof name, "%s%s", prefix, e->d_name);
        if (lm_file_exists(file)) {
            char path[768], why[512];
            snprintf(path, sizeof path, "/v1/leases/%s/artifacts/%s", lease, name);
            call c = {.method = "PUT", .path = path, .file = file};
            if (with_retries(cfg, http, &c, why, sizeof why) != 201)
                rc = lm_fail(err, "artifact %s: %s", name, why);
        } else if (lm_dir_exists(file) && depth > 0) {
            char sub[520];
            snprintf(sub, sizeof sub, "%s/", name);
            rc = upload_folder(cfg, http, lease, file, sub, depth - 1, err);
        } else if (lm_dir_exists(file)) {
            lm_warn("artifact %s: folders inside folders are not uploaded", name);
        }
        free(file);
    }
    closedir(d);
    return rc;
}

static int upload_artifacts(const lmw_config *cfg, lmw_http *http, const char *lease,
                            const char *out_dir, lm_error *err) {
    return upload_folder(cfg, http, lease, out_dir, "", 1, err);
}

typedef struct leased_job {
    char lease[64];
    char experiment[64];
    int job_index;
    double lease_seconds;
    const char *spec;    /* inside the lease reply */
    const cJSON *job;
} leased_job;

/* Runs one leased job to its report.  Returns 0 when the job succeeded. */
static int run_job(const lmw_config *cfg, lmw_job_runner runner, lmw_http *http, const leased_job *lj,
                   volatile sig_atomic_t *stop) {
    const char *tmp = cfg->work_dir ? cfg->work_dir : getenv("TMPDIR");
    char out_dir[4096];
    snprintf(out_dir, sizeof out_dir, "%s/lmntk-job-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(out_dir)) {
        lm_errorlog("job: cannot make a work folder %s: %s", out_dir, strerror(errno));
        return -1;
    }
    heartbeat hb = {.cfg = cfg, .stop = stop};
    snprintf(hb.path, sizeof hb.path, "/v1/leases/%s/heartbeat", lj->lease);
    hb.interval = lj->lease_seconds / 3 < 0.2 ? 0.2 : lj->lease_seconds / 3;
    pthread_mutex_init(&hb.lock, NULL);
    pthread_cond_init(&hb.wake, NULL);
    pthread_t thread;
    int have_thread = pthread_create(&thread, NULL, heartbeat_main, &hb) == 0;
    if (!have_thread) lm_warn("job: no heartbeat thread; the lease may expire");

    lm_run_options opt = {.cache_dir = cfg->cache_dir, .models_dir = cfg->models_dir,
                          .data_root = cfg->data_root, .mem_budget = cfg->mem_budget, .threads = cfg->threads};
    lm_run_hooks hooks = {.progress = on_progress, .ctx = &hb};
    cJSON *result = NULL;
    lm_error err;
    lm_error_clear(&err);
    double t0 = lm_now();
    lm_info("job %d of experiment %s: started (lease %s)", lj->job_index, lj->experiment, lj->lease);
    int rc = runner(lj->spec, lj->job, &opt, &hooks, out_dir, &result, &err);

    pthread_mutex_lock(&hb.lock);
    int cancelled = hb.cancel, lost = hb.lost;
    pthread_mutex_unlock(&hb.lock);
    cJSON *body = cJSON_CreateObject();
    const char *verb = NULL; /* the report: "complete" or "fail" */
    if (lost) {
        lm_warn("job %d: lease lost; result discarded", lj->job_index);
        rc = -1;
    } else if (rc != 0 || cancelled || *stop) {
        /* A stopping worker hands the job back without using an attempt. */
        int release = *stop && !cancelled;
        verb = "fail";
        cJSON_AddStringToObject(body, "error", cancelled ? "cancelled"
                                               : release ? "worker stopping" : err.msg);
        if (release) cJSON_AddBoolToObject(body, "release", 1);
        lm_log(cancelled || release ? LM_LOG_INFO : LM_LOG_WARN, "job %d: %s", lj->job_index,
               cancelled ? "cancelled" : release ? "handed back" : err.msg);
        rc = -1;
    } else if (upload_artifacts(cfg, http, lj->lease, out_dir, &err) != 0) {
        lm_warn("job %d: %s", lj->job_index, err.msg);
        verb = "fail";
        cJSON_AddStringToObject(body, "error", err.msg);
        rc = -1;
    } else {
        verb = "complete";
        cJSON_AddItemToObject(body, "result", result);
        result = NULL;
    }
    if (verb) {
        char path[160], why[1024];
        snprintf(path, sizeof path, "/v1/leases/%s/%s", lj->lease, verb);
        call c = {.method = "POST", .path = path, .body = body};
        if (with_retries(cfg, http, &c, why, sizeof why) != 200) {
            lm_warn("job %d: report refused: %s", lj->job_index, why);
            rc = -1;
        } else if (rc == 0) {
            lm_info("job %d of experiment %s: done in %.1f s", lj->job_index, lj->experiment,
                    lm_now() - t0);
        }
    }
    cJSON_Delete(body);
    cJSON_Delete(result);

    /* Only now: uploads and reports happen under a live lease. */
    pthread_mutex_lock(&hb.lock);
    hb.done = 1;
    pthread_cond_signal(&hb.wake);
    pthread_mutex_unlock(&hb.lock);
    if (have_thread) pthread_join(thread, NULL);
    pthread_mutex_destroy(&hb.lock);
    pthread_cond_destroy(&hb.wake);
    remove_tree(out_dir);
    return rc;
}

/* ---- the loop ------------------------------------------------------------------ */

/* Copies a string member into out; -1 when missing or too long. */
static int member(const cJSON *o, const char *key, char *out, size_t cap) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsString(v) || strlen(v->valuestring) >= cap) return -1;
    memcpy(out, v->valuestring, strlen(v->valuestring) + 1);
    return 0;
}

int lmw_run(const lmw_config *cfg, lmw_job_runner runner, volatile sig_atomic_t *stop) {
    lmw_http http;
    lm_error err;
    if (lmw_http_init(&http, cfg->server, cfg->token, 60, &err)) {
        lm_errorlog("lmntk-worker: %s", err.msg);
        return 2;
    }
    char name[256], host[128] = "worker";
    gethostname(host, sizeof host - 1);
    if (cfg->name) snprintf(name, sizeof name, "%s", cfg->name);
    else snprintf(name, sizeof name, "%.120s:%ld", host, (long)getpid());
    lm_info("lmntk-worker %s: serving %s", name, cfg->server);
    int status = 0;
    double backoff = cfg->poll_seconds;
    while (!*stop) {
        cJSON *req = cJSON_CreateObject();
        cJSON_AddStringToObject(req, "worker", name);
        /* what GET /v1/workers shows of this worker */
        cJSON_AddStringToObject(req, "host", host);
        if (cfg->mem_budget > 0) cJSON_AddNumberToObject(req, "mem_limit_bytes", (double)cfg->mem_budget);
        lmw_response r;
        int rc = lmw_http_json(&http, "POST", "/v1/leases", req, &r, &err);
        cJSON_Delete(req);
        if (rc != 0 || r.status >= 500) {
            char why[512];
            if (rc == 0) lmw_response_describe(&r, why, sizeof why);
            lm_warn("lease: %s; retrying in %.1f s", rc ? err.msg : why, backoff);
            lmw_response_free(&r);
            nap(backoff, stop);
            backoff = backoff * 2 > 30 ? 30 : backoff * 2;
            continue;
        }
        backoff = cfg->poll_seconds;
        if (r.status == 204) {
            lmw_response_free(&r);
            nap(cfg->poll_seconds, stop);
            continue;
        }
        if (r.status != 200) {
            char why[512];
            lmw_response_describe(&r, why, sizeof why);
            lm_errorlog("lease refused: %s", why);
            lmw_response_free(&r);
            status = 2;
            break;
        }
        cJSON *o = lmw_response_json(&r);
        lmw_response_free(&r);
        leased_job lj = {0};
        const cJSON *spec = cJSON_GetObjectItemCaseSensitive(o, "spec");
        const cJSON *idx = cJSON_GetObjectItemCaseSensitive(o, "job_index");
        const cJSON *secs = cJSON_GetObjectItemCaseSensitive(o, "lease_seconds");
        lj.job = cJSON_GetObjectItemCaseSensitive(o, "job");
        if (member(o, "lease", lj.lease, sizeof lj.lease) ||
            member(o, "experiment_id", lj.experiment, sizeof lj.experiment) || !cJSON_IsString(spec) ||
            !cJSON_IsObject(lj.job) || !cJSON_IsNumber(idx) || !cJSON_IsNumber(secs)) {
            lm_errorlog("lease: the server's reply is not a lease");
            cJSON_Delete(o);
            status = 2;
            break;
        }
        lj.spec = spec->valuestring;
        lj.job_index = (int)idx->valuedouble;
        lj.lease_seconds = secs->valuedouble;
        int job_rc = run_job(cfg, runner, &http, &lj, stop);
        cJSON_Delete(o);
        if (cfg->once) {
            status = job_rc == 0 ? 0 : 1;
            break;
        }
    }
    lmw_http_free(&http);
    lm_info("lmntk-worker %s: stopped", name);
    return status;
}
