/* ratelimit.c - token buckets in a fixed table. */
#include "ratelimit.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/error.h"

void lmd_ratelimit_init(lmd_ratelimit *rl, double rate, double burst) {
    rl->rate = rate;
    rl->burst = burst < 1 ? 1 : burst;
    pthread_mutex_init(&rl->lock, NULL);
    rl->slots = lm_xcalloc(LMD_RATELIMIT_SLOTS, sizeof *rl->slots);
}

void lmd_ratelimit_free(lmd_ratelimit *rl) {
    pthread_mutex_destroy(&rl->lock);
    free(rl->slots);
    rl->slots = NULL;
}

static uint32_t fnv1a(const char *s) {
    uint32_t h = 2166136261u;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

double lmd_ratelimit_take(lmd_ratelimit *rl, const char *key, double now) {
    if (rl->rate <= 0) return 0;
    char k[LMD_RATELIMIT_KEY];
    snprintf(k, sizeof k, "%s", key);
    lmd_bucket *b = &rl->slots[fnv1a(k) % LMD_RATELIMIT_SLOTS];
    double wait = 0;
    pthread_mutex_lock(&rl->lock);
    if (strcmp(b->key, k) != 0) {
        memcpy(b->key, k, sizeof k);
        b->tokens = rl->burst;
        b->last = now;
    }
    double t = b->tokens + (now - b->last) * rl->rate;
    b->tokens = t > rl->burst ? rl->burst : t;
    b->last = now;
    if (b->tokens >= 1) b->tokens -= 1;
    else wait = (1 - b->tokens) / rl->rate;
    pthread_mutex_unlock(&rl->lock);
    return wait;
}
