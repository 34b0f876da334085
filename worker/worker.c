/* worker.c - lease, run, heartbeat, upload, report. */
#include "util/clock.h"
#include "worker.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <math.h>
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
#include "util/rng.h"
#include "util/uuid.h"

void lmw_config_defaults(lmw_config *c) {
    memset(c, 0, sizeof *c);
    c->poll_seconds = 2;
    c->report_seconds = 600;
    c->retry_max_seconds = 30;
}

/* Exponential backoff with jitter: each failure doubles the wait up to a
 * cap, and the sleep is drawn from [wait/2, wait] so that workers that
 * failed together (a daemon restart) do not call back in step. */
typedef struct backoff {
    double first, cap, wait;
    lm_rng rng;
} backoff;

static void backoff_init(backoff *b, double first, double cap) {
    b->first = b->wait = first;
    b->cap = cap > first ? cap : first;
    lm_rng_seed(&b->rng, (uint64_t)getpid() * 0x9e3779b97f4a7c15ULL ^ (uint64_t)(lm_now() * 1e6));
}

static double backoff_next(backoff *b) {
    double sleep = b->wait * (0.5 + 0.5 * lm_rng_uniform(&b->rng));
    b->wait = b->wait * 2 > b->cap ? b->cap : b->wait * 2;
    return sleep;
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

/* A connection to the server as the config says (its --max-reply too). */
static int http_open(lmw_http *h, const lmw_config *cfg, long timeout_s, lm_error *err) {
    if (lmw_http_init(h, cfg->server, cfg->token, timeout_s, err)) return -1;
    if (cfg->max_reply) h->max_reply = cfg->max_reply;
    return 0;
}

static void *heartbeat_main(void *arg) {
    heartbeat *hb = arg;
    lmw_http http;
    lm_error err;
    if (http_open(&http, hb->cfg, 30, &err)) {
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

/* One HTTP call of a report, an upload or a download, for with_retries. */
typedef struct call {
    const char *method;     /* "POST": body; "PUT": file; "GET": into dest, or the reply */
    const char *path;
    const cJSON *body;
    const char *file;
    const char *dest;
} call;

/* 0 when a reply came (whatever its status), as lmw_http_json. */
static int send_call(lmw_http *http, const call *c, lmw_response *r, lm_error *err) {
    if (c->file) return lmw_http_put_file(http, c->path, c->file, r, err);
    if (c->dest) {
        memset(r, 0, sizeof *r);
        int rc = lmw_http_download(http, c->path, c->dest, &r->status, err);
        return rc == 0 || r->status != 0 ? 0 : -1;
    }
    return lmw_http_json(http, c->method, c->path, c->body, r, err);
}

/* Makes the call until a reply below 500 comes or report_seconds run out:
 * a result, once computed, is not given up because the daemon restarts.
 * Returns the HTTP status (0 when none came); why describes the reply. */
static long with_retries(const lmw_config *cfg, lmw_http *http, const call *c, char *why,
                         size_t why_len) {
    double give_up = lm_now() + cfg->report_seconds;
    backoff b;
    backoff_init(&b, 0.2, 10);
    for (;;) {
        lmw_response r;
        lm_error err;
        int sent = send_call(http, c, &r, &err) == 0;
        if (sent) lmw_response_describe(&r, why, why_len);
        else snprintf(why, why_len, "%s", err.msg);
        long status = sent ? r.status : 0;
        lmw_response_free(&r);
        if (sent && status < 500) return status;
        double wait = backoff_next(&b);
        if (lm_now() + wait > give_up) return 0;
        lm_warn("%s %s: %s; retrying in %.1f s", c->method, c->path, why, wait);
        sleep_seconds(wait);
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

/* The files of the jobs this job is "after" (a sharded kernel's merge job
 * reads its tiles), from the daemon into dir/<job index>/<file>: the
 * workers need share no file system. */
static int fetch_inputs(const lmw_config *cfg, lmw_http *http, const char *lease, double lease_seconds,
                        const char *dir, lm_error *err) {
    char path[160], why[512];
    /* no heartbeat thread yet (the job process is forked after this): the
     * lease is kept by a beat between files */
    char beat[160];
    snprintf(beat, sizeof beat, "/v1/leases/%s/heartbeat", lease);
    cJSON *beat_body = cJSON_CreateObject();
    cJSON_AddNumberToObject(beat_body, "progress", 0);
    cJSON_AddStringToObject(beat_body, "stage", "inputs");
    double last_beat = lm_now();
    snprintf(path, sizeof path, "/v1/leases/%s/inputs", lease);
    lmw_response r;
    if (lmw_http_json(http, "GET", path, NULL, &r, err)) return lm_fail_prefix(err, "inputs");
    cJSON *o = r.status == 200 ? lmw_response_json(&r) : NULL;
    if (!o) lmw_response_describe(&r, why, sizeof why);
    lmw_response_free(&r);
    if (!o) return lm_fail(err, "inputs: %s", why);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(o, "inputs"), *e;
    int rc = cJSON_IsArray(list) ? 0 : lm_fail(err, "inputs: the server's reply has no \"inputs\" list");
    cJSON_ArrayForEach(e, list) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(e, "name");
        const char *n = cJSON_IsString(name) ? name->valuestring : "";
        const char *slash = strchr(n, '/'), *last = strrchr(n, '/');
        /* "<job index>/[<folder>/]<file>", checked before it names a local path */
        int ok = slash && slash > n && strspn(n, "0123456789") == (size_t)(slash - n) && strlen(n) < 200 &&
                 lm_model_name_ok(slash + 1);
        if (!ok) {
            rc = lm_fail(err, "inputs: \"%.100s\" is not an input name", n);
            break;
        }
        char sub[256];
        snprintf(sub, sizeof sub, "%.*s", (int)(last - n), n);
        char *job_dir = lm_path_join(dir, sub), *dest = lm_path_join(job_dir, last + 1);
        char url[400];
        snprintf(url, sizeof url, "/v1/leases/%s/inputs/%s", lease, n);
        call c = {.method = "GET", .path = url, .dest = dest};
        if (lm_mkdirs(job_dir, err)) rc = -1;
        else if (with_retries(cfg, http, &c, why, sizeof why) != 200) rc = lm_fail(err, "input %s: %s", n, why);
        free(job_dir);
        free(dest);
        if (rc) break;
        if (lm_now() - last_beat > lease_seconds / 3) {
            lmw_response br;
            lm_error ignored; /* a missed beat: the next one, or the job's thread, keeps the lease */
            if (lmw_http_json(http, "POST", beat, beat_body, &br, &ignored) == 0) lmw_response_free(&br);
            last_beat = lm_now();
        }
    }
    cJSON_Delete(beat_body);
    cJSON_Delete(o);
    return rc;
}

typedef struct leased_job {
    char lease[LM_UUID_LEN + 1];
    char experiment[LM_UUID_LEN + 1];
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
    lm_run_options opt = {.cache_dir = cfg->cache_dir, .cache_secret_file = cfg->cache_secret_file,
                          .models_dir = cfg->models_dir, .data_root = cfg->data_root,
                          .mem_budget = cfg->mem_budget, .threads = cfg->threads};
    cJSON *result = NULL;
    lm_error err;
    lm_error_clear(&err);
    double t0 = lm_now();
    lm_info("job %d of experiment %s: started (lease %s)", lj->job_index, lj->experiment, lj->lease);
    /* The job process first, while this process has no thread of its own;
     * what keeps it from starting is reported like a job's error.  A job
     * that is after others gets their files first, beside its own folder
     * (not in it: everything in it is uploaded). */
    int have_dir = mkdtemp(out_dir) != NULL;
    if (!have_dir) lm_fail(&err, "cannot make a work folder %s: %s", out_dir, strerror(errno));
    char in_dir[4096];
    int have_inputs = 0;
    const cJSON *after = cJSON_GetObjectItemCaseSensitive(lj->job, "after");
    if (have_dir && cJSON_GetArraySize(after) > 0) {
        snprintf(in_dir, sizeof in_dir, "%s/lmntk-inputs-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        have_inputs = mkdtemp(in_dir) != NULL;
        if (!have_inputs) lm_fail(&err, "cannot make an inputs folder %s: %s", in_dir, strerror(errno));
        else if (fetch_inputs(cfg, http, lj->lease, lj->lease_seconds, in_dir, &err) == 0) opt.inputs_dir = in_dir;
    }
    lmw_job_process jp;
    int started = have_dir && (!cJSON_GetArraySize(after) || opt.inputs_dir) &&
                  lmw_job_start(&jp, runner, lj->spec, lj->job, &opt, out_dir, cfg->mem_limit, &err) == 0;

    heartbeat hb = {.cfg = cfg, .stop = stop};
    snprintf(hb.path, sizeof hb.path, "/v1/leases/%s/heartbeat", lj->lease);
    hb.interval = lj->lease_seconds / 3 < 0.2 ? 0.2 : lj->lease_seconds / 3;
    pthread_mutex_init(&hb.lock, NULL);
    pthread_cond_init(&hb.wake, NULL);
    pthread_t thread;
    int have_thread = pthread_create(&thread, NULL, heartbeat_main, &hb) == 0;
    if (!have_thread) lm_warn("job: no heartbeat thread; the lease may expire");

    lm_run_hooks hooks = {.progress = on_progress, .ctx = &hb};
    int rc = started ? lmw_job_wait(&jp, &hooks, &result, &err) : -1;

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
    if (have_dir) remove_tree(out_dir);
    if (have_inputs) remove_tree(in_dir);
    return rc;
}

/* ---- the loop ------------------------------------------------------------------ */

/* A lease reply checked field by field before anything of it is used: the
 * lease id goes into URLs, the numbers into timers.  Returns 0, or -1 with
 * what is wrong in why. */
static int parse_lease(const cJSON *o, leased_job *lj, char *why, size_t cap) {
    const cJSON *lease = cJSON_GetObjectItemCaseSensitive(o, "lease");
    const cJSON *exp = cJSON_GetObjectItemCaseSensitive(o, "experiment_id");
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(o, "spec");
    const cJSON *idx = cJSON_GetObjectItemCaseSensitive(o, "job_index");
    const cJSON *secs = cJSON_GetObjectItemCaseSensitive(o, "lease_seconds");
    const cJSON *job = cJSON_GetObjectItemCaseSensitive(o, "job");
    const char *bad = NULL;
    if (!cJSON_IsObject(o)) bad = "it is not a JSON object";
    else if (!cJSON_IsString(lease)) bad = "\"lease\" is not a string";
    else if (!lm_uuid_ok(lease->valuestring)) bad = "\"lease\" is not a UUID";
    else if (!cJSON_IsString(exp) || !lm_uuid_ok(exp->valuestring)) bad = "\"experiment_id\" is not a UUID";
    else if (!cJSON_IsString(spec)) bad = "\"spec\" is not a string";
    else if (!cJSON_IsObject(job)) bad = "\"job\" is not an object";
    else if (!cJSON_IsNumber(idx) || !(idx->valuedouble >= 0 && idx->valuedouble <= 1e9) ||
             idx->valuedouble != floor(idx->valuedouble))
        bad = "\"job_index\" is not an integer in 0..1e9";
    else if (!cJSON_IsNumber(secs) || !(secs->valuedouble > 0 && secs->valuedouble <= 86400))
        bad = "\"lease_seconds\" is not a number in (0, 86400]";
    if (bad) {
        snprintf(why, cap, "the server's reply is not a lease: %s", bad);
        return -1;
    }
    memcpy(lj->lease, lease->valuestring, LM_UUID_LEN + 1);
    memcpy(lj->experiment, exp->valuestring, LM_UUID_LEN + 1);
    lj->spec = spec->valuestring;
    lj->job = job;
    lj->job_index = (int)idx->valuedouble;
    lj->lease_seconds = secs->valuedouble;
    return 0;
}

typedef enum { LEASE_JOB, LEASE_NONE, LEASE_RETRY, LEASE_REFUSED } lease_outcome;

/* One lease call.  LEASE_JOB: *reply holds the lease (lj points into it);
 * otherwise why says what came instead. */
static lease_outcome take_lease(lmw_http *http, const char *name, const char *host, size_t mem,
                                cJSON **reply, leased_job *lj, char *why, size_t cap) {
    *reply = NULL;
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "worker", name);
    /* what GET /v1/workers shows of this worker */
    cJSON_AddStringToObject(req, "host", host);
    /* the daemon leases only jobs whose least memory fits in --mem */
    cJSON_AddNumberToObject(req, "mem_bytes", (double)(mem ? mem : LM_KERNEL_DEFAULT_BUDGET));
    lmw_response r;
    lm_error err;
    int rc = lmw_http_json(http, "POST", "/v1/leases", req, &r, &err);
    cJSON_Delete(req);
    if (rc != 0) {
        snprintf(why, cap, "%s", err.msg);
        return LEASE_RETRY;
    }
    lease_outcome out = LEASE_RETRY;
    if (r.status == 204) {
        out = LEASE_NONE;
    } else if (r.status == 200) {
        *reply = lmw_response_json(&r);
        if (!*reply) snprintf(why, cap, "the server's reply is not JSON: %.120s", r.body);
        else if (parse_lease(*reply, lj, why, cap) == 0) out = LEASE_JOB;
    } else {
        /* 400/401/403: this worker's token or request is refused, and will
         * be next time; anything else (5xx, 429, a proxy's 404) may pass. */
        lmw_response_describe(&r, why, cap);
        if (r.status == 400 || r.status == 401 || r.status == 403) out = LEASE_REFUSED;
    }
    if (out != LEASE_JOB) {
        cJSON_Delete(*reply);
        *reply = NULL;
    }
    lmw_response_free(&r);
    return out;
}

int lmw_run(const lmw_config *cfg, lmw_job_runner runner, volatile sig_atomic_t *stop) {
    lmw_http http;
    lm_error err;
    /* The service's specs name data relative to the daemon's data root; a
     * worker that would read them relative to its own working folder (as
     * `lmntk run` does) must not take its jobs. */
    if (!cfg->data_root) {
        lm_errorlog("lmntk-worker: --data-root DIR is required: the service's jobs name their data "
                    "relative to the daemon's data root (the same folder, as mounted on this host)");
        return 2;
    }
    if (http_open(&http, cfg, 60, &err)) {
        lm_errorlog("lmntk-worker: %s", err.msg);
        return 2;
    }
    char name[256], host[128] = "worker";
    gethostname(host, sizeof host - 1);
    if (cfg->name) snprintf(name, sizeof name, "%s", cfg->name);
    else snprintf(name, sizeof name, "%.120s:%ld", host, (long)getpid());
    lm_info("lmntk-worker %s: serving %s", name, cfg->server);
    int status = 0;
    backoff b;
    backoff_init(&b, cfg->poll_seconds, cfg->retry_max_seconds);
    while (!*stop) {
        cJSON *reply;
        leased_job lj = {0};
        char why[LM_ERROR_MAX + 64];
        lease_outcome out = take_lease(&http, name, host, cfg->mem_budget, &reply, &lj, why, sizeof why);
        if (out == LEASE_REFUSED) {
            lm_errorlog("lease refused: %s", why);
            status = 2;
            break;
        }
        if (out == LEASE_RETRY) {
            /* A lease we cannot read is never used: the server takes the
             * job back when the lease expires. */
            double wait = backoff_next(&b);
            lm_warn("lease: %s; retrying in %.1f s", why, wait);
            nap(wait, stop);
            continue;
        }
        backoff_init(&b, cfg->poll_seconds, cfg->retry_max_seconds);
        if (out == LEASE_NONE) {
            nap(cfg->poll_seconds, stop);
            continue;
        }
        int job_rc = run_job(cfg, runner, &http, &lj, stop);
        cJSON_Delete(reply);
        if (cfg->once) {
            status = job_rc == 0 ? 0 : 1;
            break;
        }
    }
    lmw_http_free(&http);
    lm_info("lmntk-worker %s: stopped", name);
    return status;
}
