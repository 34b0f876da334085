/* hmac.h - HMAC-SHA256 (RFC 2104 over FIPS 180-4 SHA-256): the keyed MAC
 * that lets a cache reader tell entries written by a holder of the secret
 * from entries written by anyone else. */
#ifndef LM_STORE_HMAC_H
#define LM_STORE_HMAC_H

#include <stddef.h>
#include <stdint.h>
#include "store/sha256.h"

typedef struct lm_hmac_ctx {
    lm_sha256_ctx inner, outer; /* both already keyed */
} lm_hmac_ctx;

void lm_hmac_init(lm_hmac_ctx *c, const void *key, size_t key_len);
void lm_hmac_update(lm_hmac_ctx *c, const void *data, size_t len);
void lm_hmac_final(lm_hmac_ctx *c, uint8_t out[LM_SHA256_LEN]);

/* One-shot MAC. */
void lm_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                    uint8_t out[LM_SHA256_LEN]);

/* 1 when the n bytes are equal; its time does not depend on where they
 * differ. */
int lm_mac_equal(const uint8_t *a, const uint8_t *b, size_t n);

#endif
