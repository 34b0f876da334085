/* hmac.c - HMAC-SHA256, RFC 2104: H((K ^ opad) || H((K ^ ipad) || m)). */
#include "store/hmac.h"

#include <string.h>

#define BLOCK 64 /* SHA-256's block size in bytes */

void lm_hmac_init(lm_hmac_ctx *c, const void *key, size_t key_len) {
    uint8_t k[BLOCK] = {0}, pad[BLOCK];
    /* Keys longer than a block are hashed first; shorter ones zero-padded. */
    if (key_len > BLOCK) lm_sha256(key, key_len, k);
    else if (key_len) memcpy(k, key, key_len);
    for (int i = 0; i < BLOCK; i++) pad[i] = k[i] ^ 0x36;
    lm_sha256_init(&c->inner);
    lm_sha256_update(&c->inner, pad, BLOCK);
    for (int i = 0; i < BLOCK; i++) pad[i] = k[i] ^ 0x5c;
    lm_sha256_init(&c->outer);
    lm_sha256_update(&c->outer, pad, BLOCK);
    memset(k, 0, sizeof k);
    memset(pad, 0, sizeof pad);
}

void lm_hmac_update(lm_hmac_ctx *c, const void *data, size_t len) {
    lm_sha256_update(&c->inner, data, len);
}

void lm_hmac_final(lm_hmac_ctx *c, uint8_t out[LM_SHA256_LEN]) {
    uint8_t inner[LM_SHA256_LEN];
    lm_sha256_final(&c->inner, inner);
    lm_sha256_update(&c->outer, inner, sizeof inner);
    lm_sha256_final(&c->outer, out);
    memset(c, 0, sizeof *c);
}

void lm_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                    uint8_t out[LM_SHA256_LEN]) {
    lm_hmac_ctx c;
    lm_hmac_init(&c, key, key_len);
    lm_hmac_update(&c, data, len);
    lm_hmac_final(&c, out);
}

int lm_mac_equal(const uint8_t *a, const uint8_t *b, size_t n) {
    uint8_t diff = 0;
    for (size_t i = 0; i < n; i++) diff |= (uint8_t)(a[i] ^ b[i]);
    return diff == 0;
}
