/* rng.h - a small deterministic random generator (xoshiro256**, seeded by
 * splitmix64), so that results depend only on the seed, not on libc. */
#ifndef LM_UTIL_RNG_H
#define LM_UTIL_RNG_H

#include <stdint.h>

typedef struct lm_rng {
    uint64_t s[4];
} lm_rng;

void lm_rng_seed(lm_rng *r, uint64_t seed);
uint64_t lm_rng_next(lm_rng *r);
double lm_rng_uniform(lm_rng *r);          /* [0, 1) */
double lm_rng_normal(lm_rng *r);           /* N(0, 1), Box-Muller */
uint64_t lm_rng_below(lm_rng *r, uint64_t n); /* [0, n) without modulo bias */

#endif
