/* conntrack.c - the live connections and the sweep that cuts the slow ones
 * (see conntrack.h). */
#include "conntrack.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include "util/clock.h"
#include "util/error.h"

void lmd_conntrack_init(lmd_conntrack *t, double header_timeout, double body_timeout,
                        int max_connections) {
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->wake, NULL);
    t->head.prev = t->head.next = &t->head;
    t->n = 0;
    t->header_timeout = header_timeout;
    t->body_timeout = body_timeout;
    t->max_connections = max_connections;
    atomic_init(&t->cut_header, 0);
    atomic_init(&t->cut_body, 0);
    atomic_init(&t->cut_pressure, 0);
    t->stopping = t->running = 0;
}

void lmd_conntrack_destroy(lmd_conntrack *t) {
    pthread_mutex_destroy(&t->lock);
    pthread_cond_destroy(&t->wake);
}

lmd_conn *lmd_conntrack_add(lmd_conntrack *t, int fd, double now) {
    lmd_conn *c = lm_xcalloc(1, sizeof *c);
    c->fd = fd;
    c->phase = LMD_PHASE_WAITING;
    c->since = now;
    pthread_mutex_lock(&t->lock);
    c->next = t->head.next;
    c->prev = &t->head;
    t->head.next->prev = c;
    t->head.next = c;
    t->n++;
    pthread_mutex_unlock(&t->lock);
    return c;
}

/* MHD calls this before it closes the socket: once the entry is gone under
 * the lock, the sweep can no longer shut down an fd that might be reused. */
void lmd_conntrack_remove(lmd_conntrack *t, lmd_conn *c) {
    pthread_mutex_lock(&t->lock);
    c->prev->next = c->next;
    c->next->prev = c->prev;
    t->n--;
    pthread_mutex_unlock(&t->lock);
    free(c);
}

void lmd_conntrack_phase(lmd_conntrack *t, lmd_conn *c, lmd_conn_phase phase, double now) {
    pthread_mutex_lock(&t->lock);
    c->phase = phase;
    c->since = now;
    pthread_mutex_unlock(&t->lock);
}

static void cut(lmd_conn *c, atomic_ullong *counter) {
    shutdown(c->fd, SHUT_RDWR);
    c->cut = 1;
    atomic_fetch_add(counter, 1);
}

/* Connections still waiting for their headers; t->lock held. */
static int count_waiting(const lmd_conntrack *t) {
    int waiting = 0;
    for (const lmd_conn *c = t->head.next; c != &t->head; c = c->next)
        waiting += c->phase == LMD_PHASE_WAITING && !c->cut;
    return waiting;
}

int lmd_conntrack_sweep(lmd_conntrack *t, double now) {
    int n_cut = 0;
    pthread_mutex_lock(&t->lock);
    int pressure = count_waiting(t) > t->max_connections / 2;
    for (lmd_conn *c = t->head.next; c != &t->head; c = c->next) {
        if (c->cut) continue;
        double age = now - c->since;
        if (c->phase == LMD_PHASE_WAITING && age > t->header_timeout) cut(c, &t->cut_header);
        else if (c->phase == LMD_PHASE_WAITING && pressure && age > LMD_PRESSURE_GRACE)
            cut(c, &t->cut_pressure);
        else if (c->phase == LMD_PHASE_BODY && age > t->body_timeout) cut(c, &t->cut_body);
        else continue;
        n_cut++;
    }
    pthread_mutex_unlock(&t->lock);
    return n_cut;
}

void lmd_conntrack_counts(lmd_conntrack *t, int *open, int *waiting) {
    pthread_mutex_lock(&t->lock);
    *open = t->n;
    *waiting = count_waiting(t);
    pthread_mutex_unlock(&t->lock);
}

static void *sweeper(void *arg) {
    lmd_conntrack *t = arg;
    pthread_mutex_lock(&t->lock);
    while (!t->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 100000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&t->wake, &t->lock, &until);
        if (t->stopping) break;
        pthread_mutex_unlock(&t->lock);
        lmd_conntrack_sweep(t, lm_now());
        pthread_mutex_lock(&t->lock);
    }
    pthread_mutex_unlock(&t->lock);
    return NULL;
}

int lmd_conntrack_start(lmd_conntrack *t) {
    t->stopping = 0;
    if (pthread_create(&t->thread, NULL, sweeper, t) != 0) return -1;
    t->running = 1;
    return 0;
}

void lmd_conntrack_stop(lmd_conntrack *t) {
    if (!t->running) return;
    pthread_mutex_lock(&t->lock);
    t->stopping = 1;
    pthread_cond_signal(&t->wake);
    pthread_mutex_unlock(&t->lock);
    pthread_join(t->thread, NULL);
    t->running = 0;
}
