/* sha256.h - SHA-256 (FIPS 180-4) for content addressing, and hex. */
#ifndef LM_STORE_SHA256_H
#define LM_STORE_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define LM_SHA256_LEN 32
#define LM_SHA256_HEX_LEN 64 /* without the NUL */

typedef struct lm_sha256_ctx {
    uint32_t h[8];
    uint64_t nbytes; /* message length so far */
    uint8_t block[64];
    size_t nblock; /* bytes waiting in block */
} lm_sha256_ctx;

void lm_sha256_init(lm_sha256_ctx *c);
void lm_sha256_update(lm_sha256_ctx *c, const void *data, size_t len);
void lm_sha256_final(lm_sha256_ctx *c, uint8_t out[LM_SHA256_LEN]);

/* One-shot digest. */
void lm_sha256(const void *data, size_t len, uint8_t out[LM_SHA256_LEN]);
/* One-shot digest as 64 lowercase hex characters + NUL. */
void lm_sha256_hex(const void *data, size_t len, char out[LM_SHA256_HEX_LEN + 1]);

/* Lowercase hex of n bytes into out (2n characters + NUL). */
void lm_hex(const uint8_t *bytes, size_t n, char *out);

#endif
