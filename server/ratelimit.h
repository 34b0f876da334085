/* ratelimit.h - token buckets per client key (a token id or an address).
 *
 * A fixed table of buckets: a key that lands on a slot held by another key
 * takes it over with a full bucket.  That bounds memory whatever the number
 * of clients, at the price of forgiving a client now and then. */
#ifndef LMD_RATELIMIT_H
#define LMD_RATELIMIT_H

#include <pthread.h>

#define LMD_RATELIMIT_SLOTS 4096
#define LMD_RATELIMIT_KEY 48

typedef struct lmd_bucket {
    char key[LMD_RATELIMIT_KEY];
    double tokens;
    double last;       /* when tokens was computed, seconds */
} lmd_bucket;

typedef struct lmd_ratelimit {
    double rate;       /* tokens per second; 0 disables the limit */
    double burst;      /* bucket size */
    pthread_mutex_t lock;
    lmd_bucket *slots; /* [LMD_RATELIMIT_SLOTS] */
} lmd_ratelimit;

void lmd_ratelimit_init(lmd_ratelimit *rl, double rate, double burst);
void lmd_ratelimit_free(lmd_ratelimit *rl);

/* Takes one token for key at time now.  Returns 0 when allowed, else the
 * seconds until a token is available (for Retry-After). */
double lmd_ratelimit_take(lmd_ratelimit *rl, const char *key, double now);

#endif
