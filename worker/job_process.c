/* job_process.c - a job in a child process: progress and outcome over a
 * pipe, stop through a shared page, the reason of an abnormal end. */
#include "job_process.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "util/clock.h"
#include "util/log.h"

/* Messages child -> parent: a type byte, a u32 payload length (host order:
 * both ends are one machine), the payload. */
enum { MSG_PROGRESS = 'p', MSG_RESULT = 'r', MSG_ERROR = 'e' };
#define HEADER 5
/* A result bigger than this is a bug in the job, not something to buffer. */
#define MESSAGE_MAX ((size_t)256 << 20)

/* ---- the child ---------------------------------------------------------- */

/* What the child's hooks and out-of-memory handler need. */
static struct {
    int fd;                   /* the message pipe */
    atomic_int *stop;         /* on the shared page */
    size_t mem_limit;
} child;

static int write_all(int fd, const void *data, size_t len) {
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Async-signal-safe enough for the out-of-memory path: no allocation. */
static void send_message(int type, const void *a, size_t na, const void *b, size_t nb) {
    unsigned char h[HEADER];
    uint32_t n = (uint32_t)(na + nb);
    h[0] = (unsigned char)type;
    memcpy(h + 1, &n, 4);
    if (write_all(child.fd, h, HEADER) || write_all(child.fd, a, na) || (nb && write_all(child.fd, b, nb)))
        _exit(1); /* the parent is gone */
}

static int child_progress(void *ctx, double fraction, const char *stage) {
    (void)ctx;
    send_message(MSG_PROGRESS, &fraction, sizeof fraction, stage ? stage : "", stage ? strlen(stage) : 0);
    return atomic_load(child.stop);
}

/* lm_xmalloc's failure, reported as the job's error; the process then ends
 * (its memory state is not to be trusted further). */
static void child_out_of_memory(size_t bytes) {
    char msg[256];
    int n;
    if (child.mem_limit)
        n = snprintf(msg, sizeof msg, "out of memory: allocating %zu bytes failed (the job's memory limit "
                     "is %zu MiB: lmntk-worker --mem-limit)", bytes, child.mem_limit >> 20);
    else
        n = snprintf(msg, sizeof msg, "out of memory: allocating %zu bytes failed", bytes);
    send_message(MSG_ERROR, msg, (size_t)n, NULL, 0);
    _exit(3);
}

static void *cjson_alloc(size_t n) { return lm_xmalloc(n); }

static void child_main(pid_t parent, int msg_fd, int log_fd, atomic_int *stop,
                       lmw_job_runner runner, const char *spec_json, const cJSON *job,
                       const lm_run_options *opt, const char *out_dir, size_t mem_limit) {
    /* Ends with the worker, even by SIGKILL; the worker's stop signals are
     * relayed through *stop, not delivered here. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    dup2(log_fd, STDERR_FILENO);
    close(log_fd);
    child.fd = msg_fd;
    child.stop = stop;
    child.mem_limit = mem_limit;
    if (mem_limit) {
        struct rlimit rl = {mem_limit, mem_limit};
        if (setrlimit(RLIMIT_DATA, &rl) != 0) {
            char msg[160];
            int n = snprintf(msg, sizeof msg, "cannot limit the job's memory: %s", strerror(errno));
            send_message(MSG_ERROR, msg, (size_t)n, NULL, 0);
            _exit(1);
        }
    }
    lm_set_oom_handler(child_out_of_memory);
    cJSON_Hooks hooks = {cjson_alloc, free}; /* cJSON's allocations fail the same way */
    cJSON_InitHooks(&hooks);
    lm_run_hooks run_hooks = {.progress = child_progress, .ctx = NULL};
    cJSON *result = NULL;
    lm_error err;
    lm_error_clear(&err);
    int rc = runner(spec_json, job, opt, &run_hooks, out_dir, &result, &err);
    if (rc == 0 && result) {
        char *text = cJSON_PrintUnformatted(result);
        send_message(MSG_RESULT, text, strlen(text), NULL, 0);
    } else {
        if (rc == 0) snprintf(err.msg, sizeof err.msg, "the job returned no result");
        if (!err.msg[0]) snprintf(err.msg, sizeof err.msg, "the job failed without saying why");
        send_message(MSG_ERROR, err.msg, strlen(err.msg), NULL, 0);
    }
    fflush(stdout);
    _exit(0);
}

int lmw_job_start(lmw_job_process *jp, lmw_job_runner runner, const char *spec_json,
                  const cJSON *job, const lm_run_options *opt, const char *out_dir,
                  size_t mem_limit, lm_error *err) {
    memset(jp, 0, sizeof *jp);
    jp->pid = -1;
    int msg[2], log[2];
    void *page = mmap(NULL, sizeof(atomic_int), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) return lm_fail(err, "job: cannot map a shared page: %s", strerror(errno));
    if (pipe2(msg, O_CLOEXEC) != 0) {
        munmap(page, sizeof(atomic_int));
        return lm_fail(err, "job: cannot make a pipe: %s", strerror(errno));
    }
    if (pipe2(log, O_CLOEXEC) != 0) {
        close(msg[0]), close(msg[1]);
        munmap(page, sizeof(atomic_int));
        return lm_fail(err, "job: cannot make a pipe: %s", strerror(errno));
    }
    jp->stop = page;
    atomic_init(jp->stop, 0);
    jp->mem_limit = mem_limit;
    fflush(NULL); /* or the child would write the parent's buffered output again */
    pid_t parent = getpid(), pid = fork();
    if (pid == 0) {
        close(msg[0]);
        close(log[0]);
        child_main(parent, msg[1], log[1], jp->stop, runner, spec_json, job, opt, out_dir, mem_limit);
    }
    int e = errno;
    close(msg[1]);
    close(log[1]);
    if (pid < 0) {
        close(msg[0]), close(log[0]);
        munmap(page, sizeof(atomic_int));
        return lm_fail(err, "job: cannot start a job process: %s", strerror(e));
    }
    jp->pid = pid;
    jp->msg_fd = msg[0];
    jp->log_fd = log[0];
    return 0;
}

/* ---- the parent ----------------------------------------------------------------- */

typedef struct inbox {
    char *buf;
    size_t len, cap;
} inbox;

/* Reads what is there; 0 at end of file, -1 on nothing new (or an error). */
static ssize_t read_some(int fd, inbox *in) {
    if (in->cap - in->len < 65536) {
        in->cap = in->cap ? in->cap * 2 : 131072;
        in->buf = lm_xrealloc(in->buf, in->cap);
    }
    ssize_t n = read(fd, in->buf + in->len, in->cap - in->len);
    if (n > 0) in->len += (size_t)n;
    return n;
}

/* What the wait loop knows of the child so far. */
typedef struct outcome {
    double fraction;
    char *result;        /* its JSON text, when sent */
    char error[LM_ERROR_MAX];
    int has_error;
    int too_big;
    char last_line[400]; /* of its stderr */
} outcome;

/* Takes every whole message off the front of in. */
static void take_messages(inbox *in, outcome *o, const lm_run_hooks *hooks, int *stop_asked) {
    size_t at = 0;
    while (in->len - at >= HEADER) {
        uint32_t n;
        memcpy(&n, in->buf + at + 1, 4);
        if (n > MESSAGE_MAX) {
            o->too_big = 1;
            at = in->len;
            break;
        }
        if (in->len - at - HEADER < n) break;
        const char *p = in->buf + at + HEADER;
        int type = in->buf[at];
        if (type == MSG_PROGRESS && n >= sizeof(double)) {
            char stage[200];
            size_t sn = n - sizeof(double) < sizeof stage - 1 ? n - sizeof(double) : sizeof stage - 1;
            memcpy(&o->fraction, p, sizeof(double));
            memcpy(stage, p + sizeof(double), sn);
            stage[sn] = '\0';
            if (hooks && hooks->progress && hooks->progress(hooks->ctx, o->fraction, sn ? stage : NULL))
                *stop_asked = 1;
        } else if (type == MSG_RESULT) {
            free(o->result);
            o->result = lm_xstrndup(p, n);
        } else if (type == MSG_ERROR) {
            size_t m = n < sizeof o->error - 1 ? n : sizeof o->error - 1;
            memcpy(o->error, p, m);
            o->error[m] = '\0';
            o->has_error = 1;
        }
        at += HEADER + n;
    }
    memmove(in->buf, in->buf + at, in->len - at);
    in->len -= at;
}

/* Passes the child's log through and keeps its last line. */
static void take_log(inbox *in, outcome *o) {
    if (in->len == 0) return;
    if (write_all(STDERR_FILENO, in->buf, in->len) != 0) { /* our stderr is gone: keep going */ }
    size_t end = in->len;
    while (end > 0 && (in->buf[end - 1] == '\n' || in->buf[end - 1] == '\r')) end--;
    size_t start = end;
    while (start > 0 && in->buf[start - 1] != '\n') start--;
    if (end > start) {
        size_t m = end - start < sizeof o->last_line - 1 ? end - start : sizeof o->last_line - 1;
        memcpy(o->last_line, in->buf + start, m);
        o->last_line[m] = '\0';
    }
    in->len = 0;
}

/* The reason of an end without a result or an error message. */
static void describe_end(int status, int killed_by_us, const outcome *o, size_t mem_limit, lm_error *err) {
    char tail[480] = "";
    if (o->last_line[0]) snprintf(tail, sizeof tail, "; its last output: %s", o->last_line);
    if (killed_by_us) {
        lm_fail(err, "the job did not stop within %.0f s of being asked and was killed",
                LMW_STOP_GRACE_SECONDS);
    } else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
        lm_fail(err, "the job process was killed (signal 9, SIGKILL)%s%s", mem_limit ? "" :
                ": the kernel's out-of-memory killer does this when the machine runs out of memory "
                "(lmntk-worker --mem-limit makes a job fail with \"out of memory\" instead)", tail);
    } else if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        lm_fail(err, "the job process crashed: %s (signal %d)%s", strsignal(sig), sig, tail);
    } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        lm_fail(err, "the job process exited with status %d without reporting%s", WEXITSTATUS(status), tail);
    } else {
        lm_fail(err, "the job process ended without a result%s", tail);
    }
}

int lmw_job_wait(lmw_job_process *jp, const lm_run_hooks *hooks, cJSON **job_result, lm_error *err) {
    *job_result = NULL;
    inbox msgs = {0}, logs = {0};
    outcome o = {0};
    int msg_open = 1, log_open = 1, stop_asked = 0, killed = 0;
    double stop_at = 0;
    while (msg_open || log_open) {
        struct pollfd fds[2] = {{msg_open ? jp->msg_fd : -1, POLLIN, 0},
                                {log_open ? jp->log_fd : -1, POLLIN, 0}};
        int n = poll(fds, 2, 100);
        if (n < 0 && errno != EINTR) break;
        if (n > 0 && fds[0].revents) {
            ssize_t got = read_some(jp->msg_fd, &msgs);
            if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN)) msg_open = 0;
            take_messages(&msgs, &o, hooks, &stop_asked);
        }
        if (n > 0 && fds[1].revents) {
            ssize_t got = read_some(jp->log_fd, &logs);
            if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN)) log_open = 0;
            take_log(&logs, &o);
        }
        if (o.too_big && !killed) {
            kill(jp->pid, SIGKILL);
            killed = 1;
        }
        /* The last progress again: the answer says whether to stop. */
        if (hooks && hooks->progress && hooks->progress(hooks->ctx, o.fraction, NULL)) stop_asked = 1;
        if (stop_asked && !stop_at) {
            atomic_store(jp->stop, 1);
            stop_at = lm_now();
        }
        if (stop_at && !killed && lm_now() - stop_at > LMW_STOP_GRACE_SECONDS) {
            lm_warn("job process %ld: not stopped %.0f s after it was asked; killed", (long)jp->pid,
                    LMW_STOP_GRACE_SECONDS);
            kill(jp->pid, SIGKILL);
            killed = 1;
        }
    }
    int status = 0;
    while (waitpid(jp->pid, &status, 0) < 0 && errno == EINTR) {}
    close(jp->msg_fd);
    close(jp->log_fd);
    munmap(jp->stop, sizeof(atomic_int));
    free(msgs.buf);
    free(logs.buf);
    int rc = -1;
    if (o.too_big) {
        lm_fail(err, "the job sent a message over %zu MiB", MESSAGE_MAX >> 20);
    } else if (o.has_error) {
        lm_fail(err, "%s", o.error);
    } else if (o.result && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        *job_result = cJSON_Parse(o.result);
        if (*job_result) rc = 0;
        else lm_fail(err, "the job's result is not JSON");
    } else {
        describe_end(status, killed, &o, jp->mem_limit, err);
    }
    free(o.result);
    jp->pid = -1;
    return rc;
}
