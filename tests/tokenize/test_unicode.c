/* test_unicode.c - the Unicode layer, exhaustively: for every code point,
 * the GPT-2 and BERT classes and BERT's BasicTokenizer (lower-case + strip
 * accents, and strip accents alone) on the code point by itself, digested
 * per 4096-point block and compared with unicode_blocks.txt (computed by
 * make_fixtures.py from Python's regex, unicodedata and str.lower).  Also
 * UTF-8 encoding, decoding and checking.
 *
 * usage: test_unicode SHARED_DIR FIXTURES_DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../check.h"
#include "tokenize/tok_internal.h"
#include "tokenize/unicode.h"
#include "util/file.h"

#define FNV_INIT 0xcbf29ce484222325ull

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

typedef struct { uint64_t h; int words; } digest;

static void word_fn(const char *w, size_t len, void *ctx) {
    digest *d = ctx;
    if (d->words++) d->h = fnv(d->h, "\x01", 1);
    d->h = fnv(d->h, w, len);
}

static void check_utf8(void) {
    int bad = 0;
    for (uint32_t cp = 0; cp < 0x110000; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF) continue;
        char buf[4];
        size_t n = lm_utf8_encode(cp, buf), pos = 0;
        uint32_t back = lm_utf8_next(buf, &pos);
        if (back != cp || pos != n || lm_utf8_invalid_at(buf, n) != n) bad++;
    }
    CHECK_MSG(bad == 0, "%d code points do not round-trip through UTF-8", bad);
    CHECK(lm_utf8_invalid_at("\xed\x9f\xbf", 3) == 3);     /* U+D7FF */
    CHECK(lm_utf8_invalid_at("\xed\xa0\x80", 3) == 0);     /* U+D800 */
    CHECK(lm_utf8_invalid_at("\xe0\x9f\xbf", 3) == 0);     /* overlong */
    CHECK(lm_utf8_invalid_at("\xf0\x8f\xbf\xbf", 4) == 0); /* overlong */
    CHECK(lm_utf8_invalid_at("\xf4\x8f\xbf\xbf", 4) == 4); /* U+10FFFF */
    CHECK(lm_utf8_invalid_at("a\xc3", 2) == 1);            /* truncated */
    CHECK(lm_utf8_invalid_at("", 0) == 0);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s SHARED_DIR FIXTURES_DIR\n", argv[0]);
        return 2;
    }
    check_utf8();
    char *path = lm_path_join(argv[2], "tokenize/unicode_blocks.txt");
    FILE *f = fopen(path, "r");
    CHECK_MSG(f != NULL, "%s: cannot open", path);
    if (!f) return check_exit("test_unicode");
    char line[256];
    int blocks = 0, bad = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#') continue;
        unsigned block;
        unsigned long long wc, wl, wn;
        if (sscanf(line, "%x %llx %llx %llx", &block, &wc, &wl, &wn) != 4) {
            CHECK_MSG(0, "%s: malformed line \"%s\"", path, line);
            break;
        }
        uint64_t hc = FNV_INIT;
        digest dl = {FNV_INIT, 0}, dn = {FNV_INIT, 0};
        for (uint32_t cp = block; cp < block + 4096; cp++) {
            if (cp >= 0xD800 && cp <= 0xDFFF) continue;
            unsigned char cls[2] = {(unsigned char)lm_uc_bpe_class(cp),
                                    (unsigned char)lm_uc_bert_class(cp)};
            hc = fnv(hc, cls, 2);
            char u[4];
            size_t n = lm_utf8_encode(cp, u);
            dl.words = 0;
            lm_bert_basic(u, n, 1, 1, 1, word_fn, &dl);
            dl.h = fnv(dl.h, "", 1);
            dn.words = 0;
            lm_bert_basic(u, n, 0, 1, 1, word_fn, &dn);
            dn.h = fnv(dn.h, "", 1);
        }
        blocks++;
        if (hc != wc || dl.h != wl || dn.h != wn) {
            bad++;
            CHECK_MSG(0, "block U+%04X: %s%s%s differ from Python's", block,
                      hc != wc ? "classes " : "", dl.h != wl ? "lower+strip " : "",
                      dn.h != wn ? "strip" : "");
        }
    }
    fclose(f);
    CHECK_MSG(blocks == 272, "%d blocks in %s, want 272", blocks, path);
    fprintf(stderr, "test_unicode: %d blocks of 4096 code points, %d differ "
            "(GPT-2 classes Unicode %s, BERT Unicode %s)\n", blocks, bad,
            LM_UC_BPE_UNICODE, LM_UC_BERT_UNICODE);
    free(path);
    return check_exit("test_unicode");
}
