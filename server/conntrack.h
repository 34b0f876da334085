/* conntrack.h - every open HTTP connection, the phase its current request
 * is in, and the sweep that cuts the slow ones.
 *
 * libmicrohttpd's connection_timeout is an idle timeout: any byte resets it,
 * so a client that trickles one byte every few seconds (slowloris) holds a
 * connection forever, and a few hundred such clients fill the connection
 * table.  Here each connection gets deadlines counted from when its phase
 * began, which no trickle extends:
 *
 *   waiting  (request line and headers not complete)   header_timeout
 *   body     (a JSON body being read)                   body_timeout
 *   stream   (an artifact upload by a worker token, or a reply being sent:
 *             only MHD's idle timeout applies)
 *
 * Under pressure (more than half of max_connections waiting for headers)
 * waiting connections older than LMD_PRESSURE_GRACE seconds are cut too, the
 * longest waiting first: a real client sends its headers at once, so the
 * room goes to clients that make progress.  A connection is cut with
 * shutdown(2); MHD then sees the end of the stream and closes it itself. */
#ifndef LMD_CONNTRACK_H
#define LMD_CONNTRACK_H

#include <pthread.h>
#include <stdatomic.h>

/* Seconds a connection may wait for its headers while the table is under
 * pressure. */
#define LMD_PRESSURE_GRACE 1.0

typedef enum {
    LMD_PHASE_WAITING = 0,
    LMD_PHASE_BODY,
    LMD_PHASE_STREAM,
} lmd_conn_phase;

typedef struct lmd_conn {
    struct lmd_conn *prev, *next;
    int fd;
    lmd_conn_phase phase;
    double since;          /* when the phase began */
    int cut;               /* shutdown already done */
} lmd_conn;

typedef struct lmd_conntrack {
    pthread_mutex_t lock;
    lmd_conn head;          /* sentinel of a circular list */
    int n;
    double header_timeout, body_timeout;
    int max_connections;
    atomic_ullong cut_header, cut_body, cut_pressure;
    /* the sweeper thread */
    pthread_t thread;
    pthread_cond_t wake;
    int stopping, running;
} lmd_conntrack;

void lmd_conntrack_init(lmd_conntrack *t, double header_timeout, double body_timeout,
                        int max_connections);
/* Starts the sweeper (every 0.1 s); 0 or -1. */
int lmd_conntrack_start(lmd_conntrack *t);
/* Stops the sweeper; the list must be empty (MHD stopped) before destroy. */
void lmd_conntrack_stop(lmd_conntrack *t);
void lmd_conntrack_destroy(lmd_conntrack *t);

/* A new connection on fd (waiting for its first request). */
lmd_conn *lmd_conntrack_add(lmd_conntrack *t, int fd, double now);
void lmd_conntrack_remove(lmd_conntrack *t, lmd_conn *c);
/* The request moves to phase at now. */
void lmd_conntrack_phase(lmd_conntrack *t, lmd_conn *c, lmd_conn_phase phase, double now);

/* One sweep at time now: cuts what is past its deadline; returns how many
 * connections it cut.  The sweeper calls it; tests call it directly. */
int lmd_conntrack_sweep(lmd_conntrack *t, double now);

/* Open connections, and of them those waiting for headers. */
void lmd_conntrack_counts(lmd_conntrack *t, int *open, int *waiting);

#endif
