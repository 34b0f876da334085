/* test_hmac.c - store/hmac against the HMAC-SHA-256 test vectors of RFC 4231
 * (section 4: cases 1-4, 6, 7; case 5 is a truncated output), incremental
 * updates, and lm_mac_equal. */
#include <string.h>
#include "../check.h"
#include "store/hmac.h"

static void fill(unsigned char *p, int byte, size_t n) { memset(p, byte, n); }

static void check_mac(const void *key, size_t kn, const void *data, size_t dn, const char *want) {
    uint8_t mac[LM_SHA256_LEN];
    char hex[LM_SHA256_HEX_LEN + 1];
    lm_hmac_sha256(key, kn, data, dn, mac);
    lm_hex(mac, sizeof mac, hex);
    CHECK_MSG(strcmp(hex, want) == 0, "key %zu bytes, data %zu bytes: %s != %s", kn, dn, hex, want);
    /* The same MAC fed one byte at a time. */
    lm_hmac_ctx c;
    lm_hmac_init(&c, key, kn);
    for (size_t i = 0; i < dn; i++) lm_hmac_update(&c, (const char *)data + i, 1);
    uint8_t mac2[LM_SHA256_LEN];
    lm_hmac_final(&c, mac2);
    CHECK(memcmp(mac, mac2, sizeof mac) == 0);
}

int main(void) {
    unsigned char key[131], data[50];
    fill(key, 0x0b, 20); /* case 1 */
    check_mac(key, 20, "Hi There", 8, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    /* case 2: a key shorter than the output */
    check_mac("Jefe", 4, "what do ya want for nothing?", 28,
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    fill(key, 0xaa, 20); /* case 3 */
    fill(data, 0xdd, 50);
    check_mac(key, 20, data, 50, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
    for (int i = 0; i < 25; i++) key[i] = (unsigned char)(i + 1); /* case 4 */
    fill(data, 0xcd, 50);
    check_mac(key, 25, data, 50, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
    fill(key, 0xaa, 131); /* cases 6 and 7: keys longer than a block are hashed */
    const char *m6 = "Test Using Larger Than Block-Size Key - Hash Key First";
    check_mac(key, 131, m6, strlen(m6), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    const char *m7 = "This is a test using a larger than block-size key and a larger than block-size data. "
                     "The key needs to be hashed before being used by the HMAC algorithm.";
    check_mac(key, 131, m7, strlen(m7), "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");

    uint8_t a[LM_SHA256_LEN], b[LM_SHA256_LEN];
    lm_hmac_sha256("k", 1, "m", 1, a);
    memcpy(b, a, sizeof a);
    CHECK(lm_mac_equal(a, b, sizeof a));
    b[31] ^= 1;
    CHECK(!lm_mac_equal(a, b, sizeof a));
    lm_hmac_sha256("K", 1, "m", 1, b); /* another key, another MAC */
    CHECK(!lm_mac_equal(a, b, sizeof a));
    return check_exit("test_hmac");
}
