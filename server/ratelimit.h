/* ratelimit.h - token buckets per client key (a token id or an address).
 *
 * A hash table of buckets keyed by the whole key: two clients never share a
 * bucket, whatever keys they pick (a fixed table indexed by an unkeyed hash
 * let a client take over another's slot, or reset its own, with a key that
 * collides).  The hash is seeded at random so that no client can make the
 * chains long.  Memory is bounded by max_keys: when the table is full, the
 * buckets that have refilled completely (which hold no state worth keeping)
 * are dropped, and only if none has, the one idle longest. */
#ifndef LMD_RATELIMIT_H
#define LMD_RATELIMIT_H

#include <pthread.h>
#include <stdint.h>

#define LMD_RATELIMIT_KEY 64
#define LMD_RATELIMIT_MAX_KEYS 16384

typedef struct lmd_bucket {
    char key[LMD_RATELIMIT_KEY];
    double tokens;
    double last;       /* when tokens was computed, seconds */
    int next;          /* next bucket of the chain, or of the free list; -1: none */
} lmd_bucket;

typedef struct lmd_ratelimit {
    double rate;       /* tokens per second; 0 disables the limit */
    double burst;      /* bucket size */
    pthread_mutex_t lock;
    uint64_t seed;
    int max_keys, n_keys;
    unsigned n_heads;  /* a power of two >= 2 max_keys */
    int *heads;        /* [n_heads] first bucket of each chain, -1: none */
    lmd_bucket *buckets; /* [max_keys] */
    int free_list;
} lmd_ratelimit;

/* max_keys 0: LMD_RATELIMIT_MAX_KEYS. */
void lmd_ratelimit_init(lmd_ratelimit *rl, double rate, double burst, int max_keys);
void lmd_ratelimit_free(lmd_ratelimit *rl);

/* Takes one token for key at time now.  Returns 0 when allowed, else the
 * seconds until a token is available (for Retry-After).  Keys longer than
 * LMD_RATELIMIT_KEY - 1 bytes are refused (returns 1): callers make short
 * keys. */
double lmd_ratelimit_take(lmd_ratelimit *rl, const char *key, double now);

/* Keys held now (for tests and metrics). */
int lmd_ratelimit_keys(lmd_ratelimit *rl);

#endif
