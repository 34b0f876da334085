/* test_random.c - both tokenizers against their Python references on 3000
 * seeded random strings (random_cases.txt.gz: special tokens, whitespace of
 * every kind, contractions, Greek sigma, combining marks, controls, code
 * points from all planes); also that every BPE result decodes back.
 *
 * usage: test_random SHARED_DIR FIXTURES_DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "../check.h"
#include "tok_check.h"

enum { MAX_SHOWN = 8 };

/* Parses space-separated ids up to ';' or the end; returns the count. */
static size_t parse_ids(const char *p, int32_t *ids, size_t max, const char **end) {
    size_t n = 0;
    for (;;) {
        char *e;
        long v = strtol(p, &e, 10);
        if (e == p || n == max) break;
        ids[n++] = (int32_t)v;
        p = e;
    }
    *end = p;
    return n;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s SHARED_DIR FIXTURES_DIR\n", argv[0]);
        return 2;
    }
    lm_error err;
    char *rdir = lm_path_join(argv[1], "data/tokenizers/roberta-base");
    char *mini = lm_path_join(argv[2], "tokenize/bert-mini");
    char *fix = lm_path_join(argv[2], "tokenize/random_cases.txt.gz");
    lm_tokenizer *tk[2] = {lm_tokenizer_load(rdir, &err), NULL};
    CHECK_MSG(tk[0] != NULL, "%s", err.msg);
    tk[1] = lm_tokenizer_load(mini, &err);
    CHECK_MSG(tk[1] != NULL, "%s", err.msg);
    gzFile gz = gzopen(fix, "rb");
    CHECK_MSG(gz != NULL, "%s: cannot open", fix);
    if (!tk[0] || !tk[1] || !gz) return check_exit("test_random");

    enum { LINE = 1 << 16, MAXIDS = 4096 };
    char *line = lm_xmalloc(LINE);
    int32_t *want = lm_xmalloc(MAXIDS * sizeof *want);
    size_t cases = 0, bad = 0;
    while (gzgets(gz, line, LINE)) {
        if (line[0] == '#') continue;
        line[strcspn(line, "\n")] = '\0';
        char *semi = strchr(line, ';');
        if (!semi) {
            CHECK_MSG(0, "%s: malformed line %zu", fix, cases);
            break;
        }
        *semi = '\0';
        size_t len;
        char *text = tc_unhex(line, &len);
        const char *p = semi + 1;
        for (int k = 0; k < 2; k++) {
            const char *end;
            size_t nw = parse_ids(p, want, MAXIDS, &end);
            p = *end == ';' ? end + 1 : end;
            int32_t *ids;
            size_t n;
            int rc = tc_tokenize(tk[k], text, len, &ids, &n, &err);
            CHECK_MSG(rc == 0, "%s", err.msg);
            if (!tc_same(ids, n, want, nw) && bad++ < MAX_SHOWN) {
                fprintf(stderr, "case %zu (%s), UTF-8 %s:\n", cases, k ? "wordpiece" : "bpe", line);
                tc_print_ids(stderr, "want", want, nw);
                tc_print_ids(stderr, "got ", ids, n);
            }
            if (k == 0 && !strstr(text, "<mask>") && strlen(text) == len) {
                char *d = lm_detokenize(tk[0], ids, n);
                CHECK_MSG(strcmp(d, text) == 0, "case %zu does not decode back", cases);
                free(d);
            }
            free(ids);
        }
        free(text);
        cases++;
    }
    gzclose(gz);
    CHECK_MSG(cases == 3000, "%zu cases, want 3000", cases);
    CHECK_MSG(bad == 0, "%zu tokenizations differ from the references", bad);
    fprintf(stderr, "test_random: %zu random strings x (bpe, wordpiece), %zu mismatches\n",
            cases, bad);
    free(line);
    free(want);
    free(fix);
    free(mini);
    free(rdir);
    lm_tokenizer_free(tk[0]);
    lm_tokenizer_free(tk[1]);
    return check_exit("test_random");
}
