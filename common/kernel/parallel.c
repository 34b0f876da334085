/* parallel.c - a parallel loop for the kernel's own loops (forming
 * gradients, sign products, sparse rows, Gram block sums).  Each item is
 * computed by one thread in a fixed order, so results do not depend on the
 * number of threads. */
#include "kernel/kernel_internal.h"

#include <cblas.h>
#undef I
#include <pthread.h>
#include <stdatomic.h>

typedef struct job {
    void (*fn)(void *ctx, int item, int thread);
    void *ctx;
    int n;
    atomic_int next;
} job;

typedef struct worker {
    job *j;
    int thread;
} worker;

static void *run(void *arg) {
    worker *w = arg;
    for (int i; (i = atomic_fetch_add(&w->j->next, 1)) < w->j->n;) w->j->fn(w->j->ctx, i, w->thread);
    return NULL;
}

void lm_kparallel(int n_threads, int n, double work, void (*fn)(void *ctx, int item, int thread),
                  void *ctx) {
    if (n <= 0) return;
    if (work < LM_KPAR_MIN_WORK) n_threads = 1; /* starting threads would cost more */
    if (n_threads > n) n_threads = n;
    if (n_threads > 64) n_threads = 64;
    job j = {.fn = fn, .ctx = ctx, .n = n};
    atomic_init(&j.next, 0);
    worker w[64];
    pthread_t th[64];
    int started = 0;
    for (int t = 1; t < n_threads; t++) {
        w[t] = (worker){&j, t};
        if (pthread_create(&th[t], NULL, run, &w[t]) != 0) break; /* fewer threads, same results */
        started = t;
    }
    w[0] = (worker){&j, 0};
    run(&w[0]);
    for (int t = 1; t <= started; t++) pthread_join(th[t], NULL);
}

int lm_kthreads(void) {
    int n = openblas_get_num_threads();
    return n < 1 ? 1 : n > 64 ? 64 : n;
}
