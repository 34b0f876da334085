/* ratelimit.c - token buckets in a bounded hash table (see ratelimit.h). */
#include "ratelimit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "util/error.h"

void lmd_ratelimit_init(lmd_ratelimit *rl, double rate, double burst, int max_keys) {
    memset(rl, 0, sizeof *rl);
    rl->rate = rate;
    rl->burst = burst < 1 ? 1 : burst;
    pthread_mutex_init(&rl->lock, NULL);
    rl->max_keys = max_keys > 0 ? max_keys : LMD_RATELIMIT_MAX_KEYS;
    rl->n_heads = 16;
    while (rl->n_heads < 2u * (unsigned)rl->max_keys) rl->n_heads *= 2;
    rl->heads = lm_xmalloc(rl->n_heads * sizeof *rl->heads);
    for (unsigned i = 0; i < rl->n_heads; i++) rl->heads[i] = -1;
    rl->buckets = lm_xcalloc((size_t)rl->max_keys, sizeof *rl->buckets);
    for (int i = 0; i < rl->max_keys; i++) rl->buckets[i].next = i + 1 < rl->max_keys ? i + 1 : -1;
    rl->free_list = 0;
    if (getrandom(&rl->seed, sizeof rl->seed, 0) != (ssize_t)sizeof rl->seed)
        rl->seed = (uint64_t)(uintptr_t)rl ^ 0x9E3779B97F4A7C15ull;
}

void lmd_ratelimit_free(lmd_ratelimit *rl) {
    pthread_mutex_destroy(&rl->lock);
    free(rl->heads);
    free(rl->buckets);
    rl->heads = NULL;
    rl->buckets = NULL;
}

/* FNV-1a from a random start, then a splitmix64 finish. */
static unsigned chain_of(const lmd_ratelimit *rl, const char *key) {
    uint64_t h = 0xcbf29ce484222325ull ^ rl->seed;
    for (const char *p = key; *p; p++) h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
    h ^= h >> 30;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 27;
    h *= 0x94D049BB133111EBull;
    h ^= h >> 31;
    return (unsigned)(h & (rl->n_heads - 1));
}

static void unlink_bucket(lmd_ratelimit *rl, int i) {
    int *link = &rl->heads[chain_of(rl, rl->buckets[i].key)];
    while (*link != i) link = &rl->buckets[*link].next;
    *link = rl->buckets[i].next;
    rl->buckets[i].next = rl->free_list;
    rl->free_list = i;
    rl->n_keys--;
}

/* Makes room for one key: drops every full bucket, else the idlest. */
static void make_room(lmd_ratelimit *rl, double now) {
    int idlest = -1;
    for (unsigned h = 0; h < rl->n_heads; h++) {
        for (int i = rl->heads[h], next; i >= 0; i = next) {
            lmd_bucket *b = &rl->buckets[i];
            next = b->next;
            if (b->tokens + (now - b->last) * rl->rate >= rl->burst) unlink_bucket(rl, i);
            else if (idlest < 0 || b->last < rl->buckets[idlest].last) idlest = i;
        }
    }
    if (rl->free_list < 0 && idlest >= 0) unlink_bucket(rl, idlest);
}

double lmd_ratelimit_take(lmd_ratelimit *rl, const char *key, double now) {
    if (rl->rate <= 0) return 0;
    if (strlen(key) >= LMD_RATELIMIT_KEY) return 1;
    double wait = 0;
    pthread_mutex_lock(&rl->lock);
    unsigned h = chain_of(rl, key);
    int i = rl->heads[h];
    while (i >= 0 && strcmp(rl->buckets[i].key, key) != 0) i = rl->buckets[i].next;
    if (i < 0) {
        if (rl->free_list < 0) make_room(rl, now);
        i = rl->free_list;
        lmd_bucket *b = &rl->buckets[i];
        rl->free_list = b->next;
        snprintf(b->key, sizeof b->key, "%s", key);
        b->tokens = rl->burst;
        b->last = now;
        b->next = rl->heads[h];
        rl->heads[h] = i;
        rl->n_keys++;
    }
    lmd_bucket *b = &rl->buckets[i];
    double t = b->tokens + (now - b->last) * rl->rate;
    b->tokens = t > rl->burst ? rl->burst : t;
    b->last = now;
    if (b->tokens >= 1) b->tokens -= 1;
    else wait = (1 - b->tokens) / rl->rate;
    pthread_mutex_unlock(&rl->lock);
    return wait;
}

int lmd_ratelimit_keys(lmd_ratelimit *rl) {
    pthread_mutex_lock(&rl->lock);
    int n = rl->n_keys;
    pthread_mutex_unlock(&rl->lock);
    return n;
}
