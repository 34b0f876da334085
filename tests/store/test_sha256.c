/* test_sha256.c - store/sha256 against the FIPS 180-4 / NIST example
 * vectors, padding boundaries, incremental updates; store/digest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../check.h"
#include "store/digest.h"
#include "store/sha256.h"
#include "util/file.h"

static void check_hex(const void *data, size_t len, const char *want) {
    char got[LM_SHA256_HEX_LEN + 1];
    lm_sha256_hex(data, len, got);
    CHECK_MSG(strcmp(got, want) == 0, "len %zu: %s != %s", len, got, want);
}

int main(void) {
    /* NIST CSRC examples (SHA256.pdf, SHA2_Additional.pdf). */
    check_hex("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check_hex("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    check_hex(m448, strlen(m448), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const char *m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                       "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    check_hex(m896, strlen(m896), "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    char *million = malloc(1000000);
    memset(million, 'a', 1000000);
    check_hex(million, 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");

    /* Padding boundaries: 55 bytes fit one block, 56 need two, ... (values
     * from an independent implementation, Python's hashlib). */
    static const struct { size_t n; const char *hex; } pads[] = {
        {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
        {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
        {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
        {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
        {65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"},
        {119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
        {120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"},
    };
    for (size_t i = 0; i < sizeof pads / sizeof pads[0]; i++) check_hex(million, pads[i].n, pads[i].hex);

    /* Incremental updates in uneven pieces give the one-shot digest. */
    unsigned char *bytes = malloc(10240);
    for (size_t i = 0; i < 10240; i++) bytes[i] = (unsigned char)i;
    const char *want = "e96760a87768717bcebcfd25ddc7d46b4dbc95a4b0014def080c08539f7d90d0";
    check_hex(bytes, 10240, want);
    static const size_t steps[] = {1, 3, 63, 64, 65, 127, 1000};
    for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
        lm_sha256_ctx c;
        lm_sha256_init(&c);
        for (size_t off = 0; off < 10240; off += steps[s])
            lm_sha256_update(&c, bytes + off, off + steps[s] <= 10240 ? steps[s] : 10240 - off);
        uint8_t d[LM_SHA256_LEN];
        char hex[LM_SHA256_HEX_LEN + 1];
        lm_sha256_final(&c, d);
        lm_hex(d, sizeof d, hex);
        CHECK_MSG(strcmp(hex, want) == 0, "step %zu", steps[s]);
    }

    /* lm_hex */
    char h[7];
    lm_hex((const uint8_t *)"\x00\xab\xff", 3, h);
    CHECK(strcmp(h, "00abff") == 0);

    /* File digests: streamed, equal to the in-memory digest. */
    lm_error err;
    char dir[] = "/tmp/lmntk-test-sha-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char *path = lm_path_join(dir, "f.bin");
    CHECK(lm_write_file_atomic(path, million, 1000000, &err) == 0);
    char hex[LM_SHA256_HEX_LEN + 1];
    CHECK(lm_file_digest(path, hex, &err) == 0);
    CHECK(strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0") == 0);
    CHECK(lm_write_file_atomic(path, "", 0, &err) == 0);
    CHECK(lm_file_digest(path, hex, &err) == 0);
    CHECK(strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == 0);
    unlink(path);
    CHECK(lm_file_digest(path, hex, &err) != 0 && strstr(err.msg, path) != NULL);
    rmdir(dir);
    free(path);
    free(bytes);
    free(million);
    return check_exit("test_sha256");
}
